"""Tiket in the console: list, answer through the outbox (the group's words), close, scope."""

from __future__ import annotations

from sqlalchemy import select

from asnkarier.models import HandoffTicket, OutboxMessage, TicketStatus
from asnkarier.services import support
from tests.factories import make_employee
from tests.web.conftest import Console


def test_answer_and_close_a_ticket_from_the_console(console: Console) -> None:
    with console.sessions.begin() as s:
        asker = make_employee(s, unit_code="DISKOMINFO", chat_id=7_900_001, name="Penanya Uji")
        ticket, _ = support.open_ticket(
            s,
            telegram_user_id=7_900_001,
            chat_id=7_900_001,
            question="Kapan SKP ditutup?",
            employee_id=asker.id,
        )
        ticket_id = ticket.id
    console.sign_in(console.officer())
    assert "Kapan SKP ditutup?" in console.client.get("/tiket").text
    empty = console.client.post(
        f"/tiket/{ticket_id}/jawab", data={"csrf_token": console.csrf(), "jawaban": " "}
    )
    assert empty.status_code == 422
    answered = console.client.post(
        f"/tiket/{ticket_id}/jawab",
        data={"csrf_token": console.csrf(), "jawaban": "Tanggal 31 Januari."},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    page = console.client.get(f"/tiket/{ticket_id}").text
    assert "Tanggal 31 Januari." in page
    closed = console.client.post(
        f"/tiket/{ticket_id}/tutup", data={"csrf_token": console.csrf()}, follow_redirects=False
    )
    assert closed.status_code == 303
    with console.sessions() as s:
        texts = s.scalars(
            select(OutboxMessage.text)
            .where(OutboxMessage.chat_id == 7_900_001)
            .order_by(OutboxMessage.id)
        ).all()
        status = s.get(HandoffTicket, ticket_id).status  # type: ignore[union-attr]
    assert texts == [
        support.REPLY_PREFIX.format(ticket=ticket_id) + "Tanggal 31 Januari.",
        support.CLOSED_NOTICE.format(ticket=ticket_id),
    ]
    assert status == TicketStatus.CLOSED
    late = console.client.post(
        f"/tiket/{ticket_id}/jawab", data={"csrf_token": console.csrf(), "jawaban": "x"}
    )
    assert late.status_code == 422
    assert "Kapan SKP ditutup?" in console.client.get("/tiket?status=ditutup").text

    console.client.cookies.clear()
    console.sign_in(console.officer(unit="RSUD", admin=False))
    assert "Kapan SKP ditutup?" not in console.client.get("/tiket?status=ditutup").text
    assert console.client.get(f"/tiket/{ticket_id}").status_code == 404
