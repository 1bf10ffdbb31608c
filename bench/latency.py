"""End-to-end turn latency through the real bot process, Rasa server and action server.

A turn is timed from the user's message injected at the Bot API emulator to the last message of
the bot's answer received there. Run: `.venv/bin/python -m bench.latency [--users 20]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from asnkarier import db
from asnkarier.services.seed import migrate_and_seed
from bench.machine import describe
from telegram_emulator.client import AsyncEmulatorClient
from tests.conftest import DATA
from tests.e2e.bot_process import bot_env, start_bot
from tests.e2e.stack import ROOT, Process, free_port, running_stack, start, wait_http
from tests.factories import make_employee

TOKEN = "4000000004:latency-bench"  # noqa: S105 - only this run's emulator takes it
FIRST_USER = 990_001
# Stateless questions (no form is left open), answered from the database for linked employees.
QUESTIONS = [
    "halo selamat pagi",
    "kapan tenggat SKP tahun ini?",
    "apa syarat kenaikan pangkat reguler?",
    "kapan periode usul kenaikan pangkat berikutnya?",
    "ada workshop apa saja bulan ini?",
    "berapa JP saya tahun ini?",
    "jenjang karier analis kepegawaian bagaimana?",
    "lihat profil saya",
    "pelatihan apa yang cocok untuk saya?",
    "cara mengisi e-kinerja bagaimana?",
]


@dataclass(frozen=True)
class EmulatorProcess:
    """The emulator as its own process, so the load client does not share its GIL."""

    process: Process
    url: str
    token: str = TOKEN

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def control_url(self) -> str:
        return f"{self.url}/_control"


@contextmanager
def running_bot_stack(
    database_url: str, logs: Path, rasa_env: dict[str, str] | None = None
) -> Iterator[tuple[EmulatorProcess, int]]:
    """Rasa, actions (tests/e2e/stack.py), the emulator and the bot; yields the emulator and
    the bot's metrics port."""
    with running_stack(database_url, logs, rasa_env=rasa_env) as stack:
        port, metrics_port = free_port(), free_port()
        emulator_args = [
            sys.executable, "-m", "telegram_emulator", "--port", str(port), "--token", TOKEN,
            "--no-rate-limit", "--log-level", "WARNING",
        ]  # fmt: skip
        process = start("emulator", emulator_args, {}, ROOT, logs)
        emulator = EmulatorProcess(process, f"http://127.0.0.1:{port}")
        bot = None
        try:
            wait_http(process, f"{emulator.control_url}/health", 30)
            env = bot_env(
                emulator,
                stack.rasa_url,
                database_url,
                stack.action_url,
                METRICS_PORT=str(metrics_port),
                LOG_LEVEL="WARNING",
                FLOOD_LIMIT_PER_MINUTE="1000",
            )
            bot = start_bot(env, logs)
            wait_http(bot, f"http://127.0.0.1:{metrics_port}/metrics", 60)
            yield emulator, metrics_port
        finally:
            if bot is not None:
                bot.stop()
            process.stop()


@dataclass
class User:
    user_id: int
    seen: int = 0  # last bot message id in this chat
    expected: dict[str, int] = field(default_factory=dict)


async def turn(tg: AsyncEmulatorClient, user: User, text: str, messages: int) -> float:
    """Send `text`, wait for the `messages` bot messages that answer it; seconds taken."""
    started = time.perf_counter()
    await tg.send_text(user.user_id, text, first_name="Bench")
    replies = await tg.wait_for(user.user_id, messages, timeout=60, after=user.seen)
    took = time.perf_counter() - started
    user.seen = max(m["message_id"] for m in replies)
    return took


async def learn_answers(tg: AsyncEmulatorClient, user: User) -> dict[str, int]:
    """How many messages answer each question (answers do not change during the run)."""
    counts = {}
    for text in QUESTIONS:
        await turn(tg, user, text, 1)
        await asyncio.sleep(1.5)  # let a multi-message answer finish before counting it
        latest = await tg.messages(user.user_id)
        counts[text] = sum(1 for m in latest if m["message_id"] > user.seen) + 1
        user.seen = max(m["message_id"] for m in latest)
    return counts


async def run_users(
    tg: AsyncEmulatorClient,
    users: list[User],
    turns: int,
    counts: dict[str, int],
    *,
    think: tuple[float, float] = (0.0, 0.0),
    seed: int = 1,
) -> tuple[list[float], float]:
    """Each user asks `turns` questions, reading each answer for a random `think` time (seconds)
    before the next (and starting within one think time, as people do); latencies, wall time."""
    rng = random.Random(seed)
    plans = [[rng.choice(QUESTIONS) for _ in range(turns)] for _ in users]
    pauses = [[rng.uniform(*think) for _ in range(turns)] for _ in users]

    async def one(user: User, plan: list[str], pause: list[float]) -> list[float]:
        took = []
        for text, wait in zip(plan, pause, strict=True):
            await asyncio.sleep(wait)
            took.append(await turn(tg, user, text, counts[text]))
        return took

    started = time.perf_counter()
    results = await asyncio.gather(
        *(one(u, p, w) for u, p, w in zip(users, plans, pauses, strict=True))
    )
    return [t for r in results for t in r], time.perf_counter() - started


def histogram(metrics_port: int) -> dict[float, float]:
    """The bot's own reply-latency histogram (received → last reply sent): bucket → count."""
    text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
    buckets: dict[float, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name == "asnbot_reply_latency_seconds":
            for sample in family.samples:
                if sample.name.endswith("_bucket"):
                    buckets[float(sample.labels["le"])] = sample.value
    return buckets


def within(before: dict[float, float], after: dict[float, float], limit: float) -> str:
    total = after[float("inf")] - before.get(float("inf"), 0.0)
    inside = after[limit] - before.get(limit, 0.0)
    return f"{100 * inside / total:.0f}%" if total else "-"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(
    emulator: EmulatorProcess,
    metrics_port: int,
    users: int,
    turns: int,
    solo_turns: int,
    think: tuple[float, float],
) -> list[str]:
    async with AsyncEmulatorClient(emulator.control_url, timeout=90) as tg:
        people = [User(FIRST_USER + i) for i in range(users + 1)]
        counts = await learn_answers(tg, people[-1])  # also warms Rasa and the database up
        phases = [
            ("1, back to back", people[:1], solo_turns, (0.0, 0.0)),
            (f"{users}, reading {think[0]:g}-{think[1]:g} s", people[:users], turns, think),
            (f"{users}, back to back", people[:users], turns, (0.0, 0.0)),
        ]
        rows = []
        for label, group, n, pause in phases:
            before = histogram(metrics_port)
            latencies, wall = await run_users(tg, group, n, counts, think=pause, seed=len(rows))
            after = histogram(metrics_port)
            rows.append(
                f"| {label} | {len(latencies)} | {1000 * statistics.median(latencies):.0f} ms "
                f"| {1000 * percentile(latencies, 0.95):.0f} ms "
                f"| {1000 * max(latencies):.0f} ms | {len(latencies) / wall:.1f} "
                f"| {within(before, after, 0.3)} |"
            )
        for user in people:  # a turn answered with more messages than learned would show here
            extra = [m for m in await tg.messages(user.user_id) if m["message_id"] > user.seen]
            if extra:
                rows.append(f"warning: user {user.user_id} got {len(extra)} unexpected messages")
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=20, help="concurrent users")
    parser.add_argument("--turns", type=int, default=10, help="turns per user when concurrent")
    parser.add_argument("--solo-turns", type=int, default=40, help="turns of the single user")
    parser.add_argument(
        "--think", type=float, nargs=2, default=(2.0, 5.0), metavar=("MIN", "MAX"),
        help="seconds a user reads an answer before the next question (phone pace)",
    )  # fmt: skip
    parser.add_argument("--database-url", help="a migrated, seeded database (default: SQLite)")
    parser.add_argument(
        "--rasa-env", nargs="*", default=[], metavar="NAME=VALUE",
        help="extra environment of the Rasa server (e.g. TF_INTRA_OP_PARALLELISM_THREADS=1)",
    )  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        if not args.database_url:
            migrate_and_seed(url, DATA)
        engine = db.make_engine(url)
        with db.make_sessionmaker(engine).begin() as session:
            for i in range(args.users + 1):
                make_employee(session, chat_id=FIRST_USER + i)
        engine.dispose()
        print("starting Rasa, the action server, the emulator and the bot ...", flush=True)
        rasa_env = dict(item.split("=", 1) for item in args.rasa_env)
        with running_bot_stack(url, Path(tmp), rasa_env) as (emulator, metrics_port):
            rows = asyncio.run(
                measure(
                    emulator,
                    metrics_port,
                    args.users,
                    args.turns,
                    args.solo_turns,
                    tuple(args.think),
                )
            )
    print(describe())
    print(f"database: {url.split(':', 1)[0]}; {len(QUESTIONS)} questions, linked employees")
    if args.rasa_env:
        print(f"Rasa environment: {' '.join(args.rasa_env)}")
    print("| users | turns | p50 | p95 | max | turns/s | bot: ≤ 300 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
