"""Human help and learning from use: handoff tickets, and storing unanswered messages."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.common import Reply, chat_id, employee_of, in_db, send, telegram_user_id
from asnkarier import signals
from asnkarier.services import support


def _question(tracker: Tracker) -> str:
    """The user's question: the message before a bare 'talk to a human' request, if any."""
    texts = [
        (e.get("text") or "", (e.get("parse_data") or {}).get("intent", {}).get("name"))
        for e in tracker.events
        if e.get("event") == "user"
    ]
    if len(texts) >= 2 and texts[-1][1] == "request_human" and not texts[-2][0].startswith("/"):
        last = texts[-1][0]  # "/request_human" when it came from /petugas or a button
        return texts[-2][0] if last.startswith("/") else f"{texts[-2][0]}\n(lalu: {last})"
    return texts[-1][0] if texts else ""


def handoff_reply(session: Session, tracker: Tracker) -> tuple[Reply, int | None]:
    """The answer to a request for a human, and the open ticket's id (None off Telegram)."""
    user, chat = telegram_user_id(tracker), chat_id(tracker)
    if user is None or chat is None:
        return Reply("Untuk dihubungkan dengan petugas, silakan gunakan bot Telegram kami."), None
    employee = employee_of(session, tracker)
    ticket, created = support.open_ticket(
        session,
        telegram_user_id=user,
        chat_id=chat,
        question=_question(tracker),
        employee_id=employee.id if employee else None,
    )
    # How the answer will come (in this chat, or through the office's usual channels) depends
    # on whether the bot can reach the HR group: the bot adds that line when it forwards.
    if not created:
        return Reply(
            f"Pertanyaan Bapak/Ibu (tiket #{ticket.id}) masih ditangani petugas. Mohon ditunggu."
        ), ticket.id
    return Reply(
        f"Baik, pertanyaan Bapak/Ibu sudah kami catat untuk petugas BKPSDM (tiket #{ticket.id})."
    ), ticket.id


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        reply, ticket_id = await in_db(lambda s: handoff_reply(s, tracker))
        send(dispatcher, reply)
        if ticket_id is not None:
            dispatcher.utter_message(
                json_message=signals.signal(signals.HANDOFF_OPENED, ticket_id=ticket_id)
            )
        return []


class ActionStoreUnanswered(Action):
    """Keep the text (never the sender) of a message the assistant could not answer."""

    def name(self) -> str:
        return "action_store_unanswered"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message
        text = str(message.get("text") or "")
        if text.startswith("/"):
            return []  # a button payload, not a question
        intent = (message.get("intent") or {}).get("name")
        reason = "out_of_scope" if intent == "out_of_scope" else "fallback"
        ranking = message.get("intent_ranking") or []
        await in_db(lambda s: support.record_unanswered(s, text, reason, ranking))
        dispatcher.utter_message(json_message=signals.signal(signals.FALLBACK))
        return []


# What each intent offers, as a button title, when the assistant is unsure what was meant.
INTENT_LABELS = {
    "ask_career_path": "Jenjang karier",
    "ask_promotion_requirements": "Syarat kenaikan pangkat",
    "ask_promotion_schedule": "Jadwal kenaikan pangkat",
    "ask_training": "Pelatihan",
    "ask_competency_hours": "JP saya",
    "list_workshops": "Jadwal workshop",
    "register_workshop": "Daftar workshop",
    "cancel_registration": "Batalkan pendaftaran",
    "my_registrations": "Pendaftaran saya",
    "ask_appraisal_deadline": "Tenggat SKP",
    "ask_appraisal_howto": "Cara mengisi e-Kinerja",
    "reminder_on": "Aktifkan pengingat",
    "reminder_off": "Matikan pengingat",
    "link_account": "Hubungkan akun",
    "my_profile": "Profil saya",
    "request_human": "Hubungi petugas",
}


def _fell_back_before(tracker: Tracker) -> bool:
    users = [e for e in tracker.events if e.get("event") == "user"]
    if len(users) < 2:
        return False
    previous = (users[-2].get("parse_data") or {}).get("intent", {}).get("name")
    return bool(previous == "nlu_fallback")


class ActionFallbackOptions(Action):
    """Two-stage fallback: first offer the likely intents, then the menu and a human."""

    def name(self) -> str:
        return "action_fallback_options"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message
        text = str(message.get("text") or "")
        ranking = message.get("intent_ranking") or []
        if text and not text.startswith("/"):
            await in_db(lambda s: support.record_unanswered(s, text, "fallback", ranking))
        dispatcher.utter_message(json_message=signals.signal(signals.FALLBACK))
        if _fell_back_before(tracker):
            dispatcher.utter_message(
                text="Maaf, saya masih belum memahami. Silakan pilih dari menu, atau hubungi "
                "petugas.",
                buttons=[
                    {"title": "📋 Menu", "payload": "/help"},
                    {"title": "🙋 Hubungi petugas", "payload": "/request_human"},
                ],
            )
            return []
        likely = [r["name"] for r in ranking if r.get("name") in INTENT_LABELS][:3]
        dispatcher.utter_message(
            text="Maaf, saya kurang yakin maksud Bapak/Ibu. Apakah salah satu ini? Atau tulis "
            "ulang dengan kalimat lain.",
            buttons=[{"title": INTENT_LABELS[i], "payload": f"/{i}"} for i in likely]
            + [{"title": "📋 Menu", "payload": "/help"}],
        )
        return []
