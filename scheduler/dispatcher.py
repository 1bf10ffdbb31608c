"""The outbox dispatcher: `python -m scheduler.dispatcher` sends every outbox row to Telegram.

It claims due rows in small batches under a lease, sends them at most `rate` per second overall
and one per chat per `chat_interval` (with REDIS_URL: one budget shared by every dispatcher),
and records each outcome at once, so a kill -9 can only
leave the few messages in flight unrecorded (they are retried after the lease: the only possible
duplicates). 429 pauses all sending; 403 marks the chat blocked; 5xx and timeouts back off.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import functools
import logging
import os
import re
import signal
import socket
import time
import uuid
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from redis.exceptions import RedisError
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, InlineKeyboardMarkup, InputFile, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from asnkarier import metrics, shared_state
from asnkarier.db import make_engine, make_sessionmaker, run_in_transaction
from asnkarier.models import utcnow
from asnkarier.services import broadcasts, files, outbox
from asnkarier.services.employees import mark_chat_blocked
from asnkarier.settings import Settings, configure_logging, get_settings
from asnkarier.shared_state import SharedState
from asnkarier.telegram_limits import MAX_CAPTION, text_length

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Telegram counts a message when it takes it, somewhere between our request and its answer.
# Counting each send from its answer (and in-flight ones as "now") keeps us under the limits
# whatever the network jitter; the margin absorbs clock granularity.
WINDOW_MARGIN = 0.005
HOUSEKEEPING_SECONDS = 2.0
INVALID_TOKEN_PAUSE = 60.0
_SERVER_ERROR = re.compile(r"\b5\d\d\b|server error|bad gateway|unavailable|gateway time", re.I)


@dataclass
class DispatchConfig:
    """How fast and how persistently to send; `from_settings` reads the OUTBOX_* settings."""

    rate_per_second: float = 30.0
    chat_interval: float = 1.0
    max_attempts: int = 5
    retry_base: float = 2.0
    retry_max: float = 300.0
    lease: float = 60.0
    send_timeout: float = 10.0
    poll_interval: float = 1.0
    batch_size: int = 0  # 0: about one second of sending (few rows claimed ahead of time)
    concurrency: int = 64

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatchConfig:
        return cls(
            rate_per_second=settings.outbox_rate_per_second,
            chat_interval=settings.outbox_chat_interval_seconds,
            max_attempts=settings.outbox_max_attempts,
            retry_base=settings.outbox_retry_base_seconds,
            retry_max=settings.outbox_retry_max_seconds,
            lease=settings.outbox_lease_seconds,
            send_timeout=settings.outbox_send_timeout_seconds,
        )

    @property
    def batch(self) -> int:
        return self.batch_size or max(10, int(self.rate_per_second))

    def backoff(self, attempts: int) -> float:
        """Seconds before retry number `attempts` (1, 2, ...): base doubled each time, capped."""
        return float(min(self.retry_max, self.retry_base * 2 ** max(0, attempts - 1)))


class RateWindow:
    """At most `rate` sends in any sliding window (`n` sends per `n / rate` seconds).

    A send occupies its slot from the moment it starts until `span` after its answer came.
    """

    def __init__(self, rate: float) -> None:
        self.size = max(1, int(rate))
        self.span = self.size / rate + WINDOW_MARGIN
        self.inflight = 0
        self.answered: deque[float] = deque()

    def delay(self, now: float) -> float:
        """Seconds until one more send fits (0: now; a guess when only in-flight sends block)."""
        while self.answered and self.answered[0] <= now - self.span:
            self.answered.popleft()
        if self.inflight + len(self.answered) < self.size:
            return 0.0
        if self.answered:
            return max(0.001, self.answered[0] + self.span - now)
        return 0.05  # every slot is in flight; an answer wakes the loop earlier

    def start(self) -> None:
        self.inflight += 1

    def finish(self, now: float, *, counted: bool = True) -> None:
        self.inflight -= 1
        if counted:
            self.answered.append(now)

    async def take(self, chat_id: int) -> tuple[object | None, float, float]:
        """SendBudget for one dispatcher alone (the chat rule is the dispatcher's own)."""
        wait = self.delay(time.monotonic())
        if wait > 0:
            return None, wait, 0.0
        self.start()
        return self, 0.0, 0.0

    async def give_back(self, slot: object, chat_id: int, *, counted: bool) -> None:
        self.finish(time.monotonic(), counted=counted)


class SendBudget(Protocol):
    """Where a send gets its slot under the global (and per-chat) limits."""

    async def take(self, chat_id: int) -> tuple[object | None, float, float]:
        """(slot, 0, 0) when granted; else (None, seconds until the global budget has room,
        seconds until this chat may receive again)."""
        ...

    async def give_back(self, slot: object, chat_id: int, *, counted: bool) -> None:
        """The send's answer came (`counted`: Telegram took it) or it failed without counting."""
        ...


# KEYS: slots (sorted set: member -> when it was answered, or until when it is in flight),
# the chat's mark. ARGV: size, span, in-flight seconds, member, chat interval. Redis's clock
# (TIME) is the one clock of every dispatcher. Returns {granted, global wait us, chat wait us}.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local span = tonumber(ARGV[2])
local chat = redis.call('PTTL', KEYS[2])
if chat > 0 then return {0, 0, chat * 1000} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil((span + tonumber(ARGV[3])) * 1000))
  redis.call('SET', KEYS[2], ARGV[4], 'PX', math.ceil(tonumber(ARGV[3]) * 1000))
  return {1, 0, 0}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = tonumber(first[2]) + span - now
if tonumber(first[2]) > now then wait = 0.05 end
return {0, math.max(1000, math.ceil(wait * 1000000)), 0}
"""
# KEYS: slots, the chat's mark. ARGV: member, counted (1/0), chat interval seconds.
_GIVE_BACK = """
if ARGV[2] == '1' then
  local t = redis.call('TIME')
  redis.call('ZADD', KEYS[1], 'XX', tonumber(t[1]) + tonumber(t[2]) / 1000000, ARGV[1])
  local ms = math.ceil(tonumber(ARGV[3]) * 1000)
  if ms > 0 then redis.call('SET', KEYS[2], '1', 'PX', ms) else redis.call('DEL', KEYS[2]) end
else
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('DEL', KEYS[2])
end
return 1
"""


class SharedRateWindow:
    """RateWindow's rule for every dispatcher together, in Redis: a bucket of `rate` tokens per
    second; a send takes one, which comes back `span` after Telegram's answer (at once when
    Telegram did not count the send), so jitter between us and Telegram never adds up to more
    than `rate` in any second. Also the per-chat gap, across dispatchers. Lua keeps each step
    atomic; a dispatcher that dies leaves its tokens to lapse after the in-flight limit.
    """

    def __init__(self, shared: SharedState, config: DispatchConfig) -> None:
        self.shared = shared
        self.size = max(1, int(config.rate_per_second))
        self.span = self.size / config.rate_per_second + WINDOW_MARGIN
        self.inflight = config.send_timeout + 5.0
        self.chat_interval = config.chat_interval + WINDOW_MARGIN if config.chat_interval else 0
        self._slots = shared.key("outbox", "slots")
        self._take = shared.client.register_script(_TAKE)
        self._give_back = shared.client.register_script(_GIVE_BACK)

    async def take(self, chat_id: int) -> tuple[object | None, float, float]:
        member = uuid.uuid4().hex
        args: list[str | float] = [self.size, self.span, self.inflight, member, self.chat_interval]
        try:
            granted, wait, chat_wait = await self._take(
                keys=[self._slots, self.shared.key("outbox", "chat", chat_id)], args=args
            )
        except RedisError as exc:  # no shared budget: wait rather than overrun everybody's
            logger.warning("shared send budget unavailable (%s); waiting", exc)
            return None, 1.0, 0.0
        return (member if granted else None), wait / 1e6, chat_wait / 1e6

    async def give_back(self, slot: object, chat_id: int, *, counted: bool) -> None:
        args = [str(slot), "1" if counted else "0", self.chat_interval]
        keys = [self._slots, self.shared.key("outbox", "chat", chat_id)]
        with contextlib.suppress(RedisError):  # the token lapses by itself
            await self._give_back(keys=keys, args=args)


@dataclass
class _Result:
    outcome: outbox.SendOutcome
    blocked_chat: int | None = None
    # Telegram processed the request (sent, or refused it with a 4xx): it counts against the
    # limits. 429s, 5xx and timeouts most likely did not, so they free their slot at once.
    taken: bool = True


@dataclass
class Stats:
    """Counters of this dispatcher's life, for tests, benchmarks and the shutdown log line."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    throttled: int = 0
    claimed: int = 0
    uploads: int = 0  # files sent as bytes (multipart); every other send of them by file_id
    reasons: dict[str, int] = field(default_factory=dict)


class _StaleFile(Exception):
    """Telegram refused a cached file_id; the row is retried with an upload."""


@dataclass
class _Ticket:
    """One send's budget slot (a two-part send takes a second one) and its text part."""

    slot: object | None
    text_message_id: int | None = None

    def after_text(self, row: outbox.Claimed) -> outbox.Claimed:
        """The row as it is now: with the text part it already sent, if any."""
        if self.text_message_id is None:
            return row
        return dataclasses.replace(row, text_message_id=self.text_message_id)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Dispatcher:
    """Sends outbox rows through one `telegram.Bot`; run several on PostgreSQL if needed."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        bot: Bot,
        config: DispatchConfig | None = None,
        *,
        name: str | None = None,
        budget: SendBudget | None = None,
    ) -> None:
        self.sessions = sessions
        self.bot = bot
        self.config = config or DispatchConfig()
        self.name = name or worker_name()
        self.stats = Stats()
        # Alone: this process's window. Several dispatchers: a SharedRateWindow (REDIS_URL).
        self._budget: SendBudget = budget or RateWindow(self.config.rate_per_second)
        self._held: deque[outbox.Claimed] = deque()
        self._inflight: set[asyncio.Task[None]] = set()
        self._unrecorded: set[int] = set()  # claimed ids whose outcome is not stored yet
        self._results: list[_Result] = []
        self._chat_ready: dict[int, float] = {}
        self._paused_until = 0.0
        self._wake = asyncio.Event()
        self._flushed = asyncio.Event()
        self._last_housekeeping = float("-inf")
        self._last_renew = time.monotonic()
        self._slots = asyncio.Semaphore(self.config.concurrency)
        # Telegram file ids of stored files (a cache of stored_files.telegram_file_id).
        self._file_refs: dict[tuple[int, str], str] = {}
        self._upload_locks: dict[tuple[int, str], asyncio.Lock] = {}

    # --- the loop --------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event | None = None, *, until_idle: bool = False) -> Stats:
        """Send until `stop` is set (or, with `until_idle`, until the outbox has nothing open)."""
        stop = stop or asyncio.Event()
        flusher = asyncio.create_task(self._flush_forever(stop))
        try:
            await self._loop(stop, until_idle)
        finally:
            stop.set()
            self._wake.set()
            if self._inflight:
                await asyncio.gather(*self._inflight, return_exceptions=True)
            await flusher
            held = [row.id for row in self._held]
            self._held.clear()
            if held:
                await self._db(lambda s: outbox.release(s, self.name, held))
        logger.info(
            "dispatcher %s stopped: %d sent, %d failed, %d retries, %d throttled",
            self.name,
            self.stats.sent,
            self.stats.failed,
            self.stats.retried,
            self.stats.throttled,
        )
        return self.stats

    async def _loop(self, stop: asyncio.Event, until_idle: bool) -> None:
        next_claim = 0.0
        while not stop.is_set():
            now = time.monotonic()
            if self._paused_until > now:
                await self._sleep(stop, self._paused_until - now)
                continue
            if now - self._last_renew > self.config.lease / 3:
                await self._renew()
            if len(self._held) < self.config.batch // 2 and now >= next_claim:
                wanted = self.config.batch - len(self._held)
                claimed = await self._claim(wanted)
                if len(claimed) < wanted:  # the queue is drained: look again after a poll
                    next_claim = time.monotonic() + self.config.poll_interval
                if not claimed and until_idle and await self._idle():
                    return
            row = self._next_ready(time.monotonic())
            if row is None:
                await self._sleep(stop, self._idle_wait())
                continue
            await self._slots.acquire()
            if self._paused_until > time.monotonic() or stop.is_set():
                # A 429 arrived while we waited for a free slot: honour it for this row too.
                self._slots.release()
                self._held.appendleft(row)
                continue
            slot, wait, chat_wait = await self._budget.take(row.chat_id)
            if slot is None:
                self._slots.release()
                self._held.appendleft(row)
                if chat_wait > 0:  # another dispatcher just sent to this chat
                    self._chat_ready[row.chat_id] = time.monotonic() + chat_wait
                else:
                    await self._sleep(stop, wait)
                continue
            self._chat_ready[row.chat_id] = float("inf")  # until its answer (see _send)
            task = asyncio.create_task(self._send(row, slot))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    def _next_ready(self, now: float) -> outbox.Claimed | None:
        """The oldest held row whose chat may receive now (1 message/s per chat)."""
        for index, row in enumerate(self._held):
            if self._chat_ready.get(row.chat_id, 0.0) <= now:
                del self._held[index]
                return row
        return None

    def _idle_wait(self) -> float:
        if not self._held:
            return self.config.poll_interval
        soonest = min(self._chat_ready.get(row.chat_id, 0.0) for row in self._held)
        return max(0.005, min(self.config.poll_interval, soonest - time.monotonic()))

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        """Sleep, waking early on stop or when a send finished (it may have freed work)."""
        self._wake.clear()
        if stop.is_set():
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, seconds)):
                await self._wake.wait()

    async def _idle(self) -> bool:
        """Nothing held, in flight or unrecorded here, and nothing open in the outbox."""
        if self._held or self._inflight or self._unrecorded:
            return False

        def work(session: Session) -> dict[str, int]:
            broadcasts.finish_done(session, utcnow())
            return outbox.depth(session)

        return sum((await self._db(work)).values()) == 0

    # --- database --------------------------------------------------------------------------

    async def _db(self, work: Callable[[Session], T]) -> T:
        return await run_in_transaction(self.sessions, work)

    async def _claim(self, limit: int) -> list[outbox.Claimed]:
        housekeeping = time.monotonic() - self._last_housekeeping >= HOUSEKEEPING_SECONDS
        config = self.config

        def work(session: Session) -> list[outbox.Claimed]:
            now = utcnow()
            if housekeeping:
                lease = dt.timedelta(seconds=config.lease)
                taken = outbox.expire_leases(session, now, lease, config.max_attempts)
                if taken:
                    logger.warning("%d outbox rows were in flight at a crash; retrying", taken)
                broadcasts.finish_done(session, now)
                for status, count in outbox.depth(session).items():
                    metrics.OUTBOX_DEPTH.labels(status).set(count)
            return outbox.claim(session, self.name, now, limit)

        try:
            claimed = await self._db(work)
        except Exception:  # the database may be briefly down: try again after a poll
            logger.exception("claiming outbox rows failed")
            return []
        if housekeeping:
            self._last_housekeeping = now = time.monotonic()
            if len(self._chat_ready) > 10_000:  # forget chats that may receive again anyway
                self._chat_ready = {c: t for c, t in self._chat_ready.items() if t > now}
        self._held.extend(claimed)
        self._unrecorded.update(row.id for row in claimed)
        self.stats.claimed += len(claimed)
        return claimed

    async def _renew(self) -> None:
        ids = set(self._unrecorded)
        self._last_renew = time.monotonic()
        if ids:
            try:
                await self._db(lambda s: outbox.renew(s, self.name, ids, utcnow()))
            except Exception:
                logger.exception("renewing the outbox lease failed")

    async def _flush_forever(self, stop: asyncio.Event) -> None:
        """Store outcomes as they come (one transaction for whatever accumulated)."""
        while True:
            if not self._results:
                if stop.is_set() and not self._inflight:
                    return
                self._flushed.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.2):
                        await self._flushed.wait()
                continue
            batch, self._results = self._results, []
            try:
                await self._db(functools.partial(self._store, batch=batch))
            except Exception:
                # Never drop an outcome: a sent message not recorded would be sent again.
                logger.exception("storing %d send outcomes failed; retrying", len(batch))
                self._results[:0] = batch
                await asyncio.sleep(1.0)
                continue
            self._unrecorded.difference_update(r.outcome.id for r in batch)
            self._wake.set()

    @staticmethod
    def _store(session: Session, *, batch: list[_Result]) -> None:
        outbox.record(session, [r.outcome for r in batch], utcnow())
        for result in batch:
            if result.blocked_chat is not None:
                mark_chat_blocked(session, result.blocked_chat)

    # --- sending ---------------------------------------------------------------------------

    async def _send(self, row: outbox.Claimed, slot: object) -> None:
        ticket = _Ticket(slot)
        result = None
        try:
            result = await self._attempt(row, ticket)
        finally:
            counted = result is not None and result.taken
            self._chat_ready[row.chat_id] = (
                time.monotonic() + self.config.chat_interval + WINDOW_MARGIN
            )
            if ticket.slot is not None:
                await self._budget.give_back(ticket.slot, row.chat_id, counted=counted)
            self._slots.release()
        if result is not None:
            self._results.append(result)
            self._flushed.set()
        self._wake.set()

    async def _attempt(self, row: outbox.Claimed, ticket: _Ticket) -> _Result | None:
        """Send one row; the outcome to store, or None when it goes back to the queue."""
        markup = (
            InlineKeyboardMarkup.de_json(row.reply_markup, self.bot) if row.reply_markup else None
        )
        try:
            if row.attachment_file_id is not None:
                message = await self._send_with_file(row, markup, ticket)
            else:
                message = await self.bot.send_message(
                    row.chat_id, row.text, parse_mode=row.parse_mode, reply_markup=markup
                )
        except RetryAfter as exc:
            seconds = _retry_after(exc)
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
            logger.warning("Telegram asked to slow down: pausing all sending for %.0f s", seconds)
            self._count_failure("retry_after")
            self.stats.throttled += 1
            # Not the row's fault: same attempt, after the pause (without a text already sent).
            self._held.appendleft(ticket.after_text(row))
            return None
        except InvalidToken:
            logger.critical("Telegram refused the bot token; pausing %.0f s", INVALID_TOKEN_PAUSE)
            self._paused_until = time.monotonic() + INVALID_TOKEN_PAUSE
            self._count_failure("invalid_token")
            self._held.appendleft(ticket.after_text(row))
            return None
        except _StaleFile as exc:
            logger.warning("%s; uploading it again on retry", exc)
            return self._retry(row, "stale_file_id", exc, ticket)
        except Forbidden as exc:
            return self._fail(row, "blocked", exc, ticket, blocked=True)
        except ChatMigrated as exc:
            return self._fail(row, "chat_migrated", exc, ticket)
        except BadRequest as exc:
            reason = "chat_not_found" if "chat not found" in str(exc).lower() else "bad_request"
            return self._fail(row, reason, exc, ticket)
        except TimedOut as exc:
            return self._retry(row, "timeout", exc, ticket)
        except NetworkError as exc:
            return self._retry(
                row, "server_error" if _SERVER_ERROR.search(str(exc)) else "network", exc, ticket
            )
        except TelegramError as exc:
            return self._retry(row, "telegram_error", exc, ticket)
        except Exception as exc:  # a bug must not lose the message: retry it later
            logger.exception("unexpected error sending outbox row %d", row.id)
            return self._retry(row, "internal", exc, ticket)
        self.stats.sent += 1
        metrics.MESSAGES_SENT.labels(row.kind).inc()
        return _Result(outbox.SendOutcome(row.id, sent_message_id=message.message_id))

    # --- attachments -----------------------------------------------------------------------
    #
    # A row with a file is one sendDocument/sendPhoto with the text as its caption when the
    # text fits (MAX_CAPTION). Otherwise it is two messages, the text and then the file, and
    # still exactly once per row: as soon as Telegram took the text, its message id is stored
    # on the row (`text_message_id`, its own transaction, before the file is sent). Any retry
    # of the row (the file failed, a 429, a crash after that write) sees it and sends only the
    # file. If that write itself fails, the id travels with the row's outcome, which the
    # flusher retries until it is stored. The only window left is the one every message has:
    # a crash between Telegram's answer and our write (the text may then go twice).
    #
    # The bytes are uploaded (multipart) once: the first send of a file holds a per-file lock,
    # later ones wait for it and use the `file_id` Telegram returned, cached in memory and on
    # the stored file (first writer wins). Dispatchers racing each upload at most once.

    async def _send_with_file(
        self, row: outbox.Claimed, markup: InlineKeyboardMarkup | None, ticket: _Ticket
    ) -> Message:
        fits = text_length(row.text) <= MAX_CAPTION
        if not fits and ticket.text_message_id is None and row.text_message_id is None:
            text = await self.bot.send_message(row.chat_id, row.text, parse_mode=row.parse_mode)
            ticket.text_message_id = text.message_id
            try:
                await self._db(lambda s: outbox.record_text_part(s, row.id, text.message_id))
            except Exception:  # the outcome carries it instead (see above)
                logger.exception("storing the text part of outbox row %d failed", row.id)
            await self._second_slot(row, ticket)
        caption = row.text if fits else None
        parse_mode = row.parse_mode if fits else None
        return await self._send_file(row, caption, parse_mode, markup)

    async def _second_slot(self, row: outbox.Claimed, ticket: _Ticket) -> None:
        """The file is a second message to the same chat: a second slot of the budgets."""
        await self._budget.give_back(ticket.slot, row.chat_id, counted=True)
        ticket.slot = None
        await asyncio.sleep(self.config.chat_interval + WINDOW_MARGIN)
        while True:
            slot, wait, chat_wait = await self._budget.take(row.chat_id)
            if slot is not None:
                ticket.slot = slot
                return
            await asyncio.sleep(max(wait, chat_wait, 0.005))

    async def _send_file(
        self,
        row: outbox.Claimed,
        caption: str | None,
        parse_mode: str | None,
        markup: InlineKeyboardMarkup | None,
    ) -> Message:
        file_id, kind = row.attachment_file_id, row.attachment_kind or files.DOCUMENT
        assert file_id is not None
        key = (file_id, kind)

        async def send(what: str | InputFile) -> Message:
            method = self.bot.send_photo if kind == files.PHOTO else self.bot.send_document
            return await method(
                row.chat_id, what, caption=caption, parse_mode=parse_mode, reply_markup=markup
            )

        ref = self._file_refs.get(key)
        if ref is None:
            lock = self._upload_locks.setdefault(key, asyncio.Lock())
            async with lock:
                ref = self._file_refs.get(key) or await self._db(
                    lambda s: files.telegram_ref(s, file_id, kind)
                )
                if ref is None:
                    return await self._upload(file_id, kind, send)
                self._file_refs[key] = ref
        try:
            return await send(ref)
        except BadRequest as exc:
            if "file" not in str(exc).lower():
                raise
            # Telegram does not know this file_id (e.g. another bot token): forget it, and the
            # retry of the row uploads the bytes (not now: this chat just got a request).
            self._file_refs.pop(key, None)
            await self._db(lambda s: files.forget_telegram_file(s, file_id, ref))
            raise _StaleFile(f"cached file_id of stored file {file_id} refused: {exc}") from exc

    async def _upload(
        self, file_id: int, kind: str, send: Callable[[str | InputFile], Awaitable[Message]]
    ) -> Message:
        content, name, _mime = await self._db(lambda s: files.for_upload(s, file_id))
        message = await send(InputFile(content, filename=name))
        sent = message.photo[-1] if kind == files.PHOTO and message.photo else message.document
        if sent is not None:
            ref = sent.file_id
            self._file_refs[(file_id, kind)] = ref
            self.stats.uploads += 1
            try:
                await self._db(lambda s: files.remember_telegram_file(s, file_id, kind, ref))
            except Exception:  # this dispatcher still knows it; another may upload once more
                logger.exception("caching the Telegram file id of stored file %d failed", file_id)
        return message

    def _fail(
        self,
        row: outbox.Claimed,
        reason: str,
        exc: Exception,
        ticket: _Ticket,
        *,
        blocked: bool = False,
    ) -> _Result:
        self._count_failure(reason)
        self.stats.failed += 1
        logger.info("outbox row %d failed (%s): %s", row.id, reason, exc)
        outcome = outbox.SendOutcome(
            row.id, reason=reason, error=str(exc), text_message_id=ticket.text_message_id
        )
        return _Result(outcome, blocked_chat=row.chat_id if blocked else None)

    def _retry(self, row: outbox.Claimed, reason: str, exc: Exception, ticket: _Ticket) -> _Result:
        self._count_failure(reason)
        text_id = ticket.text_message_id
        if row.attempts >= self.config.max_attempts:
            self.stats.failed += 1
            error = f"gave up after {row.attempts} attempts; last: {exc}"
            logger.warning("outbox row %d failed (%s): %s", row.id, reason, error)
            outcome = outbox.SendOutcome(
                row.id, reason=reason, error=error, text_message_id=text_id
            )
            return _Result(outcome, taken=False)
        self.stats.retried += 1
        delay = self.config.backoff(row.attempts)
        retry_at = utcnow() + dt.timedelta(seconds=delay)
        logger.info("outbox row %d: %s (%s); retry in %.1f s", row.id, reason, exc, delay)
        outcome = outbox.SendOutcome(
            row.id, retry_at=retry_at, error=f"{reason}: {exc}", text_message_id=text_id
        )
        return _Result(outcome, taken=False)

    def _count_failure(self, reason: str) -> None:
        metrics.SEND_FAILURES.labels(reason).inc()
        self.stats.reasons[reason] = self.stats.reasons.get(reason, 0) + 1


def _retry_after(exc: RetryAfter) -> float:
    # PTB 22 warns that retry_after becomes a timedelta later; both forms are handled here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def make_bot(settings: Settings, config: DispatchConfig) -> Bot:
    """A Bot on the configured Bot API endpoint (TELEGRAM_BOT_TOKEN, TELEGRAM_BASE_URL)."""
    token, base_url = settings.telegram_endpoint()
    request = HTTPXRequest(
        connection_pool_size=config.concurrency,
        read_timeout=config.send_timeout,
        write_timeout=config.send_timeout,
        connect_timeout=min(5.0, config.send_timeout),
        pool_timeout=config.send_timeout,
    )
    if base_url:
        return Bot(token, base_url=base_url, request=request)
    return Bot(token, request=request)


async def serve(settings: Settings) -> None:
    """Run one dispatcher until SIGINT or SIGTERM, then finish what is in flight."""
    config = DispatchConfig.from_settings(settings)
    engine = make_engine(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    bot = make_bot(settings, config)
    shared = shared_state.connect(settings)
    try:
        if not await _connect(bot, stop):
            return
        async with bot:
            budget = SharedRateWindow(shared, config) if shared is not None else None
            dispatcher = Dispatcher(make_sessionmaker(engine), bot, config, budget=budget)
            logger.info(
                "dispatcher %s started: %.0f msg/s (%s), 1 msg per %.1f s per chat",
                dispatcher.name,
                config.rate_per_second,
                "shared by all dispatchers" if shared is not None else "this dispatcher alone",
                config.chat_interval,
            )
            await dispatcher.run(stop)
    finally:
        if shared is not None:
            await shared.aclose()
        engine.dispose()


async def _connect(bot: Bot, stop: asyncio.Event) -> bool:
    """Wait for Telegram (or the emulator, which may start after us); False if stopped first."""
    delay = 1.0
    while not stop.is_set():
        try:
            await bot.initialize()
        except (NetworkError, TimedOut) as exc:
            logger.warning("Telegram not reachable (%s); trying again in %.0f s", exc, delay)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await stop.wait()
            delay = min(delay * 2, 30.0)
        else:
            return True
    return False


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    # PTB logs a traceback for every HTML 502 page from Telegram's proxy; we log each failed
    # send ourselves (with the row id and what happens next), so only PTB's critical errors.
    logging.getLogger("telegram.request").setLevel(logging.CRITICAL)
    try:
        metrics.serve(settings.metrics_port, settings.metrics_host)
    except OSError as exc:  # e.g. the bot on the same host took METRICS_PORT: still send
        logger.error("no /metrics for the dispatcher: port %d: %s", settings.metrics_port, exc)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
