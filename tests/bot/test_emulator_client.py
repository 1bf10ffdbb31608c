"""One control client: `EmulatorClient` is the async client's blocking face, call for call."""

from __future__ import annotations

import asyncio
import inspect
import threading

import pytest

from telegram_emulator import AsyncEmulatorClient, ControlApiError, EmulatorServer
from telegram_emulator.client import EmulatorClient
from tests.bot.emulator_support import server_fixture

USER = 7_301
server = server_fixture(rate_limit=False)


def _calls(cls: type) -> set[str]:
    return {name for name in vars(cls) if not name.startswith("_") and callable(vars(cls)[name])}


def test_every_async_call_has_its_blocking_twin_with_the_same_signature() -> None:
    asynchronous = _calls(AsyncEmulatorClient) - {"aclose"}
    blocking = _calls(EmulatorClient) - {"close"}
    assert asynchronous == blocking
    for name in asynchronous:
        assert inspect.iscoroutinefunction(getattr(AsyncEmulatorClient, name)), name
        assert not inspect.iscoroutinefunction(getattr(EmulatorClient, name)), name
        assert getattr(EmulatorClient, name).__doc__ == getattr(AsyncEmulatorClient, name).__doc__


def test_blocking_client_sends_and_waits_and_raises_like_the_async_one(
    server: EmulatorServer,
) -> None:
    before = {t for t in threading.enumerate() if t.name == "emulator-client"}
    with EmulatorClient(server.control_url) as client:
        client.reset()
        sent = client.send_text(USER, "halo", first_name="Rina")
        assert sent.delivered
        assert sent.chat_id == USER
        assert [u["update_id"] for u in client.updates()] == [sent.update_id]
        with pytest.raises(TimeoutError, match=r"waited 0\.2 s for 1 bot messages"):
            client.wait_for(USER, 1, timeout=0.2)
        with pytest.raises(ControlApiError):
            client.press(USER, 999_999, "nothing")
    # Only this client's thread: clients of module-scoped fixtures elsewhere may still run.
    threads = [t for t in threading.enumerate() if t.name == "emulator-client" and t not in before]
    assert threads == [], "close() must stop the client's private loop thread"


async def test_blocking_client_works_inside_a_running_event_loop(server: EmulatorServer) -> None:
    # Sync helpers are called from async tests too: the private loop keeps that from failing.
    assert asyncio.get_running_loop() is not None
    with EmulatorClient(server.control_url) as client:
        assert client.health()["version"]
