"""The outbox dispatcher against the Bot API emulator over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
import redis.asyncio as aioredis
from prometheus_client import REGISTRY
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.request import HTTPXRequest

from asnkarier import db
from asnkarier.models import Employee, OutboxMessage, OutboxStatus, utcnow
from asnkarier.services import broadcasts, outbox
from asnkarier.shared_state import SharedState
from scheduler.dispatcher import DispatchConfig, Dispatcher, SharedRateWindow
from telegram_emulator import EmulatorServer
from telegram_emulator.client import AsyncEmulatorClient
from tests.bot.emulator_support import server_fixture
from tests.conftest import ROOT, DatabaseFactory, RedisTarget
from tests.factories import make_employee

_users = itertools.count(810_000_001)
FAST = DispatchConfig(retry_base=0.05, retry_max=0.2, poll_interval=0.05, send_timeout=5.0)


server = server_fixture(rate_limit=True)  # Telegram's 30/s and 1/s per chat


@pytest.fixture
async def tg(server: EmulatorServer) -> AsyncIterator[AsyncEmulatorClient]:
    async with server.async_client() as client:
        await client.reset()
        yield client


@pytest.fixture
def url(db_factory: DatabaseFactory) -> str:
    """A fresh migrated and seeded database: the dispatcher commits, so no shared one."""
    return db_factory.new_seeded_url()


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    engine = db.make_engine(url)
    yield engine
    engine.dispose()


@asynccontextmanager
async def ptb(server: EmulatorServer, read_timeout: float = 5.0) -> AsyncIterator[Bot]:
    request = HTTPXRequest(connection_pool_size=64, read_timeout=read_timeout)
    async with Bot(server.token, base_url=server.base_url, request=request) as bot:
        yield bot


async def recipients(
    sessions: sessionmaker[Session], tg: AsyncEmulatorClient, count: int, *, known: bool = True
) -> list[int]:
    """`count` linked employees; with `known`, their chats exist at the emulator. Chat ids."""
    chats = [next(_users) for _ in range(count)]
    with sessions.begin() as session:
        for chat in chats:
            make_employee(session, chat_id=chat, nip=f"19900101201501{chat % 10_000:04d}")
    if known:
        await asyncio.gather(*(tg.register_user(chat, first_name="Uji") for chat in chats))
    return chats


def broadcast(sessions: sessionmaker[Session], text: str = "Pengumuman uji") -> int:
    with sessions.begin() as session:
        now = utcnow()
        created = broadcasts.create(session, text=text, segment={}, now=now)
        broadcasts.materialize(session, created.id, now)
        return created.id


async def dispatch(
    sessions: sessionmaker[Session], server: EmulatorServer, config: DispatchConfig = FAST
) -> Dispatcher:
    async with ptb(server, config.send_timeout) as bot:
        dispatcher = Dispatcher(sessions, bot, config, name="test")
        async with asyncio.timeout(120):
            await dispatcher.run(until_idle=True)
    return dispatcher


async def sent_per_chat(tg: AsyncEmulatorClient) -> Counter[int]:
    """Messages each chat really received, from the emulator's request log."""
    return Counter(
        int(r["chat_id"]) for r in await tg.requests("sendMessage") if r["status"] == 200
    )


def sent_metric(kind: str) -> float:
    value = REGISTRY.get_sample_value("asnbot_outbox_sent_total", {"kind": kind})
    return value or 0.0


def rows(sessions: sessionmaker[Session]) -> dict[int, OutboxMessage]:
    with sessions() as session:
        return {r.chat_id: r for r in session.scalars(select(OutboxMessage))}


async def test_a_broadcast_reaches_everyone_once_within_telegrams_limits(
    sessions: sessionmaker[Session], server: EmulatorServer, tg: AsyncEmulatorClient
) -> None:
    chats = await recipients(sessions, tg, 45)
    [repeat] = chats[:1]
    with sessions.begin() as session:  # three more for one chat: 1 message/s applies
        for n in range(3):
            outbox.enqueue(session, key=f"extra:{n}", kind="reminder", chat_id=repeat, text="x")
    broadcast_id = broadcast(sessions)
    before = sent_metric("broadcast"), sent_metric("reminder")

    dispatcher = await dispatch(sessions, server)

    assert await sent_per_chat(tg) == Counter({**dict.fromkeys(chats, 1), repeat: 4})
    log = await tg.requests("sendMessage")
    bad = [r for r in log if r["status"] == 429]
    for r in bad:
        print(
            "DBG",
            r["seq"],
            r["chat_id"],
            r["error"],
            r["time"],
            [
                (x["seq"], round(x["time"] - r["time"], 3))
                for x in log
                if x["chat_id"] == r["chat_id"]
            ],
            len([x for x in log if r["time"] - 1 < x["time"] <= r["time"] and x["status"] == 200]),
        )
    assert [r for r in log if r["status"] == 429] == []  # the emulator enforces 30/s, 1/s/chat
    times = sorted(r["time"] for r in log if r["chat_id"] == repeat)
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(times))
    assert dispatcher.stats.sent == 48
    assert (sent_metric("broadcast") - before[0], sent_metric("reminder") - before[1]) == (45, 3)
    with sessions() as session:
        report = broadcasts.report(session, broadcast_id)
        assert (report.sent, report.pending, report.failed) == (45, 0, {})
        assert report.status == "done"
    [message] = await tg.messages(chats[1])
    button = message["reply_markup"]["inline_keyboard"][0][0]
    assert button == {"text": "Sudah dibaca", "callback_data": f"dibaca:{broadcast_id}"}
    assert all(
        r.status == OutboxStatus.SENT and r.telegram_message_id for r in rows(sessions).values()
    )


async def test_retry_after_pauses_all_sending(
    sessions: sessionmaker[Session], server: EmulatorServer, tg: AsyncEmulatorClient
) -> None:
    chats = await recipients(sessions, tg, 6)
    await tg.set_fault("sendMessage", retry_after=2, times=1)
    broadcast(sessions)

    # One request at a time, so that no send was already on its way when the 429 came.
    dispatcher = await dispatch(sessions, server, dataclasses.replace(FAST, concurrency=1))

    assert await sent_per_chat(tg) == Counter(dict.fromkeys(chats, 1))
    log = await tg.requests("sendMessage")
    [throttled] = [r for r in log if r["status"] == 429]
    after = [r["time"] for r in log if r["seq"] > throttled["seq"]]
    assert after
    assert min(after) - throttled["time"] >= 2.0  # nothing at all during retry_after
    assert dispatcher.stats.throttled == 1
    assert all(r.attempts == 1 for r in rows(sessions).values())  # a 429 is not an attempt


async def test_blocked_chat_is_deactivated_and_unknown_chat_fails(
    sessions: sessionmaker[Session], server: EmulatorServer, tg: AsyncEmulatorClient
) -> None:
    fine, blocked = await recipients(sessions, tg, 2)
    [unknown] = await recipients(sessions, tg, 1, known=False)
    await tg.block(blocked)
    broadcast(sessions)

    await dispatch(sessions, server)

    assert await sent_per_chat(tg) == Counter({fine: 1})
    by_chat = rows(sessions)
    assert by_chat[fine].status == OutboxStatus.SENT
    assert (by_chat[blocked].status, by_chat[blocked].failure_reason) == ("failed", "blocked")
    assert "blocked by the user" in (by_chat[blocked].last_error or "")
    assert (by_chat[unknown].status, by_chat[unknown].failure_reason) == (
        "failed",
        "chat_not_found",
    )
    assert by_chat[unknown].attempts == 1  # permanent: never retried
    with sessions() as session:
        flags = {
            c: b
            for c, b in session.execute(select(Employee.telegram_chat_id, Employee.bot_blocked))
        }
        assert flags[blocked] is True
        assert flags[fine] is False
        assert broadcasts.count_recipients(session, {}) == 2  # the blocked one is left out now


async def test_server_errors_and_timeouts_are_retried_until_they_succeed(
    sessions: sessionmaker[Session], server: EmulatorServer, tg: AsyncEmulatorClient
) -> None:
    flaky, html, slow = await recipients(sessions, tg, 3)
    await tg.set_fault("sendMessage", chat_id=flaky, status=500, times=2)
    await tg.set_fault("sendMessage", chat_id=html, status=502, times=1)  # nginx page
    # The front proxy gives up after 2.5 s: the client times out first and nothing is delivered.
    await tg.set_fault("sendMessage", chat_id=slow, delay=2.5, status=504, times=1)
    broadcast(sessions)

    config = DispatchConfig(
        retry_base=0.05, retry_max=0.2, poll_interval=0.05, send_timeout=1.0, max_attempts=4
    )
    dispatcher = await dispatch(sessions, server, config)

    assert await sent_per_chat(tg) == Counter(dict.fromkeys((flaky, html, slow), 1))
    by_chat = rows(sessions)
    assert by_chat[flaky].attempts == 3
    assert by_chat[html].attempts == 2
    assert by_chat[slow].attempts == 2
    assert all(r.status == OutboxStatus.SENT for r in by_chat.values())
    assert dispatcher.stats.reasons == {"server_error": 3, "timeout": 1}


async def test_after_max_attempts_the_row_fails_with_the_reason(
    sessions: sessionmaker[Session], server: EmulatorServer, tg: AsyncEmulatorClient
) -> None:
    [down] = await recipients(sessions, tg, 1)
    await tg.set_fault("sendMessage", chat_id=down, status=503)
    broadcast(sessions)

    config = DispatchConfig(retry_base=0.05, retry_max=0.1, poll_interval=0.05, max_attempts=3)
    await dispatch(sessions, server, config)

    row = rows(sessions)[down]
    assert (row.status, row.failure_reason, row.attempts) == ("failed", "server_error", 3)
    assert "gave up after 3 attempts" in (row.last_error or "")
    # Only this chat's: a timed-out request of the previous test may still be logged late.
    tries = [r for r in await tg.requests("sendMessage") if int(r["chat_id"]) == down]
    assert len(tries) == 3


def test_backoff_doubles_and_is_capped() -> None:
    config = DispatchConfig(retry_base=2.0, retry_max=30.0)
    assert [config.backoff(n) for n in range(1, 7)] == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


async def test_kill_9_mid_broadcast_then_restart_loses_nothing(
    url: str,
    sessions: sessionmaker[Session],
    server: EmulatorServer,
    tg: AsyncEmulatorClient,
) -> None:
    chats = await recipients(sessions, tg, 60)
    broadcast(sessions)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": server.token,
        "TELEGRAM_BASE_URL": server.base_url,
        "OUTBOX_LEASE_SECONDS": "1",
        "METRICS_PORT": "0",
        "LOG_LEVEL": "WARNING",
    }

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "scheduler.dispatcher"], cwd=ROOT, env=env)

    first = start()
    try:
        await tg.wait_for_requests("sendMessage", 25, timeout=60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    with sessions() as session:
        in_flight = {
            chat
            for (chat,) in session.execute(
                select(OutboxMessage.chat_id).where(OutboxMessage.status == OutboxStatus.SENDING)
            )
        }
        sent_before = session.scalar(
            select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT)
        )
    assert 0 < (sent_before or 0) < 60

    second = start()
    try:
        async with asyncio.timeout(60):
            while True:
                with sessions() as session:
                    if sum(outbox.depth(session).values()) == 0:
                        break
                await asyncio.sleep(0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0  # a clean stop on SIGTERM

    received = await sent_per_chat(tg)
    assert set(received) == set(chats)  # nobody lost
    duplicated = {chat for chat, n in received.items() if n > 1}
    assert duplicated <= in_flight  # only messages in flight at the kill may come twice
    assert all(r.status == OutboxStatus.SENT for r in rows(sessions).values())


@pytest.mark.postgres
async def test_two_dispatchers_on_postgresql_never_take_the_same_row(
    url: str, server: EmulatorServer, tg: AsyncEmulatorClient
) -> None:
    if not url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED claiming is a PostgreSQL feature; SQLite has one writer")
    await tg.set_limits(enabled=False)  # two dispatchers at full speed, to force contention
    engines = [db.make_engine(url), db.make_engine(url)]
    try:
        first, second = (db.make_sessionmaker(e) for e in engines)
        chats = await recipients(first, tg, 300)
        broadcast(first)
        config = DispatchConfig(rate_per_second=1000, poll_interval=0.02, batch_size=20)
        async with ptb(server) as bot_a, ptb(server) as bot_b:
            a = Dispatcher(first, bot_a, config, name="a")
            b = Dispatcher(second, bot_b, config, name="b")
            async with asyncio.timeout(120):
                await asyncio.gather(a.run(until_idle=True), b.run(until_idle=True))
        assert await sent_per_chat(tg) == Counter(dict.fromkeys(chats, 1))
        assert a.stats.sent > 0
        assert b.stats.sent > 0
        assert a.stats.sent + b.stats.sent == 300
    finally:
        for engine in engines:
            engine.dispose()


async def _two_dispatchers(
    url: str, server: EmulatorServer, tg: AsyncEmulatorClient, shared: list[SharedState] | None
) -> tuple[int, float, list[Dispatcher]]:
    """Two dispatchers, each configured for Telegram's full 30 msg/s, send one broadcast; the
    429s Telegram (the emulator) answered, the seconds it took, the dispatchers."""
    engines = [db.make_engine(url), db.make_engine(url)]
    try:
        first, second = (db.make_sessionmaker(e) for e in engines)
        await recipients(first, tg, 120)
        broadcast(first)
        since = max((r["seq"] for r in await tg.requests()), default=0)
        config = dataclasses.replace(FAST, rate_per_second=30.0)
        async with ptb(server) as bot_a, ptb(server) as bot_b:
            budgets = [SharedRateWindow(s, config) for s in shared] if shared else [None, None]
            pair = [
                Dispatcher(first, bot_a, config, name="a", budget=budgets[0]),
                Dispatcher(second, bot_b, config, name="b", budget=budgets[1]),
            ]
            started = asyncio.get_running_loop().time()
            async with asyncio.timeout(120):
                await asyncio.gather(*(d.run(until_idle=True) for d in pair))
            took = asyncio.get_running_loop().time() - started
        refused = [r for r in await tg.requests("sendMessage", since=since) if r["status"] == 429]
        return len(refused), took, pair
    finally:
        for engine in engines:
            engine.dispose()


async def test_two_dispatchers_sharing_redis_stay_within_the_global_budget(
    url: str, server: EmulatorServer, tg: AsyncEmulatorClient, redis: RedisTarget
) -> None:
    if not url.startswith("postgresql"):
        pytest.skip("two dispatchers side by side claim with SKIP LOCKED (PostgreSQL)")
    shared = [SharedState(aioredis.Redis.from_url(redis.url), redis.prefix) for _ in range(2)]
    try:
        refused, took, (a, b) = await _two_dispatchers(url, server, tg, shared)
    finally:
        for state in shared:
            await state.aclose()
    print(f"shared budget: {a.stats.sent}+{b.stats.sent} sent in {took:.2f} s, {refused} 429s")
    assert a.stats.sent > 0
    assert b.stats.sent > 0
    assert a.stats.sent + b.stats.sent == 120
    assert refused == 0, f"{refused} sends refused with 429"
    assert a.stats.throttled + b.stats.throttled == 0
    assert took >= (120 - 30) / 30  # not faster than 30 msg/s together


async def test_two_dispatchers_without_a_shared_budget_overrun_it(
    url: str, server: EmulatorServer, tg: AsyncEmulatorClient
) -> None:
    """The control: each alone at 30 msg/s, together twice Telegram's limit, 429s follow."""
    if not url.startswith("postgresql"):
        pytest.skip("two dispatchers side by side claim with SKIP LOCKED (PostgreSQL)")
    refused, took, _pair = await _two_dispatchers(url, server, tg, None)
    print(f"no shared budget: 120 sent in {took:.2f} s, {refused} 429s")
    assert refused > 0
