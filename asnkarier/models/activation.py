"""One-time activation codes (stored hashed) and the counters of code entries (per scope)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from asnkarier.models.base import Base, utcnow
from asnkarier.models.employee import Employee


class ActivationCode(Base):
    """A code HR hands to one employee; only its SHA-256 is stored."""

    __tablename__ = "activation_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    used_by_telegram_user_id: Mapped[int | None] = mapped_column(BigInteger)
    revoked_at: Mapped[dt.datetime | None]

    employee: Mapped[Employee] = relationship()

    def __repr__(self) -> str:
        return f"ActivationCode(id={self.id!r}, employee_id={self.employee_id!r})"


class LinkAttempt(Base):
    """Code entries counted under one scope: a sender ("sender:<telegram id>"), a code
    ("code:<sha256>") or everyone ("all"), since `window_started_at`; too many lock that scope
    until `locked_until`. One UPDATE counts an entry (services/activation.py)."""

    __tablename__ = "link_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(80), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[dt.datetime]
    locked_until: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"LinkAttempt(scope={self.scope!r}, attempts={self.attempts!r})"
