"""Mentoring: employees who offer to mentor a topic, and colleagues' requests to them."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from asnkarier.models.base import Base, str_enum, utcnow
from asnkarier.models.employee import Employee


class MentorOffer(Base):
    """One employee willing to mentor one (normalised) topic; withdrawn offers stay as rows."""

    __tablename__ = "mentor_offers"
    __table_args__ = (
        UniqueConstraint("employee_id", "topic"),
        Index("ix_mentor_offers_topic_active", "topic", "is_active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(60))
    is_active: Mapped[bool] = mapped_column(default=True)
    # The mentor's Telegram @username when they opted in (shared only after an acceptance).
    telegram_username: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None]

    employee: Mapped[Employee] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"MentorOffer(employee_id={self.employee_id!r}, topic={self.topic!r})"


class MentorRequestStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class MentorRequest(Base):
    """An employee asking a mentor for help on the offer's topic: at most one per pair."""

    __tablename__ = "mentor_requests"
    __table_args__ = (
        UniqueConstraint("offer_id", "asker_id"),
        Index("ix_mentor_requests_mentor_status", "mentor_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("mentor_offers.id", ondelete="CASCADE"))
    asker_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(60))
    status: Mapped[MentorRequestStatus] = mapped_column(
        str_enum(MentorRequestStatus, "mentor_request_status"),
        default=MentorRequestStatus.PENDING,
    )
    asker_username: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None]

    asker: Mapped[Employee] = relationship(foreign_keys=[asker_id], lazy="joined")
    mentor: Mapped[Employee] = relationship(foreign_keys=[mentor_id], lazy="joined")

    def __repr__(self) -> str:
        return f"MentorRequest(id={self.id!r}, status={self.status!r})"
