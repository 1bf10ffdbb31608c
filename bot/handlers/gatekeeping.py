"""Gatekeeping before any feature: private chats only, and a per-user flood guard."""

from __future__ import annotations

import time
from collections import defaultdict, deque

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.context import settings

GATE_GROUP = -2
FLOOD_GROUP = -1
WINDOW_SECONDS = 60.0

GROUP_NOTICE = (
    "Halo! Asisten Karier ASN hanya melayani percakapan pribadi agar data pegawai tetap aman. "
    "Silakan kirim pesan langsung ke bot ini."
)
SLOW_DOWN = (
    "Pesan Bapak/Ibu banyak sekali dalam semenit ini. Mohon tunggu sebentar, lalu kirim lagi. 🙏"
)


async def private_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer in private chats only; in a group say so once (the HR officers' group excepted)."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    if chat.id == settings(context).hr_group_chat_id:
        return  # handled by the handoff feature
    noticed: set[int] = context.bot_data.setdefault("groups_noticed", set())
    if chat.id not in noticed and update.effective_message is not None:
        noticed.add(chat.id)
        await update.effective_message.reply_text(GROUP_NOTICE)
    raise ApplicationHandlerStop


async def flood_guard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Over the per-minute limit, ask the user to slow down once, then drop until it clears."""
    user = update.effective_user
    if user is None:
        return
    limit = settings(context).flood_limit_per_minute
    recent: defaultdict[int, deque[float]] = context.bot_data.setdefault(
        "flood", defaultdict(deque)
    )
    warned: set[int] = context.bot_data.setdefault("flood_warned", set())
    now = time.monotonic()
    stamps = recent[user.id]
    while stamps and now - stamps[0] > WINDOW_SECONDS:
        stamps.popleft()
    stamps.append(now)
    if len(stamps) <= limit:
        warned.discard(user.id)
        return
    if user.id not in warned and update.effective_chat is not None:
        warned.add(user.id)
        await context.bot.send_message(update.effective_chat.id, SLOW_DOWN)
    if update.callback_query is not None:
        await update.callback_query.answer()
    raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(TypeHandler(Update, private_only), group=GATE_GROUP)
    application.add_handler(TypeHandler(Update, flood_guard), group=FLOOD_GROUP)
