"""Workshops: list, own registrations, and the registration and cancellation forms.

Both forms fill `workshop` (picked from buttons or named) and `konfirmasi` (yes/no). Their
`required_slots` drop to [] when there is nothing to ask (not linked, nothing to cancel, or the
user said "batal"), which ends the form; the submit action then explains why.
"""

from __future__ import annotations

import datetime as dt
import re
from abc import abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.common import (
    LINK_BUTTON,
    LINK_INVITE,
    AnswerAction,
    FormValidator,
    Reply,
    button,
    employee_of,
    in_db,
    send,
    timezone_of,
    user_text,
)
from actions.context import (
    asked_before,
    intent_of,
    is_question,
    misread_small_talk,
    wants_to_stop,
)
from asnkarier.models import Employee, Registration, RegistrationStatus, Workshop
from asnkarier.services import workshops
from asnkarier.services.employees import honorific
from asnkarier.services.formatting import local, tanggal, tanggal_jam, today_in
from asnkarier.services.text import overlap, words
from asnkarier.services.workshops import RegistrationOutcome

CANCEL_BUTTON = {"title": "✖️ Batal", "payload": "/deny"}
RESET = (SlotSet("workshop", None), SlotSet("konfirmasi", None))


def _place(w: Workshop) -> str:
    return w.location or "daring (tautan dikirim ke peserta)"


def _seats(w: Workshop) -> str:
    return f"sisa {w.seats_left} kursi" if w.seats_left else "penuh, bisa daftar tunggu"


def _summary(w: Workshop, tz: str) -> str:
    return (
        f"«{w.title}»\n🗓 {tanggal_jam(w.starts_at, tz)}\n📍 {_place(w)}\n🎓 {w.jp} JP · {_seats(w)}"
    )


_PERIODS = (
    (re.compile(r"\bminggu\s+(depan|dpn)\b|\bpekan\s+depan\b"), "minggu depan"),
    (re.compile(r"\bbulan\s+(depan|dpn)\b|\bbln\s+(depan|dpn)\b"), "bulan depan"),
    (re.compile(r"\bminggu\s+ini\b|\bpekan\s+ini\b"), "minggu ini"),
    (re.compile(r"\bbulan\s+ini\b|\bbln\s+ini\b"), "bulan ini"),
)


def _joined(session: Session, employee: Employee | None) -> set[int]:
    """Ids of the upcoming workshops the employee is registered or waitlisted for."""
    if employee is None:
        return set()
    return {r.workshop_id for r in workshops.my_registrations(session, employee.id)}


def period_in(text: str, today: dt.date) -> tuple[str, dt.date, dt.date] | None:
    """'yang bulan depan?' -> ('bulan depan', first day, last day) in local dates."""
    lowered = text.lower()
    for pattern, label in _PERIODS:
        if pattern.search(lowered):
            monday = today - dt.timedelta(days=today.weekday())
            if label == "minggu ini":
                return label, today, monday + dt.timedelta(days=6)
            if label == "minggu depan":
                return label, monday + dt.timedelta(days=7), monday + dt.timedelta(days=13)
            first = today.replace(day=1)
            if label == "bulan depan":
                first = (first + dt.timedelta(days=32)).replace(day=1)
            last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            return label, max(first, today), last
    return None


def list_reply(session: Session, tracker: Tracker) -> Reply:
    employee = employee_of(session, tracker)
    tz = timezone_of(employee)
    period = period_in(user_text(tracker), today_in(tz))
    upcoming = workshops.upcoming(session, limit=5 if period is None else 200)
    heading = "Workshop terdekat:"
    if period is not None:
        label, first, last = period
        upcoming = [w for w in upcoming if first <= local(w.starts_at, tz).date() <= last][:5]
        if not upcoming:
            return Reply(
                f"Belum ada workshop terjadwal {label}. Kami akan mengumumkannya di sini.",
                [button("📋 Workshop terdekat", "list_workshops")],
            )
        heading = f"Workshop {label}:"
    if not upcoming:
        return Reply("Belum ada workshop terjadwal. Kami akan mengumumkannya di sini.")
    joined = _joined(session, employee)
    lines = [heading]
    for w in upcoming:
        mark = " · ✅ sudah terdaftar" if w.id in joined else ""
        lines.append(
            f"\n• {w.title}\n  {tanggal_jam(w.starts_at, tz)} · {w.jp} JP · {_seats(w)}{mark}"
        )
    lines.append("\nPilih untuk mendaftar:")
    buttons = [
        button(w.title, "register_workshop", workshop=w.code)
        for w in upcoming
        if w.id not in joined
    ]
    if employee is None:
        lines.append("\n" + LINK_INVITE)
        buttons.append(LINK_BUTTON)
    return Reply("\n".join(lines), buttons)


def _status(session: Session, r: Registration) -> str:
    if r.status == RegistrationStatus.WAITLISTED:
        return f"daftar tunggu no. {workshops.queue_position(session, r)}"
    return "terdaftar ✅"


def my_registrations_reply(session: Session, tracker: Tracker) -> Reply:
    employee = employee_of(session, tracker)
    if employee is None:
        return Reply(LINK_INVITE, [LINK_BUTTON])
    mine = workshops.my_registrations(session, employee.id)
    if not mine:
        return Reply(
            "Bapak/Ibu belum terdaftar di workshop mana pun yang akan datang.",
            [button("📋 Lihat workshop", "list_workshops")],
        )
    tz = employee.effective_timezone
    lines = [f"Pendaftaran workshop {honorific(employee)}:"]
    lines += [
        f"\n• {r.workshop.title}\n  {tanggal_jam(r.workshop.starts_at, tz)} · {_status(session, r)}"
        for r in mine
    ]
    buttons = [
        button(f"Batalkan: {r.workshop.title}", "cancel_registration", workshop=r.workshop.code)
        for r in mine
    ]
    return Reply("\n".join(lines), buttons)


class ActionListWorkshops(AnswerAction, name="action_list_workshops"):
    events = (SlotSet("workshop", None),)

    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return list_reply(session, tracker)


class ActionMyRegistrations(AnswerAction, name="action_my_registrations"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return my_registrations_reply(session, tracker)


# --- the two forms' validation ----------------------------------------------------------------

# Words that say "register/cancel" rather than which workshop ("mau daftar bimtek ... dong").
_GENERIC = frozenset(
    {
        "daftar", "daftarin", "daftarkan", "mendaftar", "ikut", "ikutan", "join", "booking",
        "workshop", "bimtek", "webinar", "kelas", "pelatihan", "acara", "kegiatan", "batalkan",
        "batalin", "batal", "cancel", "pendaftaran", "registrasi", "lokakarya", "sesi", "yang",
        "dong", "saya", "aku", "sy", "mau", "pengen", "ingin", "tolong", "min", "kak", "deh",
    }
)  # fmt: skip


def _naming_words(text: str) -> str:
    """The words of a message that may name a workshop."""
    return " ".join(w for w in text.lower().split() if w.strip("?!.,") not in _GENERIC)


class WorkshopFormValidator(FormValidator):
    """Both forms ask `workshop` (buttons or typed words) then `konfirmasi`; a subclass says
    whether there is anything to ask, which workshops a text can mean, and its buttons' intent.

    Each message inside the form is one of: "stop" (ends the form, `konfirmasi` False), a
    value (a workshop named or picked, yes/no), or a question (nothing extracted: the form
    rejects, data/rules/forms.yml answers it, and the form resumes with a short prompt).
    """

    intent: str  # the intent the "which one?" buttons send
    not_found: str  # said when no workshop matches the text (`{}`: the text)

    @abstractmethod
    def can_ask(self, session: Session, tracker: Tracker) -> bool:
        """Whether the form has anything to ask this user (else it ends at once)."""

    @abstractmethod
    def matching(self, session: Session, tracker: Tracker, text: str) -> list[Workshop]:
        """The workshops `text` may mean."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        if tracker.get_slot("konfirmasi") is False:
            return []
        return list(domain_slots) if await in_db(lambda s: self.can_ask(s, tracker)) else []

    async def extract_workshop(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if wants_to_stop(tracker):
            return {"konfirmasi": False}
        asked = tracker.get_slot("requested_slot")
        text = user_text(tracker).strip()
        named = _naming_words(text)
        if asked == "konfirmasi" and intent_of(tracker) == self.intent and named:
            # "eh, yang excel aja" while asked to confirm: switch to that workshop.
            found = await in_db(lambda s: [w.code for w in self.matching(s, tracker, named)])
            return {"workshop": found[0]} if len(found) == 1 else {}
        if (
            asked not in (None, "workshop")
            or not text
            or text.startswith("/")
            or next(tracker.get_latest_entity_values("workshop"), None)
        ):
            return {}
        if asked is None:
            # The first message of the form: take the workshop it names, if exactly one.
            if intent_of(tracker) != self.intent or not named:
                return {}
            found = await in_db(lambda s: [w.code for w in self.matching(s, tracker, named)])
            return {"workshop": found[0]} if len(found) == 1 else {}
        if asks_something(tracker):
            # A question, unless its words clearly name a workshop's title ("yang excel pivot").
            wanted = words(named or text)
            titles = await in_db(lambda s: [w.title for w in self.matching(s, tracker, named)])
            if not any(overlap(wanted, title) >= min(2, len(wanted)) for title in titles):
                return {}  # rejected here, answered by a rule, then the form resumes
        return {"workshop": named or text}

    async def extract_konfirmasi(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "konfirmasi":
            return {}
        if wants_to_stop(tracker):
            return {"konfirmasi": False}
        if misread_small_talk(tracker):
            # Neither yes/no nor a question ("yoga pagi"): ask the short confirmation again.
            send(dispatcher, Reply("Mohon jawab «ya» atau «tidak»."))
            return {"konfirmasi": None}
        return {}

    async def validate_workshop(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        text = str(value or "")
        matches = await in_db(lambda s: self.matching(s, tracker, text))
        if len(matches) == 1:
            return {"workshop": matches[0].code}
        if not matches:
            send(dispatcher, Reply(self.not_found.format(text)))
        else:
            send(
                dispatcher,
                Reply(
                    "Ada beberapa yang cocok. Maksud Bapak/Ibu yang mana?",
                    [button(w.title, self.intent, workshop=w.code) for w in matches[:5]],
                ),
            )
        return {"workshop": None}


def asks_something(tracker: Tracker) -> bool:
    """A question inside a workshop form. A short text the NLU calls out of scope ("yoga
    pagi") is rather a workshop name that does not exist: a failed value, asked again."""
    if intent_of(tracker) == "out_of_scope" and len(user_text(tracker).split()) <= 3:
        return False
    return is_question(tracker, "register_workshop", "cancel_registration")


def _short_prompt(tracker: Tracker, form: str, retry: str, resume: str) -> str:
    """After a question inside the form: say the form goes on; after a failed value: retry."""
    return resume if asks_something(tracker) else retry


# --- registration form ------------------------------------------------------------------------

REGISTRATION_FORM = "workshop_registration_form"
# The first words of the full prompts: a later prompt of the same run of the form is short.
PICK_PROMPT = "Workshop mana yang ingin"
CONFIRM_PROMPT = "Daftarkan"


class ValidateWorkshopRegistrationForm(
    WorkshopFormValidator, name="validate_workshop_registration_form"
):
    intent = "register_workshop"
    not_found = "Maaf, workshop «{}» tidak ditemukan."

    def can_ask(self, session: Session, tracker: Tracker) -> bool:
        return employee_of(session, tracker) is not None

    def matching(self, session: Session, tracker: Tracker, text: str) -> list[Workshop]:
        return workshops.find(session, text)


class ActionAskRegistrationWorkshop(
    AnswerAction, name="action_ask_workshop_registration_form_workshop"
):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        if asked_before(tracker, REGISTRATION_FORM, PICK_PROMPT):
            return Reply(
                _short_prompt(
                    tracker,
                    REGISTRATION_FORM,
                    "Silakan ketik nama workshop yang lain, atau «batal».",
                    "Kembali ke pendaftaran workshop: workshop mana yang ingin diikuti? Ketik "
                    "namanya, atau «batal» untuk berhenti.",
                ),
                [CANCEL_BUTTON],
            )
        employee = employee_of(session, tracker)
        tz = timezone_of(employee)
        joined = _joined(session, employee)
        upcoming = [w for w in workshops.upcoming(session, limit=12) if w.id not in joined][:6]
        if not upcoming:
            text = (
                "Bapak/Ibu sudah terdaftar di semua workshop yang dibuka."
                if joined
                else "Belum ada workshop yang dibuka."
            )
            return Reply(text, [CANCEL_BUTTON])
        buttons = [
            button(
                f"{w.title} ({tanggal(local(w.starts_at, tz).date(), with_day=False)})",
                "register_workshop",
                workshop=w.code,
            )
            for w in upcoming
        ]
        return Reply(f"{PICK_PROMPT} {honorific(employee)} ikuti?", [*buttons, CANCEL_BUTTON])


class ActionAskRegistrationConfirm(
    AnswerAction, name="action_ask_workshop_registration_form_konfirmasi"
):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        w = workshops.by_code(session, tracker.get_slot("workshop"))
        if w is None:
            return Reply("Maaf, workshop tidak ditemukan.", [CANCEL_BUTTON])
        yes_no = [
            {"title": "✅ Ya, daftar", "payload": "/affirm"},
            {"title": "✖️ Tidak", "payload": "/deny"},
        ]
        if asked_before(tracker, REGISTRATION_FORM, CONFIRM_PROMPT):
            return Reply(f"Kembali ke pendaftaran: daftarkan ke «{w.title}»?", yes_no)
        employee = employee_of(session, tracker)
        return Reply(
            f"{CONFIRM_PROMPT} {honorific(employee)} ke workshop ini?\n\n"
            f"{_summary(w, timezone_of(employee))}",
            yes_no,
        )


def _register(session: Session, tracker: Tracker) -> Reply:
    employee = employee_of(session, tracker)
    if employee is None:
        return Reply(
            "Untuk mendaftar workshop, akun perlu terhubung dulu.\n\n" + LINK_INVITE, [LINK_BUTTON]
        )
    if tracker.get_slot("konfirmasi") is not True:
        return Reply("Baik, pendaftaran tidak dilanjutkan.")
    w = workshops.by_code(session, tracker.get_slot("workshop"))
    if w is None:
        return Reply(
            "Maaf, workshop tidak ditemukan. Silakan pilih lagi.",
            [button("📋 Lihat workshop", "list_workshops")],
        )
    return _outcome_text(session, employee, workshops.register(session, employee.id, w.id))


def _outcome_text(session: Session, employee: Employee, result: workshops.Result) -> Reply:
    w, tz = result.workshop, employee.effective_timezone
    mine = button("🗂 Pendaftaran saya", "my_registrations")
    match result.outcome:
        case RegistrationOutcome.REGISTERED:
            return Reply(f"✅ Terdaftar! Sampai jumpa di:\n\n{_summary(w, tz)}", [mine])
        case RegistrationOutcome.WAITLISTED:
            return Reply(
                f"Kursi «{w.title}» sudah penuh. {honorific(employee)} masuk daftar tunggu nomor "
                f"{result.queue_position}. Kami kabari di sini begitu ada kursi kosong.",
                [mine],
            )
        case RegistrationOutcome.ALREADY_REGISTERED:
            return Reply(f"{honorific(employee)} sudah terdaftar di «{w.title}». 👍", [mine])
        case RegistrationOutcome.ALREADY_WAITLISTED:
            return Reply(
                f"Bapak/Ibu sudah di daftar tunggu «{w.title}», nomor {result.queue_position}.",
                [mine],
            )
        case RegistrationOutcome.CLOSED:
            return Reply(
                f"Maaf, pendaftaran «{w.title}» sudah ditutup pada "
                f"{tanggal_jam(w.registration_deadline, tz)}.",
                [button("📋 Workshop lain", "list_workshops")],
            )
        case _:
            return Reply(
                f"Maaf, «{w.title}» sudah dimulai atau dibatalkan.",
                [button("📋 Workshop lain", "list_workshops")],
            )


class ActionRegisterWorkshop(AnswerAction, name="action_register_workshop"):
    events = RESET

    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return _register(session, tracker)


# --- cancellation form ------------------------------------------------------------------------


def _own(session: Session, tracker: Tracker) -> tuple[Employee | None, list[Registration]]:
    employee = employee_of(session, tracker)
    return employee, (workshops.my_registrations(session, employee.id) if employee else [])


class ValidateCancellationForm(WorkshopFormValidator, name="validate_cancellation_form"):
    intent = "cancel_registration"
    not_found = "«{}» tidak ada di pendaftaran Bapak/Ibu."

    def can_ask(self, session: Session, tracker: Tracker) -> bool:
        return bool(_own(session, tracker)[1])

    def matching(self, session: Session, tracker: Tracker, text: str) -> list[Workshop]:
        return workshops.match([r.workshop for r in _own(session, tracker)[1]], text)


CANCELLATION_FORM = "cancellation_form"
CANCEL_PICK_PROMPT = "Pendaftaran mana yang ingin dibatalkan?"
CANCEL_CONFIRM_PROMPT = "Yakin membatalkan pendaftaran"


class ActionAskCancellationWorkshop(AnswerAction, name="action_ask_cancellation_form_workshop"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        if asked_before(tracker, CANCELLATION_FORM, CANCEL_PICK_PROMPT):
            return Reply(
                _short_prompt(
                    tracker,
                    CANCELLATION_FORM,
                    "Silakan ketik nama workshop yang ingin dibatalkan, atau «batal».",
                    "Kembali ke pembatalan: pendaftaran mana yang ingin dibatalkan? Ketik "
                    "namanya, atau «batal» untuk berhenti.",
                ),
                [CANCEL_BUTTON],
            )
        _, mine = _own(session, tracker)
        buttons = [
            button(r.workshop.title, "cancel_registration", workshop=r.workshop.code) for r in mine
        ]
        return Reply(CANCEL_PICK_PROMPT, [*buttons, CANCEL_BUTTON])


class ActionAskCancellationConfirm(AnswerAction, name="action_ask_cancellation_form_konfirmasi"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        w = workshops.by_code(session, tracker.get_slot("workshop"))
        title = w.title if w else "workshop ini"
        if asked_before(tracker, CANCELLATION_FORM, CANCEL_CONFIRM_PROMPT):
            return Reply(
                f"Kembali ke pembatalan: batalkan pendaftaran «{title}»?",
                [
                    {"title": "Ya, batalkan", "payload": "/affirm"},
                    {"title": "Tidak jadi", "payload": "/deny"},
                ],
            )
        return Reply(
            f"{CANCEL_CONFIRM_PROMPT} «{title}»? Kursinya akan diberikan ke rekan "
            "di daftar tunggu.",
            [
                {"title": "Ya, batalkan", "payload": "/affirm"},
                {"title": "Tidak jadi", "payload": "/deny"},
            ],
        )


def _cancel(session: Session, tracker: Tracker) -> Reply:
    employee, mine = _own(session, tracker)
    if employee is None:
        return Reply(LINK_INVITE, [LINK_BUTTON])
    if tracker.get_slot("konfirmasi") is not True:
        if not mine:
            return Reply(
                "Bapak/Ibu tidak punya pendaftaran workshop yang bisa dibatalkan.",
                [button("📋 Lihat workshop", "list_workshops")],
            )
        return Reply("Baik, pendaftaran tetap berlaku.")
    w = workshops.by_code(session, tracker.get_slot("workshop"))
    if w is None:
        return Reply("Maaf, workshop tidak ditemukan.")
    result = workshops.cancel(session, employee.id, w.id)
    if result.outcome == RegistrationOutcome.CANCELLED:
        return Reply(
            f"Pendaftaran «{w.title}» sudah dibatalkan. Terima kasih sudah memberi kabar.",
            [button("📋 Workshop lain", "list_workshops")],
        )
    if result.outcome == RegistrationOutcome.NOT_REGISTERED:
        return Reply(f"Bapak/Ibu tidak terdaftar di «{w.title}».")
    return Reply(f"Maaf, «{w.title}» sudah dimulai sehingga tidak bisa dibatalkan lewat bot.")


class ActionCancelRegistration(AnswerAction, name="action_cancel_registration"):
    events = RESET

    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return _cancel(session, tracker)
