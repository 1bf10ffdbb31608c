"""Slash commands: each maps to an assistant intent, plus /start deep links and /keluar."""

from __future__ import annotations

import contextlib
import json

from sqlalchemy.orm import Session
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from asnkarier.models import Role
from asnkarier.services import activation, checkin
from asnkarier.services.employees import by_telegram_user
from bot.context import Handler, in_db
from bot.relay import relay

# command -> (description shown in Telegram's menu, payload sent to Rasa)
COMMANDS: dict[str, tuple[str, str]] = {
    "menu": ("Menu utama", "/help"),
    "profil": ("Profil kepegawaian saya", "/my_profile"),
    "pelatihan": ("Cari pelatihan dan JP", "/ask_training"),
    "workshop": ("Jadwal workshop dan pendaftaran", "/list_workshops"),
    "pendaftaran": ("Workshop yang saya ikuti", "/my_registrations"),
    "pengingat": ("Atur pengingat", "/reminder_on"),
    "petugas": ("Hubungi petugas BKPSDM", "/request_human"),
    "bantuan": ("Bantuan", "/help"),
}
# Commands users type from habit, answered like their Indonesian twin but not in the menu.
ALIASES = {"help": "/help", "mulai": "/help"}
MENU = [BotCommand("start", "Mulai"), *(BotCommand(c, d) for c, (d, _) in COMMANDS.items())]
MENU.append(BotCommand("riwayat", "Laporan pelatihan saya dan statusnya"))
MENU.append(BotCommand("sertifikat", "Sertifikat workshop saya"))
MENU.append(BotCommand("keluar", "Lepaskan akun Telegram ini"))

# Followed by the menu (utter_help: what the assistant helps with, as buttons).
WELCOME = "Selamat datang di Asisten Karier ASN dari BKPSDM 👋"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet; link the account when the deep link carries an activation code, or check in at a
    workshop when it carries a check-in token."""
    if update.effective_message is None:
        return
    if context.args and checkin.is_token(context.args[0]):
        # The QR code on a workshop's screen: t.me/<bot>?start=hadir-<token> (services/checkin).
        await relay(update, context, "/check_in" + json.dumps({"kode_hadir": context.args[0]}))
        return
    code = activation.normalize_code(context.args[0]) if context.args else ""
    if len(code) == activation.CODE_LENGTH:
        await relay(update, context, "/link_account" + json.dumps({"kode_aktivasi": code}))
        return
    # One greeting: the welcome, then what the assistant offers (the menu), in one message.
    await relay(update, context, "/help", preface=WELCOME)


def _mapped(payload: str) -> Handler:
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await relay(update, context, payload)

    return handle


async def keluar(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask for confirmation before unlinking this Telegram account."""
    if update.effective_message is None or update.effective_user is None:
        return
    user_id = update.effective_user.id
    linked = await in_db(context, lambda s: by_telegram_user(s, user_id) is not None)
    if not linked:
        await update.effective_message.reply_text(
            "Akun Telegram ini belum terhubung dengan data pegawai."
        )
        return
    await update.effective_message.reply_text(
        "Lepaskan akun Telegram ini dari data kepegawaian Bapak/Ibu? Data di BKPSDM tetap "
        "tersimpan; untuk terhubung lagi perlu kode aktivasi baru.",
        reply_markup=InlineKeyboardMarkup(
            [
                [InlineKeyboardButton("Ya, lepaskan", callback_data="keluar:ya")],
                [InlineKeyboardButton("Tidak", callback_data="keluar:tidak")],
            ]
        ),
    )


async def keluar_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Unlink on 'ya'; either way remove the buttons."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    await query.answer()
    user_id = update.effective_user.id
    if query.data != "keluar:ya":
        await query.edit_message_text("Baik, akun tetap terhubung.")
        return

    def unlink(session: Session) -> Role | None:
        employee = by_telegram_user(session, user_id)
        if employee is None:
            return None
        activation.unlink(session, employee, actor=f"telegram:{user_id}")
        return employee.role

    role = await in_db(context, unlink)
    await query.edit_message_text(
        "Akun Telegram ini sudah dilepas. Terima kasih! 🙏"
        if role is not None
        else "Akun ini memang belum terhubung."
    )
    if role == Role.HR_ADMIN and update.effective_chat is not None:
        # An officer's HR commands menu must not outlive the link (bot/handlers/hr.py sets it).
        with contextlib.suppress(TelegramError):
            await context.bot.delete_my_commands(
                scope=BotCommandScopeChat(update.effective_chat.id)
            )


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain politely instead of staying silent."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(
            "Maaf, perintah itu tidak dikenal. Ketik /menu untuk melihat pilihan, atau tulis "
            "pertanyaan Bapak/Ibu langsung."
        )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("start", start, filters=filters.ChatType.PRIVATE))
    for command, payload in [*((c, p) for c, (_, p) in COMMANDS.items()), *ALIASES.items()]:
        application.add_handler(
            CommandHandler(command, _mapped(payload), filters=filters.ChatType.PRIVATE)
        )
    application.add_handler(CommandHandler("keluar", keluar, filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(keluar_answer, pattern=r"^keluar:(ya|tidak)$"))
    application.add_handler(
        MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown_command)
    )
