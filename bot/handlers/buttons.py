"""Button presses: the payload goes to the assistant, the spinner stops, the keyboard goes."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from asnkarier.services import callbacks
from bot.context import in_db
from bot.relay import relay

logger = logging.getLogger(__name__)

STALE = "Tombol ini sudah tidak berlaku. Silakan mulai lagi dari /menu."


async def button_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the callback at once, remove the pressed keyboard, relay the payload."""
    query = update.callback_query
    if query is None:
        return
    data = query.data or ""
    payload = await in_db(context, lambda s: callbacks.resolve(s, data)) if data else None
    if not payload or not payload.startswith("/"):
        # Forged, expired or from an old version of the bot: never sent to Rasa.
        await query.answer(STALE, show_alert=True)
        return
    await query.answer()
    # A keyboard that was already removed or edited is fine to leave alone.
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(reply_markup=None)
    await relay(update, context, payload)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CallbackQueryHandler(button_pressed))
