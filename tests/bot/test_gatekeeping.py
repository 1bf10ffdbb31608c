"""The flood guard's counting, in memory (one bot) and in Redis (replicas): by each update's own
date, a redelivered update counted once, one warning per flood."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from telegram import Chat, Message, Update, User

from asnkarier.shared_state import SharedState
from bot.handlers.gatekeeping import (
    FloodCounter,
    MemoryFloodCounter,
    RedisFloodCounter,
    sent_at,
)
from tests.conftest import RedisTarget

T0 = 1_900_000_000.0
LIMIT = 20


@pytest.fixture(params=["memory", "redis"])
async def counter(request: pytest.FixtureRequest) -> AsyncIterator[FloodCounter]:
    if request.param == "memory":
        yield MemoryFloodCounter()
        return
    target: RedisTarget = request.getfixturevalue("redis")
    shared = SharedState(aioredis.Redis.from_url(target.url), target.prefix)
    try:
        yield RedisFloodCounter(shared)
    finally:
        await shared.aclose()


async def test_a_backlog_sent_over_ten_minutes_is_not_a_flood(counter: FloodCounter) -> None:
    # 40 messages written while the bot was down, one every 15 s, all handled "now"
    results = [await counter.hit(1, n, T0 + 15 * n, LIMIT) for n in range(40)]
    assert results == [(False, False)] * 40


async def test_over_the_limit_in_a_minute_warns_once_then_clears(counter: FloodCounter) -> None:
    hits = [await counter.hit(2, n, T0 + n, LIMIT) for n in range(25)]
    assert hits[:LIMIT] == [(False, False)] * LIMIT
    assert hits[LIMIT:] == [(True, True)] + [(True, False)] * 4
    assert await counter.hit(3, 1, T0 + 24, LIMIT) == (False, False)  # others unaffected
    # a minute after the burst the window is clear again, and a new flood warns again
    assert await counter.hit(2, 100, T0 + 90, LIMIT) == (False, False)
    again = [await counter.hit(2, 200 + n, T0 + 200, LIMIT) for n in range(LIMIT + 1)]
    assert again[-1] == (True, True)


async def test_a_redelivered_update_counts_once(counter: FloodCounter) -> None:
    for _ in range(LIMIT + 5):  # Telegram retrying one webhook delivery
        assert await counter.hit(4, 7, T0, LIMIT) == (False, False)


async def test_racing_replicas_warn_once(redis: RedisTarget) -> None:
    """Two replicas' counters hit one user at the same moment: one count, one warning."""
    shared = [SharedState(aioredis.Redis.from_url(redis.url), redis.prefix) for _ in range(2)]
    try:
        a, b = (RedisFloodCounter(s) for s in shared)
        results = await asyncio.gather(
            *((a if n % 2 else b).hit(5, n, T0 + n / 10, LIMIT) for n in range(2 * LIMIT))
        )
        assert sum(over for over, _ in results) == LIMIT
        assert sum(warn for _, warn in results) == 1
    finally:
        for s in shared:
            await s.aclose()


def test_the_window_uses_the_message_date_not_the_processing_time() -> None:
    sent = dt.datetime(2030, 1, 1, 8, 0, tzinfo=dt.UTC)
    message = Message(1, sent, Chat(1, "private"), from_user=User(1, "Uji", False), text="x")
    assert sent_at(Update(1, message=message)) == sent.timestamp()
    edited = dt.datetime(2030, 1, 1, 8, 5, tzinfo=dt.UTC)
    message = Message(
        1, sent, Chat(1, "private"), from_user=User(1, "Uji", False), text="y", edit_date=edited
    )
    assert sent_at(Update(2, edited_message=message)) == edited.timestamp()
