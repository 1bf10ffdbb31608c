"""Terminal chat with the real bot through the local emulator (`asnbot chat`).

The bot, Rasa and the action server run as under `make run`; this client plays a Telegram user:
it injects messages into the emulator and prints what the bot does, buttons numbered. After
each line it shows every bubble of the answer (new messages, edits in place marked "(diubah)",
deletions, a pressed button's notice) and waits until the bot has been quiet for a moment, so
the next prompt comes after the whole answer. Nothing the emulator says ends the session.
"""

from __future__ import annotations

import html
import mimetypes
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from telegram_emulator.client import ControlApiError, EmulatorClient

TAGS = re.compile(r"<[^>]+>")
JSON = dict[str, Any]
NOT_RUNNING = "(emulator tidak dapat dihubungi; apakah `make run` sudah jalan?)"
# `!berkas PATH [keterangan]` sends a file as a user would (JPEG/PNG as a photo, else a document).
SEND_FILE = "!berkas"
PHOTO_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


def attachment_line(message: JSON) -> str | None:
    """What a bot's document or photo looks like in the terminal (name and size), or None."""
    if message.get("document"):
        doc = message["document"]
        size = doc.get("file_size") or 0
        return f"📎 {doc.get('file_name') or 'berkas'} ({max(size // 1024, 1)} KB)"
    if message.get("photo"):
        return "🖼 foto"
    return None


NO_ANSWER = "(belum ada balasan; apakah bot, Rasa dan action server sudah jalan? `make run`)"


def plain(text: str) -> str:
    return html.unescape(TAGS.sub("", text))


def buttons_of(message: JSON) -> list[JSON]:
    markup = message.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard") or [] for button in row]


def _asks_reply(message: JSON) -> bool:
    return bool((message.get("reply_markup") or {}).get("force_reply"))


@dataclass(frozen=True)
class Timing:
    """How long to wait for an answer: the first bubble, then quiet after the last one."""

    first: float = 30.0  # Rasa's first answer after start can be slow
    quiet: float = 0.8  # no change for this long: the answer is complete
    longest: float = 60.0  # upper bound for one turn, however chatty the bot is
    poll: float = 0.15


def _version(message: JSON) -> tuple[Any, ...]:
    return (message.get("text"), len(message.get("edits") or []), message.get("deleted"))


class ChatSession:
    """One Telegram user talking to the bot; remembers what was shown and the buttons."""

    def __init__(
        self,
        client: EmulatorClient,
        user_id: int,
        name: str,
        out: Callable[[str], None],
        timing: Timing | None = None,
    ) -> None:
        self.client, self.user_id, self.name, self.out = client, user_id, name, out
        self.timing = timing or Timing()
        self.seen: dict[int, tuple[Any, ...]] = {}
        self.choices: list[tuple[int, JSON]] = []  # (message_id, button)
        self.reply_to: int | None = None  # the bot asked for a reply to this message

    def catch_up(self) -> None:
        """Forget nothing, show nothing: what is in the chat already is not new."""
        self.seen = {m["message_id"]: _version(m) for m in self.client.messages(self.user_id)}

    def _changes(self) -> list[tuple[JSON, bool]]:
        """Bot messages new or changed since last shown, with whether each is an edit."""
        changed = []
        for message in self.client.messages(self.user_id):
            version = _version(message)
            before = self.seen.get(message["message_id"])
            if before != version:
                changed.append((message, before is not None))
                self.seen[message["message_id"]] = version
        return changed

    def _show(self, message: JSON, edited: bool, turn: list[tuple[int, JSON]]) -> None:
        if message.get("deleted"):
            self.out(f"\n🤖 (pesan dihapus: {plain(message.get('text') or '')[:40]}…)")
            return
        mark = "(diubah) " if edited else ""
        attached = attachment_line(message)
        if attached:
            self.out(f"\n🤖 {mark}{attached}")
            if message.get("caption"):
                self.out(plain(message["caption"]))
        else:
            self.out(f"\n🤖 {mark}{plain(message.get('text') or '')}")
        for button in buttons_of(message):
            turn.append((message["message_id"], button))
            target = f"  → {button['url']}" if button.get("url") else ""
            self.out(f"   [{len(turn)}] {button.get('text')}{target}")
        if _asks_reply(message):
            self.reply_to = message["message_id"]
            self.out("   (ketik jawaban Anda: dikirim sebagai balasan pesan ini)")

    def show_answer(self) -> int:
        """Print the bot's answer as it comes, until it is quiet; returns bubbles shown."""
        t = self.timing
        started = time.monotonic()
        last_change: float | None = None
        shown: list[int] = []
        turn: list[tuple[int, JSON]] = []  # this answer's buttons, numbered as printed
        while True:
            now = time.monotonic()
            if last_change is None and now - started > t.first:
                self.out(NO_ANSWER)
                break
            if last_change is not None and now - last_change >= t.quiet:
                break
            if now - started > t.longest:
                break
            for message, edited in self._changes():
                self._show(message, edited, turn)
                shown.append(message["message_id"])
                last_change = time.monotonic()
            time.sleep(t.poll)
        # An answer without buttons leaves the earlier ones pressable (as in Telegram), except
        # those of messages it changed.
        self.choices = turn or [c for c in self.choices if c[0] not in shown]
        return len(shown)

    def _toast(self, callback_query_id: str | None) -> None:
        if callback_query_id is None:
            return
        for query in self.client.callbacks(answered=True):
            answer = query.get("answer") or {}
            if query["id"] == callback_query_id and answer.get("text"):
                self.out(f"\n🔔 {answer['text']}")

    def say(self, line: str) -> None:
        """Send a line: a number presses that button, anything else is a message."""
        try:
            self._say(line)
        except (ControlApiError, httpx.HTTPError, TimeoutError) as exc:
            self.out(NOT_RUNNING if isinstance(exc, httpx.TransportError) else f"({exc})")

    def _send_file(self, argument: str) -> bool:
        """`!berkas PATH [keterangan]`: False (and a hint) when the file cannot be read."""
        path_text, _, caption = argument.strip().partition(" ")
        path = Path(path_text).expanduser()
        try:
            content = path.read_bytes()
        except OSError as exc:
            self.out(f"(berkas tidak dapat dibaca: {path}: {exc.strerror or exc})")
            return False
        kind = "photo" if content.startswith(PHOTO_MAGIC) else "document"
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        media = {} if kind == "photo" else {"file_name": path.name, "mime_type": mime}
        extra = {"caption": caption.strip()} if caption.strip() else {}
        self.client.send_file(
            self.user_id, kind, content, media=media, first_name=self.name, **extra
        )
        return True

    def _say(self, line: str) -> None:
        pressed = None
        if line.startswith(SEND_FILE + " "):
            if not self._send_file(line[len(SEND_FILE) :]):
                return
        elif line.isdigit() and 1 <= int(line) <= len(self.choices):
            message_id, button = self.choices[int(line) - 1]
            if button.get("url"):
                self.out(f"(tautan: {button['url']})")
                return
            pressed = self.client.press(self.user_id, message_id, button.get("callback_data"))
        elif self.reply_to is not None:
            reply_to, self.reply_to = self.reply_to, None
            self.client.send_text(
                self.user_id, line, reply_to_message_id=reply_to, first_name=self.name
            )
        else:
            self.client.send_text(self.user_id, line, first_name=self.name)
        self.show_answer()
        if pressed is not None:
            self._toast(pressed.callback_query_id)


def run(
    control_url: str, user_id: int, name: str, first: str | None = None, quiet: float = 0.8
) -> None:
    """Read lines from the terminal until 'keluar' or Ctrl-D; an answer is complete once the
    bot has been quiet for `quiet` seconds (longer on a busy machine)."""
    with EmulatorClient(control_url) as client:
        try:
            client.register_user(user_id, first_name=name)
        except httpx.TransportError:
            print(NOT_RUNNING)
            return
        session = ChatSession(client, user_id, name, print, Timing(quiet=quiet))
        session.catch_up()
        print(
            f"Anda: {name} (id {user_id}). Ketik pesan; angka = pilih tombol; "
            f"'{SEND_FILE} PATH [keterangan]' mengirim foto/PDF; 'keluar' untuk selesai."
        )
        session.say(first or "/start")
        while True:
            try:
                line = input("\n🧑 ").strip()
            except (EOFError, KeyboardInterrupt):
                break
            if line.lower() in ("keluar", "exit", "quit"):
                break
            if line:
                session.say(line)
