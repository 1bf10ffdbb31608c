"""Write audit-log entries for administrative actions."""

from __future__ import annotations

from typing import Any

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
