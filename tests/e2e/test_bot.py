"""The real bot process over real HTTP: emulator (Telegram) ↔ bot ↔ Rasa ↔ actions ↔ DB.

Every request the bot sends is checked by the emulator against the Bot API description; the
last test asserts none was refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import Employee, Registration, RegistrationStatus
from asnkarier.services.activation import issue_codes
from bot.emulator.client import EmulatorClient
from bot.emulator.runner import EmulatorServer
from tests.e2e.stack import ROOT, Stack, free_port
from tests.factories import make_employee, make_workshop

GROUP_CHAT = -100_777


def _start_bot(
    emulator: EmulatorServer, rasa_url: str, database_url: str, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_BASE_URL": emulator.base_url,
        "RASA_URL": rasa_url,
        "RASA_TIMEOUT_SECONDS": "4",
        "DATABASE_URL": database_url,
        "FLOOD_LIMIT_PER_MINUTE": "20",
    }
    handle = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
    )


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(rate_limit=False) as server:
        yield server


@pytest.fixture(scope="module")
def bot(
    emulator: EmulatorServer, stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmulatorClient]:
    log = tmp_path_factory.mktemp("bot") / "bot.log"
    process = _start_bot(emulator, stack.rasa_url, stack.database_url, log)
    client = emulator.client()
    try:
        client.wait_for_requests("getUpdates", 1, timeout=60)
        yield client
    finally:
        process.terminate()
        process.wait(timeout=20)
        client.close()
        print(log.read_text(errors="replace")[-3000:])


def _texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def _ask(bot: EmulatorClient, user: int, text: str, count: int = 1) -> list[dict[str, Any]]:
    seen = max((m["message_id"] for m in bot.messages(user)), default=0)
    bot.send_text(user, text, first_name="Uji")
    return _settle(bot, user, seen, count)


def _settle(bot: EmulatorClient, chat: int, seen: int, count: int) -> list[dict[str, Any]]:
    bot.wait_for(chat, count, timeout=20, after=seen)
    time.sleep(0.6)
    return [m for m in bot.messages(chat) if m["message_id"] > seen]


def _press(
    bot: EmulatorClient, user: int, message: dict[str, Any], label_part: str
) -> list[dict[str, Any]]:
    buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
    button = next(b for b in buttons if label_part in b["text"])
    seen = max(m["message_id"] for m in bot.messages(user))
    bot.press(user, message["message_id"], button["callback_data"])
    return _settle(bot, user, seen, 1)


def test_a_question_gets_an_answer_with_buttons(bot: EmulatorClient) -> None:
    replies = _ask(bot, 960_001, "ada workshop apa aja bulan ini?")
    assert "Workshop terdekat" in _texts(replies)
    assert any(m.get("reply_markup") for m in replies)
    assert bot.requests("sendChatAction")


def test_registration_through_buttons_with_waitlist(
    bot: EmulatorClient, sessions: sessionmaker[Session]
) -> None:
    first, second = 960_011, 960_012
    with sessions.begin() as s:
        title = make_workshop(s, capacity=1, title="Kelas Kilat Tata Naskah Telegram").title
        for user in (first, second):
            make_employee(s, chat_id=user)
    for user, expected in ((first, "Terdaftar"), (second, "daftar tunggu")):
        asked = _ask(bot, user, "saya mau daftar workshop")
        picked = _press(bot, user, asked[-1], title[:20])
        assert "Daftarkan" in _texts(picked)
        done = _press(bot, user, picked[-1], "Ya")
        assert expected in _texts(done)
        pressed = next(m for m in bot.messages(user) if m["message_id"] == picked[-1]["message_id"])
        assert not pressed.get("reply_markup")  # keyboard removed after the press
    assert all(c.get("answered") for c in bot.callbacks())
    with sessions.begin() as s:
        statuses = sorted(
            r.status
            for r in s.scalars(select(Registration).join(Registration.workshop))
            if r.workshop.title == title
        )
    assert statuses == [RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED]


def test_deep_link_start_links_the_account(
    bot: EmulatorClient, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as s:
        employee = make_employee(s)
        [issued] = issue_codes(s, [employee], ttl_days=30, actor="test")
        employee_id = employee.id
    user = 960_021
    seen = 0
    bot.send_command(user, "start", issued.code, first_name="Uji")
    replies = _settle(bot, user, seen, 1)
    assert "Akun terhubung" in _texts(replies)
    with sessions.begin() as s:
        assert s.get_one(Employee, employee_id).telegram_chat_id == user


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        (lambda b, u: b.send_sticker(u), "stiker"),
        (lambda b, u: b.send_photo(u), "gambar"),
        (lambda b, u: b.send_voice(u), "suara"),
        (lambda b, u: b.send_document(u), "berkas"),
        (lambda b, u: b.send_location(u), "lokasi"),
        (lambda b, u: b.send_contact(u), "kontak"),
        (lambda b, u: b.send_text(u, "x" * 1500), "terlalu panjang"),
        (lambda b, u: b.send_command(u, "entahlah"), "tidak dikenal"),
    ],
)
def test_odd_input_gets_a_polite_reply_and_the_next_message_works(
    bot: EmulatorClient, send: Any, expected: str, request: pytest.FixtureRequest
) -> None:
    user = 961_000 + int(request.node.callspec.indices["send"])
    seen = (
        max((m["message_id"] for m in bot.messages(user)), default=0) if bot.messages(user) else 0
    )
    send(bot, user)
    assert expected in _texts(_settle(bot, user, seen, 1)).lower()
    assert _texts(_ask(bot, user, "halo selamat pagi"))


def test_edited_message_and_forged_button(bot: EmulatorClient) -> None:
    user = 962_001
    _ask(bot, user, "halo")
    mine = [m for m in bot.messages(user, sender="users")]
    seen = max(m["message_id"] for m in bot.messages(user))
    bot.edit_text(user, mine[-1]["message_id"], "halo lagi")
    assert "diedit" in _texts(_settle(bot, user, seen, 1))
    last_bot = bot.messages(user)[-1]
    before = len(bot.messages(user))
    bot.press(user, last_bot["message_id"], "t:forged-token", forged=True)
    time.sleep(1.5)
    answered = [c for c in bot.callbacks() if c.get("data") == "t:forged-token"]
    assert answered
    assert "tidak berlaku" in (answered[-1].get("answer") or {}).get("text", "")
    assert len(bot.messages(user)) == before  # nothing sent to Rasa, nothing answered in chat


def test_group_chat_is_told_once(bot: EmulatorClient) -> None:
    for _ in range(3):
        bot.send_text(
            962_101, "halo semua", chat_id=GROUP_CHAT, chat_type="group", title="Grup Dinas"
        )
    time.sleep(2)
    assert len(bot.messages(GROUP_CHAT)) == 1
    assert "percakapan pribadi" in bot.messages(GROUP_CHAT)[0]["text"]


def test_rasa_down_gets_a_busy_reply_fast(
    emulator: EmulatorServer, stack: Stack, tmp_path: Path
) -> None:
    with EmulatorServer(rate_limit=False, token="2000000002:rasa-down") as other:
        dead = f"http://127.0.0.1:{free_port()}"
        process = _start_bot(other, dead, stack.database_url, tmp_path / "bot.log")
        client = other.client()
        try:
            client.wait_for_requests("getUpdates", 1, timeout=60)
            started = time.monotonic()
            client.send_text(963_001, "kapan deadline SKP?", first_name="Uji")
            replies = client.wait_for(963_001, 1, timeout=10)
            assert time.monotonic() - started < 5
            assert "sibuk" in _texts(replies)
            client.send_text(963_001, "halo?", first_name="Uji")
            assert len(client.wait_for(963_001, 2, timeout=10)) >= 2  # still running
        finally:
            process.terminate()
            process.wait(timeout=20)
            client.close()


def test_blocked_user_is_marked(bot: EmulatorClient, sessions: sessionmaker[Session]) -> None:
    user = 964_001
    with sessions.begin() as s:
        employee_id = make_employee(s, chat_id=user).id
    _ask(bot, user, "halo")
    bot.block(user)
    bot.send_text(user, "profil saya", first_name="Uji")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with sessions.begin() as s:
            if s.get_one(Employee, employee_id).bot_blocked:
                break
        time.sleep(0.3)
    with sessions.begin() as s:
        assert s.get_one(Employee, employee_id).bot_blocked


def test_no_request_broke_the_bot_api_contract(bot: EmulatorClient) -> None:
    refused = [r for r in bot.requests() if r.get("status") == 400]
    assert refused == [], refused[:3]
    assert {"getMe", "setMyCommands", "getUpdates", "sendMessage", "answerCallbackQuery"} <= {
        r["method"] for r in bot.requests()
    }
