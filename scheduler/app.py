"""Entry point of the scheduler process: logging, database, signals, then `SchedulerService`."""

from __future__ import annotations

import asyncio
import logging
import signal

from asnkarier.db import make_engine, make_sessionmaker
from asnkarier.settings import Settings, configure_logging, get_settings
from scheduler.service import SchedulerService

logger = logging.getLogger(__name__)


async def serve(settings: Settings) -> None:
    """Run one scheduler instance until SIGINT or SIGTERM."""
    engine = make_engine(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await SchedulerService(settings, make_sessionmaker(engine)).run(stop)
    finally:
        engine.dispose()
        logger.info("Scheduler stopped")


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    asyncio.run(serve(settings))
