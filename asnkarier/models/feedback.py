"""Attendees' feedback on a workshop (one row per workshop and employee) and the certificate it
leads to."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from asnkarier.models.base import Base, TimestampMixin
from asnkarier.models.evidence import Certificate


class WorkshopFeedback(TimestampMixin, Base):
    """Answers to the three questions; `completed_at` once the comment was given or skipped.

    The certificate is issued once, on completion (`certificate_id`). `certificate_sent_at`
    records the automatic send; `certificate_sending_at` is a short claim so that two presses
    (even on two bot replicas) never send it twice.
    """

    __tablename__ = "workshop_feedback"
    __table_args__ = (
        UniqueConstraint("workshop_id", "employee_id"),
        CheckConstraint("overall BETWEEN 1 AND 5", name="overall_1_to_5"),
        CheckConstraint("usefulness BETWEEN 1 AND 5", name="usefulness_1_to_5"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )
    overall: Mapped[int | None]
    usefulness: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[dt.datetime | None]
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    certificate_sending_at: Mapped[dt.datetime | None]
    certificate_sent_at: Mapped[dt.datetime | None]

    certificate: Mapped[Certificate | None] = relationship()

    def __repr__(self) -> str:
        return (
            f"WorkshopFeedback(workshop_id={self.workshop_id!r}, employee_id={self.employee_id!r})"
        )
