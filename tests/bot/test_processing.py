"""PerChatProcessor across replicas (Redis): one chat's updates are handled one at a time, lowest
update_id first, whichever replica received them; other chats run alongside; a dead holder's
queue is taken up by a sweep."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from telegram import Bot, Chat, Message, Update, User

from asnkarier.shared_state import SharedState
from bot.processing import PerChatProcessor
from tests.conftest import RedisTarget


class Recorder:
    """Stands in for the Application of each replica: records who handled which update."""

    def __init__(self, name: str, log: list[tuple[str, int, str]], slow: set[int]) -> None:
        self.name = name
        self.log = log
        self.slow = slow
        self.bot = Bot("123:abc")
        self.active: dict[int, int] = {}
        self.overlaps = 0

    async def process_update(self, update: Update) -> None:
        await self.handle(update)

    async def handle(self, update: Update) -> None:
        chat = update.effective_chat.id  # type: ignore[union-attr]
        self.active[chat] = self.active.get(chat, 0) + 1
        self.overlaps += self.active[chat] > 1
        try:
            if update.update_id in self.slow:
                await asyncio.sleep(0.5)
            self.log.append((self.name, update.update_id, update.effective_message.text or ""))  # type: ignore[union-attr]
        finally:
            self.active[chat] -= 1


def update(update_id: int, chat: int, text: str) -> Update:
    user = User(chat, "Uji", False)
    sent = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    return Update(
        update_id, message=Message(update_id, sent, Chat(chat, "private"), user, text=text)
    )


@pytest.fixture
async def pair(
    redis: RedisTarget,
) -> AsyncIterator[tuple[PerChatProcessor, PerChatProcessor, list[tuple[str, int, str]]]]:
    log: list[tuple[str, int, str]] = []
    shared = [SharedState(aioredis.Redis.from_url(redis.url), redis.prefix) for _ in range(2)]
    processors = []
    for name, state in zip("ab", shared, strict=True):
        processor = PerChatProcessor(shared=state)
        processor.application = Recorder(name, log, slow={1, 10})  # type: ignore[assignment]
        processors.append(processor)
    try:
        yield processors[0], processors[1], log
    finally:
        for state in shared:
            await state.aclose()


async def deliver(processor: PerChatProcessor, item: Update) -> None:
    recorder: Any = processor.application
    await processor.process_update(item, recorder.handle(item))


async def test_a_chats_updates_keep_their_order_across_replicas(
    pair: tuple[PerChatProcessor, PerChatProcessor, list[tuple[str, int, str]]],
    redis: RedisTarget,
) -> None:
    a, b, log = pair
    chat = 7_000_001
    # Update 1 is slow on replica a; 3 and 2 reach replica b meanwhile, 3 first.
    first = asyncio.create_task(deliver(a, update(1, chat, "/umumkan")))
    await asyncio.sleep(0.1)
    await deliver(b, update(3, chat, "ketiga"))
    await deliver(b, update(2, chat, "kedua"))
    await first
    assert [(u, t) for _, u, t in log] == [(1, "/umumkan"), (2, "kedua"), (3, "ketiga")]
    assert {name for name, _, _ in log} == {"a"}  # a held the chat and handled all three
    assert redis.keys() == []  # queue empty, lock released, nothing queued
    # Now the chat is free: the next update is handled where it arrives.
    await deliver(b, update(4, chat, "keempat"))
    assert log[-1] == ("b", 4, "keempat")


async def test_other_chats_are_not_held_up(
    pair: tuple[PerChatProcessor, PerChatProcessor, list[tuple[str, int, str]]],
) -> None:
    a, b, log = pair
    slow = asyncio.create_task(deliver(a, update(10, 7_000_002, "lambat")))
    await asyncio.sleep(0.05)
    await asyncio.wait_for(deliver(b, update(11, 7_000_003, "cepat")), 0.3)
    await slow
    assert [u for _, u, _ in log] == [11, 10]


async def test_concurrent_updates_of_one_chat_never_overlap(
    pair: tuple[PerChatProcessor, PerChatProcessor, list[tuple[str, int, str]]],
) -> None:
    a, b, log = pair
    chat = 7_000_004
    await asyncio.gather(
        *(deliver(a if n % 2 else b, update(100 + n, chat, f"m{n}")) for n in range(30))
    )
    assert sorted(u for _, u, _ in log) == list(range(100, 130))
    recorders: list[Any] = [a.application, b.application]
    assert sum(r.overlaps for r in recorders) == 0


async def test_a_dead_holders_queue_is_swept_up(
    pair: tuple[PerChatProcessor, PerChatProcessor, list[tuple[str, int, str]]],
    redis: RedisTarget,
) -> None:
    a, _b, log = pair
    chat = 7_000_005
    # A replica died holding the chat, with an update queued: its lock lapses, a sweep goes on.
    redis.client.set(f"{redis.prefix}:chat:{chat}:lock", "dead", px=300)
    await deliver(a, update(20, chat, "tertinggal"))
    assert log == []
    assert await a.sweep() == 0  # still held
    await asyncio.sleep(0.4)
    assert await a.sweep() == 1
    assert log == [("a", 20, "tertinggal")]
    assert redis.keys() == []
