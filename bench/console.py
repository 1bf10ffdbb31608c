"""Console page times at scale: `python -m bench.console [--employees N] [--backend ...]`.

Builds 10,000 employees (70% linked, some with JP this year) and 10 broadcasts of 10,000
outbox rows each (100,000 rows: sent, read, failed by reason, pending), signs an officer in and
times the Beranda (`/`), a broadcast's page (`/pengumuman/ID`, report and its chart over time
included) and its
progress part (`/pengumuman/ID/progres`, what htmx polls every 2 s), through the whole app
(FastAPI, templates, DB) in process, p50/p95 over repeated requests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from asnkarier import db
from asnkarier.models import (
    Broadcast,
    BroadcastStatus,
    CompetencyHours,
    Employee,
    OutboxMessage,
    OutboxStatus,
    PositionKind,
    Rank,
    Role,
    Unit,
    utcnow,
)
from asnkarier.services import broadcasts, console_auth
from asnkarier.services.outbox_keys import BROADCAST
from asnkarier.services.seed import migrate_and_seed
from asnkarier.settings import Settings
from bench.machine import describe
from tests.databases import DATA, DatabaseFactory
from web.app import create_app

BROADCASTS = 10
REASONS = ("blocked", "chat_not_found", "max_attempts")


def _prepare(url: str, employees: int) -> tuple[int, int]:
    """Fill the database; returns (officer id, id of the last broadcast)."""
    migrate_and_seed(url, DATA)
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    now = utcnow()
    with sessions.begin() as s:
        unit_ids = list(s.scalars(select(Unit.id)))
        rank_ids = list(s.scalars(select(Rank.id)))
        rows = [
            {
                "nip": f"1981020220060{n:05d}",
                "name": f"Pegawai Bench {n}",
                "sex": "P" if n % 2 else "L",
                "birth_date": dt.date(1981, 2, 2),
                "unit_id": unit_ids[n % len(unit_ids)],
                "position_title": "Analis",
                "position_kind": PositionKind.FUNGSIONAL,
                "rank_id": rank_ids[n % len(rank_ids)],
                "role": Role.HR_ADMIN if n == 0 else Role.EMPLOYEE,
                "telegram_user_id": 800_000_000 + n if n % 10 < 7 else None,
                "telegram_chat_id": 800_000_000 + n if n % 10 < 7 else None,
            }
            for n in range(employees)
        ]
        s.execute(insert(Employee), rows)
        ids = list(s.scalars(select(Employee.id).order_by(Employee.id)))
        s.execute(
            insert(CompetencyHours),
            [
                {
                    "employee_id": e,
                    "year": now.year,
                    "jp": 8 * (1 + i % 4),
                    "activity": "Diklat",
                    "completed_on": now.date(),
                    "source": "bench",
                }
                for i, e in enumerate(ids[::2])
            ],
        )
    last = 0
    for b in range(BROADCASTS):
        with sessions.begin() as s:
            broadcast = Broadcast(
                text="Pengumuman uji beban.",
                segment={},
                status=BroadcastStatus.DONE,
                recipients=len(ids),
                created_at=now - dt.timedelta(days=b),
                started_at=now,
                finished_at=now,
                created_by_id=ids[0],
            )
            s.add(broadcast)
            s.flush()
            last = broadcast.id
            outbox = []
            for i, e in enumerate(ids):
                failed = i % 50 == 0
                outbox.append(
                    {
                        "idempotency_key": BROADCAST(broadcast.id, e),
                        "kind": "broadcast",
                        "employee_id": e,
                        "broadcast_id": broadcast.id,
                        "chat_id": 800_000_000 + i,
                        "text": "Pengumuman uji beban.",
                        "status": OutboxStatus.FAILED if failed else OutboxStatus.SENT,
                        "failure_reason": REASONS[i % 3] if failed else None,
                        "attempts": 1,
                        "not_before": now,
                        "created_at": now,
                        # Spread over about 45 minutes, as 30 msg/s would: the report's chart
                        # has one bucket per minute of sending and reading.
                        "sent_at": None if failed else now - dt.timedelta(seconds=i * 0.27),
                        "read_at": (
                            now - dt.timedelta(seconds=i * 0.27) + dt.timedelta(minutes=i % 30)
                            if i % 3 == 0 and not failed
                            else None
                        ),
                        "failed_at": now - dt.timedelta(seconds=i * 0.27) if failed else None,
                    }
                )
            s.execute(insert(OutboxMessage), outbox)
    engine.dispose()
    return ids[0], last


def _time(client: TestClient, path: str, repeat: int) -> tuple[float, float]:
    client.get(path)  # warm the caches and the template
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    print(describe())
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory() as tmp_name:
        for backend in backends:
            databases = DatabaseFactory(backend, Path(tmp_name), prefix="asnbot_bench")
            url = databases.new_url()
            try:
                officer, broadcast_id = _prepare(url, args.employees)
                engine = db.make_engine(url)
                sessions = db.make_sessionmaker(engine)
                settings = Settings(  # type: ignore[call-arg]
                    _env_file=None, database_url=url, web_secret_key=secrets.token_urlsafe(32)
                )
                with sessions.begin() as s:
                    token = console_auth.issue_link(
                        s, officer, utcnow(), valid_minutes=10, per_hour=5, via="bench"
                    )
                client = TestClient(create_app(settings, sessions))
                assert client.post(f"/masuk/{token}", follow_redirects=False).status_code == 303
                for name, path in (
                    ("beranda", "/"),
                    ("broadcast page (report, chart)", f"/pengumuman/{broadcast_id}"),
                    ("progress part", f"/pengumuman/{broadcast_id}/progres"),
                    ("broadcast list", "/pengumuman"),
                ):
                    p50, p95 = _time(client, path, args.repeat)
                    print(
                        f"{backend} {name}: p50 {p50:.0f} ms, p95 {p95:.0f} ms "
                        f"({args.employees} employees, {BROADCASTS * args.employees} outbox rows)"
                    )
                # The chart's two grouped queries alone (core, no HTTP or template).
                samples = []
                for _ in range(args.repeat):
                    with sessions() as s:
                        started = time.perf_counter()
                        assert broadcasts.timeline(s, broadcast_id) is not None
                        samples.append((time.perf_counter() - started) * 1000)
                samples.sort()
                p50, p95 = statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]
                print(f"{backend} chart query (timeline): p50 {p50:.0f} ms, p95 {p95:.0f} ms")
                engine.dispose()
            finally:
                databases.close()


if __name__ == "__main__":
    main()
