"""Free text from employees goes to the assistant; over-long text is refused politely."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from asnkarier.services.employees import mark_chat_active
from bot.context import in_db
from bot.relay import relay

MAX_QUESTION = 1000


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Relay a question to Rasa."""
    message, user = update.effective_message, update.effective_user
    if message is None or message.text is None or user is None:
        return
    if len(message.text) > MAX_QUESTION:
        await message.reply_text(
            f"Pesan Bapak/Ibu terlalu panjang ({len(message.text)} karakter). Mohon ringkas "
            f"pertanyaannya, maksimal {MAX_QUESTION} karakter."
        )
        return
    await in_db(context, lambda s: mark_chat_active(s, user.id))
    await relay(update, context, message.text)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND,
            text_message,
        )
    )
