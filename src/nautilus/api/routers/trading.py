"""Paper trading: sessions, orders, fills and positions of the caller's own accounts.

Object-level authorisation: an account that is not the caller's (unless admin) answers 404,
and so do its orders. Bad order input answers 422 with a stable reason ``code``
(``non_finite``, ``invalid_quantity``, ``invalid_increment``, ``unknown_instrument``,
``expired_gtd``...) and nothing reaches the venue; a risk denial comes back as an order with
status ``denied`` and its rule's code.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from nautilus.api.deps import Page, PlatformDep, Reader, Trader
from nautilus.api.schemas.common import AUTHED, problem_responses
from nautilus.api.schemas.trading import (
    AccountOut,
    FillOut,
    ModifyRequest,
    OrderOut,
    OrderRequest,
    PaperSessionRequest,
    PositionOut,
)
from nautilus.execution.engine import ExecutionEngine
from nautilus.platform import Platform

router = APIRouter(prefix="/api/v1/trading", tags=["trading"])
AccountId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
OrderId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


def _engine(platform: Platform) -> ExecutionEngine:
    return platform.ctx.engine("execution", ExecutionEngine)


@router.post(
    "/sessions",
    response_model=AccountOut,
    status_code=201,
    summary="Start a paper session",
    responses=problem_responses(*AUTHED, 404),
)
def start_session(
    body: PaperSessionRequest, principal: Trader, platform: PlatformDep
) -> AccountOut:
    return AccountOut.of(_engine(platform).start_paper(body, principal.user_id))


@router.get(
    "/sessions",
    response_model=list[AccountOut],
    summary="Your paper accounts",
    responses=problem_responses(*AUTHED),
)
def list_sessions(principal: Reader, platform: PlatformDep) -> list[AccountOut]:
    rows = _engine(platform).accounts(principal.user_id, principal.is_admin)
    return [AccountOut.of(r) for r in rows]


@router.get(
    "/sessions/{account_id}",
    response_model=AccountOut,
    summary="One paper account",
    responses=problem_responses(*AUTHED, 404),
)
def get_session(account_id: AccountId, principal: Reader, platform: PlatformDep) -> AccountOut:
    return AccountOut.of(
        _engine(platform).account(account_id, principal.user_id, principal.is_admin)
    )


@router.post(
    "/sessions/{account_id}/stop",
    response_model=AccountOut,
    summary="Stop a session (no order reaches the venue afterwards)",
    responses=problem_responses(*AUTHED, 404),
)
def stop_session(account_id: AccountId, principal: Trader, platform: PlatformDep) -> AccountOut:
    return AccountOut.of(
        _engine(platform).stop_session(account_id, principal.user_id, principal.is_admin)
    )


@router.post(
    "/sessions/{account_id}/orders",
    response_model=OrderOut,
    status_code=201,
    summary="Submit an order",
    responses=problem_responses(*AUTHED, 404, 409),
)
def submit_order(
    account_id: AccountId, body: OrderRequest, principal: Trader, platform: PlatformDep
) -> OrderOut:
    order = _engine(platform).submit_order(account_id, body, principal.user_id, principal.is_admin)
    return OrderOut.of(order, account_id)


@router.post(
    "/sessions/{account_id}/orders/{client_order_id}/cancel",
    response_model=OrderOut,
    summary="Cancel a working order",
    responses=problem_responses(*AUTHED, 404, 409),
)
def cancel_order(
    account_id: AccountId, client_order_id: OrderId, principal: Trader, platform: PlatformDep
) -> OrderOut:
    order = _engine(platform).cancel_order(
        account_id, client_order_id, principal.user_id, principal.is_admin
    )
    return OrderOut.of(order, account_id)


@router.patch(
    "/sessions/{account_id}/orders/{client_order_id}",
    response_model=OrderOut,
    summary="Modify a working order",
    responses=problem_responses(*AUTHED, 404, 409),
)
def modify_order(
    account_id: AccountId,
    client_order_id: OrderId,
    body: ModifyRequest,
    principal: Trader,
    platform: PlatformDep,
) -> OrderOut:
    order = _engine(platform).modify_order(
        account_id,
        client_order_id,
        principal.user_id,
        principal.is_admin,
        quantity=body.quantity,
        price=body.price,
        trigger_price=body.trigger_price,
    )
    return OrderOut.of(order, account_id)


@router.get(
    "/orders",
    response_model=list[OrderOut],
    summary="Your orders",
    responses=problem_responses(*AUTHED, 404),
)
def list_orders(
    principal: Reader,
    platform: PlatformDep,
    page: Page,
    account_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[OrderOut]:
    rows = _engine(platform).orders(
        account_id, principal.user_id, principal.is_admin, limit=page.limit, offset=page.offset
    )
    return [OrderOut.of_row(r) for r in rows]


@router.get(
    "/fills",
    response_model=list[FillOut],
    summary="Your fills",
    responses=problem_responses(*AUTHED, 404),
)
def list_fills(
    principal: Reader,
    platform: PlatformDep,
    page: Page,
    account_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[FillOut]:
    rows = _engine(platform).fills(
        account_id, principal.user_id, principal.is_admin, limit=page.limit, offset=page.offset
    )
    return [FillOut.of(a, f) for a, f in rows]


@router.get(
    "/positions",
    response_model=list[PositionOut],
    summary="Your open positions",
    responses=problem_responses(*AUTHED, 404),
)
def list_positions(
    principal: Reader,
    platform: PlatformDep,
    account_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[PositionOut]:
    rows = _engine(platform).positions(account_id, principal.user_id, principal.is_admin)
    return [PositionOut.of(a, p) for a, p in rows]
