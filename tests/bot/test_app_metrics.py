"""The bot records what it handles and how fast it answers (asnkarier.metrics)."""

from __future__ import annotations

from prometheus_client import REGISTRY
from sqlalchemy import Engine

from bot.relay import BUSY
from telegram_emulator import EmulatorServer
from tests.bot.app_support import running_app
from tests.bot.emulator_support import server_fixture

USER = 4_500_001


server = server_fixture(rate_limit=False)


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_updates_turns_and_latency_are_counted(
    server: EmulatorServer, engine: Engine
) -> None:
    names = {
        "text": ("asnbot_updates_handled_total", {"kind": "text"}),
        "media": ("asnbot_updates_handled_total", {"kind": "media"}),
        "unavailable": ("asnbot_nlu_replies_total", {"outcome": "unavailable"}),
        "turns": ("asnbot_reply_latency_seconds_count", {}),
    }
    before = {key: _value(name, **labels) for key, (name, labels) in names.items()}
    async with server.async_client() as tg:
        await tg.reset()
        async with running_app(server, engine):
            await tg.send_text(USER, "kapan tenggat SKP?", first_name="Uji")  # Rasa is down
            [busy] = await tg.wait_for(USER, 1, timeout=10)
            await tg.send_sticker(USER)
            await tg.wait_for(USER, 2, timeout=10)
    assert busy["text"] == BUSY
    after = {key: _value(name, **labels) for key, (name, labels) in names.items()}
    assert {key: after[key] - before[key] for key in names} == {
        "text": 1,
        "media": 1,
        "unavailable": 1,
        "turns": 1,  # the sticker's fixed reply is not a turn through the assistant
    }
