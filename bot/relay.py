"""Relay a user's message to Rasa and send the assistant's replies back to the chat."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ContextTypes

from asnkarier import metrics, signals
from asnkarier.services import callbacks
from asnkarier.services.employees import mark_chat_blocked
from bot.context import in_db, rasa, received_at
from bot.rasa_client import BotReply, RasaUnavailable
from bot.render import OutgoingMessage, render

logger = logging.getLogger(__name__)

BUSY = (
    "Maaf, layanan asisten sedang sibuk atau dalam perbaikan. Silakan coba lagi beberapa menit "
    "lagi. Untuk hal mendesak, hubungi BKPSDM pada jam kerja."
)
# Rasa answered nothing: mostly "ok", "gak", "batal" with nothing to agree to or cancel.
NO_ANSWER = (
    "Baik. Bila ada yang ingin ditanyakan, silakan tulis pertanyaannya, atau ketik /menu untuk "
    "melihat pilihan."
)

# A feature's reaction to a signal from the action server: it may return a line for the user,
# shown where the signal came in the assistant's replies.
SignalHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE, dict[str, Any]], Awaitable[str | None]]
_SIGNALS = "signal_handlers"


def on_signal(application: Application, name: str, handler: SignalHandler) -> None:  # type: ignore[type-arg]
    """Let a feature act on the signal `name` (asnkarier.signals) in every relayed turn."""
    application.bot_data.setdefault(_SIGNALS, {})[name] = handler


async def _typing(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    # The typing indicator is a nicety: never let it block or break the answer.
    with contextlib.suppress(TelegramError):
        await context.bot.send_chat_action(chat_id, ChatAction.TYPING)


async def _settle(typing: asyncio.Task[None]) -> None:
    # Wait briefly so the indicator never lands after the answer; a slow one is dropped.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(typing, timeout=1.0)


async def _act_on_signals(
    update: Update, context: ContextTypes.DEFAULT_TYPE, replies: list[BotReply]
) -> tuple[list[BotReply], str, bool]:
    """Replace each signal by what its feature wants said; also tell how the turn went and
    whether a feature acted (it may have answered on its own, e.g. with a force reply)."""
    handlers: dict[str, SignalHandler] = context.bot_data.get(_SIGNALS, {})
    shown: list[BotReply] = []
    outcome = "answered"
    acted = False
    for reply in replies:
        name = signals.name_of(reply.custom)
        if name is None:
            # Two failing actions in one turn apologise twice: say it once.
            if (reply.text.strip() or reply.buttons) and not (shown and shown[-1] == reply):
                shown.append(reply)
            continue
        if name == signals.UNAVAILABLE:
            outcome = "unavailable"  # an action failed: an apology is not an answer
        elif name == signals.FALLBACK and outcome == "answered":
            outcome = "fallback"
        handler = handlers.get(name)
        if handler is not None and reply.custom is not None:
            acted = True
            line = await handler(update, context, reply.custom)
            if line:
                shown.append(BotReply(line))
    return shown, outcome, acted


async def relay(
    update: Update, context: ContextTypes.DEFAULT_TYPE, message: str, *, preface: str = ""
) -> None:
    """Send `message` (text or a /intent payload) to Rasa as this user; answer in the chat,
    `preface` (e.g. /start's welcome) first, in the same message where it fits."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    started = received_at(context)
    metadata = {
        "chat_id": chat.id,
        "first_name": user.first_name,
        # Kept by the mentoring actions only, to share after a mentor accepts (never logged).
        "username": user.username or "",
        "language_code": user.language_code or "",
    }
    # Typing goes out while Rasa thinks, not before: one round trip less per turn.
    typing = asyncio.create_task(_typing(context, chat.id))
    try:
        replies = await rasa(context).send(str(user.id), message, metadata)
    except RasaUnavailable as exc:
        logger.warning("Rasa unavailable for a message: %s", exc)
        await _settle(typing)
        await send(context, chat.id, [OutgoingMessage(BUSY)])
        metrics.NLU_REPLIES.labels("unavailable").inc()
        metrics.REPLY_LATENCY.observe(time.monotonic() - started)
        return
    await _settle(typing)
    shown, outcome, acted = await _act_on_signals(update, context, replies)
    if preface:
        shown.insert(0, BotReply(preface))

    async def tokenize(payload: str) -> str:
        return await in_db(context, lambda s: callbacks.store(s, payload))

    outgoing = await render(shown, tokenize)
    if not outgoing and not acted:
        outgoing = [OutgoingMessage(NO_ANSWER)]
    await send(context, chat.id, outgoing)
    metrics.NLU_REPLIES.labels(outcome).inc()
    metrics.REPLY_LATENCY.observe(time.monotonic() - started)


async def send(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, messages: list[OutgoingMessage]
) -> None:
    """Send in order; a user who blocked the bot is marked so nothing more is queued for them."""
    for message in messages:
        try:
            await context.bot.send_message(
                chat_id, message.text, parse_mode=ParseMode.HTML, reply_markup=message.keyboard
            )
        except Forbidden:
            logger.info("chat %s blocked the bot; marking it inactive", chat_id)
            await in_db(context, lambda s: mark_chat_blocked(s, chat_id))
            return
        except BadRequest:
            logger.exception("Telegram refused a message to chat %s", chat_id)
