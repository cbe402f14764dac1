"""Relational persistence of the risk engine: limits (audited), portfolio assignment,
denials (batched), alerts with acknowledgement, trading states."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nautilus.core.errors import ConflictError, NotFoundError
from nautilus.persistence.db import Database
from nautilus.risk.alerts import Alert
from nautilus.risk.gate import Denial
from nautilus.risk.limits import LimitScope, LimitSet
from nautilus.risk.tables import (
    RiskAlertRow,
    RiskDenialRow,
    RiskLimitRow,
    RiskPortfolioRow,
    RiskStateRow,
)
from nautilus.security.audit import record_audit
from nautilus.security.clock import now_utc


def _target(scope: LimitScope, key: str) -> str:
    return f"{scope.value}:{key}"


class RiskRepository:
    """All risk rows; every limit or state change writes an audit row in the same transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- limits -------------------------------------------------------------------------------

    def load_limits(self) -> list[tuple[LimitScope, str, LimitSet]]:
        with self.db.session() as s:
            return [(LimitScope(r.scope), r.key, LimitSet.model_validate(r.limits))
                    for r in s.scalars(select(RiskLimitRow))]

    def save_limits(self, scope: LimitScope, key: str, limits: LimitSet, actor: str) -> None:
        with self.db.session() as s:
            row = s.get(RiskLimitRow, (scope.value, key))
            before = dict(row.limits) if row is not None else None
            after = limits.as_json()
            if row is None:
                s.add(RiskLimitRow(scope=scope.value, key=key, limits=after, updated_by=actor,
                                   updated_at=now_utc()))
            else:
                row.limits = after
                row.updated_by = actor
                row.updated_at = now_utc()
            record_audit(s, actor=actor, action="risk.limits.set", target=_target(scope, key),
                         before=before, after=after)

    def delete_limits(self, scope: LimitScope, key: str, actor: str) -> None:
        with self.db.session() as s:
            row = s.get(RiskLimitRow, (scope.value, key))
            if row is None:
                raise NotFoundError(f"no limits for {scope.value} {key!r}", code="unknown_limit")
            before = dict(row.limits)
            s.delete(row)
            record_audit(s, actor=actor, action="risk.limits.delete",
                         target=_target(scope, key), before=before, after=None)

    def load_portfolios(self) -> dict[str, str]:
        with self.db.session() as s:
            return {r.account_id: r.portfolio_id for r in s.scalars(select(RiskPortfolioRow))}

    def save_portfolio(self, account_id: str, portfolio_id: str | None, actor: str) -> None:
        with self.db.session() as s:
            row = s.get(RiskPortfolioRow, account_id)
            before = {"portfolio_id": row.portfolio_id} if row is not None else None
            if portfolio_id is None:
                if row is not None:
                    s.delete(row)
            elif row is None:
                s.add(RiskPortfolioRow(account_id=account_id, portfolio_id=portfolio_id))
            else:
                row.portfolio_id = portfolio_id
            record_audit(s, actor=actor, action="risk.portfolio.assign",
                         target=f"account:{account_id}", before=before,
                         after={"portfolio_id": portfolio_id} if portfolio_id else None)

    # -- denials ------------------------------------------------------------------------------

    def write_denials(self, denials: Iterable[Denial]) -> int:
        rows = [RiskDenialRow(ts_event=d.ts_event, account_id=d.account_id,
                              strategy_id=d.strategy_id, client_order_id=d.client_order_id,
                              instrument_id=d.instrument_id, side=d.side, quantity=d.quantity,
                              price=d.price, kind=d.kind, code=d.code, message=d.message,
                              rule=d.rule) for d in denials]
        if rows:
            with self.db.session() as s:
                s.add_all(rows)
        return len(rows)

    def list_denials(self, *, account_id: str | None = None, code: str | None = None,
                     limit: int = 100, offset: int = 0) -> list[Denial]:
        stmt = select(RiskDenialRow).order_by(RiskDenialRow.id.desc()).limit(limit).offset(offset)
        if account_id is not None:
            stmt = stmt.where(RiskDenialRow.account_id == account_id)
        if code is not None:
            stmt = stmt.where(RiskDenialRow.code == code)
        with self.db.session() as s:
            return [Denial(account_id=r.account_id, strategy_id=r.strategy_id,
                           client_order_id=r.client_order_id, instrument_id=r.instrument_id,
                           side=r.side, quantity=r.quantity, price=r.price, kind=r.kind,
                           code=r.code, message=r.message, rule=r.rule, ts_event=r.ts_event)
                    for r in s.scalars(stmt)]

    # -- alerts -------------------------------------------------------------------------------

    def save_alerts(self, alerts: Iterable[Alert]) -> None:
        rows = [RiskAlertRow(id=a.id, ts_event=a.ts_event, account_id=a.account_id,
                             metric=a.metric, severity=a.severity, value=a.value, limit=a.limit,
                             utilisation=a.utilisation, message=a.message) for a in alerts]
        if rows:
            with self.db.session() as s:
                s.add_all(rows)

    def list_alerts(self, *, account_id: str | None = None, severity: str | None = None,
                    unacknowledged: bool = False, limit: int = 100,
                    offset: int = 0) -> list[Alert]:
        stmt = (select(RiskAlertRow).order_by(RiskAlertRow.ts_event.desc(), RiskAlertRow.id)
                .limit(limit).offset(offset))
        if account_id is not None:
            stmt = stmt.where(RiskAlertRow.account_id == account_id)
        if severity is not None:
            stmt = stmt.where(RiskAlertRow.severity == severity)
        if unacknowledged:
            stmt = stmt.where(RiskAlertRow.acknowledged_at.is_(None))
        with self.db.session() as s:
            return [_alert(r) for r in s.scalars(stmt)]

    def acknowledge(self, alert_id: str, actor: str) -> Alert:
        with self.db.session() as s:
            row = s.get(RiskAlertRow, alert_id)
            if row is None:
                raise NotFoundError(f"no alert {alert_id!r}", code="unknown_alert")
            if row.acknowledged_at is not None:
                raise ConflictError(f"alert {alert_id} is already acknowledged",
                                    code="already_acknowledged")
            row.acknowledged_by = actor[:64]
            row.acknowledged_at = now_utc()
            return _alert(row)

    # -- trading states -----------------------------------------------------------------------

    def load_states(self) -> dict[str, str]:
        with self.db.session() as s:
            return {r.key: r.state for r in s.scalars(select(RiskStateRow))}

    def save_state(self, key: str, state: str, *, reason: str, actor: str,
                   before: str | None) -> None:
        with self.db.session() as s:
            _upsert_state(s, key, state, reason, actor)
            record_audit(s, actor=actor, action="risk.state.set", target=f"state:{key}",
                         before={"state": before} if before else None,
                         after={"state": state, "reason": reason})

    def clear(self) -> None:
        """Delete every risk row (tests and ``nautilus risk reset``)."""
        with self.db.session() as s:
            for table in (RiskLimitRow, RiskPortfolioRow, RiskDenialRow, RiskAlertRow,
                          RiskStateRow):
                s.execute(delete(table))


def _upsert_state(s: Session, key: str, state: str, reason: str, actor: str) -> None:
    row = s.get(RiskStateRow, key)
    if row is None:
        s.add(RiskStateRow(key=key, state=state, reason=reason, actor=actor,
                           updated_at=now_utc()))
    else:
        row.state, row.reason, row.actor, row.updated_at = state, reason, actor, now_utc()


def _alert(r: RiskAlertRow) -> Alert:
    return Alert(id=r.id, ts_event=r.ts_event, account_id=r.account_id, metric=r.metric,
                 severity=r.severity, value=r.value, limit=r.limit, utilisation=r.utilisation,
                 message=r.message, acknowledged_by=r.acknowledged_by)

