"""Reminder scan speed and memory: `python -m bench.reminders [--pending N] [--backend ...]`.

Fills a fresh, migrated and seeded database with N fictional linked employees (a third each in
WIB, WITA and WIT; bulk inserts) and one appraisal deadline, then times, in this process, the
scan that finds the N reminders due at the 7-days-before slot, enqueueing them in the outbox, a
re-scan of the same window (idempotent: nothing added) and an ordinary scan with nothing due.
"find due" lists every reminder as an object (as the tests see them); "scan" is what the
scheduler runs: the plan (slots), then one INSERT ... SELECT per slot into the outbox.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

from asnkarier import db
from asnkarier.models import AppraisalEvent, Employee, PositionKind, Rank, Role, Unit
from asnkarier.services import reminders
from asnkarier.services.seed import migrate_and_seed
from bench.machine import describe
from tests.databases import DATA, DatabaseFactory

ROOT = Path(__file__).resolve().parent.parent
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
DEADLINE = dt.date(2031, 3, 20)
CHUNK = 5_000


def _fill(url: str, employees: int) -> int:
    """Migrate, seed content, N employees and the deadline; returns the appraisal event id."""
    migrate_and_seed(url, DATA)
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as session:
        unit_id = session.scalars(select(Unit.id)).first()
        rank_id = session.scalar(select(Rank.id).where(Rank.code == "III/a"))
        now = dt.datetime.now(dt.UTC)
        for start in range(0, employees, CHUNK):
            rows = [
                {
                    "nip": f"1990010120150{n:05d}",
                    "name": f"Pegawai Fiktif {n}",
                    "sex": "L",
                    "birth_date": dt.date(1990, 1, 1),
                    "unit_id": unit_id,
                    "position_title": "Pengolah Data",
                    "position_kind": PositionKind.PELAKSANA,
                    "rank_id": rank_id,
                    "role": Role.EMPLOYEE,
                    "timezone": ZONES[n % 3],
                    "is_active": True,
                    "reminders_enabled": True,
                    "telegram_user_id": 5_000_000_000 + n,
                    "telegram_chat_id": 5_000_000_000 + n,
                    "bot_blocked": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(start, min(start + CHUNK, employees))
            ]
            session.execute(insert(Employee), rows)
        event = AppraisalEvent(
            code="bench-2031",
            template_code="bench",
            name="Evaluasi kinerja periodik",
            kind="evaluasi_periodik",
            deadline=DEADLINE,
            covers_year=2031,
        )
        session.add(event)
        session.flush()
        event_id = event.id
    engine.dispose()
    return event_id


def _rss_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _run(url: str, pending: int) -> str:
    _fill(url, pending)
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    day = DEADLINE - dt.timedelta(days=7)
    since = reminders.at_local(day, 8, "Asia/Jayapura") - dt.timedelta(minutes=1)
    now = reminders.at_local(day, 8, "Asia/Jakarta") + dt.timedelta(minutes=1)
    rss_before = _rss_mib()
    try:
        with sessions.begin() as session:  # what the scheduler runs: plan, then INSERT ... SELECT
            started = time.perf_counter()
            slots = reminders.due_slots(session, now, since)
            planned = time.perf_counter() - started
            started = time.perf_counter()
            added = reminders.enqueue(session, slots.due, now)
            enqueued = time.perf_counter() - started
        with sessions.begin() as session:
            started = time.perf_counter()
            again = reminders.enqueue(session, reminders.due_slots(session, now, since).due, now)
            rescan = time.perf_counter() - started
        with sessions.begin() as session:
            later = now + dt.timedelta(minutes=5)
            started = time.perf_counter()
            idle = reminders.due_slots(session, later + dt.timedelta(minutes=5), later)
            quiet = time.perf_counter() - started
    finally:
        engine.dispose()
    if added != pending or again != 0 or idle.due:
        raise SystemExit(
            f"wrong result: added {added}, re-added {again}, "
            f"idle slots {len(idle.due)} (expected {pending}, 0, 0)"
        )
    return (
        f"scan {planned + enqueued:.2f} s "
        f"(plan {planned * 1000:.0f} ms + enqueue {enqueued:.2f} s, "
        f"{pending / (planned + enqueued):,.0f} reminders/s), re-scan {rescan:.2f} s (0 added), "
        f"idle scan {quiet * 1000:.0f} ms, peak RSS {_rss_mib()} MiB "
        f"(before the scan {rss_before} MiB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=50_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    if args.backend == "both":
        print(describe(), flush=True)
        for backend in ("sqlite", "postgresql"):  # one process each: peak RSS per backend
            command = [sys.executable, "-m", "bench.reminders", "--backend", backend]
            subprocess.run([*command, "--pending", str(args.pending)], check=True, cwd=ROOT)
        return
    with tempfile.TemporaryDirectory() as tmp:
        databases = DatabaseFactory(args.backend, Path(tmp), prefix="asnbot_bench")
        try:
            line = _run(databases.new_url(), args.pending)
        finally:
            databases.close()
    print(f"reminder scan {args.backend}: {args.pending} pending, {line}")


if __name__ == "__main__":
    main()
