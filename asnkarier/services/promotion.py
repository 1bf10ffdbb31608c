"""Rank promotion (kenaikan pangkat): kinds, periods and an employee's own eligibility."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from asnkarier.models import Employee, PromotionKind, PromotionPeriod, Rank

REGULAR = "reguler"


def kinds(session: Session) -> list[PromotionKind]:
    return list(session.scalars(select(PromotionKind).order_by(PromotionKind.id)))


def kind(session: Session, code: str | None) -> PromotionKind | None:
    """A promotion kind by code or by a word of its name ('pilihan', 'KP reguler')."""
    if not code:
        return None
    wanted = code.strip().lower()
    for item in kinds(session):
        if item.code == wanted or item.code in wanted.split():
            return item
    return None


def upcoming_periods(session: Session, today: dt.date, limit: int = 3) -> list[PromotionPeriod]:
    """Periods whose proposal window has not closed yet, soonest first."""
    query = (
        select(PromotionPeriod)
        .where(PromotionPeriod.proposal_closes >= today)
        .order_by(PromotionPeriod.period_date)
        .limit(limit)
    )
    return list(session.scalars(query))


def rank_by_seniority(session: Session, seniority: int) -> Rank | None:
    return session.scalar(select(Rank).where(Rank.seniority == seniority))


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Eligibility:
    """Regular promotion outlook for one employee."""

    current: Rank
    next_rank: Rank | None  # None at IV/e
    min_years: int
    years_in_rank: float | None  # None when the roster has no TMT
    eligible_on: dt.date | None
    period: PromotionPeriod | None  # first period the employee can be proposed for
    capped_by_level: bool  # the position level's top rank is reached: needs a level move first

    @property
    def eligible_now(self) -> bool:
        return self.eligible_on is not None and self.period is not None and not self.capped_by_level


def eligibility(session: Session, employee: Employee, today: dt.date) -> Eligibility:
    """Years in rank against the regular minimum, and the first period the employee fits."""
    regular = kind(session, REGULAR)
    min_years = regular.min_years_in_rank if regular and regular.min_years_in_rank else 4
    current = employee.rank
    next_rank = rank_by_seniority(session, current.seniority + 1)
    capped = bool(
        employee.level
        and employee.level.max_rank
        and current.seniority >= employee.level.max_rank.seniority
    )
    if employee.rank_tmt is None or next_rank is None:
        return Eligibility(current, next_rank, min_years, None, None, None, capped)
    years = (today - employee.rank_tmt).days / 365.25
    eligible_on = _add_years(employee.rank_tmt, min_years)
    # The new rank takes effect on the period date, so the years are counted up to that date.
    period = session.scalar(
        select(PromotionPeriod)
        .where(PromotionPeriod.period_date >= eligible_on, PromotionPeriod.proposal_closes >= today)
        .order_by(PromotionPeriod.period_date)
        .limit(1)
    )
    return Eligibility(current, next_rank, min_years, years, eligible_on, period, capped)
