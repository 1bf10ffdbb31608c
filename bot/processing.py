"""How updates and requests flow: many chats at once but each chat in order; typing never throttled.

PTB handles one update at a time by default, so one slow turn (Rasa thinking) would hold every
other user up. `PerChatProcessor` runs different chats concurrently and keeps each chat's own
updates in arrival order (a button press never overtakes the message before it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import AIORateLimiter, BaseUpdateProcessor

MAX_CONCURRENT_UPDATES = 64


class PerChatProcessor(BaseUpdateProcessor):
    """Concurrent across chats, sequential within one chat."""

    __slots__ = ("_locks", "_users")

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # updates holding or awaiting each lock

    @staticmethod
    def key(update: object) -> int | None:
        if not isinstance(update, Update):
            return None
        if update.effective_chat is not None:
            return update.effective_chat.id
        return update.effective_user.id if update.effective_user is not None else None

    async def do_process_update(self, update: object, coroutine: Any) -> None:
        key = self.key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # nobody else waiting: forget the chat
                del self._users[key], self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


class MessageRateLimiter(AIORateLimiter):
    """PTB's limiter (30/s overall, 20/min per group, RetryAfter retried), typing excepted.

    Telegram's broadcast limits count messages; a typing indicator is not one, and queueing it
    behind a burst of messages would only delay every answer. It still waits out a RetryAfter.
    """

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint == "sendChatAction":
            # Without a chat id PTB's limiter skips its message budgets but keeps the retries.
            data = {k: v for k, v in data.items() if k != "chat_id"}
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
