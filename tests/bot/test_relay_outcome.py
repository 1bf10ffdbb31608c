"""How the bot counts a turn (asnbot_nlu_replies_total): an action's apology for a failure is
"unavailable", never "answered" or "fallback"."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from actions.common import UNAVAILABLE
from asnkarier import signals
from bot.rasa_client import BotReply
from bot.relay import _act_on_signals


def _custom(name: str) -> BotReply:
    return BotReply("", custom=signals.signal(name))


@pytest.mark.parametrize(
    ("replies", "outcome"),
    [
        ([BotReply("Tenggat SKP terdekat: ...")], "answered"),
        ([_custom(signals.FALLBACK), BotReply("Maaf, saya kurang yakin ...")], "fallback"),
        ([BotReply(UNAVAILABLE), _custom(signals.UNAVAILABLE)], "unavailable"),
        # A failing action inside a turn that also fell back is still a failure.
        (
            [BotReply(UNAVAILABLE), _custom(signals.UNAVAILABLE), _custom(signals.FALLBACK)],
            "unavailable",
        ),
        (
            [_custom(signals.FALLBACK), BotReply(UNAVAILABLE), _custom(signals.UNAVAILABLE)],
            "unavailable",
        ),
        # A form whose validator and question action both failed: one apology is shown.
        ([BotReply(UNAVAILABLE), _custom(signals.UNAVAILABLE)] * 2, "unavailable"),
    ],
)
async def test_turn_outcome(replies: list[BotReply], outcome: str) -> None:
    context: Any = SimpleNamespace(bot_data={})
    shown, counted, _ = await _act_on_signals(SimpleNamespace(), context, replies)  # type: ignore[arg-type]
    assert counted == outcome
    assert all(reply.custom is None for reply in shown)  # signals are never shown
    if outcome == "unavailable":
        assert [reply.text for reply in shown] == [UNAVAILABLE]
