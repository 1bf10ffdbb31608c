"""Load HR-editable content from data/*.yml and upsert it (a second run changes nothing)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asnkarier import db
from asnkarier.db import assign_changed
from asnkarier.models import (
    AppraisalEvent,
    CareerLadder,
    CareerLevel,
    HowtoArticle,
    PromotionKind,
    PromotionPeriod,
    Rank,
    Training,
    Unit,
    Workshop,
)
from asnkarier.services.golongan import all_codes, normalize_golongan


class ContentError(ValueError):
    """A content file is missing or invalid; the message names the file and the item."""


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _check_tz(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use e.g. Asia/Jakarta)") from None
    return value


def _check_rank(value: str | None) -> str | None:
    if value is None:
        return None
    code = normalize_golongan(value)
    if code is None:
        raise ValueError(f"unknown rank {value!r}")
    return code


class UnitItem(_Item):
    code: str = Field(pattern=r"^[A-Z0-9-]{2,40}$")
    name: str = Field(min_length=2, max_length=200)
    timezone: str = "Asia/Jakarta"
    _tz = field_validator("timezone")(_check_tz)


class RankItem(_Item):
    code: str
    name: str
    _rank = field_validator("code")(_check_rank)


class LevelItem(_Item):
    name: str
    min_rank: str | None = None
    max_rank: str | None = None
    requirements: str = ""
    _ranks = field_validator("min_rank", "max_rank")(_check_rank)


class LadderItem(_Item):
    code: str
    name: str
    track: Literal["keahlian", "keterampilan"]
    description: str = ""
    source: str
    levels: list[LevelItem] = Field(min_length=1)


class PromotionKindItem(_Item):
    code: str
    name: str
    min_years_in_rank: int | None = None
    requirements: str = ""
    source: str


class MonthDay(_Item):
    months_before: int = Field(ge=0, le=12)
    day: int = Field(ge=1, le=31)


class PeriodItem(_Item):
    month: int = Field(ge=1, le=12)
    proposal_opens: MonthDay
    proposal_closes: MonthDay
    note: str = ""


class PeriodsBlock(_Item):
    source: str
    schedule: list[PeriodItem] = Field(min_length=1)


class PromotionFile(_Item):
    kinds: list[PromotionKindItem]
    periods: PeriodsBlock


class AppraisalItem(_Item):
    code: str
    name: str
    kind: Literal["perencanaan", "evaluasi_periodik", "evaluasi_tahunan", "lainnya"]
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)
    covers_previous_year: bool = False
    description: str = ""
    source: str


class TrainingItem(_Item):
    code: str
    title: str
    competency_type: Literal["teknis", "manajerial", "sosial_kultural"]
    jp: int = Field(ge=1, le=1000)
    mode: Literal["klasikal", "e-learning", "blended"]
    provider: str = ""
    topics: list[str] = []
    for_ladders: list[str] = []
    url: str | None = None
    description: str = ""
    source: str


class WorkshopItem(_Item):
    code: str
    title: str
    description: str = ""
    training: str | None = None
    starts_in_days: int | None = Field(default=None, ge=0)
    date: dt.date | None = None  # absolute alternative to starts_in_days
    start_time: dt.time
    duration_hours: float = Field(gt=0, le=24 * 14)
    timezone: str = "Asia/Jakarta"
    location: str | None = None
    online_url: str | None = None
    capacity: int = Field(ge=1, le=10000)
    registration_closes_days_before: int = Field(default=1, ge=0)
    jp: int = Field(default=0, ge=0)
    topics: list[str] = []
    source: str
    _tz = field_validator("timezone")(_check_tz)

    @model_validator(mode="after")
    def _when_and_where(self) -> WorkshopItem:
        if (self.starts_in_days is None) == (self.date is None):
            raise ValueError("give exactly one of starts_in_days or date")
        if not (self.location or self.online_url):
            raise ValueError("give a location or an online_url")
        return self


class HowtoItem(_Item):
    key: str
    topic: str
    title: str
    body: str = Field(min_length=1, max_length=3500)
    url: str | None = None
    source: str


class GlossaryItem(_Item):
    """One ASN term of data/glossary.yml."""

    key: str = Field(pattern=r"^[a-z0-9-]{2,40}$")
    term: str = Field(min_length=2, max_length=60)
    expansion: str = ""
    aliases: list[str] = []
    meaning: str = Field(min_length=10, max_length=700)
    source: str = Field(min_length=3)


class CreditLevel(_Item):
    level: str
    yearly_coefficient: float = Field(gt=0)
    rank_minimum: float | None = Field(default=None, gt=0)
    level_minimum: float | None = Field(default=None, gt=0)
    source: str = ""  # where a level's own figures come from, when not the file's source


class CreditRules(_Item):
    """data/functional_credit.yml: angka kredit of functional positions (PermenPANRB 1/2023)."""

    source: str = Field(min_length=3)
    predicates: dict[str, int]
    levels: list[CreditLevel] = Field(min_length=1)
    steps: str = ""

    def level(self, name: str | None) -> CreditLevel | None:
        wanted = (name or "").strip().lower()
        return next((lvl for lvl in self.levels if lvl.level.lower() == wanted), None)


_M = TypeVar("_M", bound=BaseModel)


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise ContentError(f"{path}: file not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: not valid YAML: {exc}") from None


def _parse_list(path: Path, key: str, model: type[_M], data: Any = None) -> list[_M]:
    data = _read_yaml(path) if data is None else data
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise ContentError(f"{path}: expected a top-level list '{key}:'")
    items: list[_M] = []
    for index, raw in enumerate(data[key], start=1):
        try:
            items.append(model.model_validate(raw))
        except ValidationError as exc:
            name = raw.get("code") or raw.get("key") or "" if isinstance(raw, dict) else ""
            errors = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'item'}: {e['msg']}" for e in exc.errors()
            )
            raise ContentError(f"{path}: {key}[{index}] {name}: {errors}") from None
    _unique(path, key, items)
    return items


def _unique(path: Path, key: str, items: Iterable[BaseModel]) -> None:
    ids = [getattr(i, "code", None) or getattr(i, "key", "") for i in items]
    dupes = [k for k, n in Counter(ids).items() if n > 1]
    if dupes:
        raise ContentError(f"{path}: duplicate {key} entries: {', '.join(map(str, dupes))}")


class Content(BaseModel):
    """Every content file, parsed and cross-checked."""

    units: list[UnitItem]
    ranks: list[RankItem]
    ladders: list[LadderItem]
    promotion: PromotionFile
    appraisal: list[AppraisalItem]
    trainings: list[TrainingItem]
    workshops: list[WorkshopItem]
    howto: list[HowtoItem]
    glossary: list[GlossaryItem] = []
    credit: CreditRules | None = None


def load_glossary(content_dir: Path) -> list[GlossaryItem]:
    """data/glossary.yml, validated."""
    return _parse_list(Path(content_dir) / "glossary.yml", "terms", GlossaryItem)


def load_credit_rules(content_dir: Path) -> CreditRules:
    """data/functional_credit.yml, validated."""
    path = Path(content_dir) / "functional_credit.yml"
    try:
        return CreditRules.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise ContentError(f"{path}: {exc}") from None


def load_content(content_dir: Path) -> Content:
    """Read and validate data/*.yml; raise ContentError naming the file and item at fault."""
    d = Path(content_dir)
    promotion_path = d / "promotion.yml"
    try:
        promotion = PromotionFile.model_validate(_read_yaml(promotion_path))
    except ValidationError as exc:
        raise ContentError(f"{promotion_path}: {exc}") from None
    content = Content(
        units=_parse_list(d / "units.yml", "units", UnitItem),
        ranks=_parse_list(d / "ranks.yml", "ranks", RankItem),
        ladders=_parse_list(d / "career_ladders.yml", "ladders", LadderItem),
        promotion=promotion,
        appraisal=_parse_list(d / "appraisal_calendar.yml", "events", AppraisalItem),
        trainings=_parse_list(d / "trainings.yml", "trainings", TrainingItem),
        workshops=_parse_list(d / "workshops.yml", "workshops", WorkshopItem),
        howto=_parse_list(d / "howto.yml", "articles", HowtoItem),
        glossary=load_glossary(d),
        credit=load_credit_rules(d),
    )
    if [r.code for r in content.ranks] != all_codes():
        raise ContentError(f"{d / 'ranks.yml'}: must list the 17 ranks I/a .. IV/e in order")
    ladder_codes = {ladder.code for ladder in content.ladders}
    for t in content.trainings:
        unknown = set(t.for_ladders) - ladder_codes
        if unknown:
            raise ContentError(
                f"{d / 'trainings.yml'}: {t.code}: unknown ladders {sorted(unknown)}"
            )
    training_codes = {t.code for t in content.trainings}
    for w in content.workshops:
        if w.training and w.training not in training_codes:
            raise ContentError(f"{d / 'workshops.yml'}: {w.code}: unknown training {w.training!r}")
    return content


# --- upsert -----------------------------------------------------------------------------------


class SeedReport(Counter[str]):
    """Counts such as 'trainings.created', 'trainings.updated'."""

    def table(self) -> list[tuple[str, int, int]]:
        names = sorted({k.split(".")[0] for k in self})
        return [(n, self[f"{n}.created"], self[f"{n}.updated"]) for n in names]


def _upsert(
    session: Session,
    report: SeedReport,
    model: type[Any],
    key: str,
    value: Any,
    values: dict[str, Any],
) -> Any:
    obj = session.scalar(select(model).where(getattr(model, key) == value))
    table = model.__tablename__
    if obj is None:
        obj = model(**{key: value}, **values)
        session.add(obj)
        report[f"{table}.created"] += 1
    elif assign_changed(obj, values):
        report[f"{table}.updated"] += 1
    return obj


def _shift_month(year: int, month: int, months_back: int, day: int) -> dt.date:
    index = year * 12 + (month - 1) - months_back
    y, m = divmod(index, 12)
    last = calendar.monthrange(y, m + 1)[1]
    return dt.date(y, m + 1, min(day, last))


def seed(session: Session, content: Content, *, today: dt.date | None = None) -> SeedReport:
    """Upsert all content. Calendars are generated for this year and next."""
    today = today or dt.date.today()
    report = SeedReport()
    for u in content.units:
        _upsert(session, report, Unit, "code", u.code, {"name": u.name, "timezone": u.timezone})
    ranks: dict[str, Rank] = {}
    for seniority, r in enumerate(content.ranks, start=1):
        ranks[r.code] = _upsert(
            session, report, Rank, "code", r.code, {"name": r.name, "seniority": seniority}
        )
    session.flush()
    _seed_ladders(session, report, content.ladders, ranks)
    for k in content.promotion.kinds:
        _upsert(session, report, PromotionKind, "code", k.code, k.model_dump(exclude={"code"}))
    for year in (today.year, today.year + 1):
        for p in content.promotion.periods.schedule:
            o, c = p.proposal_opens, p.proposal_closes
            values = {
                "proposal_opens": _shift_month(year, p.month, o.months_before, o.day),
                "proposal_closes": _shift_month(year, p.month, c.months_before, c.day),
                "note": p.note,
                "source": content.promotion.periods.source,
            }
            _upsert(
                session, report, PromotionPeriod, "period_date", dt.date(year, p.month, 1), values
            )
        for e in content.appraisal:
            values = {
                "template_code": e.code,
                "name": e.name,
                "kind": e.kind,
                "deadline": _shift_month(year, e.month, 0, e.day),
                "covers_year": year - 1 if e.covers_previous_year else year,
                "description": e.description,
                "source": e.source,
            }
            _upsert(session, report, AppraisalEvent, "code", f"{e.code}-{year}", values)
    trainings: dict[str, Training] = {}
    for t in content.trainings:
        trainings[t.code] = _upsert(
            session, report, Training, "code", t.code, t.model_dump(exclude={"code"})
        )
    session.flush()
    for w in content.workshops:
        _seed_workshop(session, report, w, trainings, today)
    for h in content.howto:
        _upsert(session, report, HowtoArticle, "key", h.key, h.model_dump(exclude={"key"}))
    session.flush()
    return report


def _seed_ladders(
    session: Session, report: SeedReport, ladders: list[LadderItem], ranks: dict[str, Rank]
) -> None:
    for item in ladders:
        ladder = _upsert(
            session,
            report,
            CareerLadder,
            "code",
            item.code,
            {
                "name": item.name,
                "track": item.track,
                "description": item.description,
                "source": item.source,
            },
        )
        session.flush()
        existing = {lvl.position: lvl for lvl in ladder.levels}
        for position, lvl in enumerate(item.levels, start=1):
            values = {
                "name": lvl.name,
                "min_rank_id": ranks[lvl.min_rank].id if lvl.min_rank else None,
                "max_rank_id": ranks[lvl.max_rank].id if lvl.max_rank else None,
                "requirements": lvl.requirements,
            }
            level = existing.pop(position, None)
            if level is None:
                ladder.levels.append(CareerLevel(position=position, **values))
                report["career_levels.created"] += 1
            elif assign_changed(level, values):
                report["career_levels.updated"] += 1
        for level in existing.values():  # levels removed from the file
            ladder.levels.remove(level)
            report["career_levels.deleted"] += 1


def _seed_workshop(
    session: Session,
    report: SeedReport,
    w: WorkshopItem,
    trainings: dict[str, Training],
    today: dt.date,
) -> None:
    values: dict[str, Any] = {
        "title": w.title,
        "description": w.description,
        "training_id": trainings[w.training].id if w.training else None,
        "timezone": w.timezone,
        "location": w.location,
        "online_url": w.online_url,
        "capacity": w.capacity,
        "jp": w.jp,
        "topics": w.topics,
        "source": w.source,
    }
    existing = session.scalar(select(Workshop).where(Workshop.code == w.code))
    # Relative dates are fixed when a workshop is first loaded, so re-seeding on a later day
    # never moves a session people registered for; an absolute `date:` is always applied.
    if existing is None or w.date is not None:
        day = w.date or today + dt.timedelta(days=w.starts_in_days or 0)
        start = dt.datetime.combine(day, w.start_time, tzinfo=ZoneInfo(w.timezone)).astimezone(
            dt.UTC
        )
        values["starts_at"] = start
        values["ends_at"] = start + dt.timedelta(hours=w.duration_hours)
        closes = dt.datetime.combine(
            day - dt.timedelta(days=w.registration_closes_days_before),
            dt.time(23, 59),
            tzinfo=ZoneInfo(w.timezone),
        )
        values["registration_deadline"] = min(closes.astimezone(dt.UTC), start)
    if existing is not None and existing.seats_taken > w.capacity:
        raise ContentError(
            f"workshops.yml: {w.code}: capacity {w.capacity} is below the {existing.seats_taken} "
            "seats already taken"
        )
    _upsert(session, report, Workshop, "code", w.code, values)


def is_empty(session: Session) -> bool:
    """True when no content was ever seeded (no ranks)."""
    return not session.scalar(select(func.count()).select_from(Rank))


def migrate_and_seed(url: str, content_dir: Path) -> SeedReport:
    """Migrate the database at `url` to the latest revision and load the content of
    `content_dir`: what `asnbot db upgrade` then `asnbot seed` do, as one call. The one recipe
    for a ready database in tests and benchmarks."""
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        with db.make_sessionmaker(engine).begin() as session:
            return seed(session, load_content(content_dir))
    finally:
        engine.dispose()
