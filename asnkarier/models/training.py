"""Training catalogue and the per-employee competency-hours (JP) log."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from asnkarier.models.base import Base, TimestampMixin, str_enum, utcnow


class CompetencyType(enum.StrEnum):
    TEKNIS = "teknis"
    MANAJERIAL = "manajerial"
    SOSIAL_KULTURAL = "sosial_kultural"


class Training(TimestampMixin, Base):
    """A programme of the catalogue (classroom, e-learning or blended) with its study hours."""

    __tablename__ = "trainings"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    competency_type: Mapped[CompetencyType] = mapped_column(
        str_enum(CompetencyType, "competency_type")
    )
    jp: Mapped[int]
    mode: Mapped[str] = mapped_column(String(20))  # klasikal | e-learning | blended
    provider: Mapped[str] = mapped_column(String(200), default="")
    topics: Mapped[list[str]] = mapped_column(default=list)
    for_ladders: Mapped[list[str]] = mapped_column(default=list)
    url: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"Training({self.code!r})"


class CompetencyHours(Base):
    """JP earned by one employee from one activity, counted toward the 20 JP/year duty."""

    __tablename__ = "competency_hours"
    __table_args__ = (Index("ix_competency_hours_employee_year", "employee_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    year: Mapped[int]
    jp: Mapped[int]
    activity: Mapped[str] = mapped_column(String(200))
    completed_on: Mapped[dt.date]
    training_id: Mapped[int | None] = mapped_column(ForeignKey("trainings.id"))
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshops.id"))
    # The approved training report these JP come from (at most one row per report).
    training_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_reports.id", ondelete="CASCADE"), unique=True
    )
    source: Mapped[str] = mapped_column(String(40), default="manual")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"CompetencyHours(employee_id={self.employee_id!r}, year={self.year}, jp={self.jp})"
