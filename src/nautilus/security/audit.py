"""The audit log: who changed what and when (roles, users, API keys, limits...)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nautilus.core.ids import new_id
from nautilus.persistence.db import Database
from nautilus.persistence.tables import AuditRow
from nautilus.security.clock import as_utc, now_utc


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: str
    ts: datetime
    actor: str
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def record_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add an audit row inside the caller's transaction (so it commits with the change)."""
    session.add(
        AuditRow(
            id=new_id(),
            ts=now_utc(),
            actor=actor[:64],
            action=action[:64],
            target=target[:128],
            before=before,
            after=after,
        )
    )


def list_audit(
    db: Database, *, action: str | None = None, target: str | None = None, limit: int = 100
) -> list[AuditEntry]:
    """Newest first."""
    stmt = select(AuditRow).order_by(AuditRow.ts.desc(), AuditRow.id.desc()).limit(limit)
    if action is not None:
        stmt = stmt.where(AuditRow.action == action)
    if target is not None:
        stmt = stmt.where(AuditRow.target == target)
    with db.session() as s:
        return [
            AuditEntry(r.id, as_utc(r.ts), r.actor, r.action, r.target, r.before, r.after)
            for r in s.scalars(stmt)
        ]
