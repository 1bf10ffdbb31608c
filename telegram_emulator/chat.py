"""Terminal chat with the real bot through the local emulator (`asnbot chat`).

The bot, Rasa and the action server run as under `make run`; this client plays a Telegram user:
it injects messages into the emulator and prints what the bot sends, buttons numbered.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from typing import Any

from telegram_emulator.client import ControlApiError, EmulatorClient

TAGS = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    return html.unescape(TAGS.sub("", text))


def buttons_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard") or [] for button in row]


class ChatSession:
    """One Telegram user talking to the bot; remembers the last buttons shown."""

    def __init__(
        self, client: EmulatorClient, user_id: int, name: str, out: Callable[[str], None]
    ) -> None:
        self.client, self.user_id, self.name, self.out = client, user_id, name, out
        self.last_seen = 0
        self.choices: list[tuple[int, dict[str, Any]]] = []  # (message_id, button)

    def _show_new(self, wait: float) -> None:
        try:
            new = self.client.wait_for(self.user_id, 1, timeout=wait, after=self.last_seen)
        except ControlApiError:
            self.out(
                "(belum ada balasan; apakah bot, Rasa dan action server sudah jalan? `make run`)"
            )
            return
        time.sleep(0.8)  # replies often come in several messages
        new = [m for m in self.client.messages(self.user_id) if m["message_id"] > self.last_seen]
        self.choices = []
        for message in new:
            self.last_seen = max(self.last_seen, message["message_id"])
            self.out(f"\n🤖 {plain(message.get('text') or '')}")
            for button in buttons_of(message):
                self.choices.append((message["message_id"], button))
                target = f"  → {button['url']}" if button.get("url") else ""
                self.out(f"   [{len(self.choices)}] {button.get('text')}{target}")

    def say(self, line: str) -> None:
        """Send a line: a number presses that button, anything else is a message."""
        if line.isdigit() and 1 <= int(line) <= len(self.choices):
            message_id, button = self.choices[int(line) - 1]
            if button.get("url"):
                self.out(f"(tautan: {button['url']})")
                return
            self.client.press(self.user_id, message_id, button.get("callback_data"))
        else:
            self.client.send_text(self.user_id, line, first_name=self.name)
        self._show_new(wait=15)


def run(control_url: str, user_id: int, name: str, first: str | None = None) -> None:
    """Read lines from the terminal until 'keluar' or Ctrl-D."""
    with EmulatorClient(control_url) as client:
        client.register_user(user_id, first_name=name)
        session = ChatSession(client, user_id, name, print)
        session.last_seen = max((m["message_id"] for m in client.messages(user_id)), default=0)
        print(
            f"Anda: {name} (id {user_id}). Ketik pesan; angka = pilih tombol; "
            "'keluar' untuk selesai."
        )
        session.say(first or "/start")
        while True:
            try:
                line = input("\n🧑 ").strip()
            except EOFError:
                break
            if line.lower() in ("keluar", "exit", "quit"):
                break
            if line:
                session.say(line)
