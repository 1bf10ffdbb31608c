"""HR announcements in Telegram: `/umumkan` (compose, segment, preview, send or schedule),
`/laporan ID` (delivery report with a refresh button) and the "Sudah dibaca" button."""

from __future__ import annotations

import contextlib
import logging
import warnings
from typing import Any

from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from asnkarier.models import utcnow
from asnkarier.services import broadcasts, employees, sendtime
from bot.context import in_db
from bot.handlers.hr import require_hr

logger = logging.getLogger(__name__)

TEXT, SEGMENT, CONFIRM, WHEN = range(4)
PREFIX = "bc:"  # the composer's buttons; "dibaca:" and "lap:" work outside the conversation
REPORT_PREFIX = "lap:"

ASK_TEXT = (
    "Silakan kirim teks pengumuman dalam satu pesan (maksimal 4096 karakter). "
    "Ketik /batal untuk membatalkan."
)
CANCELLED = "Baik, pengumuman dibatalkan. Tidak ada yang dikirim."
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


def _draft(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Any]:
    data: dict[str, Any] = context.user_data.setdefault("umumkan", {})  # type: ignore[union-attr]
    return data


async def _edit(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    query = update.callback_query
    if query is not None:
        with contextlib.suppress(BadRequest):  # pressed twice: "message is not modified"
            await query.edit_message_text(text, reply_markup=markup)


async def umumkan(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Start composing an announcement (HR officers only)."""
    if update.effective_message is None or await require_hr(update, context) is None:
        return ConversationHandler.END
    _draft(context).clear()
    await update.effective_message.reply_text(ASK_TEXT)
    return TEXT


async def got_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Keep the text and ask who should receive it."""
    message = update.effective_message
    if message is None or message.text is None:
        return TEXT
    try:
        text = broadcasts.check_text(message.text)
    except broadcasts.BroadcastError as exc:
        await message.reply_text(f"{exc} Silakan kirim lagi, atau /batal.")
        return TEXT
    _draft(context)["text"] = text
    await message.reply_text("Pengumuman ini untuk siapa?", reply_markup=SEGMENT_MENU)
    return SEGMENT


async def segment_kind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Show the values of the chosen kind of segment (or go on with everyone)."""
    query = update.callback_query
    if query is None:
        return SEGMENT
    await query.answer()
    kind = (query.data or "").removeprefix(f"{PREFIX}seg:")
    if kind == "all":
        return await _preview(update, context, {})
    choices = await in_db(context, broadcasts.segment_choices)
    if kind not in choices:
        return SEGMENT
    buttons = [(label, f"{PREFIX}val:{kind}:{value}") for value, label in choices[kind]]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    await _edit(update, f"Pilih {SEGMENT_LABELS[kind]}:", _markup([*rows, CANCEL_ROW]))
    return SEGMENT


async def segment_value(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A segment value was chosen: preview."""
    query = update.callback_query
    if query is None:
        return SEGMENT
    await query.answer()
    kind, _, value = (query.data or "").removeprefix(f"{PREFIX}val:").partition(":")
    return await _preview(update, context, {kind: value})


async def _preview(
    update: Update, context: ContextTypes.DEFAULT_TYPE, segment: dict[str, str]
) -> int:
    draft = _draft(context)
    if "text" not in draft:  # a button from an older conversation
        await _edit(update, "Sesi pengumuman ini sudah berakhir. Mulai lagi dengan /umumkan.")
        return ConversationHandler.END

    def count(session: Session) -> tuple[dict[str, str], int]:
        chosen = broadcasts.normalize_segment(session, segment)
        return chosen, broadcasts.count_recipients(session, chosen)

    try:
        chosen, recipients = await in_db(context, count)
    except broadcasts.BroadcastError as exc:
        await _edit(update, f"{exc}\nPilih lagi:", SEGMENT_MENU)
        return SEGMENT
    draft["segment"] = chosen
    text = draft["text"]
    snippet = text if len(text) <= 600 else text[:600] + "…"
    if recipients == 0:
        await _edit(
            update,
            f"Belum ada penerima untuk {broadcasts.describe_segment(chosen)} (pegawai aktif yang "
            "sudah menautkan Telegram). Pilih segmen lain:",
            SEGMENT_MENU,
        )
        return SEGMENT
    await _edit(
        update,
        f"Pratinjau pengumuman:\n\n{snippet}\n\n"
        f"Penerima: {recipients} pegawai ({broadcasts.describe_segment(chosen)}).\n"
        "Kirim sekarang atau jadwalkan?",
        CONFIRM_MENU,
    )
    return CONFIRM


async def send_now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Create the broadcast and queue one message per recipient at once."""
    query = update.callback_query
    officer = await require_hr(update, context)  # rights may have been revoked meanwhile
    if query is None or officer is None:
        return ConversationHandler.END
    await query.answer()
    draft = _draft(context)
    if "segment" not in draft:
        await _edit(update, "Sesi pengumuman ini sudah berakhir. Mulai lagi dengan /umumkan.")
        return ConversationHandler.END

    def send(session: Session) -> tuple[int, int]:
        now = utcnow()
        created = broadcasts.create(
            session, text=draft["text"], segment=draft["segment"], now=now, created_by_id=officer.id
        )
        return created.id, broadcasts.materialize(session, created.id, now)

    broadcast_id, queued = await in_db(context, send)
    draft.clear()
    logger.info("Broadcast %d queued for %d recipients by an HR officer", broadcast_id, queued)
    await _edit(
        update,
        f"Pengumuman #{broadcast_id} sedang dikirim ke {queued} pegawai. "
        f"Pantau dengan /laporan {broadcast_id}.",
    )
    return ConversationHandler.END


async def ask_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Ask for the send time, in the officer's own time zone, with examples still ahead."""
    query = update.callback_query
    if query is None:
        return CONFIRM
    officer = await require_hr(update, context)
    if officer is None:
        return ConversationHandler.END
    await query.answer()
    shown = ", ".join(f"«{e}»" for e in sendtime.examples(utcnow(), officer.effective_timezone))
    await _edit(
        update,
        f"Ketik waktu kirim (waktu setempat Bapak/Ibu), misalnya {shown}. "
        "Ketik /batal untuk membatalkan.",
    )
    return WHEN


async def got_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Schedule the broadcast at the typed time."""
    message = update.effective_message
    officer = await require_hr(update, context)
    if message is None or message.text is None or officer is None:
        return ConversationHandler.END
    draft = _draft(context)
    if "segment" not in draft:
        await message.reply_text("Sesi pengumuman ini sudah berakhir. Mulai lagi dengan /umumkan.")
        return ConversationHandler.END
    timezone = officer.effective_timezone
    try:
        when = sendtime.parse_send_time(message.text, timezone, utcnow())
    except sendtime.SendTimeError as exc:
        await message.reply_text(f"{exc}\nSilakan ketik lagi, atau /batal.")
        return WHEN

    def schedule(session: Session) -> tuple[int, str]:
        created = broadcasts.create(
            session,
            text=draft["text"],
            segment=draft["segment"],
            now=utcnow(),
            scheduled_at=when,
            created_by_id=officer.id,
        )
        return created.id, broadcasts.local_time(when, timezone)

    try:
        broadcast_id, local = await in_db(context, schedule)
    except broadcasts.BroadcastError as exc:
        await message.reply_text(f"{exc}\nSilakan ketik lagi, atau /batal.")
        return WHEN
    draft.clear()
    await message.reply_text(
        f"Pengumuman #{broadcast_id} dijadwalkan pada {local}. "
        f"Laporannya nanti dapat dilihat dengan /laporan {broadcast_id}."
    )
    return ConversationHandler.END


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Drop the draft."""
    _draft(context).clear()
    if update.callback_query is not None:
        await update.callback_query.answer()
        await _edit(update, CANCELLED)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(CANCELLED)
    return ConversationHandler.END


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
    with warnings.catch_warnings():
        # Tracking per user (not per message) is what we want: one draft per officer.
        warnings.filterwarnings("ignore", ".*per_message.*", PTBUserWarning)
        conversation = ConversationHandler(
            entry_points=[CommandHandler("umumkan", umumkan, filters=private)],
            states={
                TEXT: [MessageHandler(filters.TEXT & ~filters.COMMAND & private, got_text)],
                SEGMENT: [
                    CallbackQueryHandler(segment_kind, pattern=rf"^{PREFIX}seg:"),
                    CallbackQueryHandler(segment_value, pattern=rf"^{PREFIX}val:"),
                ],
                CONFIRM: [
                    CallbackQueryHandler(send_now, pattern=rf"^{PREFIX}now$"),
                    CallbackQueryHandler(ask_time, pattern=rf"^{PREFIX}later$"),
                ],
                WHEN: [MessageHandler(filters.TEXT & ~filters.COMMAND & private, got_time)],
            },
            fallbacks=[
                CommandHandler("batal", cancel, filters=private),
                CallbackQueryHandler(cancel, pattern=rf"^{PREFIX}batal$"),
            ],
            allow_reentry=True,
            name="umumkan",
        )
    application.add_handler(conversation)
    application.add_handler(CommandHandler("laporan", laporan, filters=private))
    application.add_handler(CallbackQueryHandler(refresh_report, pattern=rf"^{REPORT_PREFIX}\d+$"))
    application.add_handler(
        CallbackQueryHandler(read_pressed, pattern=rf"^{broadcasts.READ_PREFIX}")
    )
