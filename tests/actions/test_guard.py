"""Every action rasa_sdk serves goes through the one base and its guard (actions.common)."""

from __future__ import annotations

import logging

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from sqlalchemy.orm import Session

from actions.common import UNAVAILABLE, AnswerAction, FormValidator, Reply
from asnkarier import signals
from tests.actions.conftest import run_action, tracker


def test_every_registered_action_runs_through_a_guarded_base() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    served = {
        name: run.__self__
        for name, run in executor.actions.items()
        if type(run.__self__).__module__.startswith("actions.")
    }
    assert len(served) >= 26
    for name, action in served.items():
        assert isinstance(action, AnswerAction | FormValidator), name
        base = AnswerAction if isinstance(action, AnswerAction) else FormValidator
        assert type(action).run is base.run, f"{name} bypasses the guard"


class _Broken(AnswerAction, name="test_broken_action"):
    def answer(self, session: Session, tracker: Tracker) -> list[Reply]:
        raise RuntimeError("boom")


async def test_a_failing_answer_is_an_apology_and_a_signal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="actions.common")
    messages, events = await run_action(_Broken(), tracker(4242, "kode saya R4TW8HNX"))
    assert events == []
    assert [m.get("text") for m in messages if m.get("text")] == [UNAVAILABLE]
    assert [m["custom"] for m in messages if m.get("custom")] == [
        signals.signal(signals.UNAVAILABLE)
    ]
    [record] = caplog.records
    assert record.exc_info is not None
    assert "test_broken_action" in record.getMessage()
    assert "R4TW8HNX" not in caplog.text
    assert "4242" not in caplog.text


async def test_the_guard_drops_what_was_said_before_the_failure() -> None:
    class Half(FormValidator, name="test_half_validator"):
        async def required_slots(
            self, domain_slots: list[str], dispatcher: CollectingDispatcher, *args: object
        ) -> list[str]:
            dispatcher.utter_message(text="half an answer")
            raise RuntimeError("boom")

    t = tracker(4243, "x", slots={"requested_slot": "workshop"})
    messages, events = await run_action(Half(), t)
    assert "half an answer" not in str(messages)
    assert events == [{"event": "slot", "timestamp": None, "name": "workshop", "value": None}]
