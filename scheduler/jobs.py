"""Job functions the scheduler runs: each is one or a few short transactions, idempotent.

The process binds the database and settings here once at start-up (`bind`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import utcnow
from asnkarier.services import broadcasts, drafts, feedback, reminders, scheduling
from asnkarier.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    sessions: sessionmaker[Session]
    settings: Settings


_runtime: Runtime | None = None


def bind(sessions: sessionmaker[Session], settings: Settings) -> None:
    """Give the jobs their database and settings (called by the scheduler process)."""
    global _runtime  # one per process, set before any job runs
    _runtime = Runtime(sessions, settings)


def runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("scheduler.jobs.bind() was not called")
    return _runtime


def scan_reminders() -> int:
    """Enqueue the reminders due since the previous scan; returns how many were added."""
    rt = runtime()
    rules = reminders.Rules.from_settings(rt.settings)
    with rt.sessions.begin() as session:
        return reminders.scan(session, utcnow(), rules).enqueued


def fire_due_broadcasts() -> dict[int, str]:
    """Send every scheduled broadcast whose time has come; broadcast id -> outcome.

    The broadcast rows are the only schedule: HR's later changes (a new time, a cancellation)
    count at the next scan, a broadcast missed while no scheduler ran fires at the first scan
    after (or is dropped past BROADCAST_MISFIRE_GRACE_MINUTES), and each fires once
    (`scheduling.fire_broadcast` claims it). Lapsed conversation drafts are removed on the way.
    """
    rt = runtime()
    grace = dt.timedelta(minutes=rt.settings.broadcast_misfire_grace_minutes)
    now = utcnow()
    with rt.sessions.begin() as session:
        due = broadcasts.due_scheduled(session, now)
        drafts.purge_expired(session, now)
    outcomes = {}
    for broadcast_id in due:
        try:  # one transaction each: a broadcast that fails does not hold the others back
            with rt.sessions.begin() as session:
                outcomes[broadcast_id] = scheduling.fire_broadcast(
                    session, broadcast_id, utcnow(), grace
                )
        except SQLAlchemyError:
            logger.exception("Scheduled broadcast %d failed; the next scan retries", broadcast_id)
    return outcomes


def ask_feedback() -> int:
    """Ask the attendees of workshops that ended for their feedback (once each)."""
    rt = runtime()
    window = dt.timedelta(days=rt.settings.feedback_window_days)
    with rt.sessions.begin() as session:
        return feedback.scan(session, utcnow(), window)
