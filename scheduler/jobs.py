"""Job functions the scheduler runs; the DB job store names them as `scheduler.jobs:<name>`.

Jobs in the DB job store are pickled by reference, so they are plain module functions taking
only picklable arguments; the process binds the database and settings here once at start-up.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import utcnow
from asnkarier.services import reminders, scheduling
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


def fire_broadcast(broadcast_id: int) -> str:
    """Run one HR-scheduled broadcast (the job `broadcast:<id>` of the DB job store)."""
    rt = runtime()
    grace = dt.timedelta(minutes=rt.settings.broadcast_misfire_grace_minutes)
    with rt.sessions.begin() as session:
        return scheduling.fire_broadcast(session, broadcast_id, utcnow(), grace)
