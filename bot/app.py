"""The Telegram application: `build_application` wires every feature; `main` runs it."""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application, ApplicationBuilder

from asnkarier import metrics as prometheus
from asnkarier import shared_state
from asnkarier.db import make_engine, make_sessionmaker
from asnkarier.settings import Settings, configure_logging, get_settings
from bot.handlers import (
    broadcast,
    buttons,
    commands,
    console,
    errors,
    gatekeeping,
    handoff,
    hr,
    media,
    messages,
    metrics,
    reminders,
)
from bot.processing import MessageRateLimiter, PerChatProcessor
from bot.rasa_client import RasaClient

logger = logging.getLogger(__name__)


def build_application(builder: ApplicationBuilder, settings: Settings | None = None) -> Application:  # type: ignore[type-arg]
    """Build the app on the builder's transport (token, base_url) and register every feature."""
    settings = settings or get_settings()
    # With REDIS_URL, replicas share the flood counts and each chat's order; alone, in memory.
    shared = shared_state.connect(settings)
    processor = PerChatProcessor(shared=shared)

    async def post_init(application: Application) -> None:  # type: ignore[type-arg]
        engine = make_engine(settings.database_url)
        application.bot_data.update(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            rasa=RasaClient(settings.rasa_url, timeout=settings.rasa_timeout_seconds),
            shared=shared,
            flood_counter=gatekeeping.counter_for(shared),
        )
        await application.bot.set_my_commands(commands.MENU)
        # State kept in the DB across restarts: officers' menus, tickets the group has not seen.
        await hr.show_hr_menus(application)
        await handoff.forward_pending(application)

    async def post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
        data: dict[str, Any] = application.bot_data
        if "rasa" in data:
            await data["rasa"].aclose()
        if "engine" in data:
            data["engine"].dispose()
        if shared is not None:
            await shared.aclose()

    application = (
        builder.rate_limiter(MessageRateLimiter(max_retries=3))
        .concurrent_updates(processor)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    processor.application = application  # handles updates other replicas queued for a chat
    # Order matters only between groups: gatekeeping runs first (negative groups) and may stop
    # an update; features share group 0, where the first matching handler wins, so commands
    # and buttons come before free text, and the catch-all media handler comes last.
    metrics.register(application)  # group -3: counts every update, even refused ones
    gatekeeping.register(application)
    handoff.register(application)  # its close button before the catch-all buttons
    hr.register(application)
    broadcast.register(application)  # /umumkan, /laporan: before the unknown-command catch-all
    console.register(application)  # /konsol: the web console's sign-in link
    commands.register(application)
    reminders.register(application)  # "Sudah selesai" before the catch-all buttons
    buttons.register(application)
    messages.register(application)
    media.register(application)
    errors.register(application)
    return application


def builder_for(settings: Settings) -> ApplicationBuilder:  # type: ignore[type-arg]
    """A builder on the configured Bot API endpoint (TELEGRAM_BOT_TOKEN, TELEGRAM_BASE_URL)."""
    token, base_url = settings.telegram_endpoint()
    builder = ApplicationBuilder().token(token)
    return builder.base_url(base_url) if base_url else builder


def main() -> None:
    """Run the bot in polling or webhook mode, as configured."""
    settings = get_settings()
    configure_logging(settings.log_level)
    builder = builder_for(settings)  # stops here, clearly, when no token is configured
    try:
        prometheus.serve(settings.metrics_port, settings.metrics_host)
    except OSError as exc:  # e.g. another process of this host already has the port
        logger.warning("no /metrics endpoint on port %d: %s", settings.metrics_port, exc)
    application = build_application(builder, settings)
    if settings.bot_mode == "webhook":
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
        if not (settings.webhook_url and secret):
            raise SystemExit("BOT_MODE=webhook needs WEBHOOK_URL and WEBHOOK_SECRET to be set")
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path="telegram",
            webhook_url=settings.webhook_url,
            secret_token=secret,
        )
    else:
        application.run_polling()
