"""Turn the assistant's replies into valid Telegram messages (HTML, within Telegram's limits,
keyboards)."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from asnkarier.telegram_limits import MAX_MESSAGE, callback_data_fits, split_text, text_length
from bot.rasa_client import BotReply, Button

MAX_BUTTON_TITLE = 60  # ours, not Telegram's: a longer title is cut on a phone anyway

# Stores a long payload server-side and returns a short token (e.g. "t:AbC123") for callback_data.
Tokenizer = Callable[[str], Awaitable[str]]


@dataclass(frozen=True)
class OutgoingMessage:
    text: str  # HTML
    keyboard: InlineKeyboardMarkup | None = None


def _escaped_parts(text: str) -> list[str]:
    # Split the plain text, then escape each part: Telegram measures the text after parsing, so
    # an escaped part is as long as its plain text, and no cut can fall inside an entity.
    return [html.escape(part, quote=False) for part in split_text(text)]


def button_label(text: str) -> str:
    """A button label that fits, cut at a word boundary (never mid-word) with an ellipsis."""
    text = " ".join(text.split()) or "…"
    if text_length(text) <= MAX_BUTTON_TITLE:
        return text
    cut = text[: MAX_BUTTON_TITLE - 1]
    space = cut.rfind(" ")
    if space > 0:  # a single over-long word is the only thing ever cut inside
        cut = cut[:space]
    return cut.rstrip(" ,.;:-–—(") + "…"


async def keyboard(buttons: list[Button], tokenize: Tokenizer) -> InlineKeyboardMarkup | None:
    """One button per row (easy to tap on a phone); links become URL buttons."""
    rows = []
    for b in buttons:
        if b.payload.startswith("https://"):
            rows.append([InlineKeyboardButton(button_label(b.title), url=b.payload)])
            continue
        data = b.payload
        if not callback_data_fits(data):
            data = await tokenize(data)
        rows.append([InlineKeyboardButton(button_label(b.title), callback_data=data)])
    return InlineKeyboardMarkup(rows) if rows else None


def merge(messages: list[OutgoingMessage], limit: int = MAX_MESSAGE) -> list[OutgoingMessage]:
    """One answer as few messages as fit: consecutive texts are joined (a blank line apart)
    while the result fits `limit`; a message with buttons ends a group (they stay under it)."""
    merged: list[OutgoingMessage] = []
    for message in messages:
        previous = merged[-1] if merged else None
        if previous is not None and previous.keyboard is None:
            joined = f"{previous.text}\n\n{message.text}"
            if text_length(joined) <= limit:
                merged[-1] = OutgoingMessage(joined, message.keyboard)
                continue
        merged.append(message)
    return merged


async def render(replies: list[BotReply], tokenize: Tokenizer) -> list[OutgoingMessage]:
    """Escape, split and attach keyboards (a reply's buttons go under its last part), then
    merge the bubbles of the answer where they fit in one message."""
    messages: list[OutgoingMessage] = []
    for reply in replies:
        parts = _escaped_parts(reply.text) if reply.text.strip() else []
        markup = await keyboard(reply.buttons, tokenize)
        if not parts and markup is not None:
            parts = ["Silakan pilih:"]
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            messages.append(OutgoingMessage(part, markup if last else None))
    return merge(messages)
