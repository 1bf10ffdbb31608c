"""Append-only audit log of administrative actions (role changes, imports, codes issued)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from asnkarier.models.base import Base, utcnow


class AuditLog(Base):
    """Who did what to what, and when. Never holds personal data in clear (NIPs are masked)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    def __repr__(self) -> str:
        return f"AuditLog(id={self.id!r}, action={self.action!r})"
