"""Workshops (scheduled sessions with seats) and employees' registrations to them."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from asnkarier.models.base import Base, TimestampMixin, str_enum


class Workshop(TimestampMixin, Base):
    """A dated session with a capacity; `seats_taken` is only ever changed by guarded UPDATEs."""

    __tablename__ = "workshops"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint(
            "seats_taken >= 0 AND seats_taken <= capacity", name="seats_within_capacity"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    training_id: Mapped[int | None] = mapped_column(ForeignKey("trainings.id"))
    starts_at: Mapped[dt.datetime] = mapped_column(index=True)
    ends_at: Mapped[dt.datetime]
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Jakarta")
    location: Mapped[str | None] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int]
    seats_taken: Mapped[int] = mapped_column(default=0)
    # Monotonic counter handing out waitlist positions; never reused.
    waitlist_seq: Mapped[int] = mapped_column(default=0)
    registration_deadline: Mapped[dt.datetime]
    jp: Mapped[int] = mapped_column(default=0)
    topics: Mapped[list[str]] = mapped_column(default=list)
    is_cancelled: Mapped[bool] = mapped_column(default=False)
    # Check-in: whether someone not registered may check in (a walk-in gets a registration row).
    allow_walk_in: Mapped[bool] = mapped_column(default=False)
    # The organising unit (OPD): its unit operators manage the workshop; None: BKPSDM-wide,
    # managed by hr_admin only.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    source: Mapped[str] = mapped_column(Text, default="")

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    def __repr__(self) -> str:
        return f"Workshop({self.code!r}, starts_at={self.starts_at!r})"


class RegistrationStatus(enum.StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    ATTENDED = "attended"


class Registration(TimestampMixin, Base):
    """One employee's place (or waitlist position) in one workshop; at most one row per pair."""

    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("employee_id", "workshop_id"),
        Index("ix_registrations_workshop_status", "workshop_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    status: Mapped[RegistrationStatus] = mapped_column(
        str_enum(RegistrationStatus, "registration_status")
    )
    waitlist_position: Mapped[int | None]
    # Attendance: set once (status becomes ATTENDED); how: "qr", "code" or "console".
    attended_at: Mapped[dt.datetime | None]
    attended_via: Mapped[str | None] = mapped_column(String(10))

    workshop: Mapped[Workshop] = relationship()

    def __repr__(self) -> str:
        return (
            f"Registration(workshop_id={self.workshop_id!r}, employee_id={self.employee_id!r}, "
            f"status={self.status!r})"
        )
