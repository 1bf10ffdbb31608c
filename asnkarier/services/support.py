"""Unanswered questions (kept anonymously, for improving answers) and handoff tickets to HR."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asnkarier.models import (
    Employee,
    HandoffTicket,
    OutboxMessage,
    TicketStatus,
    UnansweredMessage,
    utcnow,
)
from asnkarier.redact import scrub
from asnkarier.services import outbox
from asnkarier.services.audit import record
from asnkarier.services.nip import mask_nip
from asnkarier.services.outbox_keys import HANDOFF_CLOSED, HANDOFF_REPLY

# Any other run of 5+ digits (an employee number, an account) is dropped as well.
_DIGITS = re.compile(r"\d{5,}")
MAX_TEXT = 1000


def anonymize(text: str) -> str:
    """Drop what could identify the sender: codes, NIPs, phone numbers, birth dates, e-mail
    addresses (the patterns of asnkarier.redact, shared with the log filter) and long numbers."""
    return _DIGITS.sub("<angka>", scrub(text)).strip()[:MAX_TEXT]


def normalize(text: str) -> str:
    """Grouping key: lower case, punctuation dropped, spaces folded."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w<> ]", " ", anonymize(text).lower())).strip()[:300]


def record_unanswered(
    session: Session, text: str, reason: str, ranking: list[dict[str, Any]] | None = None
) -> UnansweredMessage | None:
    """Store the text (never who sent it) with the top 3 intents; empty texts are skipped."""
    if not text.strip():
        return None
    top = [
        {"intent": str(r.get("name")), "confidence": round(float(r.get("confidence") or 0.0), 3)}
        for r in (ranking or [])[:3]
    ]
    message = UnansweredMessage(
        text=anonymize(text), normalized=normalize(text), reason=reason, top_intents=top
    )
    session.add(message)
    session.flush()
    return message


@dataclass(frozen=True)
class UnansweredGroup:
    text: str
    count: int
    last_seen: dt.datetime
    reason: str
    top_intent: str
    confidence: float


def unanswered_groups(
    session: Session, *, since: dt.datetime | None = None, limit: int = 100
) -> list[UnansweredGroup]:
    """Unanswered messages grouped by their normalised text, most frequent first."""
    query = select(
        UnansweredMessage.normalized,
        func.count().label("n"),
        func.max(UnansweredMessage.created_at).label("last"),
        func.max(UnansweredMessage.id).label("latest_id"),
    ).group_by(UnansweredMessage.normalized)
    if since:
        query = query.where(UnansweredMessage.created_at >= since)
    rows = session.execute(
        query.order_by(func.count().desc(), func.max(UnansweredMessage.id).desc()).limit(limit)
    ).all()
    latest = {
        m.id: m
        for m in session.scalars(
            select(UnansweredMessage).where(UnansweredMessage.id.in_([r.latest_id for r in rows]))
        )
    }
    groups = []
    for row in rows:
        example = latest[row.latest_id]
        top: dict[str, Any] = example.top_intents[0] if example.top_intents else {}
        groups.append(
            UnansweredGroup(
                text=example.text,
                count=int(row.n),
                last_seen=row.last,
                reason=example.reason,
                top_intent=str(top.get("intent", "")),
                confidence=float(top.get("confidence", 0.0)),
            )
        )
    return groups


def open_ticket_of(session: Session, telegram_user_id: int) -> HandoffTicket | None:
    """The user's open ticket, if any (a user has at most one)."""
    return session.scalar(
        select(HandoffTicket).where(
            HandoffTicket.telegram_user_id == telegram_user_id,
            HandoffTicket.status == TicketStatus.OPEN,
        )
    )


def open_ticket(
    session: Session,
    *,
    telegram_user_id: int,
    chat_id: int,
    question: str,
    employee_id: int | None,
) -> tuple[HandoffTicket, bool]:
    """Open a ticket, or return the user's open one (no duplicates); True when newly created."""
    existing = open_ticket_of(session, telegram_user_id)
    if existing is not None:
        return existing, False
    ticket = HandoffTicket(
        telegram_user_id=telegram_user_id,
        chat_id=chat_id,
        question=question.strip()[:MAX_TEXT] or "(tanpa pertanyaan)",
        employee_id=employee_id,
    )
    session.add(ticket)
    session.flush()
    record(session, f"telegram:{telegram_user_id}", "handoff.open", target=f"ticket:{ticket.id}")
    return ticket, True


def close_ticket(session: Session, ticket_id: int, *, actor: str) -> HandoffTicket | None:
    """Close an open ticket; None when it does not exist or was already closed."""
    ticket = session.get(HandoffTicket, ticket_id)
    if ticket is None or ticket.status == TicketStatus.CLOSED:
        return None
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = utcnow()
    ticket.closed_by = actor
    session.flush()
    record(session, actor, "handoff.close", target=f"ticket:{ticket.id}")
    return ticket


# Outbox kind of every message a handoff sends to the employee (officer replies, closing notice).
HANDOFF_KIND = "handoff"
# What the employee reads, whether the officer answered in the HR group, in the web console or
# with `asnbot ticket`.
REPLY_PREFIX = "💬 Balasan petugas BKPSDM (tiket #{ticket}):\n\n"
CLOSED_NOTICE = (
    "✅ Tiket #{ticket} sudah ditutup oleh petugas BKPSDM. Terima kasih. Bila masih ada yang "
    "ingin ditanyakan, ketik /petugas."
)


@dataclass(frozen=True)
class TicketCard:
    """What the HR officers' group sees of an open ticket: never the full NIP."""

    ticket_id: int
    question: str
    employee_name: str | None
    unit_name: str | None
    masked_nip: str | None
    hr_message_id: int | None


def _card(ticket: HandoffTicket, employee: Employee | None) -> TicketCard:
    return TicketCard(
        ticket_id=ticket.id,
        question=ticket.question,
        employee_name=employee.name if employee else None,
        unit_name=employee.unit.name if employee else None,
        masked_nip=mask_nip(employee.nip) if employee else None,
        hr_message_id=ticket.hr_message_id,
    )


def open_ticket_card(session: Session, ticket_id: int) -> TicketCard | None:
    """The card of an open ticket; None when it is closed or unknown."""
    ticket = session.get(HandoffTicket, ticket_id)
    if ticket is None or ticket.status != TicketStatus.OPEN:
        return None
    employee = session.get(Employee, ticket.employee_id) if ticket.employee_id else None
    return _card(ticket, employee)


def tickets_to_forward(session: Session, *, limit: int = 50) -> list[TicketCard]:
    """Open tickets the HR group has not seen (opened while none was set up, or a failed post)."""
    tickets = session.scalars(
        select(HandoffTicket)
        .where(HandoffTicket.status == TicketStatus.OPEN, HandoffTicket.hr_message_id.is_(None))
        .order_by(HandoffTicket.id)
        .limit(limit)
    )
    return [
        _card(t, session.get(Employee, t.employee_id) if t.employee_id else None) for t in tickets
    ]


def attach_hr_message(session: Session, ticket_id: int, hr_message_id: int) -> None:
    """Remember the ticket's copy in the HR group: replies to that message belong to the ticket."""
    ticket = session.get_one(HandoffTicket, ticket_id)
    ticket.hr_message_id = hr_message_id
    session.flush()


class ReplyOutcome(enum.StrEnum):
    QUEUED = "queued"  # in the outbox for the employee
    DUPLICATE = "duplicate"  # this officer message was already queued (redelivered update)
    CLOSED = "closed"  # the ticket is closed: nothing sent
    NOT_A_TICKET = "not_a_ticket"  # a reply to some other message of the bot


def queue_officer_reply(
    session: Session,
    *,
    hr_message_id: int,
    officer_message_id: int,
    officer: str,
    text: Callable[[int], str],
) -> tuple[ReplyOutcome, HandoffTicket | None]:
    """Queue an officer's answer for the ticket's chat; the employee reads `text(ticket_id)`."""
    ticket = session.scalar(
        select(HandoffTicket).where(HandoffTicket.hr_message_id == hr_message_id)
    )
    if ticket is None:
        return ReplyOutcome.NOT_A_TICKET, None
    if ticket.status != TicketStatus.OPEN:
        return ReplyOutcome.CLOSED, ticket
    added = outbox.enqueue(
        session,
        key=HANDOFF_REPLY(ticket.id, officer_message_id),  # each officer message once
        kind=HANDOFF_KIND,
        chat_id=ticket.chat_id,
        text=text(ticket.id),
        employee_id=ticket.employee_id,
    )
    if not added:
        return ReplyOutcome.DUPLICATE, ticket
    record(session, officer, "handoff.reply", target=f"ticket:{ticket.id}")
    return ReplyOutcome.QUEUED, ticket


def close_and_notify(
    session: Session, ticket_id: int, *, actor: str, notice: str | None = None
) -> HandoffTicket | None:
    """Close an open ticket and queue `notice` (CLOSED_NOTICE by default) for the employee;
    None if it was already closed."""
    notice = notice or CLOSED_NOTICE.format(ticket=ticket_id)
    ticket = close_ticket(session, ticket_id, actor=actor)
    if ticket is None:
        return None
    outbox.enqueue(
        session,
        key=HANDOFF_CLOSED(ticket.id),
        kind=HANDOFF_KIND,
        chat_id=ticket.chat_id,
        text=notice,
        employee_id=ticket.employee_id,
    )
    return ticket


# --- working tickets without the HR group (`asnbot ticket`) ------------------------------------


class TicketNotFound(LookupError):
    """No ticket with that number (the message is for HR to read)."""


@dataclass(frozen=True)
class TicketView:
    """A ticket as HR reads it in a list or in full (NIP masked, as in the group)."""

    card: TicketCard
    status: TicketStatus
    created_at: dt.datetime
    closed_at: dt.datetime | None
    closed_by: str | None
    replies: int  # officer answers queued for the employee


def _view(session: Session, ticket: HandoffTicket) -> TicketView:
    employee = session.get(Employee, ticket.employee_id) if ticket.employee_id else None
    replies = session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.idempotency_key.startswith(HANDOFF_REPLY.prefix(ticket.id)))
    )
    return TicketView(
        card=_card(ticket, employee),
        status=ticket.status,
        created_at=ticket.created_at,
        closed_at=ticket.closed_at,
        closed_by=ticket.closed_by,
        replies=int(replies or 0),
    )


def list_tickets(
    session: Session, *, include_closed: bool = False, limit: int = 50
) -> list[TicketView]:
    """Open tickets, oldest first (the next to answer on top); with closed ones, newest first."""
    query = select(HandoffTicket)
    if include_closed:
        query = query.order_by(HandoffTicket.id.desc())
    else:
        query = query.where(HandoffTicket.status == TicketStatus.OPEN).order_by(HandoffTicket.id)
    return [_view(session, t) for t in session.scalars(query.limit(limit))]


def ticket_view(session: Session, ticket_id: int) -> TicketView:
    ticket = session.get(HandoffTicket, ticket_id)
    if ticket is None:
        raise TicketNotFound(f"Tiket #{ticket_id} tidak ditemukan.")
    return _view(session, ticket)


def answer_key(ticket_id: int, text: str) -> str:
    """Outbox idempotency key of an answer given outside Telegram: the same text, once."""
    digest = hashlib.sha256(text.strip().encode()).hexdigest()[:16]
    return HANDOFF_REPLY(ticket_id, f"cli-{digest}")


def answer_ticket(session: Session, ticket_id: int, text: str, *, actor: str) -> ReplyOutcome:
    """Queue an officer's answer for the employee, as a reply in the HR group would be."""
    ticket = session.get(HandoffTicket, ticket_id)
    if ticket is None:
        raise TicketNotFound(f"Tiket #{ticket_id} tidak ditemukan.")
    if ticket.status != TicketStatus.OPEN:
        return ReplyOutcome.CLOSED
    added = outbox.enqueue(
        session,
        key=answer_key(ticket.id, text),
        kind=HANDOFF_KIND,
        chat_id=ticket.chat_id,
        text=REPLY_PREFIX.format(ticket=ticket.id) + text.strip(),
        employee_id=ticket.employee_id,
    )
    if not added:
        return ReplyOutcome.DUPLICATE
    record(session, actor, "handoff.reply", target=f"ticket:{ticket.id}")
    return ReplyOutcome.QUEUED
