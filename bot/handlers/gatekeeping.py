"""Gatekeeping before any feature: private chats only, and a per-user flood guard.

The flood guard counts each user's updates by their own date (Telegram's, not when this process
got to them: a backlog after downtime is not a flood) in a sliding minute. With REDIS_URL the
counts live in Redis, shared by every bot replica; alone, in this process.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from typing import Protocol

from redis.exceptions import RedisError
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from asnkarier.shared_state import SharedState
from bot.context import settings

logger = logging.getLogger(__name__)

GATE_GROUP = -3
FLOOD_GROUP = -2
WINDOW_SECONDS = 60

GROUP_NOTICE = (
    "Halo! Asisten Karier ASN hanya melayani percakapan pribadi agar data pegawai tetap aman. "
    "Silakan kirim pesan langsung ke bot ini."
)
SLOW_DOWN = (
    "Pesan Bapak/Ibu banyak sekali dalam semenit ini. Mohon tunggu sebentar, lalu kirim lagi. 🙏"
)


class FloodCounter(Protocol):
    async def hit(self, user_id: int, update_id: int, at: float, limit: int) -> tuple[bool, bool]:
        """Count one update at `at` (epoch seconds): (over the limit?, warn now, first time?)."""
        ...

    async def first_notice(self, chat_id: int) -> bool:
        """True only the first time this group chat is told the bot is private-only."""
        ...


class MemoryFloodCounter:
    """One process alone: the counts in a dict (a redelivered update counts once)."""

    def __init__(self) -> None:
        self._stamps: defaultdict[int, dict[int, float]] = defaultdict(dict)
        self._warned: set[int] = set()
        self._noticed: set[int] = set()
        self._hits = 0

    async def hit(self, user_id: int, update_id: int, at: float, limit: int) -> tuple[bool, bool]:
        stamps = self._stamps[user_id]
        stamps[update_id] = at
        for uid in [u for u, t in stamps.items() if t < at - WINDOW_SECONDS]:
            del stamps[uid]
        self._hits += 1
        if self._hits % 10_000 == 0:  # forget users quiet for a minute
            newest = max((max(s.values()) for s in self._stamps.values() if s), default=at)
            quiet = [u for u, s in self._stamps.items() if not s or max(s.values()) < newest - 60]
            for user in quiet:
                del self._stamps[user]
        if len(stamps) <= limit:
            self._warned.discard(user_id)
            return False, False
        first = user_id not in self._warned
        self._warned.add(user_id)
        return True, first

    async def first_notice(self, chat_id: int) -> bool:
        first = chat_id not in self._noticed
        self._noticed.add(chat_id)
        return first


# KEYS: the user's stamps (sorted set), warned flag. ARGV: update_id, at, window, limit.
_HIT = """
local since = tonumber(ARGV[2]) - tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. since)
redis.call('EXPIRE', KEYS[1], 2 * tonumber(ARGV[3]))
local n = redis.call('ZCOUNT', KEYS[1], since, '+inf')
if n <= tonumber(ARGV[4]) then
  redis.call('DEL', KEYS[2])
  return {0, 0}
end
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then return {1, 1} end
return {1, 0}
"""


class RedisFloodCounter:
    """Several bot replicas: one count per user in Redis, updated atomically (a Lua script)."""

    def __init__(self, shared: SharedState) -> None:
        self.shared = shared
        self._hit = shared.client.register_script(_HIT)

    async def hit(self, user_id: int, update_id: int, at: float, limit: int) -> tuple[bool, bool]:
        keys = [self.shared.key("flood", user_id), self.shared.key("flood", user_id, "warned")]
        try:
            over, first = await self._hit(keys=keys, args=[update_id, at, WINDOW_SECONDS, limit])
        except RedisError as exc:  # Redis down: answer rather than drop everybody's messages
            logger.warning("flood guard: Redis unavailable (%s); letting the update through", exc)
            return False, False
        return bool(over), bool(first)

    async def first_notice(self, chat_id: int) -> bool:
        try:
            key = self.shared.key("noticed", chat_id)
            return bool(await self.shared.client.set(key, 1, nx=True))
        except RedisError:
            return False


def counter_for(shared: SharedState | None) -> FloodCounter:
    """In Redis when the replicas share one, else in this process."""
    return RedisFloodCounter(shared) if shared is not None else MemoryFloodCounter()


def flood_counter(context: ContextTypes.DEFAULT_TYPE) -> FloodCounter:
    counter: FloodCounter = context.bot_data["flood_counter"]
    return counter


def sent_at(update: Update) -> float:
    """When the user sent this update (epoch seconds): the message's own date, or its edit's.

    A button press carries no date of its own (its message is the bot's, older): now.
    """
    message = update.message or update.edited_message
    if message is not None:
        when = message.edit_date if update.edited_message is not None else None
        return (when or message.date).timestamp()
    return time.time()


async def private_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer in private chats only; in a group say so once (the HR officers' group excepted)."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    if chat.id == settings(context).hr_group_chat_id:
        return  # handled by the handoff feature
    if update.effective_message is not None and await flood_counter(context).first_notice(chat.id):
        await update.effective_message.reply_text(GROUP_NOTICE)
    raise ApplicationHandlerStop


async def flood_guard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Over the per-minute limit, ask the user to slow down once, then drop until it clears."""
    user = update.effective_user
    if user is None:
        return
    limit = settings(context).flood_limit_per_minute
    over, warn = await flood_counter(context).hit(user.id, update.update_id, sent_at(update), limit)
    if not over:
        return
    if warn and update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, SLOW_DOWN)
    if update.callback_query is not None:
        await update.callback_query.answer()
    raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(TypeHandler(Update, private_only), group=GATE_GROUP)
    application.add_handler(TypeHandler(Update, flood_guard), group=FLOOD_GROUP)
