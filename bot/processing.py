"""How updates and requests flow: many chats at once but each chat in order; typing never throttled.

PTB handles one update at a time by default, so one slow turn (Rasa thinking) would hold every
other user up. `PerChatProcessor` runs different chats concurrently and keeps each chat's own
updates in order (a button press never overtakes the message before it).

Alone, a lock per chat in this process is enough. With several bot replicas (REDIS_URL set), a
chat's updates may reach different replicas, so the order is kept in Redis: each replica adds the
update to the chat's queue (sorted by update_id) and, if nobody holds the chat, takes the chat's
lock and handles the queue oldest first, also the updates other replicas added meanwhile; a
replica that finds the chat held leaves its update to the holder. Adding and taking the lock, and
popping and releasing it when the queue is empty, are each one Lua script, so no update falls
between a holder finishing and another replica giving up. A holder that dies leaves its lock to
expire; its chats' queues are then taken up by the next update or by any replica's sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from redis.exceptions import RedisError
from telegram import Update
from telegram.ext import AIORateLimiter, Application, BaseUpdateProcessor

from asnkarier.shared_state import SharedState

logger = logging.getLogger(__name__)

MAX_CONCURRENT_UPDATES = 64
LOCK_MS = 30_000  # a chat's lock outlives its holder by at most this; renewed while working
QUEUE_MS = 86_400_000  # a chat queue nobody takes up for a day is dropped
SWEEP_SECONDS = 10.0

# KEYS: queue, lock, chats. ARGV: update_id, update JSON, token, lock ms, chat, queue ms.
_PUSH = """
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('SADD', KEYS[3], ARGV[5])
if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[4]) then return 1 end
return 0
"""
# KEYS: queue, lock, chats. ARGV: token, lock ms, chat. The next update, or '' once the queue
# is empty (the lock then released), or nil if the lock is no longer ours.
_POP = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return nil end
local item = redis.call('ZPOPMIN', KEYS[1])
if item[1] then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  return item[1]
end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[3])
return ''
"""
# KEYS: queue, lock, chats. ARGV: token, lock ms, chat. Take a free chat that has a queue.
_TAKE = """
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[3], ARGV[3])
  return 0
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""
# KEYS: lock. ARGV: token, lock ms.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class PerChatProcessor(BaseUpdateProcessor):
    """Concurrent across chats, sequential within one chat: in this process, or across every
    replica sharing `shared` (Redis)."""

    __slots__ = ("_locks", "_scripts", "_sweeper", "_users", "application", "shared")

    def __init__(
        self,
        max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
        shared: SharedState | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # updates holding or awaiting each lock
        self.shared = shared
        # Handles the updates other replicas queued; set by build_application.
        self.application: Application | None = None  # type: ignore[type-arg]
        self._scripts: dict[str, Any] = {}
        self._sweeper: asyncio.Task[None] | None = None

    @staticmethod
    def key(update: object) -> int | None:
        if not isinstance(update, Update):
            return None
        if update.effective_chat is not None:
            return update.effective_chat.id
        return update.effective_user.id if update.effective_user is not None else None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self.key(update)
        if key is None:
            await coroutine
            return
        if self.shared is not None and isinstance(update, Update):
            try:
                mine = await self._push(key, update)
            except RedisError as exc:  # Redis down: still answer, in order within this process
                logger.warning("Redis unavailable for chat ordering (%s); ordering locally", exc)
            else:
                if mine is None:
                    _discard(coroutine)  # the chat's holder (maybe on another replica) has it
                else:
                    await self._drain(key, mine, own=(update.update_id, coroutine))
                return
        await self._in_process(key, coroutine)

    async def _in_process(self, key: int, coroutine: Awaitable[Any]) -> None:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # nobody else waiting: forget the chat
                del self._users[key], self._locks[key]

    # --- across replicas (Redis) -------------------------------------------------------------

    def _keys(self, chat: int) -> list[str]:
        assert self.shared is not None
        return [
            self.shared.key("chat", chat, "queue"),
            self.shared.key("chat", chat, "lock"),
            self.shared.key("chats-queued"),
        ]

    def _script(self, name: str, source: str) -> Any:
        if name not in self._scripts:
            assert self.shared is not None
            self._scripts[name] = self.shared.client.register_script(source)
        return self._scripts[name]

    async def _push(self, chat: int, update: Update) -> str | None:
        """Queue the update; the lock token if this replica now holds the chat, else None."""
        token = uuid.uuid4().hex
        body = json.dumps(update.to_dict(), separators=(",", ":"))
        args = [update.update_id, body, token, LOCK_MS, chat, QUEUE_MS]
        taken = await self._script("push", _PUSH)(keys=self._keys(chat), args=args)
        return token if taken else None

    async def _drain(
        self, chat: int, token: str, own: tuple[int, Awaitable[Any]] | None = None
    ) -> None:
        """Handle the chat's queue in update_id order while holding its lock."""
        renewer = asyncio.create_task(self._renew(chat, token))
        own_id, own_coroutine = own if own is not None else (None, None)
        try:
            while True:
                try:
                    item = await self._script("pop", _POP)(
                        keys=self._keys(chat), args=[token, LOCK_MS, chat]
                    )
                except RedisError:
                    logger.exception("Redis failed while handling chat updates; lock expires")
                    return
                if item is None:
                    logger.warning("lost the lock of a chat (held too long); its holder goes on")
                    return
                if item == b"":
                    return
                data = json.loads(item)
                if data.get("update_id") == own_id and own_coroutine is not None:
                    coroutine, own_coroutine = own_coroutine, None
                    await coroutine
                else:
                    await self._handle(data)
        finally:
            renewer.cancel()
            if own_coroutine is not None:
                _discard(own_coroutine)

    async def _handle(self, data: dict[str, Any]) -> None:
        application = self.application
        if application is None:
            logger.error("an update queued by another replica, but no application to handle it")
            return
        try:
            await application.process_update(Update.de_json(data, application.bot))
        except Exception:  # PTB already routes handler errors to the error handler
            logger.exception("handling a queued update failed")

    async def _renew(self, chat: int, token: str) -> None:
        lock = self._keys(chat)[1]
        while True:
            await asyncio.sleep(LOCK_MS / 3000)
            with contextlib.suppress(RedisError):
                await self._script("renew", _RENEW)(keys=[lock], args=[token, LOCK_MS])

    async def sweep(self) -> int:
        """Take up the queues of chats nobody holds (their holder died); returns how many."""
        assert self.shared is not None
        taken = 0
        chats = await self.shared.client.smembers(self.shared.key("chats-queued"))
        for raw in chats:
            chat = int(raw)
            token = uuid.uuid4().hex
            args = [token, LOCK_MS, chat]
            if await self._script("take", _TAKE)(keys=self._keys(chat), args=args):
                taken += 1
                await self._drain(chat, token)
        return taken

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                await self.sweep()
            except RedisError as exc:
                logger.warning("sweeping chat queues failed: %s", exc)

    async def initialize(self) -> None:
        """With Redis, start the sweep for queues left by a replica that died."""
        if self.shared is not None and self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_forever())

    async def shutdown(self) -> None:
        """Stop the sweep (the Redis client is closed by the application's post_shutdown)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None


def _discard(coroutine: Awaitable[Any]) -> None:
    """Drop an update's never-started handling coroutine without a "never awaited" warning."""
    if inspect.iscoroutine(coroutine):
        coroutine.close()


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
