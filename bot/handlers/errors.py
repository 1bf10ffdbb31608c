"""The one error handler: log with the traceback, tell the user something useful."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

logger = logging.getLogger(__name__)

SORRY = "Maaf, terjadi kendala di sistem kami. Silakan coba lagi sebentar lagi, atau ketik /menu."


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure; apologise in the chat when there is one."""
    logger.error("Error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(update.effective_chat.id, SORRY)
    if isinstance(update, Update) and update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_error_handler(on_error)
