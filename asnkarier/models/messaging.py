"""Outgoing messages: the outbox every sender writes to, and HR broadcasts."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from asnkarier.models.base import Base, str_enum, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class BroadcastStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class Broadcast(Base):
    """An HR announcement to a segment of employees."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    text: Mapped[str] = mapped_column(Text)
    segment: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[BroadcastStatus] = mapped_column(
        str_enum(BroadcastStatus, "broadcast_status"), default=BroadcastStatus.DRAFT
    )
    scheduled_at: Mapped[dt.datetime | None]
    recipients: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    # An optional surat edaran (PDF or image) from the file store, sent with the text.
    attachment_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    attachment_kind: Mapped[str | None] = mapped_column(String(10))  # document | photo

    def __repr__(self) -> str:
        return f"Broadcast(id={self.id!r}, status={self.status!r})"


class OutboxMessage(Base):
    """One message to one chat; `idempotency_key` makes enqueueing the same message a no-op."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_not_before", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30))  # reminder | broadcast | waitlist | handoff
    employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL"), index=True
    )
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    reply_markup: Mapped[dict[str, Any] | None]
    parse_mode: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[dt.datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Why a row ended failed, as a short category for reports and metrics (blocked,
    # chat_not_found, bad_request, max_attempts, ...); last_error keeps Telegram's wording.
    failure_reason: Mapped[str | None] = mapped_column(String(30))
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    read_at: Mapped[dt.datetime | None]
    failed_at: Mapped[dt.datetime | None]
    # A file sent with the text (sendDocument / sendPhoto; the text is its caption when it fits).
    attachment_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    attachment_kind: Mapped[str | None] = mapped_column(String(10))  # document | photo
    # The text part, when it was too long for a caption and went first on its own: recorded
    # before the file is sent, so a retry sends only the file (see scheduler/dispatcher.py).
    text_message_id: Mapped[int | None] = mapped_column(BigInteger)

    def __repr__(self) -> str:
        return (
            f"OutboxMessage(id={self.id!r}, key={self.idempotency_key!r}, status={self.status!r})"
        )
