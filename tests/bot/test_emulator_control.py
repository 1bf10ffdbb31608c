"""The control API: injected updates PTB parses, waits, resets, raw HTTP encodings and the CLI."""

from __future__ import annotations

import asyncio
import datetime as dtm
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import Bot, Update

from telegram_emulator import AsyncEmulatorClient, ControlApiError, EmulatorServer, InjectedUpdate
from telegram_emulator.__main__ import config_from_args, parse_args
from telegram_emulator.spec import default_spec
from tests.bot.emulator_support import ptb_bot, server_fixture

USER = 7_001
ROOT = Path(__file__).resolve().parents[2]
server = server_fixture(rate_limit=False)

Inject = Callable[[AsyncEmulatorClient], Awaitable[InjectedUpdate]]
Check = Callable[[Update], Any]


@pytest.fixture(autouse=True)
def _fresh(server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # durations as timedelta, without warnings
    with server.client() as client:
        client.reset()


@pytest.fixture
async def control(server: EmulatorServer) -> AsyncIterator[AsyncEmulatorClient]:
    async with server.async_client() as client:
        yield client


@pytest.fixture
async def bot(server: EmulatorServer) -> AsyncIterator[Bot]:
    async with ptb_bot(server) as ptb:
        yield ptb


KINDS: list[tuple[str, Inject, Check]] = [
    (
        "text",
        lambda c: c.send_text(USER, "Info di https://bkpsdm.go.id ya @asn_karier_bot"),
        lambda u: [e.type for e in u.message.entities] == ["url", "mention"],
    ),
    (
        "command",
        lambda c: c.send_command(USER, "start", "AKTIVASI-42"),
        lambda u: (
            (u.message.text, u.message.entities[0].type) == ("/start AKTIVASI-42", "bot_command")
        ),
    ),
    ("sticker", lambda c: c.send_sticker(USER), lambda u: u.message.sticker.emoji == "👍"),
    (
        "photo",
        lambda c: c.send_photo(USER, caption="Ijazah saya"),
        lambda u: (u.message.photo[-1].width, u.message.caption) == (1280, "Ijazah saya"),
    ),
    (
        "voice",
        lambda c: c.send_voice(USER),
        lambda u: u.message.voice.duration == dtm.timedelta(seconds=3),
    ),
    (
        "audio",
        lambda c: c.send_media(USER, "audio"),
        lambda u: u.message.audio.duration == dtm.timedelta(seconds=180),
    ),
    ("video", lambda c: c.send_media(USER, "video"), lambda u: u.message.video.width == 1280),
    (
        "video_note",
        lambda c: c.send_media(USER, "video_note"),
        lambda u: u.message.video_note.length == 240,
    ),
    (
        "animation",
        lambda c: c.send_media(USER, "animation"),
        lambda u: u.message.animation is not None and u.message.document is not None,
    ),
    (
        "document",
        lambda c: c.send_document(USER, media={"file_name": "SK-pangkat.pdf"}),
        lambda u: u.message.document.file_name == "SK-pangkat.pdf",
    ),
    (
        "location",
        lambda c: c.send_location(USER, -6.9175, 107.6191),
        lambda u: u.message.location.latitude == pytest.approx(-6.9175),
    ),
    (
        "contact",
        lambda c: c.send_contact(USER, "+62811000111", "Siti"),
        lambda u: u.message.contact.phone_number == "+62811000111",
    ),
    (
        "group command",
        lambda c: c.send_command(USER, "daftar", chat_id=-4_001, chat_type="group", title="HR"),
        lambda u: (u.message.chat.type, u.message.chat.title) == ("group", "HR"),
    ),
    (
        "my_chat_member",
        lambda c: c.block(USER),
        lambda u: u.my_chat_member.new_chat_member.status == "kicked",
    ),
    (
        "chat_join_request",
        lambda c: c.inject_update(
            {
                "chat_join_request": {
                    "chat": {"id": -4_002, "type": "supergroup", "title": "ASN"},
                    "from": {"id": USER, "is_bot": False, "first_name": "Budi"},
                    "user_chat_id": USER,
                    "date": 1_700_000_000,
                }
            }
        ),
        lambda u: u.chat_join_request.user_chat_id == USER,
    ),
]


@pytest.mark.parametrize(("inject", "check"), [k[1:] for k in KINDS], ids=[k[0] for k in KINDS])
async def test_every_injected_kind_is_a_valid_update_ptb_parses(
    bot: Bot, control: AsyncEmulatorClient, inject: Inject, check: Check
) -> None:
    injected = await inject(control)
    assert injected.delivered
    assert injected.update is not None
    default_spec().check_object("Update", injected.update)
    assert check(Update.de_json(injected.update, bot))
    [received] = await bot.get_updates()
    assert received.update_id == injected.update_id
    assert received.to_dict() == Update.de_json(injected.update, bot).to_dict()


async def test_an_edited_message(bot: Bot, control: AsyncEmulatorClient) -> None:
    original = await control.send_text(USER, "NIP saya 19850101")
    assert original.message_id is not None
    edited = await control.edit_text(USER, original.message_id, "NIP saya 198501012010011001")
    assert edited.update is not None
    update = Update.de_json(edited.update, bot)
    assert update.edited_message is not None
    assert update.edited_message.text == "NIP saya 198501012010011001"
    assert update.edited_message.edit_date is not None
    assert update.edited_message.message_id == original.message_id
    with pytest.raises(ControlApiError, match=r"message 999 not found"):
        await control.edit_text(USER, 999, "x")


async def test_group_privacy_mode(bot: Bot, control: AsyncEmulatorClient) -> None:
    group = (await control.create_group(title="Petugas"))["id"]
    chat = {"chat_id": group}
    assert not (await control.send_text(USER, "rapat jam 9", **chat)).delivered
    assert (await control.send_text(USER, "tanya @asn_karier_bot", **chat)).delivered
    assert (await control.send_command(USER, "laporan", **chat)).delivered
    posted = await bot.send_message(group, "Tiket #12 dari Budi")
    assert (await control.reply_to(USER, group, posted.message_id, "Saya ambil")).delivered
    everything = await control.messages(group, sender="all")
    assert len(everything) == 5  # undelivered messages are still in the chat's history

    with EmulatorServer(rate_limit=False, group_privacy=False) as open_server:
        async with open_server.async_client() as other:
            await other.create_group(group, "Petugas")
            assert (await other.send_text(USER, "rapat jam 9", chat_id=group)).delivered


async def test_press_checks_the_keyboard_unless_forged(
    bot: Bot, control: AsyncEmulatorClient
) -> None:
    await control.register_user(USER)
    sent = await bot.send_message(USER, "Pilih")
    with pytest.raises(ControlApiError, match=r"offered: \[\]"):
        await control.press(USER, sent.message_id, "ya")
    assert (await control.press(USER, sent.message_id, "ya", forged=True)).delivered
    with pytest.raises(ControlApiError, match=r"message 99 not found"):
        await control.press(USER, 99, "ya")
    user_message = await control.send_text(USER, "halo")
    assert user_message.message_id is not None
    with pytest.raises(ControlApiError, match=r"was not sent by the bot"):
        await control.press(USER, user_message.message_id, "ya", forged=True)


async def test_wait_for_bot_messages(bot: Bot, control: AsyncEmulatorClient) -> None:
    await control.register_user(USER)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r"waited 0.2 s for 1 bot messages, got 0"):
        await control.wait_for(USER, 1, timeout=0.2)
    assert time.monotonic() - started < 2

    async def later() -> None:
        await asyncio.sleep(0.2)
        await bot.send_message(USER, "satu")
        await bot.send_message(USER, "dua")

    task = asyncio.create_task(later())
    messages = await control.wait_for(USER, 2, timeout=5)
    await task
    assert [m["text"] for m in messages] == ["satu", "dua"]
    newer = await control.wait_for(USER, 1, timeout=0.1, after=messages[0]["message_id"])
    assert [m["text"] for m in newer] == ["dua"]
    [request] = await control.wait_for_requests("getMe", 1, timeout=1)
    assert request["ok"] is True


async def test_reset_forgets_everything(bot: Bot, control: AsyncEmulatorClient) -> None:
    await control.send_text(USER, "halo")
    await control.set_fault("getMe", status=500)
    await control.reset()
    assert await control.updates() == []
    assert await control.requests() == []
    assert await control.faults() == []
    with pytest.raises(ControlApiError, match=r"no chat"):
        await control.chat(USER)
    assert (await control.health())["pending_updates"] == 0


async def test_parameters_in_every_encoding(server: EmulatorServer) -> None:
    markup = {"inline_keyboard": [[{"text": "Ya", "callback_data": "ya"}]]}
    async with server.async_client() as control:
        await control.register_user(USER)
    async with httpx.AsyncClient(base_url=server.api_url) as http:
        as_json = await http.post(
            "/sendMessage", json={"chat_id": USER, "text": "json", "reply_markup": markup}
        )
        as_form = await http.post(
            "/sendMessage", data={"chat_id": str(USER), "text": "form", "protect_content": "true"}
        )
        as_query = await http.get("/sendmessage", params={"chat_id": USER, "text": "query"})
        as_multipart = await http.post(
            "/sendDocument",
            data={"chat_id": str(USER)},
            files={"document": ("cv.pdf", b"%PDF-1.4", "application/pdf")},
        )
        broken = await http.post(
            "/sendMessage", content=b"{nope", headers={"Content-Type": "application/json"}
        )
        elsewhere = await http.get(f"{server.url}/somewhere/else")
    assert as_json.json()["result"]["reply_markup"] == markup
    assert as_form.json()["result"]["has_protected_content"] is True
    assert as_query.json()["result"]["text"] == "query"
    assert as_multipart.json()["result"]["document"]["file_name"] == "cv.pdf"
    assert broken.json()["description"] == "Bad Request: can't parse JSON encoded request body"
    assert elsewhere.status_code == 404
    async with server.async_client() as control:
        logged = await control.requests()
    assert [r["method"] for r in logged] == [
        "sendMessage", "sendMessage", "sendMessage", "sendDocument", "sendMessage",
    ]  # fmt: skip
    assert logged[2]["http_method"] == "GET"
    assert logged[3]["params"]["document"] == {
        "filename": "cv.pdf",
        "content_type": "application/pdf",
        "size": 8,
    }


async def test_control_mistakes_are_reported(server: EmulatorServer) -> None:
    async with httpx.AsyncClient(base_url=server.control_url) as http:
        unknown_kind = await http.post("/updates/telepathy", json={})
        unknown_field = await http.post("/updates/message", json={"user_id": 1, "txt": "x"})
        not_json = await http.post("/updates/message", content=b"[1")
        no_chat = await http.get("/chats/424242")
    assert unknown_kind.status_code == 404
    assert "unknown update kind 'telepathy'" in unknown_kind.json()["error"]
    assert unknown_field.status_code == 400
    assert "unexpected keyword argument 'txt'" in unknown_field.json()["error"]
    assert not_json.status_code == 400
    assert no_chat.status_code == 404
    async with server.async_client() as control:
        with pytest.raises(ControlApiError, match=r"exactly one object besides update_id"):
            await control.inject_update({})
        with pytest.raises(ControlApiError, match=r"ChatJoinRequest: Can't find field \"from\""):
            await control.inject_update(
                {"chat_join_request": {"chat": {"id": 1, "type": "group"}, "date": 1}}
            )


def test_cli_arguments() -> None:
    args = parse_args(
        [
            "--port", "0", "--token", "1:abc", "--no-rate-limit", "--chat-rate", "2",
            "--fault", '{"method": "sendMessage", "status": 502, "probability": 0.1}',
        ]
    )  # fmt: skip
    config = config_from_args(args)
    assert config.token == "1:abc"
    assert config.limits.enabled is False
    assert config.limits.chat_per_second == 2
    assert config.faults == [{"method": "sendMessage", "status": 502, "probability": 0.1}]
    assert parse_args([]).port == 8081


def test_cli_serves_until_interrupted() -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    fault = '{"method": "getMe", "status": 500, "times": 1}'
    process = subprocess.Popen(
        [sys.executable, "-m", "telegram_emulator", "--port", str(port), "--fault", fault],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{base}/_control/health", process)
        api = f"{base}/bot1000000001:local-try-out-token/getMe"
        assert [httpx.get(api).status_code for _ in range(2)] == [500, 200]
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0
    assert "GET getMe -> 500 Internal Server Error" in stderr
    assert "GET getMe -> 200" in stderr
    assert "local-try-out-token" not in stderr  # the token never reaches the log


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the emulator exited: {process.stderr.read() if process.stderr else ''}"
            )
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the emulator did not come up")
