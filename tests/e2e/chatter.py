"""Play a Telegram user against the real bot through the emulator's control API."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from telegram_emulator.client import EmulatorClient

Message = dict[str, Any]


def texts(messages: list[Message]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def shown(messages: list[Message]) -> str:
    """Texts and button labels: what the user sees."""
    return "\n".join(
        [m.get("text") or "" for m in messages] + [b["text"] for m in messages for b in buttons(m)]
    )


def last_id(bot: EmulatorClient, chat: int) -> int:
    return max((m["message_id"] for m in bot.messages(chat)), default=0)


def settle(
    bot: EmulatorClient, chat: int, seen: int, count: int = 1, *, until: str | None = None
) -> list[Message]:
    """The bot's messages after `seen`: until one shows `until` (case-insensitive, text or
    button), else `count` of them and what follows within a moment (a turn often has several)."""
    if until is None:
        bot.wait_for(chat, count, timeout=20, after=seen)
        time.sleep(0.6)
        return [m for m in bot.messages(chat) if m["message_id"] > seen]
    deadline = time.monotonic() + 20
    while True:
        new = bot.wait_for(chat, count, timeout=max(deadline - time.monotonic(), 0.1), after=seen)
        if until.lower() in shown(new).lower():
            return new
        count = len(new) + 1


def ask(
    bot: EmulatorClient, user: int, text: str, count: int = 1, *, until: str | None = None
) -> list[Message]:
    seen = last_id(bot, user)
    bot.send_text(user, text, first_name="Uji")
    return settle(bot, user, seen, count, until=until)


def buttons(message: Message) -> list[dict[str, Any]]:
    return [
        b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row
    ]


def press(
    bot: EmulatorClient, user: int, message: Message, label_part: str, *, until: str | None = None
) -> list[Message]:
    """Press the button whose label contains `label_part` on `message`."""
    button = next(b for b in buttons(message) if label_part in b["text"])
    seen = last_id(bot, user)
    bot.press(user, message["message_id"], button["callback_data"])
    return settle(bot, user, seen, until=until)


def contract_breaches(bot: EmulatorClient) -> list[dict[str, Any]]:
    """Requests refused for breaking the Bot API description (400), not for the state of a chat.

    A bot started on a fresh emulator may address chats that emulator never saw (HR officers'
    menus at start-up): Telegram answers those "chat not found" too, and the bot logs them.
    """
    return [
        r
        for r in bot.requests()
        if r.get("status") == 400 and "chat not found" not in str(r.get("error"))
    ]


def eventually(check: Callable[[], bool], timeout: float = 15.0) -> bool:
    """Poll `check` (e.g. a row another process updates) until it holds or time runs out."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
