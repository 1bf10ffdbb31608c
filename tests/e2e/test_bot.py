"""The real bot process over real HTTP: emulator (Telegram) ↔ bot ↔ Rasa ↔ actions ↔ DB.

Every request the bot sends is checked by the emulator against the Bot API description; the
last test asserts none was refused.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import Employee, Registration, RegistrationStatus
from asnkarier.services.activation import issue_codes
from telegram_emulator.client import EmulatorClient
from telegram_emulator.runner import EmulatorServer
from tests.e2e.bot_process import bot_env, running_bot, start_bot
from tests.e2e.chatter import ask, eventually, press, settle, texts
from tests.e2e.doors import TcpProxy
from tests.e2e.stack import Stack, free_port
from tests.factories import make_employee, make_workshop

GROUP_CHAT = -100_777


def test_a_question_gets_an_answer_with_buttons(bot: EmulatorClient) -> None:
    replies = ask(bot, 960_001, "ada workshop apa aja bulan ini?")
    assert "Workshop bulan ini" in texts(replies)  # "bulan ini": this month's sessions only
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
        asked = ask(bot, user, "saya mau daftar workshop")
        picked = press(bot, user, asked[-1], title[:20])
        assert "Daftarkan" in texts(picked)
        done = press(bot, user, picked[-1], "Ya")
        assert expected in texts(done)
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
    replies = settle(bot, user, seen, 1)
    assert "Akun terhubung" in texts(replies)
    with sessions.begin() as s:
        assert s.get_one(Employee, employee_id).telegram_chat_id == user


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        (lambda b, u: b.send_sticker(u), "stiker"),
        (lambda b, u: b.send_photo(u), "aktivasi"),  # a certificate: link first
        (lambda b, u: b.send_voice(u), "suara"),
        (lambda b, u: b.send_document(u), "aktivasi"),
        (lambda b, u: b.send_location(u, -6.2, 106.8), "lokasi"),
        (lambda b, u: b.send_contact(u, "08123456789", "Ani"), "kontak"),
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
    assert expected in texts(settle(bot, user, seen, 1)).lower()
    assert texts(ask(bot, user, "halo selamat pagi"))


def test_edited_message_and_forged_button(bot: EmulatorClient) -> None:
    user = 962_001
    ask(bot, user, "halo")
    mine = [m for m in bot.messages(user, sender="users")]
    seen = max(m["message_id"] for m in bot.messages(user))
    bot.edit_text(user, mine[-1]["message_id"], "halo lagi")
    assert "diedit" in texts(settle(bot, user, seen, 1))
    last_bot = bot.messages(user)[-1]
    before = len(bot.messages(user))
    bot.press(user, last_bot["message_id"], "t:forged-token", forged=True)
    time.sleep(1.5)
    answered = [c for c in bot.callbacks() if c.get("data") == "t:forged-token"]
    assert answered
    assert "tidak berlaku" in (answered[-1].get("answer") or {}).get("text", "")
    assert len(bot.messages(user)) == before  # nothing sent to Rasa, nothing answered in chat


def test_group_chat_is_told_once(bot: EmulatorClient) -> None:
    # In privacy mode a group sends the bot only commands, mentions and replies to it.
    for _ in range(3):
        bot.send_command(962_101, "menu", chat_id=GROUP_CHAT, chat_type="group", title="Grup Dinas")
    [notice] = bot.wait_for(GROUP_CHAT, 1, timeout=20)
    assert "percakapan pribadi" in notice["text"]
    deadline = time.monotonic() + 20
    while bot.updates() and time.monotonic() < deadline:  # the bot fetched all three
        time.sleep(0.1)
    time.sleep(1)  # an absence cannot be awaited: give the other two time to (not) answer
    assert len(bot.messages(GROUP_CHAT)) == 1


def test_rasa_down_after_start_gets_a_busy_reply_fast(stack: Stack, tmp_path: Path) -> None:
    rasa_port = int(stack.rasa_url.rsplit(":", 1)[1])
    door = TcpProxy(rasa_port)
    with EmulatorServer(rate_limit=False, token="2000000002:rasa-down") as other:
        env = bot_env(other, door.url, stack.database_url, stack.action_url)
        with running_bot(other, env, tmp_path) as client:  # ready: Rasa answered
            door.cut()
            started = time.monotonic()
            client.send_text(963_001, "kapan deadline SKP?", first_name="Uji")
            replies = client.wait_for(963_001, 1, timeout=10)
            assert time.monotonic() - started < 5
            assert "sibuk" in texts(replies)
            client.send_text(963_001, "halo?", first_name="Uji")
            assert len(client.wait_for(963_001, 2, timeout=10)) >= 2  # still running


def test_no_update_is_taken_before_rasa_is_ready(stack: Stack, tmp_path: Path) -> None:
    """A message sent while Rasa is still down waits in Telegram and gets its real answer."""
    rasa_port = int(stack.rasa_url.rsplit(":", 1)[1])
    with (
        EmulatorServer(rate_limit=False, token="2000000004:not-yet") as other,
        other.client() as client,
    ):
        closed = free_port()  # nothing listens here yet: Rasa "loading"
        env = bot_env(other, f"http://127.0.0.1:{closed}", stack.database_url, stack.action_url)
        bot = start_bot(env, tmp_path, "bot-not-ready")
        try:
            client.wait_for_requests("getMe", 1, timeout=60)  # the bot runs, Rasa does not
            client.send_text(963_101, "kapan tenggat SKP tahunan?", first_name="Uji")
            time.sleep(4)  # the bot is up, waiting for Rasa: nothing is taken, nothing answered
            assert client.requests("getUpdates") == []
            assert client.messages(963_101) == []
            assert len(client.updates()) == 1
            door = _forward(closed, rasa_port)  # Rasa "loaded": the port answers now
            try:
                [reply] = client.wait_for(963_101, 1, timeout=30)
                assert "sibuk" not in reply["text"]
                assert "SKP" in reply["text"] or "Januari" in reply["text"], reply["text"]
                assert "[ready]" in bot.tail(200)
            finally:
                door.cut()
        finally:
            bot.stop()


def test_no_update_is_taken_before_the_action_server_is_healthy(
    stack: Stack, tmp_path: Path
) -> None:
    """Rasa is up but the action server (as the bot sees it) is still starting: a message sent
    now waits in Telegram and gets its real answer once /health answers."""
    action_port = int(stack.action_url.rsplit(":", 1)[1])
    with (
        EmulatorServer(rate_limit=False, token="2000000005:actions-not-yet") as other,
        other.client() as client,
    ):
        closed = free_port()  # nothing listens here yet: the action server "starting"
        env = bot_env(other, stack.rasa_url, stack.database_url, f"http://127.0.0.1:{closed}")
        bot = start_bot(env, tmp_path, "bot-actions-not-ready")
        try:
            client.wait_for_requests("getMe", 1, timeout=60)
            deadline = time.monotonic() + 30
            while "Rasa has its model" not in bot.tail(200) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert "Rasa has its model" in bot.tail(200)  # waiting on the actions alone now
            client.send_text(976_101, "kapan tenggat SKP tahunan?", first_name="Uji")
            time.sleep(4)
            assert client.requests("getUpdates") == []
            assert client.messages(976_101) == []
            assert "[ready]" not in bot.tail(200)
            door = _forward(closed, action_port)  # the action server is healthy now
            try:
                [reply] = client.wait_for(976_101, 1, timeout=30)
                assert "sibuk" not in reply["text"]
                assert "SKP" in reply["text"] or "Januari" in reply["text"], reply["text"]
                assert "[ready]" in bot.tail(200)
            finally:
                door.cut()
        finally:
            bot.stop()


def _forward(port: int, target: int) -> TcpProxy:
    """A proxy on a chosen port (free_port's), once Rasa "comes up" there."""
    for _ in range(50):
        try:
            return TcpProxy(target, port=port)
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} never became free")


def test_blocked_user_is_marked(bot: EmulatorClient, sessions: sessionmaker[Session]) -> None:
    user = 964_001
    with sessions.begin() as s:
        employee_id = make_employee(s, chat_id=user).id
    ask(bot, user, "halo")
    # A user who blocked the bot cannot write to it (writing unblocks), so the 403 comes when
    # they block it while their answer is on its way: Telegram refuses that answer.
    bot.set_fault("sendMessage", chat_id=user, status=403, times=1)
    bot.send_text(user, "profil saya", first_name="Uji")

    def blocked() -> bool:
        with sessions.begin() as s:
            return s.get_one(Employee, employee_id).bot_blocked

    assert eventually(blocked)
    # Writing again means they unblocked it: the chat is active again.
    ask(bot, user, "halo lagi")
    with sessions.begin() as s:
        assert not s.get_one(Employee, employee_id).bot_blocked


def test_flood_guard_asks_to_slow_down_once(bot: EmulatorClient) -> None:
    user = 964_301  # the bot under test allows 20 updates a minute per user
    for _ in range(23):
        bot.send_sticker(user)  # stickers: cheap for the test, counted like any message
    settle(bot, user, 0, until="banyak sekali")
    deadline = time.monotonic() + 20
    while bot.updates() and time.monotonic() < deadline:  # the bot fetched them all
        time.sleep(0.1)
    time.sleep(1)  # an absence cannot be awaited: let the last ones (not) be answered
    replies = bot.messages(user)
    assert sum("banyak sekali" in (m.get("text") or "") for m in replies) == 1
    assert len(replies) == 21  # 20 answered, one warning, the rest dropped


def test_retry_after_is_waited_out(bot: EmulatorClient) -> None:
    user = 964_101
    ask(bot, user, "halo")
    since = max(r["seq"] for r in bot.requests())
    bot.set_fault("sendMessage", chat_id=user, retry_after=1, times=1)
    started = time.monotonic()
    replies = ask(bot, user, "apa itu SKP?")
    assert texts(replies)
    sends = [r for r in bot.requests("sendMessage", since=since) if r["params"]["chat_id"] == user]
    assert [r["status"] for r in sends[:2]] == [429, 200]
    assert time.monotonic() - started >= 1  # it waited as told


def test_metrics_count_updates_outcomes_and_latency(
    bot: EmulatorClient, bot_environment: dict[str, str]
) -> None:
    user = 964_201
    ask(bot, user, "kapan tenggat SKP tahun ini?")
    ask(bot, user, "resep rendang padang yang enak gimana")  # out of scope: a fallback turn
    url = f"http://127.0.0.1:{bot_environment['METRICS_PORT']}/metrics"
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(httpx.get(url, timeout=5).text)
        for s in family.samples
    }
    assert samples[("asnbot_updates_handled_total", (("kind", "text"),))] >= 2
    assert samples[("asnbot_nlu_replies_total", (("outcome", "answered"),))] >= 1
    assert samples[("asnbot_nlu_replies_total", (("outcome", "fallback"),))] >= 1
    assert samples[("asnbot_reply_latency_seconds_count", ())] >= 2


def test_no_request_broke_the_bot_api_contract(bot: EmulatorClient) -> None:
    refused = [r for r in bot.requests() if r.get("status") == 400]
    assert refused == [], refused[:3]
    assert {"getMe", "setMyCommands", "getUpdates", "sendMessage", "answerCallbackQuery"} <= {
        r["method"] for r in bot.requests()
    }
