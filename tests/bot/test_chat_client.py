"""`asnbot chat`'s session: every bubble of an answer before the next prompt, edits in place,
a pressed button's notice, force replies, and no crash when the bot is silent or gone."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from telegram_emulator import EmulatorServer
from telegram_emulator.chat import NO_ANSWER, NOT_RUNNING, ChatSession, Timing
from telegram_emulator.client import EmulatorClient
from tests.bot.emulator_support import server_fixture

USER = 7_401
server = server_fixture(rate_limit=False)
FAST = Timing(first=3.0, quiet=0.6, longest=10.0, poll=0.05)


class ScriptedBot:
    """A bot on the real Bot API of the emulator: slow multi-bubble answers, edits on a press."""

    def __init__(self, server: EmulatorServer) -> None:
        self.api = f"{server.base_url}{server.token}"
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def call(self, method: str, **params: Any) -> Any:
        response = httpx.post(f"{self.api}/{method}", json=params, timeout=10)
        assert response.json()["ok"], response.text
        return response.json()["result"]

    def _run(self) -> None:
        offset = 0
        while not self.stopped.is_set():
            for update in self.call("getUpdates", offset=offset, timeout=1):
                offset = update["update_id"] + 1
                self._answer(update)

    def _answer(self, update: dict[str, Any]) -> None:
        if "callback_query" in update:
            query = update["callback_query"]
            message = query["message"]
            self.call("answerCallbackQuery", callback_query_id=query["id"], text="Tersimpan.")
            time.sleep(0.3)
            self.call(
                "editMessageText",
                chat_id=message["chat"]["id"],
                message_id=message["message_id"],
                text="Pengingat aktif.",
            )
            return
        text = update["message"]["text"]
        chat = update["message"]["chat"]["id"]
        if text == "diam":
            return
        if text == "tanya":
            self.call(
                "sendMessage",
                chat_id=chat,
                text="Apa pertanyaannya?",
                reply_markup={"force_reply": True},
            )
            return
        if "reply_to_message" in update["message"]:
            self.call("sendMessage", chat_id=chat, text=f"Dicatat: {text}")
            return
        for bubble in ("Satu.", "Dua.", "Tiga."):  # slower than a fixed sleep would expect
            self.call("sendMessage", chat_id=chat, text=bubble)
            time.sleep(0.4)
        keyboard = {"inline_keyboard": [[{"text": "Ingatkan", "callback_data": "ingat"}]]}
        self.call("sendMessage", chat_id=chat, text="Mau diingatkan?", reply_markup=keyboard)


@pytest.fixture
def scripted(server: EmulatorServer) -> Iterator[ScriptedBot]:
    with server.client() as control:
        control.reset()
    bot = ScriptedBot(server)
    bot.thread.start()
    yield bot
    bot.stopped.set()
    bot.thread.join(timeout=5)


def test_whole_answers_edits_notices_and_force_replies(
    server: EmulatorServer, scripted: ScriptedBot
) -> None:
    lines: list[str] = []
    with EmulatorClient(server.control_url) as client:
        session = ChatSession(client, USER, "Rina", lines.append, FAST)
        session.say("halo")
        shown = "\n".join(lines)
        for bubble in ("Satu.", "Dua.", "Tiga.", "Mau diingatkan?", "[1] Ingatkan"):
            assert bubble in shown  # every bubble before the next prompt
        lines.clear()
        session.say("1")  # the press edits the message in place
        assert any("(diubah) Pengingat aktif." in line for line in lines), lines
        assert any("🔔 Tersimpan." in line for line in lines), lines
        lines.clear()
        session.say("tanya")
        assert any("balasan pesan ini" in line for line in lines), lines
        lines.clear()
        session.say("SK saya belum terbit")  # sent as a reply to the question
        assert any("Dicatat: SK saya belum terbit" in line for line in lines), lines
        lines.clear()
        session.say("diam")
        assert lines == [NO_ANSWER]


def test_nothing_the_emulator_says_ends_the_session(server: EmulatorServer) -> None:
    lines: list[str] = []
    with EmulatorClient(server.control_url) as client:
        client.reset()
        session = ChatSession(client, USER, "Rina", lines.append, FAST)
        session.choices = [(999_999, {"text": "Kedaluwarsa", "callback_data": "x"})]
        session.say("1")  # a button of a message the emulator does not know
        assert len(lines) == 1
        assert lines[0].startswith("(")
    with EmulatorClient("http://127.0.0.1:9/_control", timeout=1) as gone:
        lines.clear()
        ChatSession(gone, USER, "Rina", lines.append, FAST).say("halo")
        assert lines == [NOT_RUNNING]
