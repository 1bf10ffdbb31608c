"""Content loading: validation names the file and item; seeding twice changes nothing."""

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asnkarier import db
from asnkarier.models import (
    AppraisalEvent,
    Base,
    CareerLadder,
    HowtoArticle,
    PromotionPeriod,
    Rank,
    Training,
    Workshop,
)
from asnkarier.services.seed import ContentError, load_content, seed
from tests.conftest import DATA


def test_shipped_content_meets_the_brief() -> None:
    content = load_content(DATA)
    assert [r.code for r in content.ranks][:2] == ["I/a", "I/b"]
    assert len(content.ranks) == 17
    assert len(content.ladders) >= 8
    assert all(len(ladder.levels) >= 3 for ladder in content.ladders)
    assert len(content.trainings) >= 25
    assert {t.competency_type for t in content.trainings} == {
        "teknis",
        "manajerial",
        "sosial_kultural",
    }
    assert len(content.workshops) >= 10
    assert len(content.promotion.periods.schedule) == 6
    assert {p.month for p in content.promotion.periods.schedule} == {2, 4, 6, 8, 10, 12}
    assert len(content.howto) >= 8
    every = [
        *content.ladders,
        *content.trainings,
        *content.workshops,
        *content.howto,
        *content.appraisal,
    ]
    assert all(item.source for item in every)


def _dump(session: Session) -> dict[str, list[tuple[object, ...]]]:
    tables = {}
    for table in Base.metadata.sorted_tables:
        cols = [c for c in table.columns if c.name not in ("created_at", "updated_at")]
        tables[table.name] = sorted(map(tuple, session.execute(select(*cols)).all()), key=repr)
    return tables


def test_seeding_twice_leaves_the_database_unchanged(fresh_db_url: str) -> None:
    db.upgrade(fresh_db_url)
    engine = db.make_engine(fresh_db_url)
    factory = db.make_sessionmaker(engine)
    content = load_content(DATA)
    today = dt.date(2026, 11, 22)
    try:
        with factory.begin() as session:
            first = seed(session, content, today=today)
        with factory.begin() as session:
            before = _dump(session)
            stamps = session.execute(select(func.max(Training.updated_at))).scalar()
        # A later day too: relative workshop dates must not move once loaded.
        with factory.begin() as session:
            second = seed(session, content, today=today + dt.timedelta(days=3))
        with factory.begin() as session:
            after = _dump(session)
            assert session.execute(select(func.max(Training.updated_at))).scalar() == stamps
    finally:
        engine.dispose()
    assert first["ranks.created"] == 17
    assert first["workshops.created"] == len(content.workshops)
    assert not second, f"second seed changed rows: {dict(second)}"
    assert before == after


def test_calendars_cover_this_year_and_next(session: Session) -> None:
    periods = session.scalars(select(PromotionPeriod).order_by(PromotionPeriod.period_date)).all()
    years = {p.period_date.year for p in periods}
    assert len(years) == 2
    assert len(periods) == 12
    for p in periods:
        assert p.period_date.day == 1
        assert p.proposal_opens < p.proposal_closes < p.period_date
    feb = next(p for p in periods if p.period_date.month == 2)
    assert (feb.proposal_opens.month, feb.proposal_opens.day) == (12, 15)
    assert feb.proposal_opens.year == feb.period_date.year - 1
    events = session.scalars(select(AppraisalEvent)).all()
    assert {e.deadline.year for e in events} == years


def test_workshops_are_upcoming_and_well_formed(session: Session) -> None:
    now = dt.datetime.now(dt.UTC)
    workshops = session.scalars(select(Workshop)).all()
    assert sum(w.starts_at > now for w in workshops) >= 10
    for w in workshops:
        assert w.starts_at.tzinfo is not None
        assert w.registration_deadline <= w.starts_at < w.ends_at
        assert w.location or w.online_url
        assert w.seats_left == w.capacity


def test_levels_carry_rank_ranges(session: Session) -> None:
    ladder = session.scalar(select(CareerLadder).where(CareerLadder.code == "analis-kepegawaian"))
    assert ladder is not None
    names = [lvl.name for lvl in ladder.levels]
    assert names[:3] == ["Ahli Pertama", "Ahli Muda", "Ahli Madya"]
    first = ladder.levels[0]
    assert first.min_rank is not None
    assert first.min_rank.code == "III/a"
    assert session.scalar(select(func.count()).select_from(Rank)) == 17
    assert session.scalar(select(func.count()).select_from(HowtoArticle)) >= 8


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target, ignore=shutil.ignore_patterns("samples"))
    return target


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("trainings.yml", lambda d: d["trainings"][0].update(jp=-1), r"trainings\[1\].*jp"),
        (
            "trainings.yml",
            lambda d: d["trainings"][1].update(competency_type="x"),
            "competency_type",
        ),
        ("trainings.yml", lambda d: d["trainings"].append(d["trainings"][0]), "duplicate"),
        ("workshops.yml", lambda d: d["workshops"][0].update(timezone="Mars/Base"), "time zone"),
        ("workshops.yml", lambda d: d["workshops"][0].update(training="nope"), "unknown training"),
        ("units.yml", lambda d: d["units"][0].pop("name"), r"units\[1\].*name"),
        ("ranks.yml", lambda d: d["ranks"].pop(), "17 ranks"),
        (
            "career_ladders.yml",
            lambda d: d["ladders"][0]["levels"][0].update(min_rank="V/z"),
            "unknown rank",
        ),
    ],
)
def test_invalid_content_names_file_and_item(
    content_copy: Path, file: str, change, message: str
) -> None:  # type: ignore[no-untyped-def]
    _edit(content_copy / file, change)
    with pytest.raises(ContentError, match=message) as info:
        load_content(content_copy)
    assert file in str(info.value)


def test_broken_yaml_is_reported(content_copy: Path) -> None:
    (content_copy / "howto.yml").write_text("articles: [\n")
    with pytest.raises(ContentError, match=r"howto\.yml: not valid YAML"):
        load_content(content_copy)
