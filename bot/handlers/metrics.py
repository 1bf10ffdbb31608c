"""Count every update by kind and stamp its arrival, before any other handler runs."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from asnkarier.metrics import UPDATES_HANDLED
from bot.context import mark_received

METRICS_GROUP = -4  # before gatekeeping, so refused and dropped updates count too


def kind_of(update: Update) -> str:
    """A low-cardinality label: what the user did, never who."""
    if update.callback_query is not None:
        return "callback"
    if update.edited_message is not None:
        return "edited"
    message = update.message
    if message is not None:
        if message.text is not None:
            return "command" if message.text.startswith("/") else "text"
        return "media"
    if update.my_chat_member is not None:
        return "chat_member"
    return "other"


async def count(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stamp the arrival (for the reply latency) and count the update."""
    mark_received(context)
    UPDATES_HANDLED.labels(kind_of(update)).inc()


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(TypeHandler(Update, count), group=METRICS_GROUP)
