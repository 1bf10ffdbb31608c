"""The scheduler process: wait for the leader lease, then run APScheduler while holding it.

While leading: an AsyncIOScheduler in memory with three interval jobs, rebuilt at every start:
the reminder scan, the broadcast scan, which sends the scheduled broadcasts that are due, and
the feedback scan, which asks the attendees of workshops that ended.
Nothing is scheduled only here: the database rows (reminder watermark, broadcasts with their
`scheduled_at` and status) are the schedule, so a restart or a takeover loses nothing. A standby
instance only retries the lease; a leader that cannot renew it stops its scheduler at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Callable

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent  # type: ignore[import-untyped]
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import utcnow
from asnkarier.services import scheduling
from asnkarier.settings import Settings
from scheduler import jobs

logger = logging.getLogger(__name__)

REMINDER_SCAN = "reminder-scan"
BROADCAST_SCAN = "broadcast-scan"
FEEDBACK_SCAN = "feedback-scan"


def holder_name() -> str:
    """Who holds the lease, for logs and the lease row: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SchedulerService:
    """One scheduler instance: standby until it holds the lease, leader while it renews it."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        *,
        holder: str | None = None,
        lease_seconds: float | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.holder = holder or holder_name()
        self.ttl = dt.timedelta(seconds=lease_seconds or settings.scheduler_lease_seconds)
        self.clock = clock
        self.scheduler: AsyncIOScheduler | None = None
        self.leading = asyncio.Event()
        self.standby = asyncio.Event()  # set once the lease was found held by another instance
        self.stepped_down = asyncio.Event()  # set each time it stops leading
        # Ids of jobs that ran (for tests and logs), fed from APScheduler's listener.
        self.executed: asyncio.Queue[str] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        jobs.bind(sessions, settings)

    @property
    def is_leader(self) -> bool:
        return self.leading.is_set()

    # --- lease ----------------------------------------------------------------------------

    def _take_lease(self) -> bool:
        try:
            with self.sessions.begin() as session:
                return scheduling.acquire(session, self.holder, self.clock(), self.ttl)
        except SQLAlchemyError:
            logger.exception("Scheduler lease: database error; acting as standby")
            return False

    def _release_lease(self) -> None:
        try:
            with self.sessions.begin() as session:
                scheduling.release(session, self.holder)
        except SQLAlchemyError:
            logger.exception("Scheduler lease: could not release; it expires by itself")

    async def run(self, stop: asyncio.Event) -> None:
        """Lead or stand by until `stop` is set; then stop jobs and hand the lease over."""
        self._loop = asyncio.get_running_loop()
        interval = self.ttl.total_seconds() / 3
        try:
            while not stop.is_set():
                held = await asyncio.to_thread(self._take_lease)
                if held and not self.is_leader:
                    self._start_leading()
                elif not held and self.is_leader:
                    logger.error("Scheduler lease lost: stopping jobs, back to standby")
                    self._stop_leading()
                if not held and not self.standby.is_set():
                    self.standby.set()
                    logger.info(
                        "Scheduler %s is standby: another instance holds the lease", self.holder
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)
        finally:
            if self.is_leader:
                self._stop_leading()
                await asyncio.to_thread(self._release_lease)

    # --- APScheduler ------------------------------------------------------------------------

    def _start_leading(self) -> None:
        logger.info("Scheduler %s is leader: starting jobs", self.holder)
        scheduler = AsyncIOScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=dt.UTC,
        )
        scheduler.add_listener(self._job_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        now = self.clock()
        scheduler.add_job(
            jobs.scan_reminders,
            IntervalTrigger(minutes=self.settings.reminder_scan_minutes),
            id=REMINDER_SCAN,
            next_run_time=now,
        )
        # The misfire policy of late broadcasts is BROADCAST_MISFIRE_GRACE_MINUTES, applied by
        # scheduling.fire_broadcast from the row, not APScheduler's (the scan itself never is late).
        scheduler.add_job(
            jobs.fire_due_broadcasts,
            IntervalTrigger(seconds=self.settings.broadcast_scan_seconds),
            id=BROADCAST_SCAN,
            next_run_time=now,
        )
        # Feedback requests: keyed per workshop and attendee, so every scan may look again.
        scheduler.add_job(
            jobs.ask_feedback,
            IntervalTrigger(minutes=self.settings.reminder_scan_minutes),
            id=FEEDBACK_SCAN,
            next_run_time=now,
        )
        scheduler.start()
        self.scheduler = scheduler
        self.stepped_down.clear()
        self.leading.set()

    def _stop_leading(self) -> None:
        self.leading.clear()
        self.stepped_down.set()
        if self.scheduler is not None and self.scheduler.running:
            # Running jobs finish on their own; each is one transaction and idempotent.
            self.scheduler.shutdown(wait=False)
        self.scheduler = None

    def _job_event(self, event: JobExecutionEvent) -> None:
        if event.exception is not None:
            logger.error("Job %s failed: %r", event.job_id, event.exception)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.executed.put_nowait, event.job_id)
