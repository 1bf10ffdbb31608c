"""Webhook mode: the emulator POSTs updates to the bot's URL with the secret header, retrying."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import tornado.web
from telegram import Bot, Update
from telegram.error import Conflict
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from telegram_emulator import AsyncEmulatorClient, EmulatorServer
from tests.bot.emulator_support import ptb_bot, server_fixture

USER = 8_001
SECRET = "rahasia_BKPSDM-2025"
server = server_fixture(rate_limit=False, webhook_retry_initial=0.05, webhook_retry_max=0.2)


@dataclass
class Delivery:
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Receiver:
    """A stand-in for the bot's webhook endpoint; fails the first `fail` deliveries."""

    url: str = ""
    fail: int = 0
    deliveries: asyncio.Queue[Delivery] = field(default_factory=asyncio.Queue)

    async def next(self) -> Delivery:
        return await asyncio.wait_for(self.deliveries.get(), timeout=5)


class _Endpoint(tornado.web.RequestHandler):
    def initialize(self, receiver: Receiver) -> None:
        self.receiver = receiver

    def post(self) -> None:
        self.receiver.deliveries.put_nowait(
            Delivery(dict(self.request.headers), json.loads(self.request.body))
        )
        if self.receiver.fail > 0:
            self.receiver.fail -= 1
            self.set_status(500)
        self.finish()


@pytest.fixture(autouse=True)
def _fresh(server: EmulatorServer) -> None:
    with server.client() as client:
        client.reset()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    sockets = bind_sockets(0, address="127.0.0.1", family=socket.AF_INET)
    endpoint = Receiver()
    http = HTTPServer(tornado.web.Application([(r"/hook", _Endpoint, {"receiver": endpoint})]))
    http.add_sockets(sockets)
    endpoint.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/hook"
    yield endpoint
    http.stop()
    await http.close_all_connections()


@pytest.fixture
async def control(server: EmulatorServer) -> AsyncIterator[AsyncEmulatorClient]:
    async with server.async_client() as client:
        yield client


@pytest.fixture
async def bot(server: EmulatorServer) -> AsyncIterator[Bot]:
    async with ptb_bot(server) as ptb:
        try:
            yield ptb
        finally:
            await ptb.delete_webhook()


async def test_updates_are_posted_with_the_secret_token(
    bot: Bot, control: AsyncEmulatorClient, receiver: Receiver
) -> None:
    assert await bot.set_webhook(receiver.url, secret_token=SECRET)
    injected = await control.send_text(USER, "Halo lewat webhook")
    delivery = await receiver.next()
    assert delivery.headers["X-Telegram-Bot-Api-Secret-Token"] == SECRET
    assert delivery.headers["Content-Type"] == "application/json"
    assert delivery.body == injected.update
    update = Update.de_json(delivery.body, bot)
    assert update.message is not None
    assert update.message.text == "Halo lewat webhook"
    info = await bot.get_webhook_info()
    assert info.url == receiver.url
    with pytest.raises(Conflict) as conflict:
        await bot.get_updates()
    assert conflict.value.message == (
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
        "delete the webhook first"
    )
    assert await bot.delete_webhook()
    await control.send_text(USER, "kembali ke polling")
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["kembali ke polling"]


async def test_failed_deliveries_are_retried_in_order(
    bot: Bot, control: AsyncEmulatorClient, receiver: Receiver
) -> None:
    receiver.fail = 2
    await bot.set_webhook(receiver.url)
    first = await control.send_text(USER, "satu")
    second = await control.send_text(USER, "dua")
    ids = [(await receiver.next()).body["update_id"] for _ in range(4)]
    assert ids == [first.update_id] * 3 + [second.update_id]
    info = await bot.get_webhook_info()
    for _ in range(50):  # the last delivery is confirmed once the emulator reads our answer
        if info.pending_update_count == 0:
            break
        await asyncio.sleep(0.02)
        info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert info.pending_update_count == 0
    state = await control.webhook()
    assert state is not None
    assert [d["error"] is None for d in state["deliveries"]] == [False, False, True, True]


async def test_drop_pending_updates(
    bot: Bot, control: AsyncEmulatorClient, receiver: Receiver
) -> None:
    await control.send_text(USER, "lama")
    await bot.set_webhook(receiver.url, drop_pending_updates=True)
    fresh = await control.send_text(USER, "baru")
    assert (await receiver.next()).body["update_id"] == fresh.update_id
    assert receiver.deliveries.empty()


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet with the deep-link code."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"Kode aktivasi: {context.args[0]}")


async def test_a_ptb_application_in_webhook_mode(
    server: EmulatorServer, control: AsyncEmulatorClient
) -> None:
    application: Application = (  # type: ignore[type-arg]
        ApplicationBuilder().token(server.token).base_url(server.base_url).build()
    )
    application.add_handler(CommandHandler("start", start))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="telegram",
            webhook_url=f"http://127.0.0.1:{port}/telegram",
            secret_token=SECRET,
        )
        try:
            await control.send_command(USER, "start", "XYZ-789")
            [reply] = await control.wait_for(USER, 1, timeout=10)
        finally:
            await application.updater.stop()
            await application.stop()
    assert reply["text"] == "Kode aktivasi: XYZ-789"
    state = await control.webhook()
    assert state is not None
    assert state["secret_token"] == SECRET
    assert state["deliveries"][-1]["error"] is None
