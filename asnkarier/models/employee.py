"""Employees (pegawai) as imported from the roster, and their Telegram link."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from asnkarier.models.base import Base, TimestampMixin, str_enum
from asnkarier.models.career import CareerLadder, CareerLevel
from asnkarier.models.org import Rank, Unit


class Role(enum.StrEnum):
    EMPLOYEE = "employee"
    HR_ADMIN = "hr_admin"


class PositionKind(enum.StrEnum):
    FUNGSIONAL = "fungsional"
    PELAKSANA = "pelaksana"
    STRUKTURAL = "struktural"


class Employee(TimestampMixin, Base):
    """One civil servant; identified by NIP, linked to Telegram only through an activation code."""

    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[dt.date]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    position_title: Mapped[str] = mapped_column(String(200))
    position_kind: Mapped[PositionKind] = mapped_column(str_enum(PositionKind, "position_kind"))
    ladder_id: Mapped[int | None] = mapped_column(ForeignKey("career_ladders.id"), index=True)
    level_id: Mapped[int | None] = mapped_column(ForeignKey("career_levels.id"))
    rank_id: Mapped[int] = mapped_column(ForeignKey("ranks.id"), index=True)
    rank_tmt: Mapped[dt.date | None]
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), default=Role.EMPLOYEE)
    timezone: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(default=True)
    reminders_enabled: Mapped[bool] = mapped_column(default=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    linked_at: Mapped[dt.datetime | None]
    # Set when Telegram answers 403 (the user blocked the bot); cleared when they write again.
    bot_blocked: Mapped[bool] = mapped_column(default=False)

    unit: Mapped[Unit] = relationship(lazy="joined")
    rank: Mapped[Rank] = relationship(lazy="joined")
    ladder: Mapped[CareerLadder | None] = relationship()
    level: Mapped[CareerLevel | None] = relationship()

    @property
    def effective_timezone(self) -> str:
        """The employee's own time zone, else their unit's."""
        return self.timezone or self.unit.timezone

    def __repr__(self) -> str:
        return f"Employee(id={self.id!r}, nip=<masked>, unit_id={self.unit_id!r})"
