"""Long-lived clients kept in `bot_data` (created in post_init, closed in post_shutdown)."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.ext import ContextTypes

from asnkarier.db import run_in_transaction
from asnkarier.settings import Settings
from bot.rasa_client import RasaClient

T = TypeVar("T")
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


class Context(Protocol):
    """Anything holding the bot's shared data: a handler's context or the Application itself."""

    @property
    def bot_data(self) -> Any: ...


def settings(context: Context) -> Settings:
    value: Settings = context.bot_data["settings"]
    return value


def rasa(context: Context) -> RasaClient:
    value: RasaClient = context.bot_data["rasa"]
    return value


async def in_db(context: Context, work: Callable[[Session], T]) -> T:
    """Run `work(session)` in one transaction on a worker thread."""
    factory: sessionmaker[Session] = context.bot_data["sessions"]
    return await run_in_transaction(factory, work)


# PTB hands every handler of one update the same context object, so the first handler can
# stamp when the update arrived and the last reply can measure the whole turn.
_RECEIVED = "asnbot_received_at"


def mark_received(context: ContextTypes.DEFAULT_TYPE) -> None:
    vars(context)[_RECEIVED] = time.monotonic()


def received_at(context: ContextTypes.DEFAULT_TYPE) -> float:
    """When this update arrived (now, if nobody stamped it)."""
    value = vars(context).get(_RECEIVED)
    return float(value) if value is not None else time.monotonic()
