"""Performance appraisal (SKP / e-Kinerja): upcoming deadlines and how-to answers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from asnkarier.models import AppraisalEvent, HowtoArticle
from asnkarier.services.text import overlap, words

# The national e-Kinerja application where employees fill in their SKP (buttons link to it).
EKINERJA_URL = "https://kinerja.bkn.go.id"


def upcoming_deadlines(session: Session, today: dt.date, limit: int = 3) -> list[AppraisalEvent]:
    """Deadlines from today on (today counts: it is still possible), soonest first."""
    query = (
        select(AppraisalEvent)
        .where(AppraisalEvent.deadline >= today)
        .order_by(AppraisalEvent.deadline, AppraisalEvent.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def howto(session: Session, question: str | None, limit: int = 3) -> list[HowtoArticle]:
    """How-to answers best matching the question; the e-Kinerja basics when nothing matches."""
    articles = list(session.scalars(select(HowtoArticle).order_by(HowtoArticle.id)))
    wanted = words(question or "")
    scored = sorted(
        (
            (2 * overlap(wanted, a.title) + overlap(wanted, f"{a.topic} {a.body}"), a)
            for a in articles
        ),
        key=lambda pair: pair[0],
        reverse=True,
    )
    hits = [a for score, a in scored if score > 0]
    if hits:
        return hits[:limit]
    return [a for a in articles if a.topic in ("ekinerja", "skp")][:limit]
