"""Workshop feedback on SQLite and PostgreSQL: the scan asks each attendee once (not absentees,
not cancelled or running workshops), answers are stored once, completing issues one
certificate and its automatic send is claimed once; the console's summary is scoped by unit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asnkarier.models import (
    Certificate,
    Employee,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    Workshop,
    WorkshopFeedback,
    utcnow,
)
from asnkarier.services import certificates, console_auth
from asnkarier.services import feedback as fb
from asnkarier.services.console_auth import Officer
from asnkarier.services.outbox_keys import FEEDBACK_REQUEST
from tests.factories import make_employee, make_workshop

WEEK = dt.timedelta(days=7)
_chat = iter(range(8_720_000, 8_730_000))


def _ended(session: Session, **values: object) -> Workshop:
    """A workshop that ended an hour ago."""
    start = utcnow().replace(microsecond=0) - dt.timedelta(hours=4)
    fields: dict[str, object] = {
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=3),
        "registration_deadline": start - dt.timedelta(days=1),
        "jp": 4,
        **values,
    }
    return make_workshop(session, **fields)


def _person(
    session: Session, workshop: Workshop | None, status: RegistrationStatus, **kw: object
) -> Employee:
    employee = make_employee(session, chat_id=next(_chat), **kw)
    if workshop is not None:
        attended = (
            utcnow() - dt.timedelta(hours=2) if status == RegistrationStatus.ATTENDED else None
        )
        session.add(
            Registration(
                workshop_id=workshop.id,
                employee_id=employee.id,
                status=status,
                attended_at=attended,
                attended_via="console" if attended else None,
            )
        )
        session.flush()
    return employee


def _requests(session: Session, workshop: Workshop) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.idempotency_key.like(f"feedback:{workshop.id}:%"))
            .order_by(OutboxMessage.id)
        )
    )


def test_the_scan_asks_each_attendee_once_and_nobody_else(session: Session) -> None:
    workshop = _ended(session)
    here = [
        _person(session, workshop, RegistrationStatus.ATTENDED, sex=sex) for sex in ("P", "L", "")
    ]
    _person(session, workshop, RegistrationStatus.REGISTERED)  # registered, did not come
    _person(session, workshop, RegistrationStatus.CANCELLED)
    unlinked = make_employee(session)
    session.add(
        Registration(
            workshop_id=workshop.id, employee_id=unlinked.id, status=RegistrationStatus.ATTENDED,
            attended_at=utcnow(),
        )
    )  # fmt: skip
    cancelled = _ended(session, is_cancelled=True)
    _person(session, cancelled, RegistrationStatus.ATTENDED)
    running = _ended(session, ends_at=utcnow() + dt.timedelta(hours=1))
    _person(session, running, RegistrationStatus.ATTENDED)
    ancient = _ended(
        session,
        starts_at=utcnow() - dt.timedelta(days=30),
        ends_at=utcnow() - dt.timedelta(days=30) + dt.timedelta(hours=3),
    )
    _person(session, ancient, RegistrationStatus.ATTENDED)

    now = utcnow()
    assert fb.scan(session, now, WEEK) == 3
    assert fb.scan(session, now + dt.timedelta(minutes=5), WEEK) == 0  # a second run, or scheduler
    rows = _requests(session, workshop)
    assert sorted(r.employee_id for r in rows) == sorted(e.id for e in here)
    assert {r.idempotency_key for r in rows} == {FEEDBACK_REQUEST(workshop.id, e.id) for e in here}
    # Each is addressed as the roster says (the third, with no sex column, by the NIP's digit).
    addressed = {r.employee_id: r.text for r in rows}
    assert "penilaian Ibu tentang" in addressed[here[0].id]
    assert "penilaian Bapak tentang" in addressed[here[1].id]
    first = rows[0]
    assert first.kind == "feedback"
    assert workshop.title in first.text
    assert "1/3" in first.text
    buttons = first.reply_markup["inline_keyboard"][0]  # type: ignore[index]
    assert [b["text"] for b in buttons] == ["1", "2", "3", "4", "5"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    for other in (cancelled, running, ancient):
        assert _requests(session, other) == []

    # Marked attended later (HR in the console): the next scan asks only the newcomer.
    late = _person(session, workshop, RegistrationStatus.ATTENDED)
    assert fb.scan(session, now + dt.timedelta(minutes=10), WEEK) == 1
    assert [r.employee_id for r in _requests(session, workshop)][-1] == late.id


def test_answers_are_stored_once_and_the_certificate_issued_once(session: Session) -> None:
    workshop = _ended(session, title="Workshop Penulisan Naskah Dinas")
    employee = _person(session, workshop, RegistrationStatus.ATTENDED, name="Rina Marlina")
    now = utcnow()
    first = fb.answer(session, workshop.id, employee, fb.OVERALL, 4, now)
    assert first.outcome == fb.Outcome.RECORDED
    again = fb.answer(session, workshop.id, employee, fb.OVERALL, 2, now)
    assert again.outcome == fb.Outcome.ALREADY
    assert fb.complete(session, workshop.id, employee, None, now).outcome == fb.Outcome.INCOMPLETE
    assert fb.answer(session, workshop.id, employee, fb.USEFULNESS, 5, now).outcome == (
        fb.Outcome.RECORDED
    )
    assert [w.id for w in fb.pending(session, employee.id, now)] == [workshop.id]
    step = fb.resume(session, workshop.id, employee, now)
    assert step.comment_prompt
    assert "3/3" in step.text
    done = fb.complete(session, workshop.id, employee, "  Materinya   sangat praktis ", now)
    assert fb.pending(session, employee.id, now) == []
    assert fb.resume(session, workshop.id, employee, now).outcome == fb.Outcome.ALREADY
    assert done.outcome == fb.Outcome.RECORDED
    assert done.certificate is not None
    twice = fb.complete(session, workshop.id, employee, None, now)
    assert twice.outcome == fb.Outcome.ALREADY
    assert twice.certificate is not None
    assert twice.certificate.number == done.certificate.number
    assert fb.answer(session, workshop.id, employee, fb.USEFULNESS, 1, now).outcome == (
        fb.Outcome.ALREADY
    )

    [row] = session.scalars(
        select(WorkshopFeedback).where(WorkshopFeedback.workshop_id == workshop.id)
    )
    assert (row.overall, row.usefulness, row.comment) == (4, 5, "Materinya sangat praktis")
    count = session.scalar(
        select(func.count()).select_from(Certificate).where(Certificate.workshop_id == workshop.id)
    )
    assert count == 1
    certificate = done.certificate
    assert (certificate.holder_name, certificate.title, certificate.jp) == (
        "Rina Marlina", workshop.title, 4,
    )  # fmt: skip
    assert certificates.verify(session, certificate.number).status == certificates.Status.VALID

    # The automatic send: claimed once; a failure gives it back, the same number goes again.
    assert fb.claim_send(session, row.id, now)
    assert not fb.claim_send(session, row.id, now)  # a second press while the first sends
    fb.send_failed(session, row.id)
    assert fb.claim_send(session, row.id, now)
    fb.sent(session, row.id, now)
    assert not fb.claim_send(session, row.id, now + dt.timedelta(hours=1))
    doc = fb.document(certificate, "https://konsol.example.go.id")
    assert doc.content.startswith(b"%PDF-")
    assert doc.filename == f"sertifikat-{certificate.number}.pdf"
    assert f"https://konsol.example.go.id/verifikasi/{certificate.number}" in doc.caption


def test_who_may_answer(session: Session) -> None:
    workshop = _ended(session)
    absent = _person(session, workshop, RegistrationStatus.REGISTERED)
    now = utcnow()
    assert fb.answer(session, workshop.id, absent, fb.OVERALL, 3, now).outcome == (
        fb.Outcome.NOT_ATTENDEE
    )
    running = _ended(session, ends_at=now + dt.timedelta(hours=1))
    there = _person(session, running, RegistrationStatus.ATTENDED)
    assert fb.answer(session, running.id, there, fb.OVERALL, 3, now).outcome == fb.Outcome.NOT_ENDED
    assert fb.answer(session, 999_999, there, fb.OVERALL, 3, now).outcome == fb.Outcome.UNKNOWN
    assert session.scalar(select(func.count()).select_from(WorkshopFeedback)) == 0
    free = _ended(session, jp=0)
    guest = _person(session, free, RegistrationStatus.ATTENDED)
    fb.answer(session, free.id, guest, fb.OVERALL, 5, now)
    fb.answer(session, free.id, guest, fb.USEFULNESS, 5, now)
    done = fb.complete(session, free.id, guest, None, now)
    assert done.outcome == fb.Outcome.RECORDED
    assert done.certificate is None
    assert done.no_certificate_reason


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Materinya bagus, tapi ruangannya dingin", fb.CommentKind.COMMENT),
        ("Lewati", fb.CommentKind.SKIP),
        ("batal", fb.CommentKind.SKIP),
        ("tidak ada.", fb.CommentKind.SKIP),
        ("kapan deadline skp?", fb.CommentKind.NOT_A_COMMENT),
        ("Kapan deadline SKP", fb.CommentKind.NOT_A_COMMENT),
        ("bagaimana cara naik pangkat", fb.CommentKind.NOT_A_COMMENT),
        ("sertifikat saya", fb.CommentKind.NOT_A_COMMENT),
        ("x" * (fb.COMMENT_MAX + 1), fb.CommentKind.TOO_LONG),
    ],
)
def test_what_counts_as_a_comment(text: str, kind: fb.CommentKind) -> None:
    assert fb.classify_comment(text) == kind


def test_buttons_parse_back_and_forged_data_is_refused() -> None:
    assert fb.parse(fb.button_data(12, fb.OVERALL, 4)) == fb.Press(12, fb.OVERALL, 4)
    assert fb.parse(fb.button_data(12, None)) == fb.Press(12, None, None)
    for forged in ("fb:12:o:6", "fb:12:o:0", "fb:x:o:1", "fb:12:z:1", "fb:12:o:1:extra", ""):
        assert fb.parse(forged) is None


def test_the_console_summary_counts_and_scopes_by_unit(session: Session) -> None:
    workshop = _ended(session)
    now = utcnow()
    units = ("BKPSDM", "DISDIKBUD")
    people = []
    for index, (unit, scores) in enumerate(
        [("BKPSDM", (5, 4)), ("BKPSDM", (3, 3)), ("DISDIKBUD", (1, 2))]
    ):
        person = _person(session, workshop, RegistrationStatus.ATTENDED, unit_code=unit)
        fb.answer(session, workshop.id, person, fb.OVERALL, scores[0], now)
        fb.answer(session, workshop.id, person, fb.USEFULNESS, scores[1], now)
        fb.complete(session, workshop.id, person, f"Komentar <b>{index}</b>", now)
        people.append(person)
    _person(session, workshop, RegistrationStatus.ATTENDED, unit_code="DISDIKBUD")  # not answered
    admin = Officer(1, "Admin", console_auth.HR_ADMIN)
    everything = fb.summary(session, workshop.id, admin)
    assert everything is not None
    assert (everything.attendees, everything.answered, everything.completed) == (4, 3, 3)
    assert everything.overall_average == pytest.approx(3.0)
    assert everything.overall == {5: 1, 3: 1, 1: 1}
    assert len(everything.certificates) == 3
    assert [b[2] for b in everything.bars(fb.USEFULNESS)] == [
        "0 orang", "1 orang", "1 orang", "1 orang", "0 orang",
    ]  # fmt: skip
    disdik = people[2].unit_id
    operator = Officer(2, "Operator", console_auth.UNIT_OPERATOR, disdik, units[1])
    theirs = fb.summary(session, workshop.id, operator)
    assert theirs is not None
    assert (theirs.attendees, theirs.answered) == (2, 1)
    assert [c[2] for c in theirs.comments] == ["Komentar <b>2</b>"]
    assert [c.number for c in theirs.certificates] == [everything.certificates[2].number]
    lines = fb.ended_with_counts(session, operator, now)
    line = next(x for x in lines if x.workshop.id == workshop.id)
    assert (line.attendees, line.answered) == (2, 1)

    number = everything.certificates[0].number
    with pytest.raises(certificates.CertificateError, match="tidak ditemukan"):
        fb.revoke(session, workshop.id + 1, number, "Tidak hadir penuh", actor="test")
    fb.revoke(session, workshop.id, number, "Tidak hadir penuh", actor="test")
    assert certificates.verify(session, number).status == certificates.Status.REVOKED
