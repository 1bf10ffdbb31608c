"""Learning from use and human help: unanswered questions and handoff tickets to HR officers."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from asnkarier.models.base import Base, str_enum, utcnow


class UnansweredMessage(Base):
    """A message that ended in fallback or out_of_scope, kept WITHOUT who sent it."""

    __tablename__ = "unanswered_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    # Lower-cased, digits masked, spaces folded: what the report groups on.
    normalized: Mapped[str] = mapped_column(String(300), index=True)
    reason: Mapped[str] = mapped_column(String(30))  # fallback | out_of_scope
    top_intents: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"UnansweredMessage(id={self.id!r}, reason={self.reason!r})"


class TicketStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class HandoffTicket(Base):
    """An employee's question handed to a human HR officer."""

    __tablename__ = "handoff_tickets"
    __table_args__ = (Index("ix_handoff_tickets_user_status", "telegram_user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id", ondelete="SET NULL"))
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    question: Mapped[str] = mapped_column(Text)
    status: Mapped[TicketStatus] = mapped_column(
        str_enum(TicketStatus, "ticket_status"), default=TicketStatus.OPEN
    )
    # The copy of the question in the HR officers' group: their replies to it reach the employee.
    hr_message_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(100))

    def __repr__(self) -> str:
        return f"HandoffTicket(id={self.id!r}, status={self.status!r})"
