"""Browser tests' parts: Debian's Chromium for Playwright (never a downloaded one) and the
console served by a real uvicorn on a free port."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.settings import Settings
from web.app import create_app

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"


def chromium() -> str:
    """Path of the system Chromium; skips loudly without one (fails under CI)."""
    found = next((p for p in CHROMIUM_CANDIDATES if os.access(p, os.X_OK)), None)
    found = found or shutil.which("chromium")
    if found:
        return found
    reason = "Chromium is not installed (apt-get install -y chromium; .ci/run does it)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: required when CI is set")
    pytest.skip(f"!!! SKIPPING BROWSER TESTS: {reason}")
    raise AssertionError  # unreachable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def served(settings: Settings, sessions: sessionmaker[Session]) -> AsyncIterator[str]:
    """The console on uvicorn at settings.web_port in this event loop; yields its base URL."""
    config = uvicorn.Config(
        create_app(settings, sessions),
        host="127.0.0.1",
        port=settings.web_port,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(20):
            while not server.started:  # noqa: ASYNC110 - uvicorn has no started event
                await asyncio.sleep(0.05)
        yield settings.web_base_url
    finally:
        server.should_exit = True
        await task
