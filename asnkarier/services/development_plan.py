"""'Apa yang kurang untuk naik?': one employee's development plan, from the rules that already
live in the core (promotion, career ladders, the 20 JP duty, the catalogue, workshops).

- Next rank: functional positions by angka kredit (services/promotion.functional_outlook: the
  usual years at 'Baik' to reach the rank minimum), pelaksana by the regular minimum years in
  rank, structural by the same years (KP pilihan); with the first proposal window
  (data/promotion.yml periods) the employee fits, and whether the level caps the rank.
- Next level of the ladder and its requirements (data/career_ladders.yml).
- JP this year against 20 (services/training).
- Trainings for the position: the catalogue has no list of mandatory trainings per level, so
  "required" here means the programmes data/trainings.yml recommends for the employee's ladder
  (`for_ladders`); done = JP recorded from that programme (or from a workshop of it), any year.
- Workshops: upcoming, not cancelled, not already joined (registered or waitlisted), that match
  the plan's needs by topic (a recommended programme not done yet, the ladder, the position,
  the next step: uji kompetensi for a level move, SIASN/KP when a promotion is near).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from asnkarier.models import (
    CompetencyHours,
    Employee,
    PositionKind,
    PromotionPeriod,
    Rank,
    Registration,
    Training,
    Workshop,
)
from asnkarier.services import career, promotion, training, workshops
from asnkarier.services.text import words

MAX_WORKSHOPS = 3
MAX_TRAININGS = 3
# Level names say nothing about a workshop's topic.
LEVEL_WORDS = frozenset(
    {"ahli", "pertama", "muda", "madya", "utama", "pemula", "terampil", "mahir"}
)
SOON = dt.timedelta(days=365)  # a promotion this close makes SIASN/KP workshops relevant


@dataclass(frozen=True)
class RankStep:
    """The next rank and when the employee can be proposed for it."""

    route: str  # "fungsional" (angka kredit), "reguler" (pelaksana), "pilihan" (struktural)
    current: Rank
    next_rank: Rank | None  # None at the top rank
    years_in_rank: float | None  # None when the roster has no TMT
    needed_years: float | None  # regular minimum, or the usual years at 'Baik' (functional)
    eligible_on: dt.date | None
    period: PromotionPeriod | None  # the first proposal window the employee fits
    capped_by_level: bool  # the level's top rank: a level move comes first
    past_due: bool  # functional: longer in rank than usual, worth checking the PAK
    credit_known: bool = True  # functional: the level is in data/functional_credit.yml

    def due(self, today: dt.date) -> bool:
        return self.eligible_on is not None and self.eligible_on <= today


@dataclass(frozen=True)
class TrainingNeed:
    training: Training
    done: bool


@dataclass(frozen=True)
class DevelopmentPlan:
    employee: Employee
    today: dt.date
    rank: RankStep
    path: career.CareerPath | None  # None for positions without a ladder
    hours: training.HoursSummary
    trainings: list[TrainingNeed] = field(default_factory=list)
    workshops: list[Workshop] = field(default_factory=list)

    @property
    def missing_trainings(self) -> list[Training]:
        return [n.training for n in self.trainings if not n.done]

    @property
    def done_trainings(self) -> list[Training]:
        return [n.training for n in self.trainings if n.done]


def _first_period(session: Session, eligible_on: dt.date, today: dt.date) -> PromotionPeriod | None:
    """The first period on or after `eligible_on` whose proposal window has not closed."""
    return session.scalar(
        select(PromotionPeriod)
        .where(PromotionPeriod.period_date >= eligible_on, PromotionPeriod.proposal_closes >= today)
        .order_by(PromotionPeriod.period_date)
        .limit(1)
    )


def rank_step(session: Session, employee: Employee, today: dt.date) -> RankStep:
    """The next rank by the employee's position kind (the rules of services/promotion)."""
    if employee.position_kind == PositionKind.FUNGSIONAL:
        o = promotion.functional_outlook(session, employee, today, promotion.credit_rules())
        eligible_on = None
        if employee.rank_tmt is not None and o.usual_years is not None:
            eligible_on = employee.rank_tmt + dt.timedelta(days=round(o.usual_years * 365.25))
        period = (
            _first_period(session, eligible_on, today)
            if eligible_on is not None and o.next_rank is not None and not o.capped_by_level
            else None
        )
        return RankStep(
            "fungsional",
            o.current,
            o.next_rank,
            o.years_in_rank,
            o.usual_years,
            eligible_on,
            period,
            o.capped_by_level,
            o.past_due,
            credit_known=o.level is not None,
        )
    e = promotion.eligibility(session, employee, today)
    route = "pilihan" if employee.position_kind == PositionKind.STRUKTURAL else promotion.REGULAR
    return RankStep(
        route,
        e.current,
        e.next_rank,
        e.years_in_rank,
        float(e.min_years),
        e.eligible_on,
        None if e.capped_by_level else e.period,
        e.capped_by_level,
        False,
    )


def _done_training_ids(session: Session, employee_id: int) -> set[int]:
    """Programmes the employee has JP from, directly or through one of its workshops."""
    direct = session.scalars(
        select(CompetencyHours.training_id).where(
            CompetencyHours.employee_id == employee_id, CompetencyHours.training_id.is_not(None)
        )
    )
    via_workshop = session.scalars(
        select(Workshop.training_id)
        .join(CompetencyHours, CompetencyHours.workshop_id == Workshop.id)
        .where(CompetencyHours.employee_id == employee_id, Workshop.training_id.is_not(None))
    )
    return {i for i in [*direct, *via_workshop] if i is not None}


def training_needs(session: Session, employee: Employee) -> list[TrainingNeed]:
    """The catalogue's programmes for the employee's ladder, missing ones first."""
    if employee.ladder is None:
        return []
    code = employee.ladder.code
    recommended = [
        t
        for t in session.scalars(select(Training).where(Training.is_active).order_by(Training.id))
        if code in (t.for_ladders or [])
    ]
    done = _done_training_ids(session, employee.id)
    needs = [TrainingNeed(t, t.id in done) for t in recommended]
    return sorted(needs, key=lambda n: (n.done, n.training.jp))


def _joined_ids(session: Session, employee_id: int) -> set[int]:
    rows = session.scalars(
        select(Registration.workshop_id).where(
            Registration.employee_id == employee_id,
            or_(*(Registration.status == s for s in workshops.ACTIVE)),
        )
    )
    return set(rows)


def needs_words(
    employee: Employee, step: RankStep, needs: list[TrainingNeed], today: dt.date
) -> set[str]:
    """The topic words a useful workshop would share with this plan."""
    wanted: set[str] = set()
    for need in needs:
        if not need.done:
            wanted |= words(" ".join(need.training.topics))
    if employee.ladder is not None:
        wanted |= words(employee.ladder.name) | {"fungsional", "kompetensi"}
    wanted |= words(employee.position_title)
    if step.capped_by_level:
        wanted |= {"uji", "kompetensi", "karier"}
    if step.eligible_on is not None and step.eligible_on <= today + SOON and step.next_rank:
        wanted |= {"siasn", "kenaikan", "pangkat"}
    return wanted - LEVEL_WORDS


def matching_workshops(
    session: Session, employee: Employee, wanted: set[str], needs: list[TrainingNeed]
) -> list[Workshop]:
    """Upcoming workshops the employee has not joined, by how well their topics fit `wanted`."""
    joined = _joined_ids(session, employee.id)
    missing = {n.training.id for n in needs if not n.done}

    def score(w: Workshop) -> int:
        topical = len(wanted & words(f"{w.title} {' '.join(w.topics)}"))
        return topical + (3 if w.training_id in missing else 0)

    candidates = [w for w in workshops.upcoming(session, limit=50) if w.id not in joined]
    ranked = sorted((w for w in candidates if score(w) > 0), key=lambda w: (-score(w), w.starts_at))
    return ranked[:MAX_WORKSHOPS]


def plan_for(session: Session, employee: Employee, today: dt.date) -> DevelopmentPlan:
    step = rank_step(session, employee, today)
    needs = training_needs(session, employee)
    wanted = needs_words(employee, step, needs, today)
    return DevelopmentPlan(
        employee=employee,
        today=today,
        rank=step,
        path=career.path_for_employee(employee),
        hours=training.hours(session, employee.id, today.year),
        trainings=needs,
        workshops=matching_workshops(session, employee, wanted, needs),
    )
