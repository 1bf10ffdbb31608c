"""Scheduler bookkeeping: the leader lease, the reminder scan watermark and dismissals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from asnkarier.models.base import Base, utcnow


class SchedulerLease(Base):
    """Who may run the scheduler: one row per lock name, held until `expires_at` unless renewed."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime]
    acquired_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"SchedulerLease({self.name!r}, holder={self.holder!r})"


class ReminderScan(Base):
    """How far reminder send times have been scanned: the next scan covers (scanned_until, now]."""

    __tablename__ = "reminder_scans"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    scanned_until: Mapped[dt.datetime]

    def __repr__(self) -> str:
        return f"ReminderScan({self.name!r}, scanned_until={self.scanned_until!r})"


class ReminderDismissal(Base):
    """An employee pressed "Sudah selesai": no more reminders about that subject (a deadline)."""

    __tablename__ = "reminder_dismissals"
    __table_args__ = (UniqueConstraint("employee_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(60))  # e.g. "appraisal:12", "promotion:3"
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"ReminderDismissal(employee_id={self.employee_id!r}, subject={self.subject!r})"


class ScheduledBroadcastRun(Base):
    """A scheduled broadcast the scheduler has fired (or dropped as too late): it fires once."""

    __tablename__ = "scheduled_broadcast_runs"

    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True
    )
    fired_at: Mapped[dt.datetime]
    outcome: Mapped[str] = mapped_column(String(200))

    def __repr__(self) -> str:
        return f"ScheduledBroadcastRun({self.broadcast_id!r}, outcome={self.outcome!r})"
