"""Broadcast delivery at Telegram's limits: `python -m bench.broadcast [--recipients N]`.

Runs the real dispatcher process (`python -m scheduler.dispatcher`) against the Bot API emulator
in its own process, enforcing 30 msg/s and 1 msg/s per chat with 429s, for three scenarios:
`clean`; `faults` (2% of recipients blocked the bot, random 5xx answers and timeouts, seeded);
`kill` (kill -9 of the dispatcher once half is sent, restart, finish). Duplicates and losses
are counted from what the emulator delivered to each chat, not from our own records.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select

from asnkarier import db
from asnkarier.models import Employee, OutboxMessage, OutboxStatus, PositionKind, Rank, Unit, utcnow
from asnkarier.services import broadcasts
from asnkarier.services.seed import migrate_and_seed
from bench.machine import describe
from telegram_emulator import DEFAULT_TOKEN
from telegram_emulator.client import AsyncEmulatorClient
from tests.databases import DATA

ROOT = Path(__file__).resolve().parent.parent
FIRST_CHAT = 900_000_001
SEED = 7
# "Timeouts": the front proxy holds the request longer than the dispatcher waits, then gives up
# (504), so Telegram never took the message. A timeout after Telegram did take it cannot be told
# apart from this by any client; it would be a duplicate like a message in flight at a crash.
SEND_TIMEOUT = 2.0
FAULTS = [
    {"method": "sendMessage", "status": 500, "probability": 0.007},
    {"method": "sendMessage", "status": 502, "probability": 0.003},
    {"method": "sendMessage", "delay": SEND_TIMEOUT + 1, "status": 504, "probability": 0.005},
]
BLOCKED_SHARE = 0.02
LEASE_SECONDS = 5


@dataclass
class Result:
    name: str
    recipients: int
    rate: float
    duplicates: int
    lost: int
    in_flight: int | None = None

    def line(self) -> str:
        text = (
            f"{self.name}: {self.recipients} recipients, {self.rate:.1f} msg/s, "
            f"duplicates {self.duplicates}, lost {self.lost}"
        )
        return text + (
            f", in-flight at kill {self.in_flight}" if self.in_flight is not None else ""
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _emulator(port: int, faults: list[dict[str, Any]]) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "telegram_emulator", "--port", str(port), "--seed", str(SEED)]
    args += ["--log-level", "WARNING", "--rate-limit"]
    for rule in faults:
        args += ["--fault", json.dumps(rule)]
    return subprocess.Popen(args, cwd=ROOT)


def _dispatcher(url: str, base_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_BASE_URL": base_url,
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "OUTBOX_SEND_TIMEOUT_SECONDS": str(SEND_TIMEOUT),
        "OUTBOX_RETRY_BASE_SECONDS": "1",
        "METRICS_PORT": "0",
        "LOG_LEVEL": "ERROR",
    }
    return subprocess.Popen([sys.executable, "-m", "scheduler.dispatcher"], cwd=ROOT, env=env)


def _prepare_db(url: str, recipients: int) -> list[int]:
    """Migrate, seed content, add `recipients` linked employees and one broadcast to all."""
    migrate_and_seed(url, DATA)
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    chats = list(range(FIRST_CHAT, FIRST_CHAT + recipients))
    with sessions.begin() as session:
        unit_ids = list(session.scalars(select(Unit.id)))
        rank_ids = list(session.scalars(select(Rank.id)))
        rows = [
            {
                "nip": f"1980010120050{n:05d}",
                "name": f"Pegawai Bench {n}",
                "sex": "L",
                "birth_date": utcnow().date().replace(year=1980),
                "unit_id": unit_ids[n % len(unit_ids)],
                "position_title": "Pengolah Data",
                "position_kind": PositionKind.PELAKSANA,
                "rank_id": rank_ids[n % len(rank_ids)],
                "telegram_user_id": chat,
                "telegram_chat_id": chat,
            }
            for n, chat in enumerate(chats)
        ]
        session.execute(insert(Employee), rows)
    with sessions.begin() as session:
        now = utcnow()
        created = broadcasts.create(session, text="Pengumuman uji beban.", segment={}, now=now)
        broadcasts.materialize(session, created.id, now)
    engine.dispose()
    return chats


async def _register(control: str, chats: list[int], blocked: set[int]) -> None:
    async with AsyncEmulatorClient(control, timeout=60) as tg:
        for start in range(0, len(chats), 200):
            part = chats[start : start + 200]
            await asyncio.gather(*(tg.register_user(c, first_name="Bench") for c in part))
        for chat in sorted(blocked):
            await tg.block(chat)


async def _delivered(control: str) -> tuple[Counter[int], float]:
    """Messages each chat received (from the emulator's log) and the sending time span."""
    async with httpx.AsyncClient(timeout=120) as client:
        response = await client.get(f"{control}/requests", params={"method": "sendMessage"})
        log = response.json()["result"]
    per_chat: Counter[int] = Counter()
    times = [r["time"] for r in log]
    for record in log:
        if record["status"] == 200:
            per_chat[int(record["chat_id"])] += 1
    return per_chat, (max(times) - min(times)) if times else 0.0


def _wait_health(control: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{control}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the emulator did not start")


def _counts(url: str) -> dict[str, int]:
    engine = db.make_engine(url)
    try:
        with db.make_sessionmaker(engine)() as session:
            query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            return {OutboxStatus(s).value: int(n) for s, n in session.execute(query)}
    finally:
        engine.dispose()


def _wait_until(url: str, done: Any, timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = _counts(url)
        if done(counts):
            return counts
        time.sleep(0.2)
    raise SystemExit(f"timed out; outbox: {_counts(url)}")


def _legitimately_failed(url: str) -> set[int]:
    """Chats whose message failed for a reason that is not ours to fix (they blocked the bot)."""
    engine = db.make_engine(url)
    try:
        with db.make_sessionmaker(engine)() as session:
            query = select(OutboxMessage.chat_id).where(
                OutboxMessage.status == OutboxStatus.FAILED,
                OutboxMessage.failure_reason == "blocked",
            )
            return set(session.scalars(query))
    finally:
        engine.dispose()


def run_scenario(name: str, recipients: int, workdir: Path) -> Result:
    url = f"sqlite:///{workdir / name}.db"
    chats = _prepare_db(url, recipients)
    rng = random.Random(SEED)
    blocked = set(rng.sample(chats, int(recipients * BLOCKED_SHARE))) if name == "faults" else set()
    port = _free_port()
    emulator = _emulator(port, FAULTS if name == "faults" else [])
    control, base_url = f"http://127.0.0.1:{port}/_control", f"http://127.0.0.1:{port}/bot"
    in_flight: int | None = None
    try:
        _wait_health(control)
        asyncio.run(_register(control, chats, blocked))
        total = len(chats)
        finished = lambda c: c.get("pending", 0) + c.get("sending", 0) == 0  # noqa: E731
        dispatcher = _dispatcher(url, base_url)
        try:
            if name == "kill":
                _wait_until(url, lambda c: c.get("sent", 0) >= total // 2, 3600)
                dispatcher.send_signal(signal.SIGKILL)
                dispatcher.wait()
                in_flight = _counts(url).get("sending", 0)
                dispatcher = _dispatcher(url, base_url)
            _wait_until(url, finished, 3600)
        finally:
            dispatcher.send_signal(signal.SIGTERM)
            dispatcher.wait(timeout=60)
        per_chat, span = asyncio.run(_delivered(control))
    finally:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=30)
    excused = _legitimately_failed(url)
    assert excused <= blocked, "a chat that never blocked the bot was failed as blocked"
    duplicates = sum(n - 1 for n in per_chat.values() if n > 1)
    lost = sum(1 for chat in chats if per_chat[chat] == 0 and chat not in excused)
    processed = sum(1 for chat in chats if per_chat[chat] > 0) + len(excused)
    return Result(name, recipients, processed / span if span else 0.0, duplicates, lost, in_flight)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=__doc__)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument(
        "--scenarios", default="clean,faults,kill", help="comma-separated: clean, faults, kill"
    )
    args = parser.parse_args()
    print(describe(), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-broadcast-") as tmp:
        for name in args.scenarios.split(","):
            if name not in {"clean", "faults", "kill"}:
                raise SystemExit(f"unknown scenario {name!r}")
            print(run_scenario(name, args.recipients, Path(tmp)).line(), flush=True)


if __name__ == "__main__":
    main()
