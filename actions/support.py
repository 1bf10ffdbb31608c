"""Human help and learning from use: handoff tickets, and storing unanswered messages."""

from __future__ import annotations

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from actions.checkin import check_in_reply, is_only_a_code, only_a_code
from actions.common import AnswerAction, Reply, chat_id, employee_of, telegram_user_id
from asnkarier import signals
from asnkarier.services import support

# The assistant did not answer these: a request for a human right after one carries it.
UNANSWERED_INTENTS = {"nlu_fallback", "out_of_scope"}


def _question(tracker: Tracker) -> str | None:
    """The question for the ticket: the message just before the request for a human, only when
    that one went unanswered; None when the user must be asked for it."""
    texts = [
        (e.get("text") or "", (e.get("parse_data") or {}).get("intent", {}).get("name"))
        for e in tracker.events
        if e.get("event") == "user"
    ]
    if len(texts) < 2 or texts[-1][1] != "request_human":
        return None
    earlier, intent = texts[-2]
    if intent not in UNANSWERED_INTENTS or not earlier.strip() or earlier.startswith("/"):
        return None
    last = texts[-1][0]  # "/request_human" when it came from /petugas or a button
    return earlier if last.startswith("/") else f"{earlier}\n(lalu: {last})"


def handoff_reply(session: Session, tracker: Tracker) -> list[Reply]:
    """The answer to a request for a human and the signal for the bot: the open ticket
    (forward it), or ask for the question first (the bot asks; no ticket yet)."""
    user, chat = telegram_user_id(tracker), chat_id(tracker)
    if user is None or chat is None:
        return [Reply("Untuk dihubungkan dengan petugas, silakan gunakan bot Telegram kami.")]
    existing = support.open_ticket_of(session, user)
    if existing is not None:
        return [
            Reply(
                f"Pertanyaan Bapak/Ibu (tiket #{existing.id}) masih ditangani petugas. "
                "Mohon ditunggu."
            )
        ]
    question = _question(tracker)
    if question is None:
        return [Reply.signal(signals.HANDOFF_ASK)]
    employee = employee_of(session, tracker)
    ticket, _ = support.open_ticket(
        session,
        telegram_user_id=user,
        chat_id=chat,
        question=question,
        employee_id=employee.id if employee else None,
    )
    # The bot adds how and when the answer comes when it forwards the ticket.
    return [
        Reply(
            f"Pertanyaan Bapak/Ibu tadi sudah diteruskan ke petugas BKPSDM (tiket #{ticket.id})."
        ),
        Reply.signal(signals.HANDOFF_OPENED, ticket_id=ticket.id),
    ]


class ActionRequestHuman(AnswerAction, name="action_request_human"):
    def answer(self, session: Session, tracker: Tracker) -> list[Reply]:
        return handoff_reply(session, tracker)


class ActionStoreUnanswered(AnswerAction, name="action_store_unanswered"):
    """Keep the text (never the sender) of a message the assistant could not answer."""

    def answer(self, session: Session, tracker: Tracker) -> list[Reply]:
        message = tracker.latest_message
        text = str(message.get("text") or "")
        if text.startswith("/"):
            return []  # a button payload, not a question
        intent = (message.get("intent") or {}).get("name")
        reason = "out_of_scope" if intent == "out_of_scope" else "fallback"
        support.record_unanswered(session, text, reason, message.get("intent_ranking") or [])
        return [Reply.signal(signals.FALLBACK)]


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
    if is_only_a_code(str(users[-2].get("text") or "")):
        return False  # a check-in code: answered by the check-in, not a fallback
    previous = (users[-2].get("parse_data") or {}).get("intent", {}).get("name")
    return bool(previous == "nlu_fallback")


class ActionFallbackOptions(AnswerAction, name="action_fallback_options"):
    """Two-stage fallback: first offer the likely intents, then the menu and a human."""

    def answer(self, session: Session, tracker: Tracker) -> list[Reply]:
        if only_a_code(tracker):  # "482913" typed from the projector
            return [check_in_reply(session, tracker)]
        message = tracker.latest_message
        text = str(message.get("text") or "")
        ranking = message.get("intent_ranking") or []
        if text and not text.startswith("/"):
            support.record_unanswered(session, text, "fallback", ranking)
        fell_back = Reply.signal(signals.FALLBACK)
        if _fell_back_before(tracker):
            return [
                fell_back,
                Reply(
                    "Maaf, saya masih belum memahami. Silakan pilih dari menu, atau hubungi "
                    "petugas.",
                    [
                        {"title": "📋 Menu", "payload": "/help"},
                        {"title": "🙋 Hubungi petugas", "payload": "/request_human"},
                    ],
                ),
            ]
        likely = [r["name"] for r in ranking if r.get("name") in INTENT_LABELS][:3]
        if not likely:  # words the NLU never saw ("asdfgh"): nothing to suggest
            return [
                fell_back,
                Reply(
                    "Maaf, saya belum memahami pesan itu. Silakan tulis pertanyaan dengan "
                    "kalimat lain, misalnya «syarat naik pangkat» atau «jadwal workshop», atau "
                    "pilih dari menu.",
                    [{"title": "📋 Menu", "payload": "/help"}],
                ),
            ]
        return [
            fell_back,
            Reply(
                "Maaf, saya kurang yakin maksud Bapak/Ibu. Apakah salah satu ini? Atau tulis "
                "ulang dengan kalimat lain.",
                [{"title": INTENT_LABELS[i], "payload": f"/{i}"} for i in likely]
                + [{"title": "📋 Menu", "payload": "/help"}],
            ),
        ]
