"""Lapor pelatihan: an employee sends the certificate (photo or PDF) of training done elsewhere,
fills a short form (prefilled from the caption), confirms, and HR verifies it; `/riwayat` lists
the employee's reports and their status.

The form is a draft row in the database (`asnkarier.services.drafts`), never this process's
memory: the next answer may reach another replica, or come after a restart. The file is
downloaded through getFile, checked (size, type by magic bytes) and kept in the file store
(`asnkarier.services.files`) at once, so the draft only holds the stored file's id.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from asnkarier.models import StoredFile, utcnow
from asnkarier.services import drafts, files
from asnkarier.services import training_reports as reports
from asnkarier.services.employees import by_telegram_user, honorific
from asnkarier.services.text import looks_like_question, wants_to_stop
from bot.context import in_db
from bot.handlers import broadcast

logger = logging.getLogger(__name__)

FLOW = "lapor"
CONFIRM = "confirm"  # the last step; the others are the names in reports.FIELDS
PREFIX = "lap-pel:"
QUESTIONS = {
    "title": "Apa judul pelatihannya? (contoh: Pelatihan Analisis Data)",
    "provider": "Siapa penyelenggaranya? (contoh: BPSDM Provinsi Jawa Tengah)",
    "dates": "Kapan pelatihannya? (contoh: 3-5 Nov 2026, atau 03/11/2026)",
    "jp": "Berapa JP (jam pelajaran) yang tertera di sertifikat? (contoh: 24)",
}
NOT_LINKED = (
    "Terima kasih. Untuk melaporkan pelatihan, akun Telegram Bapak/Ibu perlu dihubungkan dulu "
    "dengan data pegawai: ketik «aktivasi» lalu masukkan kode aktivasi dari BKPSDM."
)
RECEIVED = (
    "Terima kasih, sertifikat sudah kami terima. Mohon lengkapi datanya (/batal untuk batal)."
)
DUPLICATE_OWN = (
    "Sertifikat ini sudah pernah Bapak/Ibu laporkan (laporan #{id}, {status}). Lihat /riwayat."
)
DUPLICATE_OTHER = "Sertifikat ini sudah pernah dilaporkan sebelumnya, jadi tidak kami catat lagi."
DOWNLOAD_FAILED = "Maaf, berkasnya gagal kami unduh. Mohon kirim ulang sebentar lagi."
CONFIRM_TEXT = "Mohon periksa laporan pelatihan berikut:\n\n{summary}\n\nKirim ke BKPSDM?"
SENT = (
    "✅ Laporan #{id} terkirim ke BKPSDM untuk diverifikasi. {you} akan diberi tahu "
    "hasilnya di sini; statusnya ada di /riwayat."
)
CANCELLED = "Baik, laporan pelatihan dibatalkan. Tidak ada yang dikirim."
EXPIRED = "Sesi laporan ini sudah berakhir. Silakan kirim ulang sertifikatnya."
CONFIRM_MENU = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("✅ Kirim ke BKPSDM", callback_data=f"{PREFIX}kirim")],
        [InlineKeyboardButton("Batal", callback_data=f"{PREFIX}batal")],
    ]
)


def _key(update: Update) -> tuple[int, int] | None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        return None
    return chat.id, user.id


def _attachment(message: Message) -> tuple[str, int | None, str] | None:
    """The certificate's (file_id, size Telegram reports, file name): the largest photo size,
    or the document."""
    if message.photo:
        largest = message.photo[-1]
        return largest.file_id, largest.file_size, ""
    if message.document is not None:
        document = message.document
        return document.file_id, document.file_size, document.file_name or ""
    return None


async def _download(context: ContextTypes.DEFAULT_TYPE, file_id: str) -> bytes:
    telegram_file = await context.bot.get_file(file_id)
    return bytes(await telegram_file.download_as_bytearray())


def _ask(data: dict[str, Any]) -> tuple[str, str, InlineKeyboardMarkup | None]:
    """The next step of the form, the question to show and its buttons."""
    field = reports.missing(data)
    if field is not None:
        return field, QUESTIONS[field], None
    return CONFIRM, CONFIRM_TEXT.format(summary=reports.summary(data)), CONFIRM_MENU


async def received(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo or document: check and keep it, then start the form (linked employees only)."""
    message, key = update.effective_message, _key(update)
    if message is None or key is None:
        return
    chat_id, user_id = key
    attachment = _attachment(message)
    if attachment is None:
        return
    file_id, size, file_name = attachment
    linked = await in_db(context, lambda s: by_telegram_user(s, user_id) is not None)
    if not linked:
        await message.reply_text(NOT_LINKED)
        return
    try:
        files.check_size(size)  # before downloading: Telegram told us the size
        checked = files.check(await _download(context, file_id))
    except files.FileRejected as exc:
        await message.reply_text(str(exc))
        return
    except BadRequest as exc:  # "file is too big" (over 20 MB: getFile refuses)
        logger.info("getFile refused a certificate: %s", exc)
        await message.reply_text(files.TOO_LARGE)
        return
    except TelegramError as exc:
        logger.warning("could not download a certificate: %s", exc)
        await message.reply_text(DOWNLOAD_FAILED)
        return
    prefilled = reports.from_caption(message.caption)

    def keep(session: Session) -> str | tuple[str, str, InlineKeyboardMarkup | None]:
        employee = by_telegram_user(session, user_id)
        if employee is None:
            return NOT_LINKED
        earlier = reports.reported_file(session, checked.sha256)
        if earlier is not None:
            if earlier.employee_id != employee.id:
                return DUPLICATE_OTHER
            status = reports.STATUS_LABELS[earlier.status]
            return DUPLICATE_OWN.format(id=earlier.id, status=status)
        stored: StoredFile = files.store(session, checked, file_name)
        data = {**prefilled, "file_id": stored.id}
        step, question, markup = _ask(data)
        drafts.save(session, FLOW, chat_id, user_id, step=step, data=data, now=utcnow())
        return step, question, markup

    outcome = await in_db(context, keep)
    if isinstance(outcome, str):
        await message.reply_text(outcome)
        return
    _, question, markup = outcome
    await message.reply_text(f"{RECEIVED}\n\n{question}", reply_markup=markup)


async def typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text from an employee whose report form waits for an answer (or /batal).

    Drafts of every flow share one handler group, so a message that is not for this form goes
    on to the /umumkan draft's handler (`broadcast.typed`), which runs in the same group.
    """
    key, message = _key(update), update.message
    if key is None or message is None or message.text is None:
        return
    words = message.text.split(maxsplit=1)
    command = words[0].split("@")[0] if words and words[0].startswith("/") else ""
    step = None
    if not command or command == "/batal":

        def step_of(session: Session) -> str | None:
            draft = drafts.get(session, FLOW, key[0], key[1], utcnow())
            return draft.step if draft is not None else None

        try:
            step = await in_db(context, step_of)
        except SQLAlchemyError:  # the database is down: the message goes on and is answered
            logger.exception("could not look up the training report draft")
    if step is None:
        await broadcast.typed(update, context)
        return
    if command == "/batal" or wants_to_stop(message.text):
        await cancel(update, context)
    elif step == CONFIRM or looks_like_question(message.text):
        # A question (or any text while the buttons wait) goes to the assistant; the form stays
        # and its next plain answer fills the field it asked for.
        await broadcast.typed(update, context)
        return
    else:
        await _answer(message, context, key)
    raise ApplicationHandlerStop


async def _answer(
    message: Message, context: ContextTypes.DEFAULT_TYPE, key: tuple[int, int]
) -> None:
    """Fill the field the form waits for, then ask the next one (or for confirmation)."""
    chat_id, user_id = key
    text = message.text or ""

    def step(session: Session) -> str | tuple[str, InlineKeyboardMarkup | None] | None:
        draft = drafts.get(session, FLOW, chat_id, user_id, utcnow())
        if draft is None:
            return None
        try:
            data = reports.fill(dict(draft.data), draft.step, text)
        except reports.ReportError as exc:
            return f"{exc}\n\n{QUESTIONS[draft.step]}"
        next_step, question, markup = _ask(data)
        drafts.save(session, FLOW, chat_id, user_id, step=next_step, data=data, now=utcnow())
        return question, markup

    outcome = await in_db(context, step)
    if outcome is None:
        await message.reply_text(EXPIRED)
    elif isinstance(outcome, str):
        await message.reply_text(outcome)
    else:
        await message.reply_text(outcome[0], reply_markup=outcome[1])


async def confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "Kirim ke BKPSDM": file the report from the draft (once, even if pressed twice)."""
    query, key = update.callback_query, _key(update)
    if query is None or key is None:
        return
    chat_id, user_id = key

    def send(session: Session) -> str:
        employee = by_telegram_user(session, user_id)
        data = drafts.take(session, FLOW, chat_id, user_id, CONFIRM, utcnow())
        if data is None or employee is None:
            return EXPIRED
        try:
            report = reports.create(session, employee, int(data["file_id"]), data)
        except reports.ReportError as exc:
            return str(exc)
        return SENT.format(id=report.id, you=honorific(employee))

    text = await in_db(context, send)
    await query.answer()
    with contextlib.suppress(BadRequest):  # pressed twice: "message is not modified"
        await query.edit_message_text(text)


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drop the form (/batal or the "Batal" button); a file no report uses stays harmless."""
    key = _key(update)
    if key is not None:
        await in_db(context, lambda s: drafts.drop(s, FLOW, key[0], key[1]))
    if update.callback_query is not None:
        await update.callback_query.answer()
        with contextlib.suppress(BadRequest):
            await update.callback_query.edit_message_text(CANCELLED)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(CANCELLED)


async def riwayat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/riwayat: the employee's own training reports and their status."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return

    def load(session: Session) -> str:
        employee = by_telegram_user(session, user.id)
        if employee is None:
            return NOT_LINKED.replace("melaporkan pelatihan", "melihat riwayat pelatihan")
        return reports.history_text(reports.for_employee(session, employee.id), honorific(employee))

    await message.reply_text(await in_db(context, load))


def register(application: Application) -> None:  # type: ignore[type-arg]
    """The form's typed answers in the drafts group (before /umumkan's, which it hands on to),
    /riwayat and the buttons in group 0; photos and documents come from bot/handlers/media.py."""
    private = filters.ChatType.PRIVATE
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & private & filters.TEXT, typed),
        group=broadcast.DRAFT_GROUP,
    )
    application.add_handler(CommandHandler("riwayat", riwayat, filters=private))
    application.add_handler(CallbackQueryHandler(confirm, pattern=rf"^{PREFIX}kirim$"))
    application.add_handler(CallbackQueryHandler(cancel, pattern=rf"^{PREFIX}batal$"))
