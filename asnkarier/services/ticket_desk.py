"""Tiket in the web console: handed-off questions listed in the officer's scope, answered
through the outbox (the same words as a reply in the HR group) and closed."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from asnkarier.models import Employee, HandoffTicket, OutboxMessage, TicketStatus
from asnkarier.services import outbox, support
from asnkarier.services.audit import record
from asnkarier.services.console_auth import Officer
from asnkarier.services.nip import mask_nip
from asnkarier.services.outbox_keys import HANDOFF_CONSOLE_REPLY
from asnkarier.telegram_limits import MAX_MESSAGE, text_length


class TicketError(ValueError):
    """Bad answer or a closed ticket; polite Indonesian for the officer."""


class TicketHidden(PermissionError):
    """Another unit's ticket, or none with this id."""


@dataclass
class Item:
    ticket: HandoffTicket
    employee: str
    unit: str
    nip: str  # masked


def _visible(officer: Officer, employee: Employee | None) -> bool:
    return officer.is_admin or (employee is not None and employee.unit_id == officer.unit_id)


def _item(ticket: HandoffTicket, employee: Employee | None) -> Item:
    return Item(
        ticket,
        employee.name if employee else "(akun belum terhubung)",
        employee.unit.code if employee else "-",
        mask_nip(employee.nip) if employee else "-",
    )


def listing(session: Session, officer: Officer, *, open_only: bool, limit: int = 100) -> list[Item]:
    query = (
        select(HandoffTicket, Employee)
        .outerjoin(Employee, Employee.id == HandoffTicket.employee_id)
        .order_by(HandoffTicket.id.desc())
        .limit(limit)
    )
    status = TicketStatus.OPEN if open_only else TicketStatus.CLOSED
    query = query.where(HandoffTicket.status == status)
    if not officer.is_admin:
        query = query.where(Employee.unit_id == officer.unit_id)
    return [_item(t, e) for t, e in session.execute(query).tuples()]


@dataclass
class Thread:
    item: Item
    answers: list[OutboxMessage]


def thread(session: Session, officer: Officer, ticket_id: int) -> Thread:
    ticket = session.get(HandoffTicket, ticket_id)
    employee = session.get(Employee, ticket.employee_id) if ticket and ticket.employee_id else None
    if ticket is None or not _visible(officer, employee):
        raise TicketHidden("Tiket ini tidak ada atau bukan dari unit Bapak/Ibu.")
    answers = list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.idempotency_key.startswith(f"handoff:{ticket.id}:"),
                OutboxMessage.kind == support.HANDOFF_KIND,
            )
            .order_by(OutboxMessage.id)
        )
    )
    return Thread(_item(ticket, employee), answers)


def answer(session: Session, officer: Officer, ticket_id: int, text: str, now: dt.datetime) -> None:
    """Queue the officer's answer for the employee's chat (delivered by the dispatcher)."""
    found = thread(session, officer, ticket_id).item.ticket
    if found.status != TicketStatus.OPEN:
        raise TicketError("Tiket ini sudah ditutup; jawaban tidak dikirim.")
    body = (text or "").strip()
    if not body:
        raise TicketError("Jawaban masih kosong.")
    message = support.REPLY_PREFIX.format(ticket=found.id) + body
    if text_length(message) > MAX_MESSAGE:
        raise TicketError(f"Jawaban terlalu panjang; maksimal sekitar {MAX_MESSAGE - 60} karakter.")
    outbox.enqueue(
        session,
        key=HANDOFF_CONSOLE_REPLY(found.id, secrets.token_hex(8)),
        kind=support.HANDOFF_KIND,
        chat_id=found.chat_id,
        text=message,
        employee_id=found.employee_id,
        not_before=now,
    )
    record(
        session, officer.actor, "handoff.reply", target=f"ticket:{found.id}", details={"via": "web"}
    )


def close(session: Session, officer: Officer, ticket_id: int) -> bool:
    """Close the ticket and tell the employee; False if it was closed already."""
    thread(session, officer, ticket_id)
    closed = support.close_and_notify(
        session,
        ticket_id,
        actor=officer.actor,
        notice=support.CLOSED_NOTICE.format(ticket=ticket_id),
    )
    return closed is not None
