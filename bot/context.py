"""Long-lived clients kept in `bot_data` (created in post_init, closed in post_shutdown)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.ext import CallbackContext, ContextTypes

from asnkarier.settings import Settings
from bot.rasa_client import RasaClient

T = TypeVar("T")
Context = ContextTypes.DEFAULT_TYPE | CallbackContext[Any, Any, Any, Any]
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def settings(context: Context) -> Settings:
    value: Settings = context.bot_data["settings"]
    return value


def rasa(context: Context) -> RasaClient:
    value: RasaClient = context.bot_data["rasa"]
    return value


async def in_db(context: Context, work: Callable[[Session], T]) -> T:
    """Run `work(session)` in one transaction on a worker thread."""
    factory: sessionmaker[Session] = context.bot_data["sessions"]

    def run() -> T:
        with factory.begin() as session:
            return work(session)

    return await asyncio.to_thread(run)
