"""Training search, JP hours, appraisal deadlines, how-to, unanswered log and handoff tickets."""

import datetime as dt

from sqlalchemy.orm import Session

from asnkarier.models import CompetencyHours, CompetencyType, TicketStatus
from asnkarier.services import appraisal, support, training
from tests.factories import make_employee


def test_training_search_by_topic_type_and_position(session: Session) -> None:
    data = training.search(session, topic="analisis data")
    assert data
    assert len(data) <= 5
    assert any("data" in t.topics or "data" in t.title.lower() for t in data[:1])
    managerial = training.search(session, competency_type=CompetencyType.MANAJERIAL, limit=10)
    assert managerial
    assert {t.competency_type for t in managerial} == {CompetencyType.MANAJERIAL}
    assert training.search(session, topic="xyzzy qwerty") == []
    assert training.competency_type_in("ada pelatihan manajerial?") == CompetencyType.MANAJERIAL
    assert training.competency_type_in("sosial kultural") == CompetencyType.SOSIAL_KULTURAL


def test_competency_hours_against_the_duty(session: Session) -> None:
    done, short = make_employee(session), make_employee(session)
    year = dt.date.today().year
    for jp in (8, 8, 6):
        session.add(
            CompetencyHours(
                employee_id=done.id, year=year, jp=jp, activity="x", completed_on=dt.date.today()
            )
        )
    session.add(
        CompetencyHours(
            employee_id=short.id, year=year, jp=5, activity="x", completed_on=dt.date.today()
        )
    )
    session.add(
        CompetencyHours(
            employee_id=short.id,
            year=year - 1,
            jp=30,
            activity="x",
            completed_on=dt.date(year - 1, 5, 1),
        )
    )
    session.flush()
    summary = training.hours(session, done.id, year)
    assert (summary.total, summary.missing, len(summary.entries)) == (22, 0, 3)
    assert training.hours(session, short.id, year).missing == 15
    under = training.employees_under(session, year)
    assert short.id in under
    assert done.id not in under


def test_deadlines_and_howto(session: Session) -> None:
    today = dt.date.today()
    deadlines = appraisal.upcoming_deadlines(session, today, limit=3)
    assert len(deadlines) == 3
    assert all(d.deadline >= today for d in deadlines)
    assert [d.deadline for d in deadlines] == sorted(d.deadline for d in deadlines)
    answer = appraisal.howto(session, "gimana cara isi bukti dukung di e-kinerja")
    assert answer
    assert answer[0].key == "ekinerja-bukti-dukung"
    assert appraisal.howto(session, "")  # falls back to the basics


def test_unanswered_messages_are_anonymous_and_grouped(session: Session) -> None:
    for text in (
        "Kapan gajian?",
        "kapan   gajian",
        "Kapan gajian??",
        "NIP saya 198703152010011002 salah",
    ):
        support.record_unanswered(
            session, text, "out_of_scope", [{"name": "out_of_scope", "confidence": 0.91}]
        )
    assert support.record_unanswered(session, "   ", "fallback") is None
    groups = support.unanswered_groups(session)
    assert groups[0].count == 3
    assert groups[0].text.lower().startswith("kapan")
    assert groups[0].top_intent == "out_of_scope"
    assert groups[0].last_seen.tzinfo is not None
    assert all("198703152010011002" not in g.text for g in groups)


def test_handoff_tickets_do_not_duplicate(session: Session) -> None:
    ticket, created = support.open_ticket(
        session, telegram_user_id=7, chat_id=7, question="Tolong cek SK saya", employee_id=None
    )
    again, created_again = support.open_ticket(
        session, telegram_user_id=7, chat_id=7, question="halo?", employee_id=None
    )
    assert (created, created_again, again.id) == (True, False, ticket.id)
    closed = support.close_ticket(session, ticket.id, actor="telegram:1")
    assert closed is not None
    assert closed.status == TicketStatus.CLOSED
    assert support.close_ticket(session, ticket.id, actor="telegram:1") is None
    _, fresh = support.open_ticket(
        session, telegram_user_id=7, chat_id=7, question="lagi", employee_id=None
    )
    assert fresh
