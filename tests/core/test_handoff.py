"""Handoff rules: what HR sees of a ticket, officers' answers queued exactly once, closing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from asnkarier.models import OutboxMessage, Role, TicketStatus
from asnkarier.services import support
from asnkarier.services.employees import hr_officer_chats
from asnkarier.services.outbox_keys import HANDOFF_REPLY
from asnkarier.services.support import ReplyOutcome
from tests.factories import make_employee


def _outbox(session: Session, chat_id: int) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
    return list(session.scalars(query))


def test_card_shows_name_and_unit_with_the_nip_masked(session: Session) -> None:
    employee = make_employee(session, chat_id=5_001, name="Siti Rahmawati")
    ticket, _ = support.open_ticket(
        session, telegram_user_id=5_001, chat_id=5_001, question="SK?", employee_id=employee.id
    )
    card = support.open_ticket_card(session, ticket.id)
    assert card is not None
    assert (card.employee_name, card.unit_name) == ("Siti Rahmawati", employee.unit.name)
    assert card.masked_nip == "*" * 14 + employee.nip[-4:]
    assert employee.nip not in repr(card)
    stranger, _ = support.open_ticket(
        session, telegram_user_id=5_002, chat_id=5_002, question="halo", employee_id=None
    )
    anonymous = support.open_ticket_card(session, stranger.id)
    assert anonymous is not None
    assert anonymous.employee_name is None


def test_tickets_wait_for_the_group_until_posted(session: Session) -> None:
    ticket, _ = support.open_ticket(
        session, telegram_user_id=5_011, chat_id=5_011, question="q", employee_id=None
    )
    assert ticket.id in [c.ticket_id for c in support.tickets_to_forward(session)]
    support.attach_hr_message(session, ticket.id, 77)
    assert ticket.id not in [c.ticket_id for c in support.tickets_to_forward(session)]
    card = support.open_ticket_card(session, ticket.id)
    assert card is not None
    assert card.hr_message_id == 77


def test_an_officer_answer_is_queued_once_and_not_after_closing(session: Session) -> None:
    ticket, _ = support.open_ticket(
        session, telegram_user_id=5_021, chat_id=5_021, question="q", employee_id=None
    )
    support.attach_hr_message(session, ticket.id, 500)

    def answer(officer_message_id: int, hr_message_id: int = 500) -> ReplyOutcome:
        outcome, _ = support.queue_officer_reply(
            session,
            hr_message_id=hr_message_id,
            officer_message_id=officer_message_id,
            officer="telegram:9",
            text=lambda t: f"#{t}: sudah kami cek",
        )
        return outcome

    assert answer(501) == ReplyOutcome.QUEUED
    assert answer(501) == ReplyOutcome.DUPLICATE  # the same update delivered twice
    assert answer(502) == ReplyOutcome.QUEUED
    assert answer(503, hr_message_id=999) == ReplyOutcome.NOT_A_TICKET
    rows = _outbox(session, 5_021)
    assert [(r.kind, r.text) for r in rows] == [("handoff", f"#{ticket.id}: sudah kami cek")] * 2
    assert [r.idempotency_key for r in rows] == [
        HANDOFF_REPLY(ticket.id, 501),
        HANDOFF_REPLY(ticket.id, 502),
    ]

    closed = support.close_and_notify(session, ticket.id, actor="telegram:9", notice="ditutup")
    assert closed is not None
    assert (closed.status, closed.closed_by) == (TicketStatus.CLOSED, "telegram:9")
    assert support.close_and_notify(session, ticket.id, actor="telegram:8", notice="x") is None
    assert answer(504) == ReplyOutcome.CLOSED
    assert [r.text for r in _outbox(session, 5_021)][2:] == ["ditutup"]  # one notice, no 504


def test_hr_officer_chats_are_linked_active_unblocked_admins(session: Session) -> None:
    officer = make_employee(session, chat_id=5_031, role=Role.HR_ADMIN)
    make_employee(session, chat_id=5_032)  # not HR
    make_employee(session, chat_id=5_033, role=Role.HR_ADMIN, bot_blocked=True)
    make_employee(session, chat_id=5_034, role=Role.HR_ADMIN, is_active=False)
    make_employee(session, role=Role.HR_ADMIN)  # not linked
    chats = hr_officer_chats(session)
    assert officer.telegram_chat_id in chats
    assert not {5_032, 5_033, 5_034} & set(chats)
