"""Shared plumbing for actions: the two bases, database sessions off the event loop, who is
asking, buttons.

An action is its name and one function (`AnswerAction.answer`) that builds its replies inside
one database transaction; a form's validator (`FormValidator`) is its name and its
`validate_<slot>`/`extract_<slot>` methods. Both bases run through one guard (`guarded`): when
anything fails (the database is down, a bug), the user gets a polite "sedang ada gangguan", the
bot is told the turn was unavailable, and the error is logged without the conversation.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from asnkarier import signals
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
        # hide_parameters: a failing statement's values (a code, a NIP) stay out of the log.
        engine = make_engine(get_settings().database_url, hide_parameters=True)
        _factory = make_sessionmaker(engine)
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
    """The chat to answer in: the sender's private chat, or the group the bot's metadata names.

    A private chat's id is its user's id, so a positive metadata chat_id that differs from the
    sender is forged (it once unlinked the owner of that chat) and is ignored; group ids are
    negative and can never be someone's private chat.
    """
    sender = telegram_user_id(tracker)
    metadata = tracker.latest_message.get("metadata") or {}
    value = metadata.get("chat_id")
    if isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit()):
        chat = int(value)
        if chat < 0 or chat == sender:
            return chat
    return sender


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


Event = dict[str, Any]
UNAVAILABLE = "Maaf, sedang ada gangguan pada sistem kami. Silakan coba lagi beberapa saat lagi."


@dataclass
class Reply:
    """One message to send (built inside the DB transaction): text and optional buttons, or a
    signal for the bot (`Reply.signal`, see asnkarier.signals) that the user never sees."""

    text: str = ""
    buttons: list[dict[str, str]] = field(default_factory=list)
    custom: dict[str, Any] | None = None

    @classmethod
    def signal(cls, name: str, **values: Any) -> Reply:
        return cls(custom=signals.signal(name, **values))


@dataclass
class Answer:
    """What an action does in a turn: its replies, in order, and the events it returns."""

    replies: list[Reply] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


def send(dispatcher: CollectingDispatcher, *replies: Reply) -> None:
    for reply in replies:
        if reply.custom is not None:
            dispatcher.utter_message(json_message=reply.custom)
        else:
            dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None)


async def guarded(
    name: str, dispatcher: CollectingDispatcher, work: Awaitable[list[Event]], failed: list[Event]
) -> list[Event]:
    """The one guard around every action: `work`'s events, or on any error an apology, the
    UNAVAILABLE signal and the `failed` events instead of whatever `work` had said so far.

    The log names the action and the error only: never the tracker, slots or message text
    (they may hold an activation code, a NIP or a phone number). rasa_sdk therefore never
    answers Rasa with an HTTP 500 carrying the tracker.
    """
    try:
        return await work
    except Exception:
        logger.exception("Action %s failed; the user was told to try again later", name)
        dispatcher.messages.clear()
        send(dispatcher, Reply(UNAVAILABLE), Reply.signal(signals.UNAVAILABLE))
        return failed


def _named(cls: Any, name: str | None) -> None:
    """Give an action class its Rasa name (the class keyword `name`). The bases have none, so
    they stay abstract and rasa_sdk, which registers every concrete Action subclass, skips them."""
    if name is not None:
        cls.name = lambda self: name


class AnswerAction(Action, ABC):
    """An action that is its name and `answer`: `class ActionX(AnswerAction, name="action_x")`.

    `answer` runs in one transaction on a worker thread; its replies are sent once the
    transaction has committed, and its events returned (`events` is the default list).
    When the message is a follow-up of an earlier question (actions/context.py), the action
    answering that question answers instead.
    """

    events: ClassVar[tuple[Event, ...]] = ()
    by_name: ClassVar[dict[str, type[AnswerAction]]] = {}

    def __init_subclass__(cls, name: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _named(cls, name)
        if name is not None:
            AnswerAction.by_name[name] = cls

    @abstractmethod
    def name(self) -> str:
        """Given as the class keyword `name`."""

    @abstractmethod
    def answer(self, session: Session, tracker: Tracker) -> Reply | list[Reply] | Answer:
        """The replies (and events) of this turn; the session's transaction commits after."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Event]:
        from actions.context import follow_up_action  # context builds on this module

        target = follow_up_action(tracker, self.name())
        action = AnswerAction.by_name[target]() if target in AnswerAction.by_name else self

        async def work() -> list[Event]:
            built = await in_db(lambda session: action.answer(session, tracker))
            if isinstance(built, Reply):
                built = Answer([built], list(action.events))
            elif isinstance(built, list):
                built = Answer(built, list(action.events))
            send(dispatcher, *built.replies)
            return built.events

        return await guarded(self.name(), dispatcher, work(), failed=[])


class FormValidator(FormValidationAction, ABC):
    """A form's validator: `class ValidateX(FormValidator, name="validate_x_form")` and its
    `required_slots`/`extract_<slot>`/`validate_<slot>` methods (rasa_sdk's protocol).

    On an error the slot being asked is cleared, so the form asks it again after the apology.
    """

    def __init_subclass__(cls, name: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _named(cls, name)

    @abstractmethod
    def name(self) -> str:
        """Given as the class keyword `name`."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Event]:
        asked = tracker.get_slot("requested_slot")
        failed = [SlotSet(asked, None)] if asked else []
        return await guarded(
            self.name(), dispatcher, super().run(dispatcher, tracker, domain), failed
        )
