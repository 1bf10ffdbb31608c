"""Cari mentor: employees offer to mentor a topic, colleagues ask one of them, the mentor
accepts or declines once, and only then do both get each other's contact.

Rules kept here (bot and actions only call them):
- Topics are normalised (lower case, aliases of data/mentor_topics.yml, filler words out), so
  "MS Excel", "exel" and "excel" are one topic.
- A search shows up to three active, linked mentors of the topic, never the asker; mentors of
  the asker's own unit come first (easiest to meet in person, and unit colleagues know the
  local way of doing things), then the others by how long they have offered.
- One request per offer and asker, ever (unique constraint): pressing "Kirim permintaan" twice
  or asking the same mentor again adds nothing; after a decline the asker is pointed to others.
- A request is decided once (guarded UPDATE on `status = pending`): a second press, or
  accepting what was already declined, changes nothing and gets a polite answer.
- Contact (Telegram @username when known, and a mention link the chat opens) travels only in
  the messages sent after acceptance, through the outbox (one key per request and decision).
  The roster's phone number is never shared: opting in to mentoring is not consent to that.
"""

from __future__ import annotations

import enum
import html
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from asnkarier.db import insert_ignore
from asnkarier.models import (
    Employee,
    MentorOffer,
    MentorRequest,
    MentorRequestStatus,
    utcnow,
)
from asnkarier.services import callbacks, outbox, outbox_keys
from asnkarier.services.employees import honorific
from asnkarier.settings import get_settings
from asnkarier.telegram_limits import callback_data_fits

MAX_RESULTS = 3
MAX_TOPIC = 60

# Words around a topic that are not the topic ("saya mau jadi mentor excel dong").
_FILLER = frozenset(
    {
        "saya", "aku", "sy", "gue", "gw", "mau", "ingin", "pengen", "pingin", "bisa", "jadi",
        "menjadi", "mentor", "mentoring", "pembimbing", "coach", "guru", "cari", "carikan",
        "mencari", "nyari", "ada", "yang", "yg", "ngajarin", "ngajari", "mengajari", "ajarin",
        "mengajar", "belajar", "bimbing", "membimbing", "bantu", "membantu", "tentang", "soal",
        "bidang", "topik", "untuk", "buat", "utk", "di", "dong", "donk", "ya", "yah", "min",
        "kak", "pak", "bu", "nih", "sih", "gak", "nggak", "tidak", "ga", "kah", "siapa", "tolong",
        "mohon", "bagian", "masalah", "urusan", "the", "nya", "lagi", "berhenti", "stop",
        "udahan", "dulu", "deh", "kalau", "kalo", "orang", "teman", "rekan", "kawan", "paham",
        "jago", "ahli", "expert", "senior", "siap", "bersedia", "daftar", "sebagai", "dan", "&",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Vocabulary:
    """Canonical topics and the aliases that map onto them (all lower case)."""

    aliases: dict[str, str]

    def canonical(self, text: str) -> str | None:
        cleaned = _clean(text)
        if not cleaned:
            return None
        if cleaned in self.aliases:
            return self.aliases[cleaned]
        # The longest alias that occurs as whole words ("rumus excel kantor"), in the cleaned
        # text, else in the text as typed (aliases with a filler word: "di depan umum").
        raw = " ".join(re.sub(r"[^\w/&+\- ]+", " ", text.lower()).split())
        for haystack in (cleaned, raw):
            for alias in sorted(self.aliases, key=len, reverse=True):
                if re.search(rf"(?<![\w-]){re.escape(alias)}(?![\w-])", haystack):
                    return self.aliases[alias]
        return cleaned[:MAX_TOPIC]


def _clean(text: str) -> str:
    lowered = re.sub(r"[^\w/&+\- ]+", " ", (text or "").lower())
    kept = [w for w in lowered.split() if w not in _FILLER]
    return " ".join(kept).strip(" -/")


@lru_cache(maxsize=4)
def _vocabulary(path: Path, mtime_ns: int) -> Vocabulary:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    aliases: dict[str, str] = {}
    for item in data.get("topics") or []:
        topic = str(item["topic"]).strip().lower()
        aliases[topic] = topic
        for alias in item.get("aliases") or []:
            aliases[str(alias).strip().lower()] = topic
    return Vocabulary(aliases)


def vocabulary(content_dir: Path | None = None) -> Vocabulary:
    """data/mentor_topics.yml, re-read when HR edits it (an empty vocabulary when missing)."""
    path = Path(content_dir or get_settings().content_dir) / "mentor_topics.yml"
    if not path.is_file():
        return Vocabulary({})
    return _vocabulary(path, path.stat().st_mtime_ns)


def normalize_topic(text: str | None) -> str | None:
    """'MS Excel' -> 'excel', 'ngomong di depan umum' -> 'public speaking'; None when empty."""
    return vocabulary().canonical(text or "")


def known_topics() -> list[str]:
    return sorted(set(vocabulary().aliases.values()))


# --- offers ---------------------------------------------------------------------------------


class OfferOutcome(enum.StrEnum):
    ADDED = "added"
    ALREADY = "already"
    RENEWED = "renewed"  # an offer withdrawn earlier is active again


def offer(
    session: Session, employee: Employee, topic: str, *, username: str | None = None
) -> OfferOutcome:
    """Opt `employee` in as a mentor for the (normalised) `topic`."""
    added = insert_ignore(
        session,
        MentorOffer,
        {
            "employee_id": employee.id,
            "topic": topic,
            "is_active": True,
            "telegram_username": username,
            "created_at": utcnow(),
        },
        ["employee_id", "topic"],
    )
    if added:
        return OfferOutcome.ADDED
    row = session.scalar(
        select(MentorOffer).where(
            MentorOffer.employee_id == employee.id, MentorOffer.topic == topic
        )
    )
    assert row is not None
    if username:
        row.telegram_username = username
    if row.is_active:
        return OfferOutcome.ALREADY
    row.is_active, row.withdrawn_at = True, None
    return OfferOutcome.RENEWED


def offers_of(session: Session, employee_id: int) -> list[MentorOffer]:
    """The employee's active offers, oldest first."""
    return list(
        session.scalars(
            select(MentorOffer)
            .where(MentorOffer.employee_id == employee_id, MentorOffer.is_active)
            .order_by(MentorOffer.created_at, MentorOffer.id)
        )
    )


def withdraw(session: Session, employee_id: int, topic: str | None = None) -> list[str]:
    """Stop mentoring `topic` (or every topic); returns the topics withdrawn. Pending requests
    stay answerable: the asker is owed an answer either way."""
    withdrawn = []
    for row in offers_of(session, employee_id):
        if topic is None or row.topic == topic:
            row.is_active, row.withdrawn_at = False, utcnow()
            withdrawn.append(row.topic)
    return withdrawn


def find(session: Session, asker: Employee | None, topic: str) -> list[MentorOffer]:
    """Up to three willing mentors of `topic` (same unit first), never the asker."""
    query = (
        select(MentorOffer)
        .join(Employee, Employee.id == MentorOffer.employee_id)
        .where(
            MentorOffer.topic == topic,
            MentorOffer.is_active,
            Employee.is_active,
            Employee.telegram_chat_id.is_not(None),
            Employee.bot_blocked.is_(False),
        )
    )
    if asker is not None:
        same_unit = case((Employee.unit_id == asker.unit_id, 0), else_=1)
        query = query.where(Employee.id != asker.id).order_by(same_unit)
    query = query.order_by(MentorOffer.created_at, MentorOffer.id).limit(MAX_RESULTS)
    return list(session.scalars(query))


def topics_offered(session: Session, limit: int = 8) -> list[str]:
    """Topics that have at least one active mentor (to suggest when a search finds none)."""
    rows = session.scalars(
        select(MentorOffer.topic)
        .join(Employee, Employee.id == MentorOffer.employee_id)
        .where(MentorOffer.is_active, Employee.is_active)
        .group_by(MentorOffer.topic)
        .order_by(MentorOffer.topic)
        .limit(limit)
    )
    return list(rows)


# --- requests -------------------------------------------------------------------------------


class RequestOutcome(enum.StrEnum):
    SENT = "sent"
    PENDING = "pending"  # already asked this mentor, no answer yet
    ACCEPTED = "accepted"  # already asked and accepted
    DECLINED = "declined"  # already asked and declined
    SELF = "self"
    UNAVAILABLE = "unavailable"  # offer withdrawn, unknown, or the mentor cannot be reached


@dataclass(frozen=True)
class RequestResult:
    outcome: RequestOutcome
    offer: MentorOffer | None = None
    request: MentorRequest | None = None


REQUEST_INTENT = "respond_mentor_request"


def response_payload(request_id: int, accept: bool) -> str:
    """The Rasa payload of the mentor's Terima/Tolak button."""
    answer = "terima" if accept else "tolak"
    return f'/{REQUEST_INTENT}{{"mentor_request":"{request_id}","jawaban":"{answer}"}}'


def _callback_data(session: Session, payload: str) -> str:
    return payload if callback_data_fits(payload) else callbacks.store(session, payload)


def _who(employee: Employee) -> str:
    return f"{employee.name}, {employee.position_title}, {employee.unit.name}"


def request(
    session: Session, asker: Employee, offer_id: int, *, username: str | None = None
) -> RequestResult:
    """Ask the mentor of `offer_id`; the request reaches them through the outbox, once."""
    row = session.get(MentorOffer, offer_id)
    if row is None:
        return RequestResult(RequestOutcome.UNAVAILABLE)
    if row.employee_id == asker.id:
        return RequestResult(RequestOutcome.SELF, row)
    existing = _request_of(session, row.id, asker.id)
    if existing is not None:
        if username and existing.asker_username != username:
            existing.asker_username = username
        return RequestResult(RequestOutcome(existing.status.value), row, existing)
    mentor = row.employee
    if not row.is_active or not mentor.is_active or mentor.telegram_chat_id is None:
        return RequestResult(RequestOutcome.UNAVAILABLE, row)
    added = insert_ignore(
        session,
        MentorRequest,
        {
            "offer_id": row.id,
            "asker_id": asker.id,
            "mentor_id": mentor.id,
            "topic": row.topic,
            "status": MentorRequestStatus.PENDING,
            "asker_username": username,
            "created_at": utcnow(),
        },
        ["offer_id", "asker_id"],
    )
    made = _request_of(session, row.id, asker.id)
    assert made is not None
    if not added:  # a concurrent press won the insert
        return RequestResult(RequestOutcome(made.status.value), row, made)
    text = (
        f"🤝 Permintaan mentoring\n\n{honorific(asker)} {_who(asker)} ingin belajar "
        f"«{row.topic}» dari {honorific(mentor)}. Bersedia membimbing?\n\n"
        "Kontak kedua pihak baru dibagikan bila {0} menerima.".format(honorific(mentor))
    )
    markup = {
        "inline_keyboard": [
            [
                {
                    "text": "✅ Terima",
                    "callback_data": _callback_data(session, response_payload(made.id, True)),
                },
                {
                    "text": "✖️ Tolak",
                    "callback_data": _callback_data(session, response_payload(made.id, False)),
                },
            ]
        ]
    }
    outbox.enqueue(
        session,
        key=outbox_keys.MENTOR_REQUEST(made.id),
        kind="mentor",
        chat_id=mentor.telegram_chat_id,
        text=text,
        reply_markup=markup,
        employee_id=mentor.id,
    )
    return RequestResult(RequestOutcome.SENT, row, made)


def _request_of(session: Session, offer_id: int, asker_id: int) -> MentorRequest | None:
    return session.scalar(
        select(MentorRequest).where(
            MentorRequest.offer_id == offer_id, MentorRequest.asker_id == asker_id
        )
    )


def pending_for(session: Session, mentor_id: int) -> list[MentorRequest]:
    """Requests waiting for the mentor's answer, oldest first."""
    return list(
        session.scalars(
            select(MentorRequest)
            .where(
                MentorRequest.mentor_id == mentor_id,
                MentorRequest.status == MentorRequestStatus.PENDING,
            )
            .order_by(MentorRequest.created_at, MentorRequest.id)
        )
    )


class ResponseOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ALREADY_ACCEPTED = "already_accepted"
    ALREADY_DECLINED = "already_declined"
    NOT_FOUND = "not_found"  # unknown, or not addressed to this employee


@dataclass(frozen=True)
class ResponseResult:
    outcome: ResponseOutcome
    request: MentorRequest | None = None


def _mention(employee: Employee, username: str | None) -> str:
    """HTML: a tap-able mention of the person (works in any chat with the bot), and @username."""
    link = f'<a href="tg://user?id={employee.telegram_user_id}">{html.escape(employee.name)}</a>'
    if employee.telegram_user_id is None:
        link = html.escape(employee.name)
    handle = f" (@{html.escape(username)})" if username else ""
    return link + handle


def contact_text(employee: Employee, username: str | None) -> str:
    """HTML lines with a person's contact as shared after an acceptance."""
    lines = [
        f"👤 {_mention(employee, username)}",
        f"💼 {html.escape(employee.position_title)}",
        f"🏢 {html.escape(employee.unit.name)}",
    ]
    if not username:
        lines.append(
            "💬 Belum ada username Telegram: ketuk namanya di atas untuk membuka chat, atau "
            "hubungi lewat chat/kantor unit kerjanya."
        )
    return "\n".join(lines)


def respond(session: Session, mentor: Employee, request_id: int, accept: bool) -> ResponseResult:
    """The mentor's answer to one of their requests, recorded once; the notices go out once."""
    row = session.get(MentorRequest, request_id)
    if row is None or row.mentor_id != mentor.id:
        return ResponseResult(ResponseOutcome.NOT_FOUND)
    wanted = MentorRequestStatus.ACCEPTED if accept else MentorRequestStatus.DECLINED
    changed = session.execute(
        update(MentorRequest)
        .where(
            MentorRequest.id == row.id,
            MentorRequest.status == MentorRequestStatus.PENDING,
        )
        .values(status=wanted, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.refresh(row)
    if not changed:
        already = (
            ResponseOutcome.ALREADY_ACCEPTED
            if row.status == MentorRequestStatus.ACCEPTED
            else ResponseOutcome.ALREADY_DECLINED
        )
        return ResponseResult(already, row)
    _notify(session, row, mentor)
    outcome = ResponseOutcome.ACCEPTED if accept else ResponseOutcome.DECLINED
    return ResponseResult(outcome, row)


def _notify(session: Session, row: MentorRequest, mentor: Employee) -> None:
    asker = row.asker
    offer_row = session.get(MentorOffer, row.offer_id)
    mentor_username = offer_row.telegram_username if offer_row else None
    topic = html.escape(row.topic)
    common: dict[str, Any] = {"kind": "mentor", "parse_mode": "HTML"}
    if row.status == MentorRequestStatus.ACCEPTED:
        if asker.telegram_chat_id is not None:
            outbox.enqueue(
                session,
                key=outbox_keys.MENTOR_DECIDED(row.id, "accepted", asker.id),
                chat_id=asker.telegram_chat_id,
                employee_id=asker.id,
                text=(
                    f"🎉 Kabar baik! {honorific(mentor)} {html.escape(mentor.name)} bersedia "
                    f"menjadi mentor «{topic}» untuk {honorific(asker)}.\n\n"
                    f"{contact_text(mentor, mentor_username)}\n\n"
                    "Silakan sapa lebih dulu dan sepakati waktu belajarnya. Semoga bermanfaat!"
                ),
                **common,
            )
        if mentor.telegram_chat_id is not None:
            outbox.enqueue(
                session,
                key=outbox_keys.MENTOR_DECIDED(row.id, "accepted", mentor.id),
                chat_id=mentor.telegram_chat_id,
                employee_id=mentor.id,
                text=(
                    f"Terima kasih sudah bersedia membimbing «{topic}». Kontak "
                    f"{honorific(asker)} {html.escape(asker.name)}:\n\n"
                    f"{contact_text(asker, row.asker_username)}"
                ),
                **common,
            )
        return
    if asker.telegram_chat_id is not None:
        outbox.enqueue(
            session,
            key=outbox_keys.MENTOR_DECIDED(row.id, "declined", asker.id),
            chat_id=asker.telegram_chat_id,
            employee_id=asker.id,
            text=(
                f"Mohon maaf, mentor «{topic}» yang {honorific(asker)} hubungi belum bisa "
                "membimbing saat ini. Silakan coba mentor lain: ketik «cari mentor "
                f"{topic}»."
            ),
            **common,
        )
