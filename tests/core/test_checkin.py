"""Workshop check-in: token windows, forged tokens, codes, once only, walk-ins, JP credited once."""

import datetime as dt
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asnkarier.models import (
    AuditLog,
    CompetencyHours,
    Registration,
    RegistrationStatus,
    Workshop,
)
from asnkarier.services import checkin, training
from asnkarier.services.checkin import Outcome
from tests.factories import make_employee, make_workshop

KEY = b"test-checkin-key-0123456789"
NOW = dt.datetime(2026, 12, 7, 2, 10, 7, tzinfo=dt.UTC)  # 09.10 WIB, 10 minutes in


def _running(session: Session, **values: object) -> Workshop:
    fields: dict[str, object] = {
        "starts_at": NOW - dt.timedelta(minutes=10),
        "ends_at": NOW + dt.timedelta(hours=3),
        "registration_deadline": NOW - dt.timedelta(days=1),
        "jp": 4,
        **values,
    }
    capacity = int(fields.pop("capacity", 5))  # type: ignore[call-overload]
    return make_workshop(session, capacity=capacity, **fields)  # type: ignore[arg-type]


def _registered(session: Session, workshop: Workshop):  # type: ignore[no-untyped-def]
    employee = make_employee(session)
    session.add(
        Registration(
            workshop_id=workshop.id, employee_id=employee.id, status=RegistrationStatus.REGISTERED
        )
    )
    workshop.seats_taken += 1
    session.flush()
    return employee


def _jp_rows(session: Session, employee_id: int, workshop_id: int) -> int | None:
    return session.scalar(
        select(func.count())
        .select_from(CompetencyHours)
        .where(
            CompetencyHours.employee_id == employee_id,
            CompetencyHours.workshop_id == workshop_id,
        )
    )


def _token(workshop: Workshop, at: dt.datetime) -> str:
    return checkin.display(KEY, workshop.id, at).token


def test_token_fits_telegram_start_parameter_and_changes_every_window() -> None:
    first = checkin.display(KEY, 123456, NOW)
    later = checkin.display(KEY, 123456, NOW + dt.timedelta(seconds=30))
    for shown in (first, later):
        assert re.fullmatch(r"hadir-[A-Za-z0-9_-]+", shown.token)
        assert len(shown.token) <= 64
        assert re.fullmatch(r"\d{6}", shown.code)
    assert first.token != later.token
    assert later.window == first.window + 1
    assert first.changes_at == dt.datetime(2026, 12, 7, 2, 10, 30, tzinfo=dt.UTC)
    # another key makes other tokens
    assert checkin.display(b"other", 123456, NOW).token != first.token


def test_current_and_previous_window_accepted_an_hour_later_refused(session: Session) -> None:
    ws = _running(session)
    a, b, c = (_registered(session, ws) for _ in range(3))
    # shown now, scanned now
    assert checkin.check_in(session, a, _token(ws, NOW), NOW, key=KEY).outcome == Outcome.ATTENDED
    # shown in the previous window (scanned 30 s later)
    previous = _token(ws, NOW - dt.timedelta(seconds=30))
    assert checkin.check_in(session, b, previous, NOW, key=KEY).outcome == Outcome.ATTENDED
    # two windows back, and a photo forwarded an hour later: expired
    older = _token(ws, NOW - dt.timedelta(seconds=60))
    assert checkin.check_in(session, c, older, NOW, key=KEY).outcome == Outcome.EXPIRED
    hour_later = NOW + dt.timedelta(hours=1)
    result = checkin.check_in(session, c, _token(ws, NOW), hour_later, key=KEY)
    assert result.outcome == Outcome.EXPIRED
    registration = session.scalar(select(Registration).where(Registration.employee_id == c.id))
    assert registration is not None
    assert registration.status == RegistrationStatus.REGISTERED
    assert _jp_rows(session, c.id, ws.id) == 0


def test_forged_or_malformed_tokens_never_raise(session: Session) -> None:
    ws = _running(session)
    employee = _registered(session, ws)
    genuine = _token(ws, NOW)
    other_workshop = genuine.replace(f"hadir-{checkin._b36(ws.id)}-", "hadir-zz-", 1)
    flipped = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")
    for text in (
        flipped,
        other_workshop,
        checkin.display(b"someone-elses-key", ws.id, NOW).token,
        "hadir-",
        "hadir-1-2-3",
        "hadir-" + "9" * 40,
        "hadir-%%%-x-yyyyyyyyyyyyyyyy",
        "",
        "12345",
        "1234567",
        "ZZZZ-2222",
        "\x00hadir",
    ):
        result = checkin.check_in(session, employee, text, NOW, key=KEY)
        assert result.outcome == Outcome.INVALID, text
    assert _jp_rows(session, employee.id, ws.id) == 0
    # no secret configured: nothing can be checked
    assert checkin.check_in(session, employee, genuine, NOW, key=b"").outcome == (
        Outcome.UNAVAILABLE
    )


def test_numeric_code_of_a_running_workshop(session: Session) -> None:
    ws = _running(session)
    employee, late = _registered(session, ws), _registered(session, ws)
    code = checkin.display(KEY, ws.id, NOW).code
    result = checkin.check_in(session, employee, code[:3] + " " + code[3:], NOW, key=KEY)
    assert result.outcome == Outcome.ATTENDED
    assert result.workshop is not None
    assert result.workshop.id == ws.id
    assert result.registration is not None
    assert result.registration.attended_via == "code"
    # the same code three windows later no longer works
    result = checkin.check_in(session, late, code, NOW + dt.timedelta(seconds=95), key=KEY)
    assert result.outcome == Outcome.INVALID
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert checkin.check_in(session, late, wrong, NOW, key=KEY).outcome == Outcome.INVALID


def test_twice_is_once_with_the_first_time_and_jp_credited_once(session: Session) -> None:
    ws = _running(session, jp=4)
    employee = _registered(session, ws)
    before = training.hours(session, employee.id, NOW.year).total
    first = checkin.check_in(session, employee, _token(ws, NOW), NOW, key=KEY)
    assert first.outcome == Outcome.ATTENDED
    assert first.registration is not None
    assert (first.registration.status, first.registration.attended_via) == (
        RegistrationStatus.ATTENDED,
        "qr",
    )
    later = NOW + dt.timedelta(minutes=5)
    code = checkin.display(KEY, ws.id, later).code
    again = checkin.check_in(session, employee, code, later, key=KEY)
    assert again.outcome == Outcome.ALREADY
    assert again.registration is not None
    assert again.registration.attended_at == NOW
    # a stale token of the workshop already attended also says "already"
    stale = checkin.check_in(session, employee, _token(ws, NOW), later, key=KEY)
    assert stale.outcome == Outcome.ALREADY
    # the console marking the same person does not credit again
    by_hand = checkin.mark_by_hand(session, ws.id, employee.id, actor="test", now=later)
    assert by_hand.outcome == Outcome.ALREADY
    assert _jp_rows(session, employee.id, ws.id) == 1
    assert training.hours(session, employee.id, NOW.year).total == before + 4
    session.refresh(ws)
    assert ws.seats_taken == 1  # attending keeps the seat


def test_walk_in_only_when_the_workshop_allows_it(session: Session) -> None:
    closed = _running(session, allow_walk_in=False)
    open_door = _running(session, allow_walk_in=True)
    stranger = make_employee(session)
    result = checkin.check_in(session, stranger, _token(closed, NOW), NOW, key=KEY)
    assert result.outcome == Outcome.NOT_REGISTERED
    assert (
        session.scalar(select(Registration).where(Registration.employee_id == stranger.id)) is None
    )
    result = checkin.check_in(session, stranger, _token(open_door, NOW), NOW, key=KEY)
    assert (result.outcome, result.walk_in) == (Outcome.ATTENDED, True)
    row = session.scalar(
        select(Registration).where(
            Registration.employee_id == stranger.id, Registration.workshop_id == open_door.id
        )
    )
    assert row is not None
    assert row.status == RegistrationStatus.ATTENDED
    assert _jp_rows(session, stranger.id, open_door.id) == 1
    session.refresh(open_door)
    assert open_door.seats_taken == 0  # a walk-in takes no seat


def test_waitlisted_is_not_registered_unless_walk_ins_are_allowed(session: Session) -> None:
    ws = _running(session, capacity=1)
    _registered(session, ws)
    waiting = make_employee(session)
    session.add(
        Registration(
            workshop_id=ws.id,
            employee_id=waiting.id,
            status=RegistrationStatus.WAITLISTED,
            waitlist_position=1,
        )
    )
    session.flush()
    result = checkin.check_in(session, waiting, _token(ws, NOW), NOW, key=KEY)
    assert (result.outcome, result.waitlisted) == (Outcome.NOT_REGISTERED, True)
    ws.allow_walk_in = True
    session.flush()
    result = checkin.check_in(session, waiting, _token(ws, NOW), NOW, key=KEY)
    assert result.outcome == Outcome.ATTENDED
    assert result.registration is not None
    assert result.registration.waitlist_position is None


def test_not_running_before_the_opening_margin_and_after_the_end(session: Session) -> None:
    ws = _running(session)
    employee = _registered(session, ws)
    early = ws.starts_at - checkin.OPENS_BEFORE - dt.timedelta(minutes=1)
    assert checkin.check_in(session, employee, _token(ws, early), early, key=KEY).outcome == (
        Outcome.NOT_RUNNING
    )
    assert checkin.display(KEY, ws.id, early).code not in {
        checkin.code_for(KEY, w.id, checkin.window_of(early))
        for w in checkin.running(session, early)
    }
    opening = ws.starts_at - checkin.OPENS_BEFORE + dt.timedelta(minutes=1)
    assert ws in checkin.running(session, opening)
    after = ws.ends_at + dt.timedelta(seconds=1)
    assert checkin.check_in(session, employee, _token(ws, after), after, key=KEY).outcome == (
        Outcome.NOT_RUNNING
    )
    assert ws not in checkin.running(session, after)
    code = checkin.display(KEY, ws.id, after).code
    assert checkin.check_in(session, employee, code, after, key=KEY).outcome == Outcome.INVALID
    # inside the margin it works
    assert checkin.check_in(session, employee, _token(ws, opening), opening, key=KEY).outcome == (
        Outcome.ATTENDED
    )


def test_cancelled_workshop(session: Session) -> None:
    ws = _running(session)
    employee = _registered(session, ws)
    ws.is_cancelled = True
    session.flush()
    result = checkin.check_in(session, employee, _token(ws, NOW), NOW, key=KEY)
    assert result.outcome == Outcome.CANCELLED
    code = checkin.display(KEY, ws.id, NOW).code
    assert checkin.check_in(session, employee, code, NOW, key=KEY).outcome == Outcome.INVALID
    assert _jp_rows(session, employee.id, ws.id) == 0


def test_console_mark_and_undo_are_audited_and_keep_jp_consistent(session: Session) -> None:
    ws = _running(session, allow_walk_in=True)
    registered, walk_in = _registered(session, ws), make_employee(session)
    assert checkin.mark_by_hand(session, ws.id, registered.id, actor="hr:1", now=NOW).outcome == (
        Outcome.ATTENDED
    )
    marked = checkin.mark_by_hand(session, ws.id, walk_in.id, actor="hr:1", now=NOW)
    assert (marked.outcome, marked.walk_in) == (Outcome.ATTENDED, True)
    assert marked.registration is not None
    assert marked.registration.attended_via == "console"
    assert _jp_rows(session, registered.id, ws.id) == 1

    back = checkin.unmark(session, ws.id, registered.id, actor="hr:1")
    assert (back.status, back.attended_at, back.attended_via) == (
        RegistrationStatus.REGISTERED,
        None,
        None,
    )
    gone = checkin.unmark(session, ws.id, walk_in.id, actor="hr:1")
    assert gone.status == RegistrationStatus.CANCELLED  # held no seat
    assert _jp_rows(session, registered.id, ws.id) == 0
    assert _jp_rows(session, walk_in.id, ws.id) == 0
    actions = session.scalars(
        select(AuditLog.action).where(AuditLog.target == f"workshop:{ws.id}")
    ).all()
    assert sorted(actions) == ["checkin.marked"] * 2 + ["checkin.unmarked"] * 2
    # and checking in again credits once more, once
    assert checkin.check_in(session, registered, _token(ws, NOW), NOW, key=KEY).outcome == (
        Outcome.ATTENDED
    )
    assert _jp_rows(session, registered.id, ws.id) == 1
    with pytest.raises(checkin.CheckinError, match="belum tercatat hadir"):
        checkin.unmark(session, ws.id, walk_in.id, actor="hr:1")


def test_attendance_sheet_counts_and_unit_scope(session: Session) -> None:
    ws = _running(session)
    a = _registered(session, ws)
    b = _registered(session, ws)
    checkin.check_in(session, a, _token(ws, NOW), NOW, key=KEY)
    _, rows = checkin.attendance(session, ws.id)
    assert {r.employee_id for r in rows} == {a.id, b.id}
    assert checkin.counts(rows) == (1, 2)
    _, scoped = checkin.attendance(session, ws.id, unit_ids={a.unit_id + 10_000})
    assert scoped == []
