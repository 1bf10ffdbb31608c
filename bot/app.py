"""The Telegram application: `build_application` wires every feature; `main` runs it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
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
    feedback,
    gatekeeping,
    handoff,
    hr,
    media,
    messages,
    metrics,
    reminders,
    training_report,
)
from bot.processing import MessageRateLimiter, PerChatProcessor
from bot.rasa_client import RasaClient

logger = logging.getLogger(__name__)


async def _wait_until(
    ready: Callable[[httpx.AsyncClient], Awaitable[bool]],
    what: str,
    *,
    interval: float,
    log_every: float,
) -> float:
    """Poll `ready` until it says yes (connection errors and bad JSON mean "not yet"), logging
    `what` is awaited every `log_every` seconds; seconds waited."""
    started = time.monotonic()
    next_log = started + log_every
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=2.0)) as http:
        while True:
            try:
                if await ready(http):
                    break
            except (httpx.HTTPError, ValueError):
                pass  # not up yet
            if time.monotonic() >= next_log:
                logger.info("waiting for %s (%.0f s)", what, time.monotonic() - started)
                next_log += log_every
            await asyncio.sleep(interval)
    return time.monotonic() - started


async def wait_for_rasa(url: str, *, interval: float = 1.0, log_every: float = 30.0) -> float:
    """Return once Rasa at `url` has loaded its model (seconds waited); until then, no update
    is taken: Telegram keeps them (24 h), and they get real answers instead of "busy".
    `/status` names the loaded model when Rasa runs with --enable-api; without it, Rasa serves
    nothing (not even `/`) before its model is loaded, so any answer of `/` means loaded.
    """
    base = url.rstrip("/")

    async def loaded(http: httpx.AsyncClient) -> bool:
        status = await http.get(f"{base}/status")
        if status.status_code == 200 and (status.json() or {}).get("model_file"):
            return True
        return status.status_code in (401, 403, 404) and (await http.get(f"{base}/")).is_success

    return await _wait_until(
        loaded, f"Rasa at {base} to load its model", interval=interval, log_every=log_every
    )


async def wait_for_actions(url: str, *, interval: float = 1.0, log_every: float = 30.0) -> float:
    """Return once the action server at `url` answers its `/health` with 200 (it reaches the
    database); seconds waited. Before that Rasa would answer with its fallback or nothing."""
    base = url.rstrip("/")

    async def healthy(http: httpx.AsyncClient) -> bool:
        return (await http.get(f"{base}/health")).status_code == 200

    return await _wait_until(
        healthy, f"the action server at {base}", interval=interval, log_every=log_every
    )


def ready_line(settings: Settings) -> str:
    """The one line `make run` prints when the assistant takes messages, with how to chat."""
    if settings.telegram_base_url:  # a local Bot API (the emulator under `make run`)
        how = (
            "chat: .venv/bin/asnbot chat (demo pegawai/petugas: .venv/bin/asnbot demo, then "
            "asnbot chat --as pegawai)"
        )
    else:
        how = f"chat with @{settings.telegram_bot_username or 'the bot'} in Telegram"
    return f"[ready] Asisten Karier ASN siap menerima pesan; {how}"


def build_application(
    builder: ApplicationBuilder,  # type: ignore[type-arg]
    settings: Settings | None = None,
    *,
    wait_for_assistant: bool = False,
) -> Application:  # type: ignore[type-arg]
    """Build the app on the builder's transport (token, base_url) and register every feature;
    with `wait_for_assistant`, start taking updates only once Rasa has loaded its model and
    the action server is healthy."""
    settings = settings or get_settings()
    # With REDIS_URL, replicas share the flood counts and each chat's order; alone, in memory.
    shared = shared_state.connect(settings)
    processor = PerChatProcessor(shared=shared)

    async def post_init(application: Application) -> None:  # type: ignore[type-arg]
        if wait_for_assistant:
            # Polling (and the webhook server) start only after post_init: nothing is taken
            # before Rasa and its actions can answer it; in webhook mode Telegram redelivers.
            waited = await wait_for_rasa(settings.rasa_url)
            logger.info("Rasa has its model (waited %.1f s)", waited)
            waited = await wait_for_actions(settings.actions_url)
            logger.info("The action server is healthy (waited %.1f s more)", waited)
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
        if wait_for_assistant:
            print(ready_line(settings), flush=True)

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
    training_report.register(application)  # its form's answers before the /umumkan draft's
    broadcast.register(application)  # /umumkan, /laporan: before the unknown-command catch-all
    console.register(application)  # /konsol: the web console's sign-in link
    feedback.register_command(application)  # /sertifikat: before the unknown-command catch-all
    commands.register(application)
    reminders.register(application)  # "Sudah selesai" before the catch-all buttons
    feedback.register(application)  # its buttons; its text hands on to messages
    buttons.register(application)
    messages.register(application)
    media.register(application)
    errors.register(application)
    return application


def builder_for(settings: Settings) -> ApplicationBuilder:  # type: ignore[type-arg]
    """A builder on the configured Bot API endpoint (TELEGRAM_BOT_TOKEN, TELEGRAM_BASE_URL)."""
    token, base_url = settings.telegram_endpoint()
    builder = ApplicationBuilder().token(token)
    if not base_url:
        return builder
    # A local Bot API server serves downloads beside /bot: <server>/file/bot<token>/<path>.
    return builder.base_url(base_url).base_file_url(base_url.removesuffix("/bot") + "/file/bot")


def main() -> None:
    """Run the bot in polling or webhook mode, as configured."""
    settings = get_settings()
    configure_logging(settings.log_level)
    builder = builder_for(settings)  # stops here, clearly, when no token is configured
    try:
        prometheus.serve(settings.metrics_port, settings.metrics_host)
    except OSError as exc:  # e.g. another process of this host already has the port
        logger.warning("no /metrics endpoint on port %d: %s", settings.metrics_port, exc)
    application = build_application(builder, settings, wait_for_assistant=True)
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
