"""One-time activation codes (stored hashed) and per-Telegram-user failed-attempt counters."""

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
    """Failed code entries by one Telegram user; too many lock further tries for a while."""

    __tablename__ = "link_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    failed_count: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[dt.datetime | None]
    locked_until: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"LinkAttempt(telegram_user_id={self.telegram_user_id!r})"
