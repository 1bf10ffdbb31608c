"""The real bot application, in the test's event loop, polling an emulator (no Rasa: the
settings point it at a closed port, so a relayed message gets the busy reply)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Engine
from telegram.ext import Application, ApplicationBuilder, BaseHandler

from asnkarier.settings import Settings
from bot.app import build_application
from telegram_emulator import EmulatorServer

DEAD_RASA = "http://127.0.0.1:9"


@asynccontextmanager
async def running_app(
    server: EmulatorServer,
    engine: Engine,
    *extra: tuple[BaseHandler[Any, Any, Any], int],
    **settings: Any,
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """`build_application` as `python -m bot` runs it, plus `extra` (handler, group) pairs."""
    config = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        **{"rasa_url": DEAD_RASA, "hr_group_chat_id": 0, "rasa_timeout_seconds": 2, **settings},
    )
    builder = (
        ApplicationBuilder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
    )
    application = build_application(builder, config)
    for handler, group in extra:
        application.add_handler(handler, group=group)
    async with application:
        await application.post_init(application)  # type: ignore[misc]
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()
            await application.post_shutdown(application)  # type: ignore[misc]
