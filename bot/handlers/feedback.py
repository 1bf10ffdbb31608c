"""Feedback after a workshop (three questions, buttons and a typed comment), then the
certificate as a PDF document; `/sertifikat` lists the employee's certificates and resends one.

The first question comes through the outbox (`asnkarier.services.feedback.scan`); the answers
are button presses handled here, never through Rasa. The comment prompt is a draft row in the
database (`services.drafts`), so the answer may reach another replica. Only the plain text right
after the prompt counts as the comment, and a question ("kapan deadline skp?") goes on to the
assistant instead (`feedback.classify_comment`).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from asnkarier.models import Certificate, Workshop, WorkshopFeedback, utcnow
from asnkarier.services import drafts
from asnkarier.services import feedback as fb
from asnkarier.services.employees import by_telegram_user, honorific
from asnkarier.services.formatting import tanggal
from bot import context as ctx
from bot.context import in_db
from bot.handlers import messages
from bot.render import button_label

logger = logging.getLogger(__name__)

RESEND_PREFIX = "sert:"
STALE = "Tombol ini sudah tidak berlaku."
NOT_LINKED = "Akun Telegram ini belum terhubung dengan data pegawai."
RECORDED = "Tercatat, terima kasih."
ALREADY = "Jawaban ini sudah tercatat. Terima kasih! 🙏"
OUTCOME_TEXT = {
    fb.Outcome.UNKNOWN: "Workshop ini tidak tersedia lagi (mungkin dibatalkan).",
    fb.Outcome.NOT_ENDED: "Umpan balik dibuka setelah workshop selesai.",
    fb.Outcome.NOT_ATTENDEE: "Umpan balik hanya untuk peserta yang tercatat hadir.",
    fb.Outcome.INCOMPLETE: "Mohon jawab dua pertanyaan penilaian terlebih dahulu.",
}
# {you}: the employee's honorific (asnkarier.services.employees.honorific).
THANKS = "Terima kasih atas umpan balik {you}! 🙏"
THANKS_COMMENT = "Terima kasih, komentar {you} sudah kami catat. 🙏"
SENDING = "Sertifikat {you} kami kirim berikut ini."
NO_JP = "Workshop ini tidak memberi JP, jadi tidak ada sertifikat untuknya."
SEND_FAILED = (
    "Maaf, sertifikat gagal terkirim. Silakan ketik /sertifikat sebentar lagi untuk mengirim "
    "ulang (nomornya tetap sama)."
)
TOO_LONG = (
    f"Komentarnya terlalu panjang. Mohon ringkas, paling banyak {fb.COMMENT_MAX} karakter, atau "
    "tekan «Lewati»."
)
NONE_YET = (
    "{you} belum memiliki sertifikat. Sertifikat workshop dikirim di sini setelah "
    "{you} hadir dan mengisi umpan baliknya."
)


def _private(update: Update) -> tuple[int, int] | None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        return None
    return chat.id, user.id


async def _deliver(context: ContextTypes.DEFAULT_TYPE, chat_id: int, feedback_id: int) -> None:
    """Send the row's certificate unless it was sent (or is being sent by another press)."""
    base_url = ctx.settings(context).web_base_url

    def claim(session: Session) -> fb.Document | None:
        if not fb.claim_send(session, feedback_id, utcnow()):
            return None
        row = session.get(WorkshopFeedback, feedback_id)
        if row is None or row.certificate is None:
            return None
        return fb.document(row.certificate, base_url)

    doc = await in_db(context, claim)
    if doc is None:
        return
    try:
        await context.bot.send_document(
            chat_id, document=doc.content, filename=doc.filename, caption=doc.caption
        )
    except TelegramError as exc:
        logger.warning("certificate %s could not be sent: %s", doc.number, exc)
        await in_db(context, lambda s: fb.send_failed(s, feedback_id))
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(chat_id, SEND_FAILED)
        return
    await in_db(context, lambda s: fb.sent(s, feedback_id, utcnow()))
    logger.info("certificate %s sent", doc.number)


def _finished_text(completion: fb.Completion, comment: bool, you: str) -> str:
    lines = [fb.answered_lines(completion.row)] if completion.row is not None else []
    lines.append((THANKS_COMMENT if comment else THANKS).format(you=you))
    if completion.certificate is not None:
        lines.append(SENDING.format(you=you))
    elif completion.no_certificate_reason:
        lines.append(NO_JP)
    return "\n\n".join(line for line in lines if line)


async def _complete(
    context: ContextTypes.DEFAULT_TYPE, key: tuple[int, int], workshop_id: int, comment: str | None
) -> tuple[fb.Outcome, str, int | None]:
    """Finish the feedback; (outcome, text to show, feedback row id to deliver for)."""
    chat_id, user_id = key

    def finish(session: Session) -> tuple[fb.Outcome, str, int | None]:
        employee = by_telegram_user(session, user_id)
        if employee is None:
            return fb.Outcome.UNKNOWN, NOT_LINKED, None
        done = fb.complete(session, workshop_id, employee, comment, utcnow())
        drafts.drop(session, fb.COMMENT_FLOW, chat_id, user_id)
        if done.outcome == fb.Outcome.ALREADY:
            return done.outcome, ALREADY, done.row.id if done.row else None
        if done.outcome != fb.Outcome.RECORDED:
            return done.outcome, OUTCOME_TEXT[done.outcome], None
        shown = _finished_text(done, bool(comment), honorific(employee))
        return done.outcome, shown, done.row.id if done.row else None

    return await in_db(context, finish)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A feedback button: record the answer once, then ask the next question in place."""
    query, key = update.callback_query, _private(update)
    if query is None:
        return
    press = fb.parse(query.data or "")
    if press is None or key is None:  # forged, or from an older version of the bot
        await query.answer(STALE, show_alert=True)
        return
    chat_id, user_id = key
    if press.skip:
        outcome, text, feedback_id = await _complete(context, key, press.workshop_id, None)
        if outcome == fb.Outcome.RECORDED:
            await query.answer(RECORDED)
            with contextlib.suppress(BadRequest):
                await query.edit_message_text(text)
        else:
            await query.answer(text, show_alert=outcome != fb.Outcome.ALREADY)
        if feedback_id is not None:
            await _deliver(context, chat_id, feedback_id)
        return
    question_asked, value = press.question or "", press.value or 0
    message_id = query.message.message_id if query.message is not None else None

    def record(
        session: Session,
    ) -> tuple[fb.Outcome, str | None, dict[str, Any] | None, int | None]:
        employee = by_telegram_user(session, user_id)
        if employee is None:
            return fb.Outcome.UNKNOWN, NOT_LINKED, None, None
        got = fb.answer(session, press.workshop_id, employee, question_asked, value, utcnow())
        row = got.row
        if got.outcome == fb.Outcome.ALREADY and row is not None:
            unsent = row.completed_at is not None and row.certificate_sent_at is None
            return got.outcome, None, None, row.id if unsent else None
        if got.outcome != fb.Outcome.RECORDED or row is None:
            return got.outcome, OUTCOME_TEXT.get(got.outcome, STALE), None, None
        upcoming = fb.next_question(row, honorific(employee))
        if upcoming is not None:
            question, markup = upcoming
        else:
            question, markup = fb.QUESTION_3, fb.skip_markup(press.workshop_id)
            data = {"workshop_id": press.workshop_id, "message_id": message_id}
            drafts.save(
                session, fb.COMMENT_FLOW, chat_id, user_id, step=fb.COMMENT_STEP, data=data,
                now=utcnow(), ttl=fb.COMMENT_TTL,
            )  # fmt: skip
        return got.outcome, f"{fb.answered_lines(row)}\n\n{question}", markup, None

    got, shown, markup, unsent = await in_db(context, record)
    if got == fb.Outcome.ALREADY:
        await query.answer(ALREADY)
        if unsent is not None:
            await _deliver(context, chat_id, unsent)
        return
    if got != fb.Outcome.RECORDED or shown is None:
        await query.answer(shown or STALE, show_alert=True)
        return
    await query.answer(RECORDED)
    reply_markup = InlineKeyboardMarkup.de_json(markup, context.bot) if markup else None
    with contextlib.suppress(BadRequest):  # an old copy of the message: nothing to edit
        await query.edit_message_text(shown, reply_markup=reply_markup)


async def typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Plain text: the comment when the prompt waits for one, "sertifikat saya", or else the
    assistant's (`messages.text_message`, the next handler of this group)."""
    message, key = update.message, _private(update)
    if message is None or message.text is None or key is None:
        await messages.text_message(update, context)
        return
    chat_id, user_id = key
    kind = fb.classify_comment(message.text)
    if " ".join(message.text.lower().split()).strip(" .!?") in fb.CERTIFICATE_WORDS:
        await in_db(context, lambda s: drafts.drop(s, fb.COMMENT_FLOW, chat_id, user_id))
        await sertifikat(update, context)
        return
    try:
        draft = await in_db(
            context, lambda s: drafts.get(s, fb.COMMENT_FLOW, chat_id, user_id, utcnow())
        )
        data = dict(draft.data) if draft is not None else None
    except SQLAlchemyError:  # the database is down: the message goes on and is answered
        logger.exception("could not look up the feedback comment prompt")
        data = None
    if data is None:
        await messages.text_message(update, context)
        return
    if kind == fb.CommentKind.TOO_LONG:
        await message.reply_text(TOO_LONG)
        return
    if kind == fb.CommentKind.NOT_A_COMMENT:
        # Not for the prompt: it closes, the question is answered ("Lewati" still finishes).
        await in_db(context, lambda s: drafts.drop(s, fb.COMMENT_FLOW, chat_id, user_id))
        await messages.text_message(update, context)
        return
    comment = message.text if kind == fb.CommentKind.COMMENT else None
    _, text, feedback_id = await _complete(context, key, int(data["workshop_id"]), comment)
    prompt = data.get("message_id")
    if prompt:
        with contextlib.suppress(BadRequest):  # the "Lewati" button of the prompt goes
            await context.bot.edit_message_reply_markup(chat_id, int(prompt), reply_markup=None)
    await message.reply_text(text)
    if feedback_id is not None:
        await _deliver(context, chat_id, feedback_id)


def _listing(
    certificates: list[Certificate], pending: list[Workshop], you: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    rows: list[list[InlineKeyboardButton]] = []
    lines = []
    if pending:
        lines.append("Umpan balik yang belum selesai (sertifikat dikirim setelahnya):")
        for workshop in pending:
            lines.append(f"• {workshop.title}")
            label = button_label(f"Isi umpan balik: {workshop.title}")
            rows.append([InlineKeyboardButton(label, callback_data=fb.resume_data(workshop.id))])
        lines.append("")
    if not certificates:
        none = NONE_YET if not pending else "{you} belum memiliki sertifikat."
        lines.append(none.format(you=you))
        return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None
    lines.append(f"Sertifikat {you}:")
    for index, c in enumerate(certificates, 1):
        state = " (dicabut)" if c.revoked_at else ""
        lines.append(
            f"{index}. {c.title} · {tanggal(c.held_on, with_day=False)} · {c.jp} JP\n"
            f"   Nomor {c.number}{state}"
        )
        if c.revoked_at is None and len(rows) < 8:
            rows.append(
                [InlineKeyboardButton(f"Kirim {c.number}", callback_data=RESEND_PREFIX + c.number)]
            )
    if rows:
        lines.append("\nTekan tombol untuk menerima berkas PDF-nya lagi.")
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


async def sertifikat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sertifikat (or "sertifikat saya"): the employee's certificates, with resend buttons."""
    message, key = update.effective_message, _private(update)
    if message is None or key is None:
        return

    def load(session: Session) -> tuple[str, InlineKeyboardMarkup | None]:
        employee = by_telegram_user(session, key[1])
        if employee is None:
            return NOT_LINKED, None
        return _listing(
            fb.employee_certificates(session, employee.id),
            fb.pending(session, employee.id, utcnow()),
            honorific(employee),
        )

    text, markup = await in_db(context, load)
    await message.reply_text(text, reply_markup=markup)


async def resend(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "Kirim <nomor>": the same certificate (same number) again, to its holder only."""
    query, key = update.callback_query, _private(update)
    if query is None:
        return
    number = (query.data or "").removeprefix(RESEND_PREFIX)
    if key is None:
        await query.answer(STALE, show_alert=True)
        return
    base_url = ctx.settings(context).web_base_url

    def load(session: Session) -> fb.Document | None:
        employee = by_telegram_user(session, key[1])
        certificate = fb.own_certificate(session, employee.id, number) if employee else None
        return fb.document(certificate, base_url) if certificate else None

    doc = await in_db(context, load)
    if doc is None:
        await query.answer(
            "Sertifikat ini tidak tersedia (mungkin sudah dicabut).", show_alert=True
        )
        return
    await query.answer("Sertifikat dikirim.")
    try:
        await context.bot.send_document(
            key[0], document=doc.content, filename=doc.filename, caption=doc.caption
        )
    except TelegramError as exc:
        logger.warning("certificate %s could not be resent: %s", doc.number, exc)
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(key[0], SEND_FAILED)
        return

    await in_db(context, lambda s: fb.resent(s, doc.number, utcnow()))


async def resume_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "Isi umpan balik: ...": the next question of an unfinished feedback, as a new message."""
    query, key = update.callback_query, _private(update)
    workshop_id = fb.parse_resume(query.data or "") if query is not None else None
    if query is None:
        return
    if workshop_id is None or key is None:
        await query.answer(STALE, show_alert=True)
        return
    chat_id, user_id = key

    def step(session: Session) -> fb.Step:
        employee = by_telegram_user(session, user_id)
        if employee is None:
            return fb.Step(fb.Outcome.UNKNOWN, NOT_LINKED)
        return fb.resume(session, workshop_id, employee, utcnow())

    found = await in_db(context, step)
    if found.outcome == fb.Outcome.ALREADY:
        await query.answer(ALREADY)
        return
    if found.outcome != fb.Outcome.RECORDED:
        await query.answer(found.text or OUTCOME_TEXT.get(found.outcome, STALE), show_alert=True)
        return
    await query.answer()
    markup = InlineKeyboardMarkup.de_json(found.markup, context.bot) if found.markup else None
    sent = await context.bot.send_message(chat_id, found.text, reply_markup=markup)
    if found.comment_prompt:
        data = {"workshop_id": workshop_id, "message_id": sent.message_id}
        await in_db(
            context,
            lambda s: drafts.save(
                s, fb.COMMENT_FLOW, chat_id, user_id, step=fb.COMMENT_STEP, data=data,
                now=utcnow(), ttl=fb.COMMENT_TTL,
            ),
        )  # fmt: skip


def register_command(application: Application) -> None:  # type: ignore[type-arg]
    """/sertifikat, before `commands.register` (its unknown-command catch-all)."""
    application.add_handler(
        CommandHandler("sertifikat", sertifikat, filters=filters.ChatType.PRIVATE)
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Buttons before the catch-all buttons handler; plain text before `messages.register`
    (this handler hands every message that is not a comment on to the assistant)."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CallbackQueryHandler(pressed, pattern=rf"^{fb.PREFIX}"))
    application.add_handler(CallbackQueryHandler(resend, pattern=rf"^{RESEND_PREFIX}"))
    application.add_handler(CallbackQueryHandler(resume_pressed, pattern=rf"^{fb.RESUME_PREFIX}"))
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & private & filters.TEXT & ~filters.COMMAND, typed
        )
    )
