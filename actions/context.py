"""Conversation context: which entities a turn may use, and how a form tells values from
questions and from "stop".

The one rule for topic slots (`golongan`, `jenis_kp`, `jabatan`, `jenjang`, `topik`,
`istilah`): a question uses the entities of its own message only. The slot mappings fill a
slot only for the intents it belongs to (nlu/domain), and after every user message
`action_validate_slot_mappings` clears each topic slot the message did not fill, unless the
message is a follow-up of the same question ("kalau yang terampil?", "kalau reguler?"), which
deliberately keeps the previous question's other entities. It also sets `sapaan` (Bapak, Ibu)
for the responses.

Follow-ups across intents (`follow_up_of`): the NLU sees one message, so "kalau yang
terampil?" after a career question may come back as a promotion question, "kalau reguler?" as
a fallback. A short message that starts like a follow-up ("kalau", "yang", "terus") and has no
topic words of its own (only fillers, the values of the previous question's entities, its slot
labels like "golongan", or a period like "bulan depan" for workshops) is the previous question
asked again with the new values, whatever intent the NLU gave it: the slots of that question are
set from the message and `lanjutan` names the question. The action the policies picked for the
message's intent then answers the previous question instead (`AnswerAction.run`, one place for
every answering action). A message with a word of a topic of its own ("kalau pelatihan excel
ada?") is a new question and resets as above. Inside a form nothing is a follow-up (the form
reads values). Not redirected: intents answered by a fixed response (greet, out_of_scope, ...).
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
from asnkarier.services import glossary
from asnkarier.services.employees import honorific
from asnkarier.services.text import wants_to_stop as says_stop

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
        "check_in", "report_training", "ask_training_history",
    }
)  # fmt: skip
# Promotion requirements and schedule share their slots: "kalau jadwalnya?" follows either.
_FAMILY = {"ask_promotion_schedule": "ask_promotion_requirements"}

# The questions a follow-up can continue, and the action that answers each.
FOLLOW_UP_ANSWERS: dict[str, str] = {
    "ask_promotion_requirements": "action_promotion_requirements",
    "ask_promotion_schedule": "action_promotion_schedule",
    "ask_career_path": "action_career_path",
    "ask_training": "action_training_search",
    "ask_definition": "action_definition",
    "list_workshops": "action_list_workshops",
}
# The actions that answer the message's own intent; one of them answers a follow-up instead.
ANSWERING_ACTIONS = frozenset(
    {
        *FOLLOW_UP_ANSWERS.values(),
        "action_competency_hours", "action_appraisal_deadlines", "action_appraisal_howto",
        "action_my_profile", "action_my_registrations", "action_fallback_options",
    }
)  # fmt: skip


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words of a follow-up that name no topic: its markers and fillers.
_FILLERS = _wordset(
    """kalau kalo klo kl kalu klau bagaimana gimana gmn gmna terus trus trs lalu yang yg untuk
    utk buat bila jika dan sama kak min pak bu mas mbak dong deh ya yah sih nih tuh aja saja
    juga jg ada gak ga nggak ngga kah apa itu ini nya an the"""
)
# Words that only say which value of the previous question's slots ("kalau golongan III/c?").
_VALUE_WORDS: dict[str, frozenset[str]] = {
    "ask_promotion_requirements": _wordset("golongan gol gologan pangkat ruang ke dari dr"),
    "ask_career_path": _wordset("jenjang jenjangnya level tingkat jabatan jab fungsional"),
    "ask_training": _wordset("pelatihan topik tentang soal materi"),
    "ask_definition": _wordset("istilah singkatan arti artinya"),
    "list_workshops": _wordset("bulan bln minggu pekan depan dpn ini besok lusa jadwal workshop"),
}
_VALUE_WORDS["ask_promotion_schedule"] = _VALUE_WORDS["ask_promotion_requirements"]
# Within the promotion family a follow-up may switch between its two questions by one word
# ("kalau jadwalnya?" after the requirements): those words pick the question they name.
_SWITCH_WORDS: dict[str, frozenset[str]] = {
    "ask_promotion_schedule": _wordset("jadwal jadwalnya periode periodenya kapan kpn"),
    "ask_promotion_requirements": _wordset("syarat syaratnya persyaratan berkas berkasnya"),
}
_WORD = re.compile(r"[a-z0-9/]+")

_FOLLOW_UP = re.compile(
    r"^(kalau|kalo|klo|kl|kalau\s+untuk|bagaimana|gimana|gmn|terus|trus|trs|lalu|yang|yg|"
    r"untuk|utk|buat|bila|jika|dan|sama|kalu|klau)\b",
    re.IGNORECASE,
)


def intent_of(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


def wants_to_stop(tracker: Tracker) -> bool:
    """'batal', 'cancel', 'stop', 'ga jadi', 'udah' ... typed inside a form: leave it."""
    return says_stop(user_text(tracker)) or intent_of(tracker) == "deny"


def is_follow_up(text: str) -> bool:
    """An elliptical message that builds on the previous question ("kalau yang terampil?")."""
    words = text.strip().split()
    return bool(words) and len(words) <= 6 and bool(_FOLLOW_UP.match(text.strip()))


def _asked(tracker: Tracker) -> list[str | None]:
    """The question each user message of the conversation asked: its intent, or the question
    it followed up (the `lanjutan` slot set right after it)."""
    asked: list[str | None] = []
    for event in tracker.events:
        if event.get("event") == "user":
            asked.append(((event.get("parse_data") or {}).get("intent") or {}).get("name"))
        elif event.get("event") == "slot" and event.get("name") == LANJUTAN and asked:
            asked[-1] = str(event["value"]) if event.get("value") else asked[-1]
    return asked


def previous_question(tracker: Tracker) -> str | None:
    """The question asked last before the latest message (follow-ups count as theirs)."""
    for name in reversed(_asked(tracker)[:-1]):
        if name in QUESTION_INTENTS:
            return str(name)
    return None


LANJUTAN = "lanjutan"


def follow_up_of(tracker: Tracker) -> str | None:
    """The previous question when the latest message is a follow-up of it with no topic of its
    own (module docstring), else None."""
    text = user_text(tracker).strip()
    if tracker.active_loop_name or text.startswith("/") or not is_follow_up(text):
        return None
    before = previous_question(tracker)
    if before not in FOLLOW_UP_ANSWERS:
        return None
    entities = tracker.latest_message.get("entities") or []
    if any(str(e.get("entity")) not in TOPIC_SLOTS.get(before, ()) for e in entities):
        return None  # a value of another topic ("kalau reguler?" after a career question)
    rest = text.lower()
    for e in sorted(entities, key=lambda e: -int(e.get("start") or 0)):
        if isinstance(e.get("start"), int) and isinstance(e.get("end"), int):
            rest = rest[: e["start"]] + " " + rest[e["end"] :]
        else:  # no offsets (a button's payload, a test): the value as typed
            rest = rest.replace(str(e.get("value") or "").lower(), " ")
    words = [w for w in _WORD.findall(rest) if w not in _FILLERS]
    values = _VALUE_WORDS.get(before, frozenset())
    own = [w for w in words if w not in values]
    if own and _FAMILY.get(before, before) == "ask_promotion_requirements":
        for question, switch in _SWITCH_WORDS.items():
            if all(w in switch for w in own):
                return question  # "kalau jadwalnya?": the family's other question
    if own and before == "ask_definition" and len(own) == 1 and not entities:
        return before  # "kalau TMT?": one untagged word after a definition is the next term
    if own:
        return None  # a word of a topic of its own: a new question
    if not entities and not words:
        return None  # nothing new to ask ("terus?"): left to the NLU
    return before


def _mentioned(tracker: Tracker) -> set[str]:
    return {str(e.get("entity")) for e in tracker.latest_message.get("entities") or []}


def topic_events(tracker: Tracker) -> list[Event]:
    """The one reset rule (module docstring) as slot events for this turn."""
    follow = follow_up_of(tracker)
    if follow is not None:
        own = set(TOPIC_SLOTS.get(follow, ()))
        values: dict[str, str] = {}
        for e in tracker.latest_message.get("entities") or []:
            values.setdefault(str(e.get("entity")), str(e.get("value")))
        return [
            *(SlotSet(slot, value) for slot, value in values.items()),
            *(
                SlotSet(slot, None)
                for slot in ALL_TOPIC_SLOTS
                if slot not in own and tracker.get_slot(slot) is not None
            ),
            SlotSet(LANJUTAN, follow),
        ]
    unset = [SlotSet(LANJUTAN, None)] if tracker.get_slot(LANJUTAN) is not None else []
    intent = intent_of(tracker)
    if intent not in QUESTION_INTENTS:
        return unset
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
        *unset,
        *(
            SlotSet(slot, None)
            for slot in ALL_TOPIC_SLOTS
            if tracker.get_slot(slot) is not None
            and not (slot in own and slot in mentioned)
            and slot not in keep
        ),
    ]


def follow_up_action(tracker: Tracker, action: str) -> str | None:
    """The action that answers this turn instead of `action`, when `action` answers the
    message's own intent: the definition when the message plainly asks what a glossary term
    means, else the followed-up question's when the message is a follow-up of another one."""
    if (
        action in ANSWERING_ACTIONS
        and action != "action_definition"
        and glossary.plainly_asked(user_text(tracker)) is not None
    ):
        return "action_definition"  # "eh bentar, JP itu apa?" read as the 20 JP question
    follow = tracker.get_slot(LANJUTAN)
    target = FOLLOW_UP_ANSWERS.get(str(follow)) if follow else None
    if target is None or target == action or action not in ANSWERING_ACTIONS:
        return None
    return target


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


# Small talk: what the NLU calls these intents inside a form is small talk only when every word
# is small talk; "yoga pagi" read as a greeting (for "pagi") is an attempt at the form's value.
SMALL_TALK = frozenset({"greet", "thank", "goodbye", "bot_challenge"})
_SMALL_TALK_WORDS = _wordset(
    """halo hallo hai hay hi hello helo hei hey alo pagi siang sore malam selamat slmt met mlm
    assalamualaikum asalamualaikum assalamu alaikum alaikumsalam waalaikumsalam salam wr wb
    punten sampurasun permisi misi hola yo oi kak kakak min admin mimin pak bapak bu ibu mas mbak
    mba bang om tante gan sis kang teh bro sob semua teman tim bkpsdm bot
    terima kasih makasih makasi mksh trims trimakasih thanks thank thx tq tengkyu you banyak
    banget bgt ya iya yaa sangat membantu infonya info atas bantuannya nuhun hatur suwun matur
    nuwun sembah pisan
    dadah dah bye babay sampai jumpa lagi ketemu udah dulu sudah segitu cukup pamit permisi oke
    ok okay sip siap mantap
    kamu anda ini robot manusia mesin asli orang beneran apa siapa yang bales balas ngetik chat
    bukan sih kah ai dengan saya aku sy lagi ngobrol nih deh dong lho loh kok"""
)
_LETTERS = re.compile(r"[a-z]+")


def misread_small_talk(tracker: Tracker) -> bool:
    """A message the NLU took for small talk although it says more ("yoga pagi")."""
    if intent_of(tracker) not in SMALL_TALK:
        return False
    found = _LETTERS.findall(user_text(tracker).lower())
    return any(w not in _SMALL_TALK_WORDS for w in found)


def is_question(tracker: Tracker, *own_intents: str) -> bool:
    """A message that asks something else than the form (answered by data/rules/forms.yml).

    Text read as small talk that is more than small talk is not a question: the form takes it
    as its value, which fails and is asked again briefly."""
    intent = intent_of(tracker)
    return (
        intent in QUESTION_INTENTS and intent not in own_intents and not misread_small_talk(tracker)
    )
