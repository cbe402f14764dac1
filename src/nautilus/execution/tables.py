"""Relational tables of the execution engine (Alembic branch ``execution``) and the SQL ledger.

- ``execution_accounts``: one row per trading account (owner, currency, starting cash, kind).
- ``execution_orders``: one row per order, written *before* the order is sent; ``params``
  holds the order's parameters (Decimals as strings), ``status``/``filled_qty`` follow its
  events.
- ``execution_events``: every order event in arrival order (``seq``), msgpack-encoded with its
  registered type name; fills also carry their venue ``trade_id`` (unique per account), which
  is what deduplicates fills across restarts.

Restart = replay: :meth:`SqlLedger.load` returns the orders (fresh) and the events in order;
:meth:`nautilus.execution.oms.Oms.restore` re-applies them. Times are int ns UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from nautilus.bus.base import decode_message, encode_message
from nautilus.core.errors import NotFoundError
from nautilus.model.events import (
    ContingencyType,
    OrderEvent,
    OrderFilled,
    OrderSide,
    OrderType,
    TimeInForce,
    TrailingOffsetType,
)
from nautilus.model.orders import Order
from nautilus.persistence.db import Database
from nautilus.persistence.tables import Base


class AccountRow(Base):
    __tablename__ = "execution_accounts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str | None] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(8))
    starting_cash: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(16))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OrderRow(Base):
    __tablename__ = "execution_orders"

    client_order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("execution_accounts.id", ondelete="CASCADE"), index=True
    )
    strategy_id: Mapped[str | None] = mapped_column(String(64))
    instrument_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    filled_qty: Mapped[str] = mapped_column(String(40))
    ts_init: Mapped[int] = mapped_column(BigInteger)
    ts_last: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_execution_orders_account_seq", "account_id", "seq"),)


class EventRow(Base):
    __tablename__ = "execution_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    account_id: Mapped[str] = mapped_column(String(64))
    client_order_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    trade_id: Mapped[str | None] = mapped_column(String(64))
    ts_event: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    summary: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_execution_events_account_id", "account_id", "id"),
        Index("ux_execution_events_trade", "account_id", "trade_id", unique=True),
    )


_DEC = ("quantity", "price", "trigger_price", "trailing_offset")


def order_params(order: Order) -> dict[str, Any]:
    """The parameters that rebuild ``order`` in its ``initialized`` state (JSON-ready)."""
    return {
        "client_order_id": order.client_order_id,
        "instrument_id": order.instrument_id,
        "side": order.side.value,
        "order_type": order.order_type.value,
        **{k: None if getattr(order, k) is None else str(getattr(order, k)) for k in _DEC},
        "trailing_offset_type": order.trailing_offset_type.value,
        "time_in_force": order.time_in_force.value,
        "expire_time_ns": order.expire_time_ns,
        "reduce_only": order.reduce_only,
        "post_only": order.post_only,
        "order_list_id": order.order_list_id,
        "contingency": order.contingency.value,
        "parent_order_id": order.parent_order_id,
        "linked_order_ids": list(order.linked_order_ids),
        "position_id": order.position_id,
        "tags": list(order.tags),
        "ts_init": order.ts_init,
    }


def order_from_params(p: dict[str, Any]) -> Order:
    return Order(
        client_order_id=p["client_order_id"],
        instrument_id=p["instrument_id"],
        side=OrderSide(p["side"]),
        order_type=OrderType(p["order_type"]),
        **{k: None if p.get(k) is None else Decimal(p[k]) for k in _DEC},  # type: ignore[arg-type]
        trailing_offset_type=TrailingOffsetType(p["trailing_offset_type"]),
        time_in_force=TimeInForce(p["time_in_force"]),
        expire_time_ns=p["expire_time_ns"],
        reduce_only=p["reduce_only"],
        post_only=p["post_only"],
        order_list_id=p["order_list_id"],
        contingency=ContingencyType(p["contingency"]),
        parent_order_id=p["parent_order_id"],
        linked_order_ids=tuple(p["linked_order_ids"]),
        position_id=p["position_id"],
        tags=tuple(p["tags"]),
        ts_init=p["ts_init"],
        ts_last=p["ts_init"],
    )


class SqlLedger:
    """The OMS ledger on the relational store: every write is committed before returning."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._seq: dict[str, int] = {}

    # -- accounts ------------------------------------------------------------------------

    def create_account(
        self,
        account_id: str,
        *,
        owner_id: str | None,
        kind: str,
        currency: str,
        starting_cash: Decimal,
        config: dict[str, Any] | None = None,
    ) -> None:
        with self.db.session() as s:
            s.add(
                AccountRow(
                    id=account_id,
                    owner_id=owner_id,
                    kind=kind,
                    currency=currency,
                    starting_cash=str(starting_cash),
                    state="running",
                    config=config or {},
                    created_at=datetime.now(UTC),
                )
            )

    def account(self, account_id: str) -> AccountRow:
        with self.db.session() as s:
            row = s.get(AccountRow, account_id)
            if row is None:
                raise NotFoundError(f"no account {account_id!r}", code="account_not_found")
            s.expunge(row)
            return row

    def accounts(self, owner_id: str | None = None) -> list[AccountRow]:
        with self.db.session() as s:
            q = select(AccountRow).order_by(AccountRow.created_at)
            if owner_id is not None:
                q = q.where(AccountRow.owner_id == owner_id)
            rows = list(s.scalars(q))
            for r in rows:
                s.expunge(r)
            return rows

    def set_account_state(self, account_id: str, state: str) -> None:
        with self.db.session() as s:
            row = s.get(AccountRow, account_id)
            if row is not None:
                row.state = state

    # -- Ledger protocol -----------------------------------------------------------------

    def add_order(self, order: Order, account_id: str, strategy_id: str | None) -> None:
        seq = self._seq.get(account_id)
        with self.db.session() as s:
            if seq is None:
                last = s.scalar(
                    select(OrderRow.seq)
                    .where(OrderRow.account_id == account_id)
                    .order_by(OrderRow.seq.desc())
                    .limit(1)
                )
                seq = int(last or 0)
            seq += 1
            s.add(
                OrderRow(
                    client_order_id=order.client_order_id,
                    account_id=account_id,
                    strategy_id=strategy_id,
                    instrument_id=order.instrument_id,
                    seq=seq,
                    params=order_params(order),
                    status=order.status.value,
                    filled_qty=str(order.filled_qty),
                    ts_init=order.ts_init,
                    ts_last=order.ts_last,
                )
            )
        self._seq[account_id] = seq

    def add_event(self, event: OrderEvent, account_id: str) -> None:
        trade_id = event.trade_id if isinstance(event, OrderFilled) else None
        try:
            with self.db.session() as s:
                s.add(
                    EventRow(
                        account_id=account_id,
                        client_order_id=event.client_order_id,
                        kind=type(event).__name__,
                        trade_id=trade_id,
                        ts_event=event.ts_event,
                        payload=encode_message(event, 0),
                        summary=getattr(event, "reason", None),
                    )
                )
                row = s.get(OrderRow, event.client_order_id)
                if row is not None:
                    self._follow(row, event)
        except IntegrityError:
            # the same venue trade id twice: the first one is the record
            return

    @staticmethod
    def _follow(row: OrderRow, event: OrderEvent) -> None:
        from nautilus.model.events import (
            OrderAccepted,
            OrderCanceled,
            OrderDenied,
            OrderExpired,
            OrderRejected,
            OrderSubmitted,
        )

        status = {
            OrderDenied: "denied",
            OrderSubmitted: "submitted",
            OrderAccepted: "accepted",
            OrderRejected: "rejected",
            OrderCanceled: "canceled",
            OrderExpired: "expired",
        }.get(type(event))  # type: ignore[call-overload]
        if isinstance(event, OrderFilled):
            filled = Decimal(row.filled_qty) + event.last_qty
            row.filled_qty = str(filled)
            status = "filled" if filled >= Decimal(row.params["quantity"]) else "partially_filled"
        if status is not None:
            row.status = status
        row.ts_last = event.ts_event

    # -- reads ---------------------------------------------------------------------------

    def load(self, account_id: str) -> tuple[list[tuple[Order, str | None]], list[OrderEvent]]:
        """Orders (fresh) with their strategy ids, and every event in arrival order."""
        with self.db.session() as s:
            orders = [
                (order_from_params(r.params), r.strategy_id)
                for r in s.scalars(
                    select(OrderRow).where(OrderRow.account_id == account_id).order_by(OrderRow.seq)
                )
            ]
            events = [
                decode_message(p)[0]
                for p in s.scalars(
                    select(EventRow.payload)
                    .where(EventRow.account_id == account_id)
                    .order_by(EventRow.id)
                )
            ]
        return orders, events

    def order_rows(
        self, account_ids: list[str], *, limit: int = 100, offset: int = 0
    ) -> list[OrderRow]:
        with self.db.session() as s:
            rows = list(
                s.scalars(
                    select(OrderRow)
                    .where(OrderRow.account_id.in_(account_ids))
                    .order_by(OrderRow.ts_init, OrderRow.seq)
                    .limit(limit)
                    .offset(offset)
                )
            )
            for r in rows:
                s.expunge(r)
            return rows

    def fills(
        self, account_ids: list[str], *, limit: int = 100, offset: int = 0
    ) -> list[tuple[str, OrderFilled]]:
        with self.db.session() as s:
            rows = s.execute(
                select(EventRow.account_id, EventRow.payload)
                .where(EventRow.account_id.in_(account_ids), EventRow.kind == "OrderFilled")
                .order_by(EventRow.id)
                .limit(limit)
                .offset(offset)
            ).all()
        return [(a, decode_message(p)[0]) for a, p in rows]
