"""HR announcements in Telegram: `/umumkan` (compose, segment, preview, send or schedule),
`/laporan ID` (delivery report with a refresh button) and the "Sudah dibaca" button.

The `/umumkan` draft (its step and what was chosen so far) is a row in the database
(`asnkarier.services.drafts`), never this process's memory: the officer's next message or press
may reach another bot replica, or come after a restart, and carries on where the draft stands.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    TypeHandler,
    filters,
)

from asnkarier.models import utcnow
from asnkarier.services import broadcasts, drafts, employees, sendtime
from asnkarier.services.formatting import tanggal_jam
from asnkarier.telegram_limits import MAX_MESSAGE
from bot.context import in_db
from bot.handlers.hr import require_hr

logger = logging.getLogger(__name__)

FLOW = "umumkan"
TEXT, SEGMENT, CONFIRM, WHEN = "text", "segment", "confirm", "when"  # the draft's steps
# After the flood guard, before the features: typed text of a draft at a typing step.
DRAFT_GROUP = -1
PREFIX = "bc:"  # the composer's buttons; "dibaca:" and "lap:" work outside the composer
REPORT_PREFIX = "lap:"

ASK_TEXT = (
    f"Silakan kirim teks pengumuman dalam satu pesan (maksimal {MAX_MESSAGE} karakter). "
    "Ketik /batal untuk membatalkan."
)
CANCELLED = "Baik, pengumuman dibatalkan. Tidak ada yang dikirim."
EXPIRED = "Sesi pengumuman ini sudah berakhir. Mulai lagi dengan /umumkan."
READ_THANKS = "Terima kasih, sudah kami catat. 🙏"
STALE = "Tombol ini sudah tidak berlaku."
NOT_LINKED = "Akun Telegram ini belum terhubung dengan data pegawai."
SEGMENT_LABELS = {"unit": "unit kerja", "jenis_jabatan": "jenis jabatan", "golongan": "golongan"}


def _markup(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


CANCEL_ROW = [("Batal", f"{PREFIX}batal")]
SEGMENT_MENU = _markup(
    [
        [("Semua pegawai", f"{PREFIX}seg:all")],
        [
            ("Per unit kerja", f"{PREFIX}seg:unit"),
            ("Per jenis jabatan", f"{PREFIX}seg:jenis_jabatan"),
        ],
        [("Per golongan", f"{PREFIX}seg:golongan")],
        CANCEL_ROW,
    ]
)
CONFIRM_MENU = _markup(
    [[("Kirim sekarang", f"{PREFIX}now"), ("Jadwalkan", f"{PREFIX}later")], CANCEL_ROW]
)


@dataclass(frozen=True)
class Key:
    """Whose draft: one per officer per chat."""

    chat_id: int
    user_id: int

    @classmethod
    def of(cls, update: Update) -> Key | None:
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None or chat.type != ChatType.PRIVATE:
            return None
        return cls(chat.id, user.id)


async def _load(context: ContextTypes.DEFAULT_TYPE, key: Key) -> tuple[str, dict[str, Any]] | None:
    def load(session: Session) -> tuple[str, dict[str, Any]] | None:
        draft = drafts.get(session, FLOW, key.chat_id, key.user_id, utcnow())
        return None if draft is None else (draft.step, dict(draft.data))

    return await in_db(context, load)


async def _save(
    context: ContextTypes.DEFAULT_TYPE, key: Key, step: str, data: dict[str, Any]
) -> None:
    def save(session: Session) -> None:
        drafts.save(session, FLOW, key.chat_id, key.user_id, step=step, data=data, now=utcnow())

    await in_db(context, save)


async def _edit(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    query = update.callback_query
    if query is not None:
        with contextlib.suppress(BadRequest):  # pressed twice: "message is not modified"
            await query.edit_message_text(text, reply_markup=markup)


async def umumkan(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start composing an announcement (HR officers only); a draft in progress starts over."""
    key = Key.of(update)
    if key is None or update.effective_message is None or await require_hr(update, context) is None:
        return
    await _save(context, key, TEXT, {})
    await update.effective_message.reply_text(ASK_TEXT)


async def typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text from an officer whose draft waits for typing (the text, the time) or /batal."""
    key, message = Key.of(update), update.message
    if key is None or message is None or message.text is None:
        return
    words = message.text.split(maxsplit=1)
    command = words[0].split("@")[0] if words and words[0].startswith("/") else ""
    if command and command != "/batal":
        return  # other commands work as usual while a draft waits
    try:
        draft = await _load(context, key)
    except SQLAlchemyError:  # the database is down: let the message go on (it is answered)
        logger.exception("could not look up the announcement draft")
        return
    if draft is None:
        return  # not composing: the message is for the assistant
    step, data = draft
    if command == "/batal":
        await cancel(update, context)
    elif step == TEXT:
        await got_text(update, context, key, data)
    elif step == WHEN:
        await got_time(update, context, key)
    else:
        return  # waiting for a button: typed text goes to the assistant, as before
    raise ApplicationHandlerStop


async def got_text(
    update: Update, context: ContextTypes.DEFAULT_TYPE, key: Key, data: dict[str, Any]
) -> None:
    """Keep the text and ask who should receive it."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    try:
        text = broadcasts.check_text(message.text)
    except broadcasts.BroadcastError as exc:
        await message.reply_text(f"{exc} Silakan kirim lagi, atau /batal.")
        return
    await _save(context, key, SEGMENT, {**data, "text": text})
    await message.reply_text("Pengumuman ini untuk siapa?", reply_markup=SEGMENT_MENU)


async def _at_step(
    update: Update, context: ContextTypes.DEFAULT_TYPE, step: str
) -> tuple[Key, dict[str, Any]] | None:
    """The pressed button's draft (key, data) if it is at `step`; else say the session ended."""
    key, query = Key.of(update), update.callback_query
    if key is None or query is None:
        return None
    draft = await _load(context, key)
    if draft is None or draft[0] != step:  # a button from an older or finished draft
        await query.answer()
        await _edit(update, EXPIRED)
        return None
    await query.answer()
    return key, draft[1]


async def segment_kind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the values of the chosen kind of segment (or go on with everyone)."""
    found = await _at_step(update, context, SEGMENT)
    if found is None or update.callback_query is None:
        return
    key, data = found
    kind = (update.callback_query.data or "").removeprefix(f"{PREFIX}seg:")
    if kind == "all":
        await _preview(update, context, key, data, {})
        return
    choices = await in_db(context, broadcasts.segment_choices)
    if kind not in choices:
        return
    buttons = [(label, f"{PREFIX}val:{kind}:{value}") for value, label in choices[kind]]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    await _edit(update, f"Pilih {SEGMENT_LABELS[kind]}:", _markup([*rows, CANCEL_ROW]))


async def segment_value(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A segment value was chosen: preview."""
    found = await _at_step(update, context, SEGMENT)
    if found is None or update.callback_query is None:
        return
    kind, _, value = (update.callback_query.data or "").removeprefix(f"{PREFIX}val:").partition(":")
    await _preview(update, context, found[0], found[1], {kind: value})


async def _preview(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    key: Key,
    data: dict[str, Any],
    segment: dict[str, str],
) -> None:
    def count(session: Session) -> tuple[dict[str, str], int]:
        chosen = broadcasts.normalize_segment(session, segment)
        return chosen, broadcasts.count_recipients(session, chosen)

    try:
        chosen, recipients = await in_db(context, count)
    except broadcasts.BroadcastError as exc:
        await _edit(update, f"{exc}\nPilih lagi:", SEGMENT_MENU)
        return
    text = data["text"]
    snippet = text if len(text) <= 600 else text[:600] + "…"
    if recipients == 0:
        await _edit(
            update,
            f"Belum ada penerima untuk {broadcasts.describe_segment(chosen)} (pegawai aktif yang "
            "sudah menautkan Telegram). Pilih segmen lain:",
            SEGMENT_MENU,
        )
        return
    await _save(context, key, CONFIRM, {**data, "segment": chosen})
    await _edit(
        update,
        f"Pratinjau pengumuman:\n\n{snippet}\n\n"
        f"Penerima: {recipients} pegawai ({broadcasts.describe_segment(chosen)}).\n"
        "Kirim sekarang atau jadwalkan?",
        CONFIRM_MENU,
    )


async def send_now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Create the broadcast and queue one message per recipient at once."""
    key, query = Key.of(update), update.callback_query
    officer = await require_hr(update, context)  # rights may have been revoked meanwhile
    if key is None or query is None or officer is None:
        return
    await query.answer()

    def send(session: Session) -> tuple[int, int] | None:
        now = utcnow()
        # Taking the draft consumes it: a second press (or a replica racing) finds nothing.
        draft = drafts.take(session, FLOW, key.chat_id, key.user_id, CONFIRM, now)
        if draft is None:
            return None
        created = broadcasts.create(
            session, text=draft["text"], segment=draft["segment"], now=now, created_by_id=officer.id
        )
        return created.id, broadcasts.materialize(session, created.id, now)

    sent = await in_db(context, send)
    if sent is None:
        await _edit(update, EXPIRED)
        return
    broadcast_id, queued = sent
    logger.info("Broadcast %d queued for %d recipients by an HR officer", broadcast_id, queued)
    await _edit(
        update,
        f"Pengumuman #{broadcast_id} sedang dikirim ke {queued} pegawai. "
        f"Pantau dengan /laporan {broadcast_id}.",
    )


async def ask_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask for the send time, in the officer's own time zone, with examples still ahead."""
    officer = await require_hr(update, context)
    if officer is None:
        return
    found = await _at_step(update, context, CONFIRM)
    if found is None:
        return
    await _save(context, found[0], WHEN, found[1])
    shown = ", ".join(f"«{e}»" for e in sendtime.examples(utcnow(), officer.effective_timezone))
    await _edit(
        update,
        f"Ketik waktu kirim (waktu setempat {employees.honorific(officer)}), misalnya {shown}. "
        "Ketik /batal untuk membatalkan.",
    )


async def got_time(update: Update, context: ContextTypes.DEFAULT_TYPE, key: Key) -> None:
    """Schedule the broadcast at the typed time."""
    message = update.effective_message
    officer = await require_hr(update, context)
    if message is None or message.text is None or officer is None:
        return
    timezone = officer.effective_timezone
    try:
        when = sendtime.parse_send_time(message.text, timezone, utcnow())
    except sendtime.SendTimeError as exc:
        await message.reply_text(f"{exc}\nSilakan ketik lagi, atau /batal.")
        return

    def schedule(session: Session) -> tuple[int, str] | None:
        now = utcnow()
        draft = drafts.take(session, FLOW, key.chat_id, key.user_id, WHEN, now)
        if draft is None:
            return None
        created = broadcasts.create(
            session,
            text=draft["text"],
            segment=draft["segment"],
            now=now,
            scheduled_at=when,
            created_by_id=officer.id,
        )
        return created.id, tanggal_jam(when, timezone)

    try:
        scheduled = await in_db(context, schedule)
    except broadcasts.BroadcastError as exc:
        await message.reply_text(f"{exc}\nSilakan ketik lagi, atau /batal.")
        return
    if scheduled is None:
        await message.reply_text(EXPIRED)
        return
    broadcast_id, local = scheduled
    await message.reply_text(
        f"Pengumuman #{broadcast_id} dijadwalkan pada {local}. "
        f"Laporannya nanti dapat dilihat dengan /laporan {broadcast_id}."
    )


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drop the draft (/batal or the "Batal" button)."""
    key = Key.of(update)
    if key is not None:
        await in_db(context, lambda s: drafts.drop(s, FLOW, key.chat_id, key.user_id))
    if update.callback_query is not None:
        await update.callback_query.answer()
        await _edit(update, CANCELLED)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(CANCELLED)


async def laporan(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the delivery report of one broadcast, or the latest ones when no id is given."""
    message = update.effective_message
    if message is None or await require_hr(update, context) is None:
        return
    arg = context.args[0].lstrip("#") if context.args else ""
    if not arg.isdigit():

        def latest(session: Session) -> list[str]:
            return [
                f"#{b.id} · {b.status.value} · {b.text[:40]}" for b in broadcasts.recent(session, 5)
            ]

        lines = await in_db(context, latest)
        listing = "\n".join(lines) if lines else "Belum ada pengumuman."
        await message.reply_text(f"Ketik /laporan NOMOR, misalnya /laporan 12.\n\n{listing}")
        return
    text = await _report_text(context, int(arg))
    markup = _refresh(int(arg)) if text is not None else None
    await message.reply_text(text or f"Pengumuman #{arg} tidak ditemukan.", reply_markup=markup)


def _refresh(broadcast_id: int) -> InlineKeyboardMarkup:
    return _markup([[("Perbarui", f"{REPORT_PREFIX}{broadcast_id}")]])


async def _report_text(context: ContextTypes.DEFAULT_TYPE, broadcast_id: int) -> str | None:
    def load(session: Session) -> str | None:
        try:
            return broadcasts.format_report(broadcasts.report(session, broadcast_id))
        except broadcasts.BroadcastNotFound:
            return None

    return await in_db(context, load)


async def refresh_report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "Perbarui" button: live progress while a broadcast is being sent."""
    query = update.callback_query
    if query is None or await require_hr(update, context) is None:
        return
    rest = (query.data or "").removeprefix(REPORT_PREFIX)
    text = await _report_text(context, int(rest)) if rest.isdigit() else None
    await query.answer()
    if text is not None:
        await _edit(update, text, _refresh(int(rest)))


async def read_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "Sudah dibaca": mark the presser's own copy read and remove the button."""
    query = update.callback_query
    if query is None:
        return
    broadcast_id = broadcasts.parse_read_data(query.data or "")
    user_id = query.from_user.id

    def mark(session: Session) -> bool | None:
        # The employee comes from who pressed, never from the button's data.
        employee = employees.by_telegram_user(session, user_id)
        if employee is None or broadcast_id is None:
            return None
        broadcasts.mark_read(session, broadcast_id, employee.id, utcnow())
        return True

    if await in_db(context, mark) is None:
        await query.answer(NOT_LINKED if broadcast_id is not None else STALE, show_alert=True)
        return
    await query.answer(READ_THANKS)
    with contextlib.suppress(BadRequest):  # already removed
        await query.edit_message_reply_markup(reply_markup=None)


def register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    application.add_handler(TypeHandler(Update, typed), group=DRAFT_GROUP)
    application.add_handler(CommandHandler("umumkan", umumkan, filters=private))
    for pattern, callback in (
        (rf"^{PREFIX}seg:", segment_kind),
        (rf"^{PREFIX}val:", segment_value),
        (rf"^{PREFIX}now$", send_now),
        (rf"^{PREFIX}later$", ask_time),
        (rf"^{PREFIX}batal$", cancel),
    ):
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))
    application.add_handler(CommandHandler("laporan", laporan, filters=private))
    application.add_handler(CallbackQueryHandler(refresh_report, pattern=rf"^{REPORT_PREFIX}\d+$"))
    application.add_handler(
        CallbackQueryHandler(read_pressed, pattern=rf"^{broadcasts.READ_PREFIX}")
    )
