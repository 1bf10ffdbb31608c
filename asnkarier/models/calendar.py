"""Dated HR calendars: appraisal (SKP/e-Kinerja) deadlines and promotion periods."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from asnkarier.models.base import Base, TimestampMixin


class AppraisalEvent(TimestampMixin, Base):
    """One appraisal deadline in one year, e.g. annual SKP for 2026 due 10 January 2027."""

    __tablename__ = "appraisal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)  # template code + year
    template_code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    deadline: Mapped[dt.date] = mapped_column(index=True)
    covers_year: Mapped[int]
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"AppraisalEvent({self.code!r}, deadline={self.deadline!r})"


class PromotionPeriod(TimestampMixin, Base):
    """A rank-promotion period (TMT date) and its proposal window."""

    __tablename__ = "promotion_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_date: Mapped[dt.date] = mapped_column(unique=True)
    proposal_opens: Mapped[dt.date]
    proposal_closes: Mapped[dt.date]
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"PromotionPeriod({self.period_date!r})"
