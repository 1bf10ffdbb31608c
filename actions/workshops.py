"""Workshops: list, own registrations, and the registration and cancellation forms.

Both forms fill `workshop` (picked from buttons or named) and `konfirmasi` (yes/no). Their
`required_slots` drop to [] when there is nothing to ask (not linked, nothing to cancel, or the
user said "batal"), which ends the form; the submit action then explains why.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.common import (
    LINK_BUTTON,
    LINK_INVITE,
    Reply,
    button,
    employee_of,
    in_db,
    send,
    timezone_of,
)
from asnkarier.models import Employee, Registration, RegistrationStatus, Workshop
from asnkarier.services import workshops
from asnkarier.services.formatting import local, tanggal, tanggal_jam
from asnkarier.services.workshops import RegistrationOutcome

CANCEL_BUTTON = {"title": "✖️ Batal", "payload": "/deny"}
RESET = [SlotSet("workshop", None), SlotSet("konfirmasi", None)]


def _place(w: Workshop) -> str:
    return w.location or "daring (tautan dikirim ke peserta)"


def _seats(w: Workshop) -> str:
    return f"sisa {w.seats_left} kursi" if w.seats_left else "penuh, bisa daftar tunggu"


def _summary(w: Workshop, tz: str) -> str:
    return (
        f"«{w.title}»\n🗓 {tanggal_jam(w.starts_at, tz)}\n📍 {_place(w)}\n🎓 {w.jp} JP · {_seats(w)}"
    )


def list_reply(session: Session, tracker: Tracker) -> Reply:
    employee = employee_of(session, tracker)
    tz = timezone_of(employee)
    upcoming = workshops.upcoming(session, limit=5)
    if not upcoming:
        return Reply("Belum ada workshop terjadwal. Kami akan mengumumkannya di sini.")
    lines = ["Workshop terdekat:"]
    for w in upcoming:
        lines.append(f"\n• {w.title}\n  {tanggal_jam(w.starts_at, tz)} · {w.jp} JP · {_seats(w)}")
    lines.append("\nPilih untuk mendaftar:")
    buttons = [button(w.title, "register_workshop", workshop=w.code) for w in upcoming]
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
    lines = ["Pendaftaran workshop Bapak/Ibu:"]
    lines += [
        f"\n• {r.workshop.title}\n  {tanggal_jam(r.workshop.starts_at, tz)} · {_status(session, r)}"
        for r in mine
    ]
    buttons = [
        button(f"Batalkan: {r.workshop.title}", "cancel_registration", workshop=r.workshop.code)
        for r in mine
    ]
    return Reply("\n".join(lines), buttons)


class ActionListWorkshops(Action):
    def name(self) -> str:
        return "action_list_workshops"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        send(dispatcher, await in_db(lambda s: list_reply(s, tracker)))
        return [SlotSet("workshop", None)]


class ActionMyRegistrations(Action):
    def name(self) -> str:
        return "action_my_registrations"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        send(dispatcher, await in_db(lambda s: my_registrations_reply(s, tracker)))
        return []


# --- registration form ------------------------------------------------------------------------


def _typed_workshop(tracker: Tracker) -> dict[str, Any]:
    """While a form asks which workshop, take typed words even when NLU tagged no entity."""
    if tracker.get_slot("requested_slot") != "workshop":
        return {}
    message = tracker.latest_message
    text = str(message.get("text") or "").strip()
    intent = (message.get("intent") or {}).get("name")
    if (
        not text
        or text.startswith("/")
        or intent == "deny"
        or next(tracker.get_latest_entity_values("workshop"), None)
    ):
        return {}
    return {"workshop": text}


def _pick(
    matches: list[Workshop], value: str, intent: str, dispatcher: CollectingDispatcher
) -> dict[str, Any]:
    if len(matches) == 1:
        return {"workshop": matches[0].code}
    if not matches:
        dispatcher.utter_message(text=f"Maaf, workshop «{value}» tidak ditemukan.")
    else:
        dispatcher.utter_message(
            text="Ada beberapa yang cocok. Maksud Bapak/Ibu yang mana?",
            buttons=[button(w.title, intent, workshop=w.code) for w in matches[:5]],
        )
    return {"workshop": None}


class ValidateWorkshopRegistrationForm(FormValidationAction):
    def name(self) -> str:
        return "validate_workshop_registration_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        if tracker.get_slot("konfirmasi") is False:
            return []
        linked = await in_db(lambda s: employee_of(s, tracker) is not None)
        return list(domain_slots) if linked else []

    async def extract_workshop(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return _typed_workshop(tracker)

    async def validate_workshop(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        text = str(value or "")
        matches = await in_db(lambda s: workshops.find(s, text))
        return _pick(matches, text, "register_workshop", dispatcher)


class ActionAskRegistrationWorkshop(Action):
    def name(self) -> str:
        return "action_ask_workshop_registration_form_workshop"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        def build(session: Session) -> Reply:
            tz = timezone_of(employee_of(session, tracker))
            upcoming = workshops.upcoming(session, limit=6)
            if not upcoming:
                return Reply("Belum ada workshop yang dibuka.", [CANCEL_BUTTON])
            buttons = [
                button(
                    f"{w.title} ({tanggal(local(w.starts_at, tz).date(), with_day=False)})",
                    "register_workshop",
                    workshop=w.code,
                )
                for w in upcoming
            ]
            return Reply("Workshop mana yang ingin Bapak/Ibu ikuti?", [*buttons, CANCEL_BUTTON])

        send(dispatcher, await in_db(build))
        return []


class ActionAskRegistrationConfirm(Action):
    def name(self) -> str:
        return "action_ask_workshop_registration_form_konfirmasi"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        def build(session: Session) -> Reply:
            w = workshops.by_code(session, tracker.get_slot("workshop"))
            if w is None:
                return Reply("Maaf, workshop tidak ditemukan.", [CANCEL_BUTTON])
            tz = timezone_of(employee_of(session, tracker))
            return Reply(
                f"Daftarkan Bapak/Ibu ke workshop ini?\n\n{_summary(w, tz)}",
                [
                    {"title": "✅ Ya, daftar", "payload": "/affirm"},
                    {"title": "✖️ Tidak", "payload": "/deny"},
                ],
            )

        send(dispatcher, await in_db(build))
        return []


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
                f"Kursi «{w.title}» sudah penuh. Bapak/Ibu masuk daftar tunggu nomor "
                f"{result.queue_position}. Kami kabari di sini begitu ada kursi kosong.",
                [mine],
            )
        case RegistrationOutcome.ALREADY_REGISTERED:
            return Reply(f"Bapak/Ibu sudah terdaftar di «{w.title}». 👍", [mine])
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


class ActionRegisterWorkshop(Action):
    def name(self) -> str:
        return "action_register_workshop"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        send(dispatcher, await in_db(lambda s: _register(s, tracker)))
        return RESET


# --- cancellation form ------------------------------------------------------------------------


def _own(session: Session, tracker: Tracker) -> tuple[Employee | None, list[Registration]]:
    employee = employee_of(session, tracker)
    return employee, (workshops.my_registrations(session, employee.id) if employee else [])


class ValidateCancellationForm(FormValidationAction):
    def name(self) -> str:
        return "validate_cancellation_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        if tracker.get_slot("konfirmasi") is False:
            return []
        _, mine = await in_db(lambda s: _own(s, tracker))
        return list(domain_slots) if mine else []

    async def extract_workshop(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return _typed_workshop(tracker)

    async def validate_workshop(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        text = str(value or "")
        matches = await in_db(
            lambda s: workshops.match([r.workshop for r in _own(s, tracker)[1]], text)
        )
        if not matches:
            dispatcher.utter_message(text=f"«{text}» tidak ada di pendaftaran Bapak/Ibu.")
            return {"workshop": None}
        return _pick(matches, text, "cancel_registration", dispatcher)


class ActionAskCancellationWorkshop(Action):
    def name(self) -> str:
        return "action_ask_cancellation_form_workshop"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        def build(session: Session) -> Reply:
            _, mine = _own(session, tracker)
            buttons = [
                button(r.workshop.title, "cancel_registration", workshop=r.workshop.code)
                for r in mine
            ]
            return Reply("Pendaftaran mana yang ingin dibatalkan?", [*buttons, CANCEL_BUTTON])

        send(dispatcher, await in_db(build))
        return []


class ActionAskCancellationConfirm(Action):
    def name(self) -> str:
        return "action_ask_cancellation_form_konfirmasi"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        def build(session: Session) -> Reply:
            w = workshops.by_code(session, tracker.get_slot("workshop"))
            title = w.title if w else "workshop ini"
            return Reply(
                f"Yakin membatalkan pendaftaran «{title}»? Kursinya akan diberikan ke rekan "
                "di daftar tunggu.",
                [
                    {"title": "Ya, batalkan", "payload": "/affirm"},
                    {"title": "Tidak jadi", "payload": "/deny"},
                ],
            )

        send(dispatcher, await in_db(build))
        return []


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


class ActionCancelRegistration(Action):
    def name(self) -> str:
        return "action_cancel_registration"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        send(dispatcher, await in_db(lambda s: _cancel(s, tracker)))
        return RESET
