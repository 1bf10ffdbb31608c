"""Run the emulator in a background thread (its own event loop) for tests and benchmarks.

with EmulatorServer() as server:
    bot = telegram.Bot(server.token, base_url=server.base_url)
    client = server.client()
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
from types import TracebackType
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from telegram_emulator.client import AsyncEmulatorClient, EmulatorClient
from telegram_emulator.core import Emulator, EmulatorConfig
from telegram_emulator.faults import Limits
from telegram_emulator.server import make_app


class EmulatorServer:
    """One emulator on 127.0.0.1 (a free port unless given), started and stopped cleanly."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: bool | None = None,
        **overrides: Any,
    ) -> None:
        """`overrides` are EmulatorConfig fields (token=..., group_privacy=..., faults=...)."""
        config = dataclasses.replace(config or EmulatorConfig(), **overrides)
        if rate_limit is not None:
            config.limits = Limits(**{**config.limits.to_json(), "enabled": rate_limit})
        self.config = config
        self.host = host
        self.port = port
        self.emulator: Emulator | None = None  # touch only from the emulator's own thread
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None

    @property
    def token(self) -> str:
        return self.config.token

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """python-telegram-bot's `base_url`: the token is appended to it."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def api_url(self) -> str:
        """Where raw Bot API calls go: f"{api_url}/sendMessage"."""
        return f"{self.base_url}{self.token}"

    @property
    def control_url(self) -> str:
        return f"{self.url}/_control"

    def client(self, timeout: float = 30.0) -> EmulatorClient:
        return EmulatorClient(self.control_url, timeout=timeout)

    def async_client(self, timeout: float = 30.0) -> AsyncEmulatorClient:
        return AsyncEmulatorClient(self.control_url, timeout=timeout)

    def start(self) -> EmulatorServer:
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        sockets = bind_sockets(self.port, address=self.host, family=socket.AF_INET)
        self.port = int(sockets[0].getsockname()[1])
        self._ready.clear()
        self._thread = threading.Thread(
            target=self._run, args=(sockets,), name=f"telegram-emulator-{self.port}", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout=30):
            raise RuntimeError("the emulator did not start within 30 s")
        if self._failure is not None:
            raise RuntimeError("the emulator failed to start") from self._failure
        return self

    def stop(self) -> None:
        """Stop serving, release long polls and join the thread (idempotent)."""
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None:
            return
        if loop is not None and stopping is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stopping.set)
        thread.join(timeout=30)
        if thread.is_alive():
            raise RuntimeError("the emulator thread did not stop within 30 s")
        self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self, sockets: list[socket.socket]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(sockets))
        except BaseException as exc:  # reported to start(); the thread must not die silently
            self._failure = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self, sockets: list[socket.socket]) -> None:
        self._stopping = asyncio.Event()
        self.emulator = Emulator(self.config)
        server = HTTPServer(make_app(self.emulator))
        server.add_sockets(sockets)
        self._ready.set()
        await self._stopping.wait()
        server.stop()
        await self.emulator.aclose()
        await server.close_all_connections()
