"""The scheduler process: wait for the leader lease, then run APScheduler while holding it.

While leading: an AsyncIOScheduler with two job stores. `default` is APScheduler's
SQLAlchemyJobStore on DATABASE_URL (table `apscheduler_jobs`) for HR-scheduled one-off jobs, one
DateTrigger job `broadcast:<id>` per scheduled broadcast, so they survive restarts; `memory`
holds the periodic reminder scan and the broadcast sync, rebuilt at every start. A standby
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
from apscheduler.job import Job  # type: ignore[import-untyped]
from apscheduler.jobstores.memory import MemoryJobStore  # type: ignore[import-untyped]
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore  # type: ignore[import-untyped]
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.date import DateTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import utcnow
from asnkarier.services import scheduling
from asnkarier.settings import Settings
from scheduler import jobs

logger = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"
BROADCAST_JOB = "broadcast:"
# Broadcasts further ahead get their job later: the job store holds days, not months.
BROADCAST_HORIZON = dt.timedelta(days=7)


def holder_name() -> str:
    """Who holds the lease, for logs and the lease row: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SchedulerService:
    """One scheduler instance: standby until it holds the lease, leader while it renews it."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        sessions: sessionmaker[Session],
        *,
        holder: str | None = None,
        lease_seconds: float | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.engine = engine
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
                    try:
                        self._start_leading()
                    except SQLAlchemyError:  # the job store could not load: stay standby
                        logger.exception("Scheduler could not start its jobs; retrying")
                        self._stop_leading()
                        await asyncio.to_thread(self._release_lease)
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
            jobstores={
                "default": SQLAlchemyJobStore(engine=self.engine, tablename=JOB_TABLE),
                "memory": MemoryJobStore(),
            },
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=dt.UTC,
        )
        scheduler.add_listener(self._job_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        now = self.clock()
        scheduler.add_job(
            jobs.scan_reminders,
            IntervalTrigger(minutes=self.settings.reminder_scan_minutes),
            id="reminder-scan",
            jobstore="memory",
            next_run_time=now,
            misfire_grace_time=None,
        )
        scheduler.add_job(
            self.sync_broadcasts,
            IntervalTrigger(seconds=self.settings.scheduler_sync_seconds),
            id="broadcast-sync",
            jobstore="memory",
            next_run_time=now,
            misfire_grace_time=None,
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

    async def sync_broadcasts(self) -> None:
        """Give every scheduled broadcast its DateTrigger job; drop jobs no longer wanted."""
        scheduler = self.scheduler
        if scheduler is None:
            return

        def wanted() -> dict[int, dt.datetime]:
            with self.sessions.begin() as session:
                return scheduling.broadcasts_to_schedule(session, self.clock(), BROADCAST_HORIZON)

        targets = await asyncio.to_thread(wanted)
        existing: dict[str, Job] = {
            job.id: job
            for job in scheduler.get_jobs(jobstore="default")
            if job.id.startswith(BROADCAST_JOB)
        }
        for broadcast_id, at in targets.items():
            job_id = f"{BROADCAST_JOB}{broadcast_id}"
            job = existing.pop(job_id, None)
            if job is None:
                # No misfire limit in APScheduler: scheduling.fire_broadcast applies the
                # downtime policy itself and records why a late broadcast was dropped.
                scheduler.add_job(
                    jobs.fire_broadcast,
                    DateTrigger(run_date=at),
                    args=[broadcast_id],
                    id=job_id,
                    jobstore="default",
                    misfire_grace_time=None,
                    replace_existing=True,
                )
                logger.info("Broadcast %d scheduled for %s", broadcast_id, at.isoformat())
            elif isinstance(job.trigger, DateTrigger) and job.trigger.run_date != at:
                job.reschedule(DateTrigger(run_date=at))
        for job in existing.values():  # cancelled or already fired
            job.remove()
