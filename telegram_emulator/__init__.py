"""A faithful Telegram Bot API emulator for tests, benchmarks and `make run` without a token.

Serves the Bot API over real HTTP (checked against the vendored bot-api-10.1.json) plus a
control API for tests; see docs/emulator.md.
"""

from __future__ import annotations

from telegram_emulator.client import (
    AsyncEmulatorClient,
    ControlApiError,
    EmulatorClient,
    InjectedUpdate,
)
from telegram_emulator.core import DEFAULT_TOKEN, Emulator, EmulatorConfig
from telegram_emulator.faults import Limits
from telegram_emulator.runner import EmulatorServer

__all__ = [
    "DEFAULT_TOKEN",
    "AsyncEmulatorClient",
    "ControlApiError",
    "Emulator",
    "EmulatorClient",
    "EmulatorConfig",
    "EmulatorServer",
    "InjectedUpdate",
    "Limits",
]
