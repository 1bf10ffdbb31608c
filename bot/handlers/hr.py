"""HR officers: their extra commands menu (per chat) and the guard every HR-only handler uses."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from asnkarier import signals
from asnkarier.models import Employee, Role
from asnkarier.services.employees import by_telegram_user, hr_officer_chats
from bot.context import in_db
from bot.handlers.commands import MENU
from bot.relay import on_signal

logger = logging.getLogger(__name__)

# Shown only in HR officers' private chats; the handlers live in bot/handlers/broadcast.py.
HR_COMMANDS = [
    BotCommand("umumkan", "Kirim pengumuman ke pegawai (petugas)"),
    BotCommand("laporan", "Laporan pengiriman pengumuman (petugas)"),
    BotCommand("konsol", "Tautan masuk Konsol BKPSDM (petugas)"),
]
NOT_HR = (
    "Maaf, perintah ini khusus untuk petugas BKPSDM. Ketik /menu untuk melihat layanan yang "
    "tersedia bagi Bapak/Ibu."
)


def is_hr(employee: Employee | None) -> bool:
    """Admin rights come from the DB role only (never from a username or a chat)."""
    return employee is not None and employee.is_active and employee.role == Role.HR_ADMIN


async def show_hr_menu(bot: Bot, chat_id: int) -> bool:
    """Give this private chat the employee menu plus the HR commands."""
    try:
        await bot.set_my_commands([*MENU, *HR_COMMANDS], scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:  # chat gone, bot blocked, network: the guard still protects
        logger.warning("could not show the HR menu in chat %s: %s", chat_id, exc)
        return False
    return True


async def hide_hr_menu(bot: Bot, chat_id: int) -> None:
    """Back to the default menu (rights revoked, account unlinked)."""
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:
        logger.warning("could not reset the menu in chat %s: %s", chat_id, exc)


async def show_hr_menus(application: Application) -> int:  # type: ignore[type-arg]
    """At start-up: every linked HR officer gets the HR menu; returns how many."""
    chats = await in_db(application, hr_officer_chats)
    shown = 0
    for chat_id in chats:
        shown += await show_hr_menu(application.bot, chat_id)
    if chats:
        logger.info("HR commands menu shown to %d of %d HR officers", shown, len(chats))
    return shown


async def require_hr(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Employee | None:
    """The HR officer behind this update, or None after telling the user politely it is HR-only."""
    user, chat = update.effective_user, update.effective_chat
    if user is None:
        return None
    employee = await in_db(context, lambda s: by_telegram_user(s, user.id))
    if is_hr(employee):
        return employee
    if update.callback_query is not None:
        await update.callback_query.answer(NOT_HR, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(NOT_HR)
    if chat is not None and chat.type == ChatType.PRIVATE:
        # The menu may be left over from rights revoked since start-up: take it away now.
        await hide_hr_menu(context.bot, chat.id)
    return None


async def _account_linked(
    update: Update, context: ContextTypes.DEFAULT_TYPE, _signal: dict[str, Any]
) -> str | None:
    """An officer who just linked sees the HR commands at once."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    employee = await in_db(context, lambda s: by_telegram_user(s, user.id))
    if is_hr(employee) and await show_hr_menu(context.bot, chat.id):
        return "Sebagai petugas BKPSDM, Bapak/Ibu juga dapat memakai /umumkan dan /laporan."
    return None


def register(application: Application) -> None:  # type: ignore[type-arg]
    on_signal(application, signals.ACCOUNT_LINKED, _account_linked)
