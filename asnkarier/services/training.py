"""Training catalogue search and recommendations, and the 20 JP/year competency duty."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from asnkarier.models import CompetencyHours, CompetencyType, Employee, Training
from asnkarier.services.text import overlap, words

REQUIRED_JP = 20  # PP 11/2017 art. 203(4)
COMPETENCY_WORDS = {
    "teknis": CompetencyType.TEKNIS,
    "manajerial": CompetencyType.MANAJERIAL,
    "sosial": CompetencyType.SOSIAL_KULTURAL,
    "kultural": CompetencyType.SOSIAL_KULTURAL,
}


def competency_type_in(text: str | None) -> CompetencyType | None:
    """'pelatihan manajerial' -> MANAJERIAL."""
    for word in words(text or ""):
        if word in COMPETENCY_WORDS:
            return COMPETENCY_WORDS[word]
    return None


def search(
    session: Session,
    *,
    topic: str | None = None,
    competency_type: CompetencyType | None = None,
    employee: Employee | None = None,
    limit: int = 5,
) -> list[Training]:
    """Best trainings for a topic, a competency type and/or an employee's position."""
    query = select(Training).where(Training.is_active)
    if competency_type:
        query = query.where(Training.competency_type == competency_type)
    catalogue = list(session.scalars(query.order_by(Training.id)))
    wanted = words(topic or "") - set(COMPETENCY_WORDS) - {"pelatihan", "diklat", "training"}
    ladder = employee.ladder.code if employee and employee.ladder else None

    def score(t: Training) -> tuple[int, int, int]:
        topical = 3 * overlap(wanted, " ".join(t.topics)) + overlap(
            wanted, f"{t.title} {t.description}"
        )
        fits = int(ladder is not None and ladder in t.for_ladders)
        return (topical, fits, -t.jp)  # prefer short programmes among equals: JP add up

    ranked = sorted(catalogue, key=score, reverse=True)
    if wanted:
        ranked = [t for t in ranked if score(t)[0] > 0]
    return ranked[:limit]


# Words of a training question that name no topic.
QUESTION_WORDS = frozenset(
    {
        "pelatihan", "diklat", "training", "kursus", "course", "kelas", "program", "info",
        "informasi", "rekomendasi", "saran", "buat", "bagi", "jadwal", "kapan", "dibuka",
        "buka", "online", "daring", "offline", "learning", "elearning", "cocok", "jabatan",
        "ikut", "apa", "aja", "saja", "nggak", "gak", "enggak", "halo", "tanya", "nanya",
        "boleh", "kira", "kira2", "tersedia", "mana", "sih", "nih", "kah", "gitu", "ini",
    }
)  # fmt: skip


def named_in(
    session: Session, text: str, *, competency_type: CompetencyType | None = None, limit: int = 5
) -> list[Training]:
    """Trainings whose title or topics a word of the question names ('ada pelatihan PKA?')."""
    wanted = words(text) - QUESTION_WORDS - set(COMPETENCY_WORDS)
    if not wanted:
        return []
    query = select(Training).where(Training.is_active)
    if competency_type:
        query = query.where(Training.competency_type == competency_type)
    scored = [
        (overlap(wanted, f"{t.title} {' '.join(t.topics)}"), t)
        for t in session.scalars(query.order_by(Training.id))
    ]
    best = max((score for score, _ in scored), default=0)
    return [t for score, t in scored if score and score == best][:limit]


@dataclass(frozen=True)
class HoursSummary:
    year: int
    total: int
    entries: list[CompetencyHours]

    @property
    def missing(self) -> int:
        return max(REQUIRED_JP - self.total, 0)


def hours(session: Session, employee_id: int, year: int) -> HoursSummary:
    """JP recorded for the employee in a year."""
    entries = list(
        session.scalars(
            select(CompetencyHours)
            .where(CompetencyHours.employee_id == employee_id, CompetencyHours.year == year)
            .order_by(CompetencyHours.completed_on)
        )
    )
    return HoursSummary(year, sum(e.jp for e in entries), entries)


def under_required(year: int, required: int = REQUIRED_JP) -> ColumnElement[bool]:
    """SQL condition on Employee: fewer than `required` JP recorded in the year."""
    earned = (
        select(func.coalesce(func.sum(CompetencyHours.jp), 0))
        .where(CompetencyHours.employee_id == Employee.id, CompetencyHours.year == year)
        .scalar_subquery()
    )
    return earned < required


def employees_under(session: Session, year: int, required: int = REQUIRED_JP) -> list[int]:
    """Ids of active employees with fewer than `required` JP in the year (for Q4 nudges)."""
    query = select(Employee.id).where(Employee.is_active, under_required(year, required))
    return list(session.scalars(query))
