"""Risk: limits CRUD (admin writes, audited), pre-trade dry run, current risk per portfolio,
VaR/ES on demand (a job for large Monte Carlo), stress runs, alerts, trading state and kill
switch (admin). Handlers are thin over :class:`~nautilus.risk.engine.RiskEngine`."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import HTMLResponse

from nautilus.api.deps import Admin, Page, PlatformDep, Reader, Trader
from nautilus.api.schemas.common import AUTHED, problem_responses
from nautilus.api.schemas.jobs import JobAccepted
from nautilus.api.schemas.risk import (
    AlertOut,
    DecisionOut,
    JsonDoc,
    KillIn,
    LimitsOut,
    OrderCheckIn,
    PortfolioAssign,
    StateIn,
    StatesOut,
    StressIn,
    VarIn,
)
from nautilus.core.errors import NotFoundError
from nautilus.model.orders import make_order
from nautilus.risk.engine import RiskEngine
from nautilus.risk.limits import LimitScope, LimitSet

router = APIRouter(prefix="/api/v1/risk", tags=["risk"])
Key = Annotated[str, Path(min_length=1, max_length=128)]


async def get_risk_engine(platform: PlatformDep) -> RiskEngine:
    engine = platform.engine("risk")
    assert isinstance(engine, RiskEngine)
    return engine


RiskDep = Annotated[RiskEngine, Depends(get_risk_engine)]


@router.get("/limits", response_model=list[LimitsOut], summary="All limits",
            responses=problem_responses(*AUTHED))
def list_limits(_: Reader, engine: RiskDep) -> list[LimitsOut]:
    return [LimitsOut(scope=s, key=k, limits=v) for s, k, v in engine.list_limits()]


@router.put("/limits/{scope}/{key}", response_model=LimitsOut, summary="Set a scope's limits",
            responses=problem_responses(*AUTHED))
def put_limits(scope: LimitScope, key: Key, body: LimitSet, principal: Admin,
               engine: RiskDep) -> LimitsOut:
    engine.set_limits(scope, key, body, actor=principal.user.username)
    return LimitsOut(scope=scope, key=key, limits=body)


@router.delete("/limits/{scope}/{key}", status_code=204, summary="Delete a scope's limits",
               responses=problem_responses(*AUTHED, 404))
def delete_limits(scope: LimitScope, key: Key, principal: Admin, engine: RiskDep) -> Response:
    engine.delete_limits(scope, key, actor=principal.user.username)
    return Response(status_code=204)


@router.put("/accounts/{account_id}/portfolio", status_code=204,
            summary="Assign an account to a portfolio", responses=problem_responses(*AUTHED))
def assign_portfolio(account_id: Key, body: PortfolioAssign, principal: Admin,
                     engine: RiskDep) -> Response:
    engine.assign_portfolio(account_id, body.portfolio_id, actor=principal.user.username)
    return Response(status_code=204)


@router.post("/check", response_model=DecisionOut, summary="Pre-trade check (dry run)",
             responses=problem_responses(*AUTHED, 404))
def check_order(body: OrderCheckIn, _: Trader, engine: RiskDep) -> DecisionOut:
    view = engine.view(body.account_id)
    inst = view.instrument(body.instrument_id)
    if inst is None:
        raise NotFoundError(f"unknown instrument {body.instrument_id}",
                            code="unknown_instrument")
    order = make_order(inst, body.side, body.order_type, body.quantity, price=body.price,
                       trigger_price=body.trigger_price, ts_init=view.now_ns())
    d = engine.check(order, body.account_id)
    return DecisionOut(approved=d.approved, code=d.code, message=d.message, rule=d.rule)


@router.get("/portfolios/{portfolio_id}", response_model=JsonDoc,
            summary="Current risk of a portfolio", responses=problem_responses(*AUTHED, 404))
def portfolio_risk(portfolio_id: Key, _: Reader, engine: RiskDep) -> dict[str, Any]:
    return {"portfolio_id": portfolio_id,
            "accounts": [msgspec.to_builtins(s) for s in engine.portfolio_snapshots(portfolio_id)]}


@router.get("/portfolios/{portfolio_id}/report", summary="Risk report (JSON or HTML)",
            response_model=None, responses=problem_responses(*AUTHED, 404))
def portfolio_report(portfolio_id: Key, _: Reader, engine: RiskDep,
                     format: str = Query("json", pattern="^(json|html)$"),
                     ) -> dict[str, Any] | HTMLResponse:
    if format == "html":
        page = engine.report(portfolio_id, html=True)
        assert isinstance(page, str)
        return HTMLResponse(page)
    doc = engine.report(portfolio_id)
    assert isinstance(doc, dict)
    return doc


@router.post("/portfolios/{portfolio_id}/var", summary="VaR/ES on demand (202 job if large)",
             response_model=None, responses=problem_responses(*AUTHED, 404))
def portfolio_var(portfolio_id: Key, body: VarIn, principal: Reader, engine: RiskDep,
                  response: Response) -> dict[str, Any] | JobAccepted:
    if body.method == "monte_carlo" and body.scenarios > engine.config.mc_job_threshold:
        params = engine.var_job_params(portfolio_id, confidence=body.confidence,
                                       horizon=body.horizon, scenarios=body.scenarios,
                                       seed=body.seed)
        job_id = engine.ctx.jobs.submit("risk.var", params, owner_id=principal.user_id)
        response.status_code = 202
        return JobAccepted(job_id=job_id)
    res = engine.var(portfolio_id, method=body.method, confidence=body.confidence,
                     horizon=body.horizon, scenarios=body.scenarios, seed=body.seed)
    return msgspec.to_builtins(res)  # type: ignore[no-any-return]


@router.post("/portfolios/{portfolio_id}/stress", response_model=list[JsonDoc],
             summary="Historical stress scenarios", responses=problem_responses(*AUTHED, 404))
def portfolio_stress(portfolio_id: Key, body: StressIn, _: Reader,
                     engine: RiskDep) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(r) for r in engine.stress(portfolio_id, body.scenarios,
                                                          body.betas)]


@router.get("/alerts", response_model=list[AlertOut], summary="Alert history, newest first",
            responses=problem_responses(*AUTHED))
def list_alerts(_: Reader, engine: RiskDep, page: Page, account_id: str | None = None,
                severity: str | None = None, unacknowledged: bool = False) -> list[AlertOut]:
    alerts = engine.list_alerts(account_id=account_id, severity=severity,
                                unacknowledged=unacknowledged, limit=page.limit,
                                offset=page.offset)
    return [AlertOut(**msgspec.to_builtins(a)) for a in alerts]


@router.post("/alerts/{alert_id}/ack", response_model=AlertOut, summary="Acknowledge an alert",
             responses=problem_responses(*AUTHED, 404, 409))
def acknowledge(alert_id: Key, principal: Trader, engine: RiskDep) -> AlertOut:
    return AlertOut(**msgspec.to_builtins(engine.acknowledge(alert_id,
                                                             principal.user.username)))


@router.get("/state", response_model=StatesOut, summary="Trading states",
            responses=problem_responses(*AUTHED))
def get_state(_: Reader, engine: RiskDep) -> StatesOut:
    return StatesOut(states=engine.states.snapshot())


@router.put("/state", response_model=StatesOut, summary="Set a trading state",
            responses=problem_responses(*AUTHED))
def put_state(body: StateIn, principal: Admin, engine: RiskDep) -> StatesOut:
    engine.set_state(body.state, account_id=body.account_id, actor=principal.user.username,
                     reason=body.reason)
    engine.flush()
    return StatesOut(states=engine.states.snapshot())


@router.post("/kill", response_model=StatesOut, summary="Kill switch: halt (and cancel)",
             responses=problem_responses(*AUTHED))
def kill(body: KillIn, principal: Admin, engine: RiskDep) -> StatesOut:
    engine.kill(account_id=body.account_id, cancel_orders=body.cancel_orders,
                actor=principal.user.username, reason=body.reason)
    engine.flush()
    return StatesOut(states=engine.states.snapshot())
