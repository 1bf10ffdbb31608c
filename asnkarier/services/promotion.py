"""Rank promotion (kenaikan pangkat): kinds, periods and an employee's own eligibility."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, aliased

from asnkarier.models import CareerLevel, Employee, PromotionKind, PromotionPeriod, Rank
from asnkarier.services.seed import CreditLevel, CreditRules, load_credit_rules
from asnkarier.settings import get_settings

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


def min_years_in_rank(session: Session) -> int:
    """Years in rank a regular promotion needs (4 when the content does not say)."""
    regular = kind(session, REGULAR)
    return regular.min_years_in_rank if regular and regular.min_years_in_rank else 4


def eligible_for_period(session: Session, period: PromotionPeriod) -> ColumnElement[bool]:
    """SQL condition on Employee: can be proposed for `period` by years in rank (set-based twin
    of `eligibility(...).eligible_now` for a period whose window is open; tests keep them equal).
    """
    min_years = min_years_in_rank(session)
    # eligible_on = rank_tmt + min_years <= period_date; _add_years clamps 29 February to the
    # 28th, so the latest TMT that qualifies is found by stepping back with the same rule.
    latest_tmt = _add_years(period.period_date, -min_years)
    if _add_years(latest_tmt + dt.timedelta(days=1), min_years) <= period.period_date:
        latest_tmt += dt.timedelta(days=1)
    top = select(func.max(Rank.seniority)).scalar_subquery()
    current, cap = aliased(Rank), aliased(Rank)
    has_next = (
        select(current.id).where(current.id == Employee.rank_id, current.seniority < top).exists()
    )
    capped = (
        select(CareerLevel.id)
        .join(cap, cap.id == CareerLevel.max_rank_id)
        .join(current, current.id == Employee.rank_id)
        .where(CareerLevel.id == Employee.level_id, current.seniority >= cap.seniority)
        .exists()
    )
    return and_(Employee.rank_tmt.is_not(None), Employee.rank_tmt <= latest_tmt, has_next, ~capped)


def eligibility(session: Session, employee: Employee, today: dt.date) -> Eligibility:
    """Years in rank against the regular minimum, and the first period the employee fits."""
    min_years = min_years_in_rank(session)
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


# --- functional positions: angka kredit (PermenPANRB 1/2023) ----------------------------------


@lru_cache(maxsize=4)
def _rules(path: Path, mtime_ns: int) -> CreditRules:
    return load_credit_rules(path.parent)


def credit_rules(content_dir: Path | None = None) -> CreditRules:
    """data/functional_credit.yml, re-read when HR edits it."""
    path = Path(content_dir or get_settings().content_dir) / "functional_credit.yml"
    return _rules(path, path.stat().st_mtime_ns)


@dataclass(frozen=True)
class FunctionalOutlook:
    """Where a functional employee stands on the credit route (an estimate: the roster has
    no appraisal predicates, so each year since the rank's TMT is counted as 'Baik')."""

    level: CreditLevel | None  # None when the level is not in the credit rules
    level_name: str
    current: Rank
    next_rank: Rank | None
    years_in_rank: float | None
    estimated_credit: float | None
    usual_years: float | None  # years at 'Baik' to reach the minimum of the next step
    past_due: bool  # longer in rank than the usual time: worth checking the PAK
    capped_by_level: bool  # top rank of the level: a level move (jenjang) comes first


def minimums(rules: CreditRules) -> str:
    """'Pemula 15, Terampil 20, ...': the cumulative credit each level needs to rise in rank."""
    return ", ".join(
        f"{lvl.level} {lvl.rank_minimum:g}" for lvl in rules.levels if lvl.rank_minimum
    )


def functional_outlook(
    session: Session, employee: Employee, today: dt.date, rules: CreditRules
) -> FunctionalOutlook:
    level_name = employee.level.name if employee.level else ""
    level = rules.level(level_name)
    current = employee.rank
    next_rank = rank_by_seniority(session, current.seniority + 1)
    capped = bool(
        employee.level
        and employee.level.max_rank
        and current.seniority >= employee.level.max_rank.seniority
    )
    years = (today - employee.rank_tmt).days / 365.25 if employee.rank_tmt else None
    good = rules.predicates.get("Baik", 100) / 100
    estimated = years * level.yearly_coefficient * good if level and years is not None else None
    # The next step is a rank within the level, or at its top rank the level move (jenjang),
    # each with its own cumulative minimum.
    minimum = (level.level_minimum if capped else level.rank_minimum) if level else None
    usual = minimum / (level.yearly_coefficient * good) if level and minimum else None
    past_due = bool(years is not None and usual is not None and years >= usual)
    return FunctionalOutlook(
        level, level_name, current, next_rank, years, estimated, usual, past_due, capped
    )
