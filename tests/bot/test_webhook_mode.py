"""`python -m bot` in webhook mode: it registers its URL with the secret token, answers what
Telegram (the emulator) posts, and refuses posts without the secret (e.g. through the proxy)."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import Engine

from bot.relay import BUSY
from telegram_emulator import EmulatorServer
from tests.e2e.bot_process import bot_env, running_bot
from tests.e2e.doors import loaded_but_failing_rasa
from tests.e2e.stack import free_port

SECRET = "rahasia-webhook-123"


def test_webhook_mode_checks_the_secret_token(engine: Engine, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    with EmulatorServer(rate_limit=False) as server, loaded_but_failing_rasa() as rasa_url:
        env = bot_env(
            server,
            rasa_url,
            engine.url.render_as_string(hide_password=False),
            rasa_url,
            BOT_MODE="webhook",
            WEBHOOK_URL=url,
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
            WEBHOOK_SECRET=SECRET,
        )
        with running_bot(server, env, tmp_path, ready="setWebhook") as tg:
            webhook = tg.webhook()
            assert webhook is not None
            assert (webhook["url"], webhook["secret_token"]) == (url, SECRET)

            tg.send_text(4_600_001, "halo", first_name="Uji")  # delivered by POST, with secret
            [reply] = tg.wait_for(4_600_001, 1, timeout=15)
            assert reply["text"] == BUSY  # Rasa fails in this test: the bot still answers

            update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "x"}}
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "salah"}):
                assert httpx.post(url, json=update, headers=headers).status_code == 403
