"""Career ladders and rank-promotion eligibility."""

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from asnkarier.models import CareerLadder, PromotionPeriod
from asnkarier.services import career, promotion
from tests.factories import make_employee

TODAY = dt.date.today()


def _ladder(session: Session, code: str) -> CareerLadder:
    ladder = session.scalar(select(CareerLadder).where(CareerLadder.code == code))
    assert ladder is not None
    return ladder


def test_find_ladder_by_free_text_and_track(session: Session) -> None:
    found = career.find_ladder(session, "jenjang analis kepegawaian gimana")
    assert found is not None
    assert found.code == "analis-kepegawaian"
    keahlian = career.find_ladder(session, "Pranata Komputer", "Ahli Muda")
    terampil = career.find_ladder(session, "pranata komputer", "Mahir")
    assert keahlian is not None
    assert terampil is not None
    assert (keahlian.track, terampil.track) == ("keahlian", "keterampilan")
    assert career.find_ladder(session, "astronot") is None


def test_path_for_employee_shows_current_and_next_level(session: Session) -> None:
    ladder = _ladder(session, "analis-kepegawaian")
    muda = career.level_named(ladder, "ahli muda")
    assert muda is not None
    employee = make_employee(session, ladder_id=ladder.id, level_id=muda.id, rank="III/c")
    session.refresh(employee)
    path = career.path_for_employee(employee)
    assert path is not None
    assert path.current == muda
    assert path.next is not None
    assert path.next.name == "Ahli Madya"
    top = ladder.levels[-1]
    assert career.path_for(ladder, top).next is None
    assert career.path_for(ladder, None).next == ladder.levels[0]
    assert career.path_for_employee(make_employee(session)) is None


def test_eligibility_counts_years_in_rank_to_the_period_date(session: Session) -> None:
    # Four years in rank are reached in about 2 months: the first period on or after that date.
    tmt = TODAY.replace(year=TODAY.year - 4) + dt.timedelta(days=60)
    employee = make_employee(session, rank="III/b", rank_tmt=tmt)
    session.refresh(employee)
    result = promotion.eligibility(session, employee, TODAY)
    assert result.next_rank is not None
    assert result.next_rank.code == "III/c"
    assert result.min_years == 4
    assert result.years_in_rank is not None
    assert 3.7 < result.years_in_rank < 4
    assert result.eligible_on is not None
    assert result.period is not None
    assert result.period.period_date >= result.eligible_on
    earlier = session.scalars(
        select(PromotionPeriod).where(
            PromotionPeriod.period_date >= result.eligible_on,
            PromotionPeriod.period_date < result.period.period_date,
        )
    ).all()
    assert earlier == []
    assert result.eligible_now


def test_eligibility_edge_cases(session: Session) -> None:
    no_tmt = make_employee(session, rank="II/a")
    session.refresh(no_tmt)
    result = promotion.eligibility(session, no_tmt, TODAY)
    assert (result.years_in_rank, result.period, result.eligible_now) == (None, None, False)
    top = make_employee(session, rank="IV/e", rank_tmt=dt.date(2010, 1, 1))
    session.refresh(top)
    assert promotion.eligibility(session, top, TODAY).next_rank is None
    ladder = _ladder(session, "analis-kepegawaian")
    pertama = career.level_named(ladder, "Ahli Pertama")
    assert pertama is not None
    capped = make_employee(
        session,
        rank="III/b",
        rank_tmt=dt.date(2015, 1, 1),
        ladder_id=ladder.id,
        level_id=pertama.id,
    )
    session.refresh(capped)
    result = promotion.eligibility(session, capped, TODAY)
    assert result.capped_by_level
    assert not result.eligible_now


def test_upcoming_periods_and_kinds(session: Session) -> None:
    periods = promotion.upcoming_periods(session, TODAY, limit=3)
    assert len(periods) == 3
    assert all(p.proposal_closes >= TODAY for p in periods)
    assert [p.period_date for p in periods] == sorted(p.period_date for p in periods)
    reguler = promotion.kind(session, "KP reguler")
    assert reguler is not None
    assert reguler.code == "reguler"
    assert promotion.kind(session, "pilihan") is not None
    assert promotion.kind(session, "apa ya") is None
