"""Human handoff: tickets go to the HR officers' group; their answers reach the employee.

The action server opens the ticket and signals it (asnkarier.signals.HANDOFF_OPENED); this
module posts it to HR_GROUP_CHAT_ID with a close button. An officer answers by replying to that
post; the answer goes to the employee through the outbox (sent once by the dispatcher).
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any

from sqlalchemy.orm import Session
from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from asnkarier import signals
from asnkarier.services import employees, support
from asnkarier.services.support import ReplyOutcome, TicketCard
from asnkarier.services.text import wants_to_stop
from asnkarier.telegram_limits import MAX_MESSAGE, text_length
from bot.context import Context, in_db, settings
from bot.relay import on_signal

logger = logging.getLogger(__name__)

CLOSE = re.compile(r"^handoff:close:(\d+)$")

# To the employee, after the action's (or ask_answered's) "forwarded (ticket #N)". Officers
# answer in the HR group or with `asnbot ticket answer`: either way it comes in this chat.
ANSWER_HERE = (
    "Petugas akan membalas di percakapan ini pada hari dan jam kerja (Senin–Jumat); Bapak/Ibu "
    "tidak perlu mengirim ulang. 🙏"
)
# Asking for the question (a Telegram "force reply": the user's answer replies to this message).
ASK_QUESTION = (
    "Baik, saya teruskan ke petugas BKPSDM. Apa pertanyaan Bapak/Ibu? Tulis dalam satu pesan "
    "sebagai balasan pesan ini (ketik «batal» bila tidak jadi)."
)
ASK_PLACEHOLDER = "Pertanyaan untuk petugas BKPSDM"
FORWARDED_TO_HR = "Pertanyaan Bapak/Ibu sudah diteruskan ke petugas BKPSDM (tiket #{ticket})."
STILL_OPEN = "Pertanyaan Bapak/Ibu (tiket #{ticket}) masih ditangani petugas. Mohon ditunggu."
NOT_ASKED = "Baik, tidak jadi diteruskan ke petugas. Silakan bertanya lagi kapan saja."
REPLY_PREFIX = support.REPLY_PREFIX
# To the officers, in their group.
FORWARDED = "✅ Diteruskan ke pegawai (tiket #{ticket})."
TICKET_CLOSED = "Tiket #{ticket} sudah ditutup; balasan ini tidak diteruskan ke pegawai."
REPLY_TO_TICKET = "Untuk menjawab pegawai, balas (reply) pesan tiketnya, bukan pesan ini."
TEXT_ONLY = "Maaf, hanya balasan berupa teks yang dapat diteruskan ke pegawai."
TOO_LONG = "Balasan terlalu panjang ({length} karakter). Mohon pecah, maksimal {limit} karakter."
ONLY_IN_GROUP = "Tombol ini hanya untuk petugas di grup BKPSDM."
ALREADY_CLOSED = "Tiket ini sudah ditutup."


def card_text(card: TicketCard, telegram_name: str | None = None) -> str:
    """The ticket as HR officers see it (HTML): who (NIP masked), which unit, what question."""
    if card.employee_name:
        who = (
            f"<b>{html.escape(card.employee_name)}</b> — {html.escape(card.unit_name or '-')}\n"
            f"NIP {html.escape(card.masked_nip or '-')}"
        )
    else:
        shown = f" (nama Telegram: {html.escape(telegram_name)})" if telegram_name else ""
        who = f"<i>Akun belum terhubung dengan data pegawai</i>{shown}"
    return (
        f"🙋 <b>Tiket #{card.ticket_id}</b>\n{who}\n\n"
        f"{html.escape(card.question)}\n\n"
        "<i>Balas (reply) pesan ini untuk menjawab; tekan «Tutup tiket» bila sudah selesai.</i>"
    )


def close_keyboard(ticket_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("✅ Tutup tiket", callback_data=f"handoff:close:{ticket_id}")]]
    )


async def _post(context: Context, bot: Bot, card: TicketCard, telegram_name: str | None) -> bool:
    """Post the card in the HR group and remember where; False when that is not possible."""
    group = settings(context).hr_group_chat_id
    try:
        posted = await bot.send_message(
            group,
            card_text(card, telegram_name),
            parse_mode=ParseMode.HTML,
            reply_markup=close_keyboard(card.ticket_id),
        )
    except TelegramError as exc:  # bot not in the group, group gone, Telegram down
        logger.warning("could not post ticket #%d to the HR group: %s", card.ticket_id, exc)
        return False
    ticket_id, message_id = card.ticket_id, posted.message_id
    await in_db(context, lambda s: support.attach_hr_message(s, ticket_id, message_id))
    return True


async def forward(
    context: Context, bot: Bot, ticket_id: int, telegram_name: str | None = None
) -> str | None:
    """Make sure the open ticket is in the HR group when there is one; returns how the employee
    will be answered (None: the ticket was closed meanwhile, and the closing notice says so)."""
    card = await in_db(context, lambda s: support.open_ticket_card(s, ticket_id))
    if card is None:
        return None
    if not settings(context).hr_group_chat_id:
        logger.warning(
            "ticket #%d opened but HR_GROUP_CHAT_ID is not set: officers work it with "
            "`asnbot ticket list|show|answer|close`",
            ticket_id,
        )
    elif card.hr_message_id is None:
        await _post(context, bot, card, telegram_name)  # a failed post is retried at start-up
    return ANSWER_HERE


async def forward_pending(application: Application) -> int:  # type: ignore[type-arg]
    """At start-up, post open tickets the group has not seen (no group then, or a failed post)."""
    if not settings(application).hr_group_chat_id:
        return 0
    cards = await in_db(application, support.tickets_to_forward)
    posted = 0
    for card in cards:
        posted += await _post(application, application.bot, card, None)
    if cards:
        logger.info("posted %d of %d waiting tickets to the HR group", posted, len(cards))
    return posted


async def _ticket_opened(
    update: Update, context: ContextTypes.DEFAULT_TYPE, signal: dict[str, Any]
) -> str | None:
    """The action server opened (or found) a ticket: post it, and say how the answer comes."""
    try:
        ticket_id = int(signal["ticket_id"])
    except (KeyError, TypeError, ValueError):
        logger.error("handoff signal without a ticket id: %r", signal)
        return None
    user = update.effective_user
    name = user.full_name if user is not None else None
    return await forward(context, context.bot, ticket_id, name)


async def _ask_question(
    update: Update, context: ContextTypes.DEFAULT_TYPE, signal: dict[str, Any]
) -> str | None:
    """The action wants the question first: ask with a force reply, so the answer replies to it."""
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(
            chat.id,
            ASK_QUESTION,
            reply_markup=ForceReply(input_field_placeholder=ASK_PLACEHOLDER),
        )
    return None


class _AnswersTheAsk(filters.MessageFilter):
    """A private message replying to the bot's "what is your question?" prompt."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        return bool(
            replied is not None
            and replied.from_user is not None
            and replied.from_user.is_bot
            and replied.text == ASK_QUESTION
        )


async def question_given(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The user's question for the officers: open the ticket with it and say what happens next."""
    message, user = update.effective_message, update.effective_user
    if message is None or message.text is None or user is None:
        return
    question = message.text.strip()
    if wants_to_stop(question):
        await message.reply_text(NOT_ASKED)
        return
    chat_id, user_id = message.chat_id, user.id

    def open_it(session: Session) -> tuple[int, bool]:
        employee = employees.by_telegram_user(session, user_id)
        ticket, created = support.open_ticket(
            session,
            telegram_user_id=user_id,
            chat_id=chat_id,
            question=question,
            employee_id=employee.id if employee else None,
        )
        return ticket.id, created

    ticket_id, created = await in_db(context, open_it)
    if not created:
        await message.reply_text(STILL_OPEN.format(ticket=ticket_id))
        return
    how = await forward(context, context.bot, ticket_id, user.full_name)
    told = FORWARDED_TO_HR.format(ticket=ticket_id)
    await message.reply_text(f"{told}\n\n{how}" if how else told)


def _in_hr_group(context: ContextTypes.DEFAULT_TYPE, chat_id: int | None) -> bool:
    group = settings(context).hr_group_chat_id
    return bool(group) and chat_id == group


async def officer_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An officer replied to a message of the bot in the HR group: pass the answer on."""
    message = update.message
    if message is None or not _in_hr_group(context, message.chat_id):
        return
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return  # officers talking among themselves
    if message.text is None:
        await message.reply_text(TEXT_ONLY)
        return
    limit = MAX_MESSAGE - text_length(REPLY_PREFIX.format(ticket=10**9))
    length = text_length(message.text)
    if length > limit:
        await message.reply_text(TOO_LONG.format(length=length, limit=limit))
        return
    answer = message.text
    officer = f"telegram:{message.from_user.id}" if message.from_user else "telegram:?"
    hr_message_id, officer_message_id = replied.message_id, message.message_id
    outcome, ticket = await in_db(
        context,
        lambda s: support.queue_officer_reply(
            s,
            hr_message_id=hr_message_id,
            officer_message_id=officer_message_id,
            officer=officer,
            text=lambda ticket_id: REPLY_PREFIX.format(ticket=ticket_id) + answer,
        ),
    )
    ticket_id = ticket.id if ticket is not None else None
    match outcome:
        case ReplyOutcome.QUEUED:
            await message.reply_text(FORWARDED.format(ticket=ticket_id))
        case ReplyOutcome.CLOSED:
            await message.reply_text(TICKET_CLOSED.format(ticket=ticket_id))
        case ReplyOutcome.NOT_A_TICKET:
            await message.reply_text(REPLY_TO_TICKET)
        case _:
            pass  # the same update delivered again: already queued, already confirmed


async def close_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Close the ticket (officers' group only), tell the employee, mark the card closed."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    match = CLOSE.match(query.data)
    chat_id = query.message.chat.id if query.message is not None else None
    if match is None or not _in_hr_group(context, chat_id):
        await query.answer(ONLY_IN_GROUP, show_alert=True)
        return
    ticket_id = int(match.group(1))
    officer = update.effective_user
    actor = f"telegram:{officer.id}" if officer else "telegram:?"
    closed = await in_db(context, lambda s: support.close_and_notify(s, ticket_id, actor=actor))
    await query.answer("Tiket ditutup." if closed else ALREADY_CLOSED)
    card = query.message
    try:
        if isinstance(card, Message) and card.text is not None:
            who = html.escape(officer.full_name) if officer else "petugas"
            await query.edit_message_text(
                f"{card.text_html}\n\n✅ <b>Ditutup</b> oleh {who}.",
                parse_mode=ParseMode.HTML,
                reply_markup=None,
            )
        else:
            await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as exc:  # already edited by another officer's press
        logger.info("ticket #%d card not edited: %s", ticket_id, exc)


def register(application: Application) -> None:  # type: ignore[type-arg]
    on_signal(application, signals.HANDOFF_OPENED, _ticket_opened)
    on_signal(application, signals.HANDOFF_ASK, _ask_question)
    # Before the free-text handler: the answer to "what is your question?" is the ticket.
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE
            & filters.ChatType.PRIVATE
            & filters.TEXT
            & ~filters.COMMAND
            & _AnswersTheAsk(),
            question_given,
        )
    )
    # Before the generic button handler, which would treat this data as stale.
    application.add_handler(CallbackQueryHandler(close_pressed, pattern=r"^handoff:close:"))
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.ChatType.GROUPS & filters.REPLY, officer_reply
        )
    )
