"""Shared helpers for the emulator tests: a module-wide emulator and a PTB bot talking to it.

Kept out of conftest.py on purpose: each emulator test module builds its own fixtures from these
helpers, so other bot tests are not affected.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from telegram import Bot

from telegram_emulator import EmulatorServer


def server_fixture(**config: Any) -> Callable[[], Iterator[EmulatorServer]]:
    """A module-scoped fixture running one emulator (`config` as for EmulatorServer)."""

    @pytest.fixture(scope="module")
    def server() -> Iterator[EmulatorServer]:
        with EmulatorServer(**config) as running:
            yield running

    return server


@asynccontextmanager
async def ptb_bot(server: EmulatorServer, **kwargs: Any) -> AsyncIterator[Bot]:
    """A real python-telegram-bot `Bot` pointed at the emulator (initialised: getMe done)."""
    async with Bot(server.token, base_url=server.base_url, **kwargs) as bot:
        yield bot
