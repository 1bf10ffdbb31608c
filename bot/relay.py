"""Relay a user's message to Rasa and send the assistant's replies back to the chat."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from asnkarier.services import callbacks
from asnkarier.services.employees import mark_chat_blocked
from bot.context import Context, in_db, rasa
from bot.rasa_client import RasaUnavailable
from bot.render import OutgoingMessage, render

logger = logging.getLogger(__name__)

BUSY = (
    "Maaf, layanan asisten sedang sibuk atau dalam perbaikan. Silakan coba lagi beberapa menit "
    "lagi. Untuk hal mendesak, hubungi BKPSDM pada jam kerja."
)


async def relay(update: Update, context: Context, message: str) -> None:
    """Send `message` (text or a /intent payload) to Rasa as this user; answer in the chat."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    # The typing indicator is a nicety: never let it block the answer.
    with contextlib.suppress(TelegramError):
        await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
    metadata = {
        "chat_id": chat.id,
        "first_name": user.first_name,
        "language_code": user.language_code or "",
    }
    try:
        replies = await rasa(context).send(str(user.id), message, metadata)
    except RasaUnavailable as exc:
        logger.warning("Rasa unavailable for a message: %s", exc)
        await send(context, chat.id, [OutgoingMessage(BUSY)])
        return

    async def tokenize(payload: str) -> str:
        return await in_db(context, lambda s: callbacks.store(s, payload))

    outgoing = await render(replies, tokenize)
    if not outgoing:
        outgoing = [
            OutgoingMessage("Maaf, saya belum punya jawaban untuk itu. Ketik /menu untuk pilihan.")
        ]
    await send(context, chat.id, outgoing)


async def send(context: Context, chat_id: int, messages: list[OutgoingMessage]) -> None:
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
