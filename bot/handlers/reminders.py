"""The "Sudah selesai" button under a reminder: no more reminders about that deadline."""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy.orm import Session
from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from asnkarier.services import employees, reminders
from bot.context import in_db

logger = logging.getLogger(__name__)

DONE = "Baik, pengingat untuk tenggat ini tidak akan dikirim lagi. Terima kasih! 🙏"
STALE = "Tombol ini sudah tidak berlaku."
NOT_LINKED = "Akun Telegram ini belum terhubung dengan data pegawai."


async def done_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record the dismissal for the presser's own employee record and remove the keyboard."""
    query = update.callback_query
    if query is None:
        return
    subject = reminders.subject_of(query.data or "")
    if subject is None:  # forged or from an older version of the bot
        await query.answer(STALE, show_alert=True)
        return
    user_id = query.from_user.id

    def record(session: Session) -> bool:
        # The employee comes from who pressed, never from the button: a forwarded or forged
        # button can only ever silence the presser's own reminders.
        employee = employees.by_telegram_user(session, user_id)
        if employee is None:
            return False
        reminders.dismiss(session, employee.id, subject)
        return True

    if not await in_db(context, record):
        await query.answer(NOT_LINKED, show_alert=True)
        return
    logger.info("Reminders about %s dismissed by a user", subject)
    await query.answer(DONE)
    # A keyboard that was already removed or edited is fine to leave alone.
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(reply_markup=None)


def register(application: Application) -> None:  # type: ignore[type-arg]
    # Before buttons.register: its catch-all CallbackQueryHandler would take these presses.
    application.add_handler(
        CallbackQueryHandler(done_pressed, pattern=rf"^{reminders.DONE_PREFIX}")
    )
