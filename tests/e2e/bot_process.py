"""Start the real bot and the outbox dispatcher as processes against a Bot API emulator.

Used by the end-to-end tests and by `bench/latency.py`; Rasa and the action server come from
`tests/e2e/stack.py`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from telegram_emulator.client import EmulatorClient
from telegram_emulator.runner import EmulatorServer
from tests.e2e.doors import loaded_but_failing_rasa
from tests.e2e.stack import ROOT, Process, free_port, start


class Telegram(Protocol):
    """Where the bot finds its Bot API: an EmulatorServer, or an emulator run as a process."""

    @property
    def token(self) -> str: ...

    @property
    def base_url(self) -> str: ...


def bot_env(
    emulator: Telegram, rasa_url: str, database_url: str, actions_url: str, **extra: str
) -> dict[str, str]:
    """What the bot and the dispatcher need to talk to this emulator, Rasa (and the action
    server whose /health the bot waits for) and database."""
    return {
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_BASE_URL": emulator.base_url,
        "RASA_URL": rasa_url,
        "ACTIONS_URL": actions_url,
        "RASA_TIMEOUT_SECONDS": "4",
        "DATABASE_URL": database_url,
        "FLOOD_LIMIT_PER_MINUTE": "20",
        "LOG_LEVEL": "INFO",
        **extra,
    }


def start_bot(env: Mapping[str, str], logs: Path, name: str = "bot") -> Process:
    return start(name, [sys.executable, "-m", "bot"], env, ROOT, logs)


def start_dispatcher(env: Mapping[str, str], logs: Path) -> Process:
    return start("dispatcher", [sys.executable, "-m", "scheduler.dispatcher"], env, ROOT, logs)


@contextmanager
def running_bot(
    emulator: EmulatorServer,
    env: Mapping[str, str],
    logs: Path,
    name: str = "bot",
    *,
    ready: str = "getUpdates",
) -> Iterator[EmulatorClient]:
    """The bot process, ready once it calls `ready` (setWebhook in webhook mode); yields the
    emulator's control client."""
    client = emulator.client()
    since = max((r["seq"] for r in client.requests()), default=0)
    process = start_bot(env, logs, name)
    try:
        try:
            client.wait_for_requests(ready, 1, timeout=60, since=since)
        except TimeoutError:
            raise RuntimeError(f"the bot did not start:\n{process.tail()}") from None
        yield client
    finally:
        process.stop()
        client.close()


@contextmanager
def bot_and_dispatcher_without_nlu(
    emulator: EmulatorServer, database_url: str, logs: Path, **extra: str
) -> Iterator[EmulatorClient]:
    """The real bot and outbox dispatcher for flows that never reach Rasa (buttons, files,
    feedback): the bot takes updates once "Rasa" says its model is loaded, and this one fails
    every message. Prints both logs' tails afterwards."""
    with loaded_but_failing_rasa() as rasa_url:
        env = bot_env(emulator, rasa_url, database_url, rasa_url, METRICS_PORT=str(free_port()))
        env.update(RASA_TIMEOUT_SECONDS="1", **extra)
        dispatcher = start_dispatcher({**env, "METRICS_PORT": "0"}, logs)
        try:
            with running_bot(emulator, env, logs) as client:
                yield client
        finally:
            dispatcher.stop()
        print((logs / "bot.log").read_text(errors="replace")[-3000:])
        print(dispatcher.tail(20))
