"""Conversation context: which entities a turn may use, and how a form tells values from
questions and from "stop".

The one rule for topic slots (`golongan`, `jenis_kp`, `jabatan`, `jenjang`, `topik`,
`istilah`): a question uses the entities of its own message only. The slot mappings fill a
slot only for the intents it belongs to (nlu/domain), and after every user message
`action_validate_slot_mappings` clears each topic slot the message did not fill, unless the
message is a follow-up of the same question ("kalau yang terampil?", "kalau reguler?"), which
deliberately keeps the previous question's other entities. It also sets `sapaan` (Bapak, Ibu)
for the responses.
"""

from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from sqlalchemy.orm import Session

from actions.common import (
    Answer,
    AnswerAction,
    Event,
    employee_of,
    telegram_user_id,
    user_text,
)
from asnkarier.services.employees import honorific

# The slots each question intent reads; a slot of no intent here is never a topic slot.
TOPIC_SLOTS: dict[str, tuple[str, ...]] = {
    "ask_promotion_requirements": ("golongan", "jenis_kp"),
    "ask_promotion_schedule": ("golongan", "jenis_kp"),
    "ask_career_path": ("jabatan", "jenjang"),
    "ask_training": ("topik",),
    "ask_definition": ("istilah",),
}
ALL_TOPIC_SLOTS = tuple(dict.fromkeys(s for slots in TOPIC_SLOTS.values() for s in slots))
# Intents that answer something; anything else (affirm, deny, a form's value) keeps context.
QUESTION_INTENTS = frozenset(
    {
        *TOPIC_SLOTS,
        "greet", "goodbye", "thank", "help", "bot_challenge", "out_of_scope",
        "ask_competency_hours", "list_workshops", "register_workshop", "cancel_registration",
        "my_registrations",
        "ask_appraisal_deadline", "ask_appraisal_howto", "reminder_on", "reminder_off",
        "link_account", "my_profile", "request_human",
        "ask_development_plan", "find_mentor", "offer_mentor", "stop_mentor",
    }
)  # fmt: skip
# Promotion requirements and schedule share their slots: "kalau jadwalnya?" follows either.
_FAMILY = {"ask_promotion_schedule": "ask_promotion_requirements"}

_FOLLOW_UP = re.compile(
    r"^(kalau|kalo|klo|kl|kalau\s+untuk|bagaimana|gimana|gmn|terus|trus|trs|lalu|yang|yg|"
    r"untuk|utk|buat|bila|jika|dan|sama|kalu|klau)\b",
    re.IGNORECASE,
)
_STOP = re.compile(
    r"^(batal|batalkan|batalin|cancel|stop|berhenti|ga\s*jadi|gak\s*jadi|nggak\s*jadi|"
    r"ngga\s*jadi|enggak\s*jadi|tidak\s*jadi|gajadi|gk\s*jadi|ga\s*jd|gak\s*jd|gk\s*jd|"
    r"udah|udahan|sudah|sudahi|keluar|exit|quit|nanti\s*saja|nanti\s*aja)"
    r"(\s+(aja|saja|deh|dulu|ya|yah|dong|min|kak|pak|bu|lah))*[\s.!]*$",
    re.IGNORECASE,
)


def intent_of(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


def wants_to_stop(tracker: Tracker) -> bool:
    """'batal', 'cancel', 'stop', 'ga jadi', 'udah' ... typed inside a form: leave it."""
    return bool(_STOP.match(user_text(tracker).strip())) or intent_of(tracker) == "deny"


def is_follow_up(text: str) -> bool:
    """An elliptical message that builds on the previous question ("kalau yang terampil?")."""
    words = text.strip().split()
    return bool(words) and len(words) <= 6 and bool(_FOLLOW_UP.match(text.strip()))


def previous_question(tracker: Tracker) -> str | None:
    """The intent of the last question before the latest message."""
    users = [e for e in tracker.events if e.get("event") == "user"]
    for event in reversed(users[:-1]):
        name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if name in QUESTION_INTENTS:
            return str(name)
    return None


def _mentioned(tracker: Tracker) -> set[str]:
    return {str(e.get("entity")) for e in tracker.latest_message.get("entities") or []}


def topic_events(tracker: Tracker) -> list[Event]:
    """The one reset rule (module docstring) as slot events for this turn."""
    intent = intent_of(tracker)
    if intent not in QUESTION_INTENTS:
        return []
    mentioned = _mentioned(tracker)
    own = set(TOPIC_SLOTS.get(intent, ()))
    before = previous_question(tracker)
    keep: set[str] = set()
    if (
        before is not None
        and _FAMILY.get(before, before) == _FAMILY.get(intent, intent)
        and is_follow_up(user_text(tracker))
    ):
        keep = own
    return [
        SlotSet(slot, None)
        for slot in ALL_TOPIC_SLOTS
        if tracker.get_slot(slot) is not None
        and not (slot in own and slot in mentioned)
        and slot not in keep
    ]


class ActionValidateSlotMappings(AnswerAction, name="action_validate_slot_mappings"):
    """Runs after every user message (Rasa's `action_validate_slot_mappings`)."""

    def answer(self, session: Session, tracker: Tracker) -> Answer:
        events = topic_events(tracker)
        if telegram_user_id(tracker) is not None:
            sapaan = honorific(employee_of(session, tracker))
            if tracker.get_slot("sapaan") != sapaan:
                events.append(SlotSet("sapaan", sapaan))
        return Answer([], events)


# --- forms ------------------------------------------------------------------------------------


def form_started_at(tracker: Tracker, form: str) -> int:
    """Index in tracker.events where the current run of `form` began (0 if not found)."""
    start, active = 0, None
    for i, event in enumerate(tracker.events):
        if event.get("event") == "active_loop":
            name = event.get("name")
            if name == form and active != form:
                start = i
            active = name
    return start


def asked_before(tracker: Tracker, form: str, prompt: str) -> bool:
    """Whether this run of the form already sent the message starting with `prompt` (then ask
    briefly). The ask actions run inside the form action, so only their messages are logged."""
    start = form_started_at(tracker, form)
    return any(
        e.get("event") == "bot" and str(e.get("text") or "").startswith(prompt)
        for e in tracker.events[start:]
    )


def is_question(tracker: Tracker, *own_intents: str) -> bool:
    """A message that asks something else than the form (answered by data/rules/forms.yml)."""
    intent = intent_of(tracker)
    return intent in QUESTION_INTENTS and intent not in own_intents
