"""Action tests: real actions, trackers built from dicts, a real (committed) database."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from actions import common
from asnkarier import db
from asnkarier.models import Employee
from tests.conftest import DatabaseFactory
from tests.factories import make_employee

_users = itertools.count(700_001)


@pytest.fixture(scope="module")
def factory(db_factory: DatabaseFactory) -> Iterator[sessionmaker[Session]]:
    """A migrated, seeded database the actions use through `actions.common.in_db`."""
    engine = db.make_engine(db_factory.new_seeded_url())
    sessions = db.make_sessionmaker(engine)
    common.configure(sessions)
    yield sessions
    common.configure(None)
    engine.dispose()


@pytest.fixture
def linked(factory: sessionmaker[Session]) -> Callable[..., Employee]:
    """Create and commit an employee linked to a fresh Telegram user id (= chat id)."""

    def make(**values: Any) -> Employee:
        user = next(_users)
        with factory.begin() as session:
            return make_employee(session, chat_id=user, **values)

    return make


def tracker(
    sender: int | str = 999_999,
    text: str = "",
    intent: str = "",
    entities: dict[str, str] | list[tuple[str, str]] | None = None,
    slots: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
) -> Tracker:
    """A tracker as the Rasa server sends it, with one latest user message."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95},
        "intent_ranking": [{"name": intent, "confidence": 0.95}],
        "entities": [
            {"entity": k, "value": v}
            for k, v in (entities.items() if isinstance(entities, dict) else entities or [])
        ],
        "metadata": {"chat_id": int(sender)} if str(sender).lstrip("-").isdigit() else {},
    }
    user_event = {"event": "user", "text": text, "parse_data": latest}
    return Tracker(
        str(sender),
        slots or {},
        latest,
        [*(events or []), user_event],
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


async def run_action(
    action: Action, t: Tracker
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run an action; return (messages sent, events returned)."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, {})
    return dispatcher.messages, events


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def payloads(messages: list[dict[str, Any]]) -> list[str]:
    return [b["payload"] for m in messages for b in (m.get("buttons") or [])]
