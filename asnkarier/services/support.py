"""Unanswered questions (kept anonymously, for improving answers) and handoff tickets to HR."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asnkarier.models import HandoffTicket, TicketStatus, UnansweredMessage, utcnow
from asnkarier.services.audit import record

_DIGITS = re.compile(r"\d{5,}")
_EMAIL = re.compile(r"\S+@\S+")
MAX_TEXT = 1000


def anonymize(text: str) -> str:
    """Drop what could identify the sender: long numbers (NIP, phone) and e-mail addresses."""
    return _EMAIL.sub("<email>", _DIGITS.sub("<angka>", text)).strip()[:MAX_TEXT]


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


def open_ticket(
    session: Session,
    *,
    telegram_user_id: int,
    chat_id: int,
    question: str,
    employee_id: int | None,
) -> tuple[HandoffTicket, bool]:
    """Open a ticket, or return the user's open one (no duplicates); True when newly created."""
    existing = session.scalar(
        select(HandoffTicket).where(
            HandoffTicket.telegram_user_id == telegram_user_id,
            HandoffTicket.status == TicketStatus.OPEN,
        )
    )
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
