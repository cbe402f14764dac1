"""The execution engine: paper sessions and their accounts, behind one public façade.

The platform starts it as engine ``execution``. It keeps its state in the relational store
(:mod:`nautilus.execution.tables`): accounts, orders (persisted before they are sent) and
every order event. Paper sessions run a registered strategy on a replay feed (synthetic or
stored bars) at ``speed`` x real time against the simulated venue; REST calls submit, cancel
and modify orders in a session's account and list orders, fills and positions.

Ownership: every account has an owner; every public method takes the caller's user id and an
``is_admin`` flag, and an account that is not the caller's does not exist for them (404).

The pre-trade gate is the running ``risk`` engine when it implements
:class:`~nautilus.execution.pretrade.PreTradeGate`, else :class:`ApproveAll`.

After a restart, sessions that were running are marked ``interrupted``; their orders, fills
and positions stay readable (rebuilt from the ledger), and :meth:`ExecutionEngine.resume`
restores and reconciles one before its strategy continues.
"""

from __future__ import annotations

import logging
import math
import threading
from decimal import Decimal
from typing import Any

from pydantic import Field

from nautilus.backtest.event.clock import FeedClock
from nautilus.backtest.event.jobs import base_timeframe, synthetic_instruments
from nautilus.core.config import FrozenConfig
from nautilus.core.engine import ENGINES, Engine, EngineContext
from nautilus.core.errors import ConflictError, NotFoundError, ValidationError
from nautilus.core.ids import new_id
from nautilus.core.time import to_ns
from nautilus.execution.config import SimulatedVenueConfig
from nautilus.execution.oms import Oms
from nautilus.execution.paper import PaperSession
from nautilus.execution.pretrade import ApproveAll, PreTradeGate
from nautilus.execution.tables import AccountRow, SqlLedger
from nautilus.model.account import CashAccount
from nautilus.model.data import Timeframe
from nautilus.model.events import OrderFilled
from nautilus.model.orders import Order, make_order
from nautilus.model.position import Position
from nautilus.strategy.base import build_strategy
from nautilus.streaming.topics import ACCOUNT_ASSIGNED_TOPIC, AccountAssigned

log = logging.getLogger(__name__)


class PaperSessionRequest(FrozenConfig):
    """Start a paper session: a strategy on replayed synthetic bars (ISO dates, UTC)."""

    strategy: str = Field("ema_cross", description="A STRATEGIES name.")
    params: dict[str, Any] = Field(default_factory=dict)
    symbols: tuple[str, ...] = Field(("TEC01.XSYN",), min_length=1, max_length=20)
    start: str = "2024-01-02"
    end: str = "2024-01-09"
    timeframe: Timeframe = Timeframe.M1
    speed: float = Field(math.inf, gt=0, description="Replay speed (x real time); inf = max.")
    initial_cash: Decimal = Field(Decimal(1_000_000), gt=0)
    currency: str = Field("USD", min_length=3, max_length=3)
    venue: SimulatedVenueConfig = SimulatedVenueConfig(seed=0)
    data_seed: int = Field(
        7, ge=0, le=2**32 - 1, description="Seed of the replayed synthetic data."
    )
    autostart: bool = Field(True, description="Start the feed at once.")


class OrderRequest(FrozenConfig):
    """A manual order in a paper account (quantities/prices as decimal strings)."""

    instrument_id: str = Field(min_length=3, max_length=64)
    side: str = Field(pattern="^(buy|sell)$")
    order_type: str = Field("market", pattern="^(market|limit|stop|stop_limit)$")
    quantity: str = Field(min_length=1, max_length=40)
    price: str | None = Field(None, max_length=40)
    trigger_price: str | None = Field(None, max_length=40)
    time_in_force: str = Field("gtc", pattern="^(gtc|day|ioc|fok|gtd)$")
    expire_time_ns: int | None = None
    client_order_id: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")


class _Running:
    """A live session with its feed thread."""

    def __init__(self, session: PaperSession, feed: Any, owner_id: str | None) -> None:
        self.session = session
        self.feed = feed
        self.owner_id = owner_id
        self.thread: threading.Thread | None = None


@ENGINES.register("execution")
class ExecutionEngine(Engine):
    """Paper sessions, manual orders and the OMS state of every account."""

    name = "execution"

    def __init__(self, ctx: EngineContext) -> None:
        super().__init__(ctx)
        self.ledger = SqlLedger(ctx.db)
        self.sessions: dict[str, _Running] = {}
        self._lock = threading.RLock()

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        for row in self.ledger.accounts():
            if row.state == "running":
                self.ledger.set_account_state(row.id, "interrupted")
        super().start()

    def stop(self) -> None:
        with self._lock:
            for acct in list(self.sessions):
                self._halt(acct)
        super().stop()

    def status(self) -> dict[str, Any]:
        return {**super().status(), "sessions": len(self.sessions)}

    def _attach_risk(self, view: Any) -> None:
        """Let the running risk engine monitor this account (exposures, limits, alerts)."""
        risk = self.ctx.engines.get("risk")
        attach = getattr(risk, "attach", None)
        if attach is not None:
            attach(view)

    def gate(self) -> PreTradeGate:
        risk = self.ctx.engines.get("risk")
        return risk if isinstance(risk, PreTradeGate) else ApproveAll()

    # -- ownership -----------------------------------------------------------------------

    def account(self, account_id: str, user_id: str | None, is_admin: bool) -> AccountRow:
        try:
            row = self.ledger.account(account_id)
        except NotFoundError:
            row = None
        if row is None or (not is_admin and row.owner_id != user_id):
            raise NotFoundError(f"no account {account_id!r}", code="account_not_found")
        return row

    def accounts(self, user_id: str | None, is_admin: bool) -> list[AccountRow]:
        return self.ledger.accounts(None if is_admin else user_id)

    # -- sessions ------------------------------------------------------------------------

    def start_paper(self, request: PaperSessionRequest, owner_id: str | None) -> AccountRow:
        """Create an account and run ``request.strategy`` on replayed bars in it."""
        from nautilus.data.sources.replay import ReplayConfig, ReplaySource
        from nautilus.data.sources.synthetic import daily_bars, minute_bars

        try:
            start_ns, end_ns = to_ns(request.start), to_ns(request.end)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ValidationError(
                f"start/end must be ISO-8601 times or int ns UTC ({exc})", code="bad_time"
            ) from None
        if end_ns <= start_ns:
            raise ValidationError("end must be after start", code="empty_range")
        if end_ns - start_ns > 400 * 86_400 * 1_000_000_000:
            raise ValidationError("a paper replay covers at most 400 days", code="too_large")
        instruments = synthetic_instruments(request.symbols)
        base = base_timeframe(request.timeframe)
        account_id = new_id("PA-")
        strategy = build_strategy(
            request.strategy,
            {
                **request.params,
                "instruments": list(request.symbols),
                "timeframe": request.timeframe.value,
                # client order ids are <strategy_id>-<n>: unique per account, stable on resume
                "strategy_id": _session_strategy_id(request.strategy, account_id),
            },
        )
        feed = ReplaySource(ReplayConfig(speed=request.speed))
        make = minute_bars if base is Timeframe.M1 else daily_bars
        for inst in instruments:
            feed.load(inst.id, base, make(inst.id, start_ns, end_ns, request.data_seed))
        self.ledger.create_account(
            account_id,
            owner_id=owner_id,
            kind="paper",
            currency=request.currency,
            starting_cash=request.initial_cash,
            config=request.model_dump(mode="json"),
        )
        if owner_id is not None:
            self.ctx.bus.publish(
                ACCOUNT_ASSIGNED_TOPIC, AccountAssigned(account_id=account_id, owner_id=owner_id)
            )
        clock = FeedClock()
        clock.observe(start_ns)  # the session's time starts where its replay starts
        session = PaperSession(
            strategy,
            instruments,
            account_id=account_id,
            base_timeframe=base,
            initial_cash=request.initial_cash,
            currency=request.currency,
            venue=request.venue,
            clock=clock,
            ledger=self.ledger,
            gate=self.gate(),
            bus=self.ctx.bus,
        )
        run = _Running(session, feed, owner_id)
        with self._lock:
            self.sessions[account_id] = run
        self._attach_risk(session.oms)
        session.start(feed)
        if request.autostart:
            run.thread = threading.Thread(
                target=self._play, args=(account_id,), name=f"paper-{account_id}", daemon=True
            )
            run.thread.start()
        return self.ledger.account(account_id)

    def _play(self, account_id: str) -> None:
        run = self.sessions.get(account_id)
        if run is None:
            return
        try:
            run.feed.play()
        except Exception:
            log.exception("paper session %s failed", account_id)
            self.ledger.set_account_state(account_id, "failed")
            run.session.stop()
            return
        if run.session.state == "running":
            self.ledger.set_account_state(account_id, "finished")

    def _halt(self, account_id: str) -> None:
        run = self.sessions.get(account_id)
        if run is None:
            return
        run.feed.stop()
        run.session.stop()
        if run.thread is not None:
            run.thread.join(5)

    def stop_session(self, account_id: str, user_id: str | None, is_admin: bool) -> AccountRow:
        """Stop means stop: the feed halts and no later order reaches the venue."""
        self.account(account_id, user_id, is_admin)
        with self._lock:
            self._halt(account_id)
        self.ledger.set_account_state(account_id, "stopped")
        return self.ledger.account(account_id)

    def session(self, account_id: str) -> PaperSession:
        run = self.sessions.get(account_id)
        if run is None or run.session.state != "running":
            raise ConflictError(
                f"account {account_id} has no running session", code="session_not_running"
            )
        return run.session

    # -- orders --------------------------------------------------------------------------

    def submit_order(
        self, account_id: str, request: OrderRequest, user_id: str | None, is_admin: bool
    ) -> Order:
        """Validate, gate, persist and send a manual order (ValidationError on bad input)."""
        self.account(account_id, user_id, is_admin)
        session = self.session(account_id)
        with session.lock:
            inst = session.oms.instruments.get(request.instrument_id)
            if inst is None:
                raise ValidationError(
                    f"unknown instrument {request.instrument_id}", code="unknown_instrument"
                )
            order = make_order(
                inst,
                request.side,
                request.order_type,
                request.quantity,
                price=request.price,
                trigger_price=request.trigger_price,
                time_in_force=request.time_in_force,
                expire_time_ns=request.expire_time_ns,
                ts_init=session.clock.now_ns(),
                client_order_id=request.client_order_id or new_id("M-"),
                tags=("manual",),
            )
            return session.oms.submit(order, "manual")

    def cancel_order(
        self, account_id: str, client_order_id: str, user_id: str | None, is_admin: bool
    ) -> Order:
        self.account(account_id, user_id, is_admin)
        session = self.session(account_id)
        with session.lock:
            session.oms.cancel(client_order_id)
            return session.oms.orders.get(client_order_id)  # type: ignore[return-value]

    def modify_order(
        self,
        account_id: str,
        client_order_id: str,
        user_id: str | None,
        is_admin: bool,
        *,
        quantity: str | None = None,
        price: str | None = None,
        trigger_price: str | None = None,
    ) -> Order:
        self.account(account_id, user_id, is_admin)
        session = self.session(account_id)
        with session.lock:
            session.oms.modify(
                client_order_id, quantity=quantity, price=price, trigger_price=trigger_price
            )
            return session.oms.orders.get(client_order_id)  # type: ignore[return-value]

    # -- reads ---------------------------------------------------------------------------

    def _ids(self, account_id: str | None, user_id: str | None, is_admin: bool) -> list[str]:
        if account_id is not None:
            return [self.account(account_id, user_id, is_admin).id]
        return [r.id for r in self.accounts(user_id, is_admin)]

    def orders(
        self,
        account_id: str | None,
        user_id: str | None,
        is_admin: bool,
        *,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Any]:
        ids = self._ids(account_id, user_id, is_admin)
        return self.ledger.order_rows(ids, limit=limit, offset=offset) if ids else []

    def fills(
        self,
        account_id: str | None,
        user_id: str | None,
        is_admin: bool,
        *,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, OrderFilled]]:
        ids = self._ids(account_id, user_id, is_admin)
        return self.ledger.fills(ids, limit=limit, offset=offset) if ids else []

    def positions(
        self, account_id: str | None, user_id: str | None, is_admin: bool
    ) -> list[tuple[str, Position]]:
        out: list[tuple[str, Position]] = []
        for aid in self._ids(account_id, user_id, is_admin):
            run = self.sessions.get(aid)
            if run is not None:
                with run.session.lock:
                    book = run.session.oms.book
                    out.extend((aid, p) for p in book.open_positions())
            else:
                out.extend((aid, p) for p in self.rebuild(aid).book.open_positions())
        return out

    def rebuild(self, account_id: str) -> Oms:
        """The account's OMS state replayed from the ledger (no venue attached)."""
        row = self.ledger.account(account_id)
        cfg = row.config or {}
        symbols = tuple(cfg.get("symbols", ()))
        account = CashAccount(account_id, row.currency)
        account.deposit(Decimal(row.starting_cash))
        oms = Oms(account, synthetic_instruments(symbols) if symbols else [], clock=lambda: 0)
        oms.restore(*self.ledger.load(account_id))
        return oms

    def resume(
        self, account_id: str, user_id: str | None, is_admin: bool, *, start: str | None = None
    ) -> dict[str, Any]:
        """Restore an interrupted session from the ledger, reconcile, then continue the feed
        from ``start`` (default: after the last stored event). Fails closed on mismatch."""
        row = self.account(account_id, user_id, is_admin)
        if account_id in self.sessions and self.sessions[account_id].session.state == "running":
            raise ConflictError(f"account {account_id} is running", code="session_running")
        request = PaperSessionRequest(**row.config)
        from nautilus.data.sources.replay import ReplayConfig, ReplaySource
        from nautilus.data.sources.synthetic import daily_bars, minute_bars

        instruments = synthetic_instruments(request.symbols)
        base = base_timeframe(request.timeframe)
        strategy = build_strategy(
            request.strategy,
            {
                **request.params,
                "instruments": list(request.symbols),
                "timeframe": request.timeframe.value,
                "strategy_id": _session_strategy_id(request.strategy, account_id),
            },
        )
        session = PaperSession(
            strategy,
            instruments,
            account_id=account_id,
            base_timeframe=base,
            initial_cash=Decimal(row.starting_cash),
            currency=row.currency,
            venue=request.venue,
            clock=FeedClock(),
            ledger=self.ledger,
            gate=self.gate(),
            bus=self.ctx.bus,
        )
        summary = session.resume(*self.ledger.load(account_id))
        first = to_ns(start) if start else session.clock.now_ns() + 1
        feed = ReplaySource(ReplayConfig(speed=request.speed))
        make = minute_bars if base is Timeframe.M1 else daily_bars
        for inst in instruments:
            feed.load(
                inst.id,
                base,
                make(
                    inst.id, max(first, to_ns(request.start)), to_ns(request.end), request.data_seed
                ),
            )
        run = _Running(session, feed, row.owner_id)
        with self._lock:
            self.sessions[account_id] = run
        session.start(feed)
        self.ledger.set_account_state(account_id, "running")
        run.thread = threading.Thread(target=self._play, args=(account_id,), daemon=True)
        run.thread.start()
        return summary


def _session_strategy_id(strategy: str, account_id: str) -> str:
    """The strategy id of a paper session: its order ids must not collide across accounts."""
    return f"{strategy}-{account_id}"
