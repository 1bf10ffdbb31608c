"""Blocked users, scripted errors and delays, and Telegram's sending limits, as PTB sees them."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from telegram_emulator import AsyncEmulatorClient, ControlApiError, EmulatorServer
from tests.bot.emulator_support import ptb_bot, server_fixture

USER = 6_001
server = server_fixture()  # Telegram's default limits: 30/s overall, 1/s per chat, 20/min/group


@pytest.fixture(autouse=True)
def _fresh(server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter.retry_after as a timedelta
    with server.client() as client:
        client.reset()


@pytest.fixture
async def control(server: EmulatorServer) -> AsyncIterator[AsyncEmulatorClient]:
    async with server.async_client() as client:
        await client.register_user(USER, "Budi")
        yield client


@pytest.fixture
async def bot(server: EmulatorServer) -> AsyncIterator[Bot]:
    async with ptb_bot(server) as ptb:
        yield ptb


async def test_a_blocked_user_stays_blocked_until_unblocked(
    bot: Bot, control: AsyncEmulatorClient
) -> None:
    blocked = await control.block(USER)
    assert blocked.update is not None
    change = blocked.update["my_chat_member"]
    assert (change["old_chat_member"]["status"], change["new_chat_member"]["status"]) == (
        "member",
        "kicked",
    )
    for _ in range(2):
        with pytest.raises(Forbidden) as info:
            await bot.send_message(USER, "Pengingat SKP")
        assert info.value.message == "Forbidden: bot was blocked by the user"
        await control.advance_clock(1.1)
    await control.unblock(USER)
    assert (await bot.send_message(USER, "Pengingat SKP")).text == "Pengingat SKP"
    await control.block(USER)
    await control.advance_clock(1.1)
    await control.send_text(USER, "/start")  # writing to the bot again unblocks it
    assert await bot.send_message(USER, "Selamat datang kembali")


async def test_scripted_flood_wait_is_retry_after(bot: Bot, control: AsyncEmulatorClient) -> None:
    await control.set_fault("sendMessage", retry_after=7, times=1)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(USER, "Halo")
    assert info.value.retry_after == dtm.timedelta(seconds=7)
    assert await bot.send_message(USER, "Halo")  # only the next call was scripted
    assert await control.faults() == []
    [failed, ok] = await control.requests("sendMessage")
    assert (failed["status"], failed["error"]) == (429, "Too Many Requests: retry after 7")
    assert ok["status"] == 200


async def test_server_errors_are_network_errors(bot: Bot, control: AsyncEmulatorClient) -> None:
    await control.set_limits(enabled=False)
    await control.set_fault("sendMessage", status=500, times=1)
    await control.set_fault("sendMessage", status=502, times=1)
    with pytest.raises(NetworkError) as internal:
        await bot.send_message(USER, "satu")
    assert internal.value.message == "Internal Server Error"
    with pytest.raises(NetworkError) as gateway:
        await bot.send_message(USER, "dua")  # nginx's HTML page, as Telegram's front answers
    assert gateway.value.message.startswith("Bad Gateway (502). Parsing the server response")
    assert await bot.send_message(USER, "tiga")


async def test_faults_can_target_one_chat(bot: Bot, control: AsyncEmulatorClient) -> None:
    await control.set_limits(enabled=False)
    await control.register_user(USER + 1)
    await control.set_fault(chat_id=USER, status=400, description="Bad Request: chat not found")
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(USER, "Halo")
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_chat_action(USER, "typing")
    assert await bot.send_message(USER + 1, "Halo")
    await control.clear_faults()
    assert await bot.send_message(USER, "Halo")


async def test_slow_answers_time_out_yet_may_have_been_sent(
    server: EmulatorServer, control: AsyncEmulatorClient
) -> None:
    await control.set_limits(enabled=False)
    async with ptb_bot(server, request=HTTPXRequest(read_timeout=0.3)) as bot:
        await control.set_fault("sendMessage", delay=1.0, times=1)
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "lambat")
        assert (await bot.send_message(USER, "cepat")).text == "cepat"
    # Like Telegram, a request the client gave up on can still go through.
    texts = [m["text"] for m in await control.wait_for(USER, 2, timeout=5)]
    assert sorted(texts) == ["cepat", "lambat"]
    slow = [r for r in await control.requests("sendMessage") if r["params"]["text"] == "lambat"]
    assert slow[0]["duration_ms"] >= 1000


async def test_probabilistic_faults_follow_the_seed(
    server: EmulatorServer, control: AsyncEmulatorClient
) -> None:
    api_url = server.api_url
    await control.set_limits(enabled=False)
    outcomes: list[list[int]] = []
    for _ in range(2):
        await control.clear_faults()
        rule = {"methods": ["getMe"], "status": 500, "probability": 0.5, "seed": 7}
        async with httpx.AsyncClient(base_url=control.control_url) as http:
            assert (await http.post("/faults", json=rule)).status_code == 200
        async with httpx.AsyncClient() as http:
            statuses = [(await http.get(f"{api_url}/getMe")).status_code for _ in range(40)]
        outcomes.append(statuses)
    assert outcomes[0] == outcomes[1]  # same seed, same failures
    assert 5 < outcomes[0].count(500) < 35


async def test_bad_fault_rules_are_refused(control: AsyncEmulatorClient) -> None:
    with pytest.raises(ControlApiError, match=r"needs a status, a retry_after or a delay"):
        await control.set_fault("sendMessage")
    with pytest.raises(ControlApiError, match=r"probability must be between 0 and 1"):
        await control.set_fault("sendMessage", status=500, probability=2)


async def test_second_message_to_a_chat_within_a_second_is_refused(
    bot: Bot, control: AsyncEmulatorClient
) -> None:
    await control.freeze_clock()
    assert await bot.send_message(USER, "satu")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(USER, "dua")
    assert info.value.retry_after == dtm.timedelta(seconds=1)
    await control.register_user(USER + 1)
    assert await bot.send_message(USER + 1, "chat lain")  # other chats are not affected
    await control.advance_clock(1.0)
    assert await bot.send_message(USER, "dua")
    [refused] = [r for r in await control.requests("sendMessage") if r["status"] == 429]
    assert refused["error"] == "Too Many Requests: retry after 1"


async def test_thirty_messages_per_second_overall(bot: Bot, control: AsyncEmulatorClient) -> None:
    users = [USER + 100 + i for i in range(31)]
    for user in users:
        await control.register_user(user)
    await control.freeze_clock()
    sent = await asyncio.gather(*(bot.send_message(u, "Pengumuman") for u in users[:30]))
    assert len(sent) == 30
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(users[30], "Pengumuman")
    assert info.value.retry_after == dtm.timedelta(seconds=1)
    await control.advance_clock(1.0)
    assert await bot.send_message(users[30], "Pengumuman")


async def test_twenty_messages_per_minute_in_a_group(
    bot: Bot, control: AsyncEmulatorClient
) -> None:
    group = await control.create_group(title="HR")
    await control.freeze_clock()
    for _ in range(20):
        assert await bot.send_message(group["id"], "Laporan")
        await control.advance_clock(1.0)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(group["id"], "Laporan")
    assert info.value.retry_after == dtm.timedelta(seconds=40)


async def test_limits_are_configurable(bot: Bot, control: AsyncEmulatorClient) -> None:
    await control.freeze_clock()
    limits = await control.set_limits(chat_per_second=2)
    assert limits == {
        "enabled": True,
        "global_per_second": 30,
        "chat_per_second": 2,
        "group_per_minute": 20,
    }
    await bot.send_message(USER, "satu")
    await bot.send_message(USER, "dua")
    with pytest.raises(RetryAfter):
        await bot.send_message(USER, "tiga")
    await control.set_limits(enabled=False)
    for _ in range(5):
        await bot.send_message(USER, "bebas")
    async with httpx.AsyncClient(base_url=control.control_url) as http:
        refused = await http.post("/limits", json={"per_hour": 1})
    assert refused.status_code == 400
    assert refused.json() == {"ok": False, "error": "unknown limit fields: per_hour"}
