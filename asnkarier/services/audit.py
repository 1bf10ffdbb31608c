"""Write audit-log entries for administrative actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from asnkarier.models import AuditLog


def record(
    session: Session,
    actor: str,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Add an audit entry in the caller's transaction (it commits or rolls back with the change)."""
    entry = AuditLog(actor=actor, action=action, target=target, details=details or {})
    session.add(entry)
    return entry


def recent(session: Session, *, limit: int = 100, action: str = "") -> list[AuditLog]:
    """The latest entries, newest first; `action` filters by prefix (e.g. "broadcast.")."""
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if action:
        query = query.where(AuditLog.action.startswith(action))
    return list(session.scalars(query))
