"""The web console (Konsol BKPSDM): unit operators, one-time sign-in links, sessions, approvals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from asnkarier.models.base import Base, utcnow


class UnitOperator(Base):
    """The `unit_operator` role: a pengelola kepegawaian who sees and acts on one unit only.

    A row here is the grant (`asnbot admin grant NIP --unit KODE`); hr_admin stays on
    `employees.role`, so the console's roles come from the DB and nowhere else.
    """

    __tablename__ = "unit_operators"

    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"UnitOperator(employee_id={self.employee_id!r}, unit_id={self.unit_id!r})"


class ConsoleLoginLink(Base):
    """A one-time sign-in link; only the SHA-256 of its token is stored."""

    __tablename__ = "console_login_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"ConsoleLoginLink(id={self.id!r}, employee_id={self.employee_id!r})"


class ConsoleSession(Base):
    """A signed-in browser; in the DB so every web replica knows it. The cookie carries the token,
    the row only its SHA-256."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    ended_at: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"ConsoleSession(id={self.id!r}, employee_id={self.employee_id!r})"


class BroadcastApproval(Base):
    """Four eyes: a broadcast over BROADCAST_APPROVAL_THRESHOLD recipients waits here (still a
    draft) until a second hr_admin approves it; then it is sent or scheduled as requested."""

    __tablename__ = "broadcast_approvals"

    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True
    )
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # When to send once approved (None: at once).
    send_at: Mapped[dt.datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    approved_at: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"BroadcastApproval(broadcast_id={self.broadcast_id!r})"
