"""Shared plumbing for actions: database sessions off the event loop, who is asking, buttons."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.db import make_engine, make_sessionmaker, run_in_transaction
from asnkarier.models import Employee
from asnkarier.services.appraisal import EKINERJA_URL as EKINERJA_URL  # re-exported for actions
from asnkarier.services.employees import by_telegram_user
from asnkarier.settings import get_settings

logger = logging.getLogger(__name__)
T = TypeVar("T")

LINK_INVITE = (
    "Untuk jawaban pribadi, hubungkan akun Telegram Anda dulu: ketik «aktivasi» lalu masukkan "
    "kode aktivasi dari BKPSDM."
)
LINK_BUTTON = {"title": "🔗 Hubungkan akun", "payload": "/link_account"}


_factory: sessionmaker[Session] | None = None


def sessions() -> sessionmaker[Session]:
    """The session factory of this action-server process, made on first use."""
    global _factory
    if _factory is None:
        _factory = make_sessionmaker(make_engine(get_settings().database_url))
    return _factory


def configure(factory: sessionmaker[Session] | None) -> None:
    """Use this session factory instead of DATABASE_URL's (tests); None goes back to it."""
    global _factory
    _factory = factory


async def in_db(work: Callable[[Session], T]) -> T:
    """Run `work(session)` in one transaction on a worker thread, keeping the server responsive."""
    return await run_in_transaction(sessions(), work)


def telegram_user_id(tracker: Tracker) -> int | None:
    """The Telegram user id the bot passes as sender id; None for other channels (rasa shell)."""
    sender = str(tracker.sender_id or "")
    return int(sender) if sender.lstrip("-").isdigit() else None


def chat_id(tracker: Tracker) -> int | None:
    """The chat to answer in: the bot's metadata, else the sender (private chats)."""
    metadata = tracker.latest_message.get("metadata") or {}
    value = metadata.get("chat_id")
    if isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit()):
        return int(value)
    return telegram_user_id(tracker)


def employee_of(session: Session, tracker: Tracker) -> Employee | None:
    """The linked, active employee behind this conversation, if any."""
    user = telegram_user_id(tracker)
    if user is None:
        return None
    employee = by_telegram_user(session, user)
    return employee if employee is not None and employee.is_active else None


def timezone_of(employee: Employee | None) -> str:
    return employee.effective_timezone if employee else get_settings().default_timezone


def payload(intent: str, **entities: Any) -> str:
    """A button payload Rasa parses as that intent with those entities."""
    return f"/{intent}{json.dumps(entities, separators=(',', ':'))}" if entities else f"/{intent}"


def button(title: str, intent: str, **entities: Any) -> dict[str, str]:
    return {"title": title, "payload": payload(intent, **entities)}


def url_button(title: str, url: str) -> dict[str, str]:
    """A link button: the bot renders payloads starting with https:// as URL buttons."""
    return {"title": title, "payload": url}


def entity(tracker: Tracker, name: str) -> str | None:
    """The latest message's entity value, else the slot of the same name."""
    value = next(tracker.get_latest_entity_values(name), None)
    if value is None:
        value = tracker.get_slot(name)
    return str(value).strip() if value not in (None, "") else None


def user_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


@dataclass
class Reply:
    """One message to send: text and optional buttons (built inside the DB transaction)."""

    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)


def send(dispatcher: CollectingDispatcher, *replies: Reply) -> None:
    for reply in replies:
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None)
