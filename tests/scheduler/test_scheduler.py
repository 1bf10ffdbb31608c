"""Scheduler process: leader lease, and scheduled broadcasts fired from their rows exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from asnkarier import db
from asnkarier.models import (
    Broadcast,
    BroadcastStatus,
    OutboxMessage,
    ScheduledBroadcastRun,
    SchedulerLease,
    utcnow,
)
from asnkarier.services import broadcasts, scheduling
from asnkarier.services.seed import migrate_and_seed
from asnkarier.settings import Settings
from scheduler import jobs
from scheduler.service import BROADCAST_SCAN, FEEDBACK_SCAN, SchedulerService
from tests.conftest import DATA
from tests.factories import make_employee

TTL = dt.timedelta(seconds=30)
T0 = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)


def test_lease_is_held_by_one_holder_until_it_expires(session: Session) -> None:
    name = "lease-test-1"
    assert scheduling.acquire(session, "a", T0, TTL, name)
    assert not scheduling.acquire(session, "b", T0 + dt.timedelta(seconds=1), TTL, name)
    # a renews at 10 s: the lease now runs to 40 s, so b still waits at 35 s
    assert scheduling.acquire(session, "a", T0 + dt.timedelta(seconds=10), TTL, name)
    assert not scheduling.acquire(session, "b", T0 + dt.timedelta(seconds=35), TTL, name)
    # a stopped renewing (crash): b takes over exactly when the lease expires
    assert not scheduling.acquire(session, "b", T0 + dt.timedelta(seconds=39), TTL, name)
    assert scheduling.acquire(session, "b", T0 + dt.timedelta(seconds=40), TTL, name)
    held = scheduling.lease(session, name)
    assert held is not None
    assert (held.holder, held.acquired_at) == ("b", T0 + dt.timedelta(seconds=40))
    # a comes back: it must not lead again while b renews
    assert not scheduling.acquire(session, "a", T0 + dt.timedelta(seconds=41), TTL, name)
    scheduling.release(session, "a", name)  # releasing someone else's lease does nothing
    assert not scheduling.acquire(session, "a", T0 + dt.timedelta(seconds=42), TTL, name)
    scheduling.release(session, "b", name)
    assert scheduling.acquire(session, "a", T0 + dt.timedelta(seconds=43), TTL, name)


def test_racing_instances_never_both_get_the_lease(engine: Engine) -> None:
    sessions = db.make_sessionmaker(engine)
    name = f"lease-race-{utcnow().timestamp()}"
    start = threading.Barrier(6)
    wins: list[str] = []

    def contend(holder: str) -> None:
        start.wait()
        with sessions.begin() as session:
            if scheduling.acquire(session, holder, T0, TTL, name):
                wins.append(holder)

    try:
        for _round in range(3):
            threads = [threading.Thread(target=contend, args=(f"h{i}",)) for i in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert len(wins) == 1, wins
            with sessions.begin() as session:
                scheduling.release(session, wins.pop(), name)
    finally:
        with sessions.begin() as session:
            session.execute(text("DELETE FROM scheduler_leases WHERE name = :n"), {"n": name})


# --- the scheduler process ------------------------------------------------------------------


@pytest.fixture
def migrated(fresh_db_url: str) -> Iterator[tuple[str, Engine]]:
    migrate_and_seed(fresh_db_url, DATA)
    engine = db.make_engine(fresh_db_url)
    yield fresh_db_url, engine
    engine.dispose()


def _settings(url: str) -> Settings:
    return Settings(_env_file=None, database_url=url, broadcast_scan_seconds=1)  # type: ignore[call-arg]


@asynccontextmanager
async def running(
    url: str, engine: Engine, holder: str, lease_seconds: float = 3.0
) -> AsyncIterator[tuple[SchedulerService, asyncio.Event]]:
    service = SchedulerService(
        _settings(url),
        db.make_sessionmaker(engine),
        holder=holder,
        lease_seconds=lease_seconds,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    try:
        yield service, stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def _until(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), 30)


async def test_second_instance_stands_by_and_takes_over(migrated: tuple[str, Engine]) -> None:
    url, engine = migrated
    async with running(url, engine, "first") as (first, stop_first):
        await _until(first.leading)
        async with running(url, engine, "second") as (second, _):
            await _until(second.standby)
            assert first.is_leader
            assert not second.is_leader
            stop_first.set()  # clean stop releases the lease
            await _until(second.leading)
            assert not first.is_leader
            with db.make_sessionmaker(engine).begin() as session:
                held = scheduling.lease(session)
                assert held is not None
                assert held.holder == "second"


async def test_crashed_leader_is_replaced_only_after_its_lease_expires(
    migrated: tuple[str, Engine],
) -> None:
    url, engine = migrated
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as session:  # a leader that died without releasing its lease
        assert scheduling.acquire(session, "crashed", utcnow(), dt.timedelta(seconds=2))
        lease = scheduling.lease(session)
        assert lease is not None
        expires = lease.expires_at
    async with running(url, engine, "survivor") as (survivor, _):
        await _until(survivor.standby)
        assert not survivor.is_leader
        await _until(survivor.leading)
        assert utcnow() >= expires


async def test_a_leader_that_loses_its_lease_stops_its_jobs(migrated: tuple[str, Engine]) -> None:
    url, engine = migrated
    sessions = db.make_sessionmaker(engine)
    async with running(url, engine, "first") as (first, _):
        await _until(first.leading)
        with sessions.begin() as session:  # e.g. the DB clock jumped: someone else took it
            session.execute(
                text("UPDATE scheduler_leases SET holder = 'thief', expires_at = :far"),
                {"far": dt.datetime(2099, 1, 1)},
            )
        await _until(first.stepped_down)
        assert not first.is_leader
        assert first.scheduler is None


def _scheduled_broadcast(
    sessions: sessionmaker[Session], at: dt.datetime, recipients: int = 3
) -> int:
    with sessions.begin() as session:
        for i in range(recipients):
            make_employee(session, chat_id=8_100_000 + i)
        broadcast = Broadcast(
            text="Pengumuman uji terjadwal.",
            segment={},
            status=BroadcastStatus.SCHEDULED,
            scheduled_at=at,
            created_at=utcnow(),
        )
        session.add(broadcast)
        session.flush()
        return broadcast.id


def _outbox_rows(sessions: sessionmaker[Session], broadcast_id: int) -> int:
    with sessions.begin() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.broadcast_id == broadcast_id)
            )
        )


async def _scan(service: SchedulerService) -> None:
    """Wait until the leader's broadcast scan has run once more."""
    while await asyncio.wait_for(service.executed.get(), 30) != BROADCAST_SCAN:
        pass


async def test_scheduled_broadcast_fires_from_its_row_once_across_restarts(
    migrated: tuple[str, Engine],
) -> None:
    url, engine = migrated
    sessions = db.make_sessionmaker(engine)
    later = _scheduled_broadcast(sessions, utcnow() + dt.timedelta(hours=2))
    due = _scheduled_broadcast(sessions, utcnow() - dt.timedelta(minutes=5), recipients=0)
    with sessions.begin() as session:
        expected = broadcasts.count_recipients(session, {})
    assert expected >= 3
    async with running(url, engine, "first") as (first, _):
        await _until(first.leading)
        await _scan(first)
        assert first.scheduler is not None
        assert {job.id for job in first.scheduler.get_jobs()} == {
            "reminder-scan",
            BROADCAST_SCAN,
            FEEDBACK_SCAN,
        }
    assert _outbox_rows(sessions, due) == expected
    assert _outbox_rows(sessions, later) == 0
    # A restart, and HR moves the later one forward meanwhile: the row is the schedule.
    with sessions.begin() as session:
        broadcasts.get(session, later).scheduled_at = utcnow() - dt.timedelta(seconds=1)
    async with running(url, engine, "second") as (second, _):
        await _until(second.leading)
        await _scan(second)
        await _scan(second)
    assert _outbox_rows(sessions, due) == expected  # not again
    assert _outbox_rows(sessions, later) == expected
    with sessions.begin() as session:
        run = session.get(ScheduledBroadcastRun, due)
        assert run is not None
        assert run.outcome == f"sent: {expected} messages enqueued"
        # firing again by hand (two schedulers, a restart mid-scan) adds nothing
        assert (
            scheduling.fire_broadcast(session, due, utcnow(), dt.timedelta(hours=1))
            == "already fired"
        )
        assert session.get(Broadcast, due).status == BroadcastStatus.SENDING  # type: ignore[union-attr]
    assert _outbox_rows(sessions, due) == expected


async def test_a_cancelled_scheduled_broadcast_never_fires(migrated: tuple[str, Engine]) -> None:
    url, engine = migrated
    sessions = db.make_sessionmaker(engine)
    broadcast_id = _scheduled_broadcast(sessions, utcnow() + dt.timedelta(seconds=2))
    with sessions.begin() as session:
        broadcasts.cancel(session, broadcast_id, utcnow())
    async with running(url, engine, "only") as (service, _):
        await _until(service.leading)
        await asyncio.sleep(2.5)
        await _scan(service)
    assert _outbox_rows(sessions, broadcast_id) == 0
    with sessions.begin() as session:
        assert session.get(ScheduledBroadcastRun, broadcast_id) is None
        assert broadcasts.get(session, broadcast_id).status == BroadcastStatus.CANCELLED


def test_racing_scans_fire_a_broadcast_once(migrated: tuple[str, Engine]) -> None:
    """Two schedulers (say a leader whose lease just lapsed and its successor) scan at once."""
    url, engine = migrated
    sessions = db.make_sessionmaker(engine)
    ago = utcnow() - dt.timedelta(minutes=1)
    ids = [_scheduled_broadcast(sessions, ago, recipients=3 if i == 0 else 0) for i in range(3)]
    with sessions.begin() as session:
        expected = broadcasts.count_recipients(session, {})
    jobs.bind(sessions, _settings(url))
    start = threading.Barrier(4)
    results: list[dict[int, str]] = []

    def scan() -> None:
        start.wait()
        results.append(jobs.fire_due_broadcasts())

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for broadcast_id in ids:
        sent = [r[broadcast_id] for r in results if r.get(broadcast_id, "").startswith("sent")]
        assert len(sent) == 1, results
        assert _outbox_rows(sessions, broadcast_id) == expected


def test_broadcast_too_late_after_downtime_is_dropped_with_a_reason(session: Session) -> None:
    broadcast = Broadcast(
        text="Pengumuman yang terlambat.",
        segment={},
        status=BroadcastStatus.SCHEDULED,
        scheduled_at=T0,
        created_at=T0,
    )
    session.add(broadcast)
    session.flush()
    outcome = scheduling.fire_broadcast(
        session, broadcast.id, T0 + dt.timedelta(hours=13), dt.timedelta(hours=12)
    )
    assert outcome == "dropped: 780 min late, more than the 720 allowed"
    assert broadcast.status == BroadcastStatus.CANCELLED
    count = session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.broadcast_id == broadcast.id)
    )
    assert count == 0
    assert session.get(ScheduledBroadcastRun, broadcast.id) is not None


def test_lease_row_model_round_trip(session: Session) -> None:
    session.add(SchedulerLease(name="lease-test-rt", holder="x", expires_at=T0, acquired_at=T0))
    session.flush()
    assert scheduling.lease(session, "lease-test-rt") is not None


def test_the_scan_drops_a_broadcast_missed_beyond_the_grace(migrated: tuple[str, Engine]) -> None:
    url, engine = migrated
    sessions = db.make_sessionmaker(engine)
    late = _scheduled_broadcast(sessions, utcnow() - dt.timedelta(minutes=90))
    recent = _scheduled_broadcast(sessions, utcnow() - dt.timedelta(minutes=30), recipients=0)
    settings = _settings(url).model_copy(update={"broadcast_misfire_grace_minutes": 60})
    jobs.bind(sessions, settings)
    outcomes = jobs.fire_due_broadcasts()
    assert outcomes[late] == "dropped: 90 min late, more than the 60 allowed"
    assert outcomes[recent].startswith("sent: ")
    assert _outbox_rows(sessions, late) == 0
    assert jobs.fire_due_broadcasts() == {}  # nothing due any more
