"""Workshop registration: seats, waitlist, deadlines, cancellation and promotion, concurrency."""

import datetime as dt
import threading
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from asnkarier import db
from asnkarier.models import OutboxMessage, Registration, RegistrationStatus, Workshop, utcnow
from asnkarier.services import workshops
from asnkarier.services.seed import migrate_and_seed
from asnkarier.services.workshops import RegistrationOutcome
from tests.conftest import DATA
from tests.factories import make_employee, make_workshop


def test_seats_then_waitlist_then_double_registration(session: Session) -> None:
    ws = make_workshop(session, capacity=2)
    a, b, c, d = (make_employee(session) for _ in range(4))
    assert workshops.register(session, a.id, ws.id).outcome == RegistrationOutcome.REGISTERED
    assert workshops.register(session, b.id, ws.id).outcome == RegistrationOutcome.REGISTERED
    third = workshops.register(session, c.id, ws.id)
    assert (third.outcome, third.queue_position) == (RegistrationOutcome.WAITLISTED, 1)
    fourth = workshops.register(session, d.id, ws.id)
    assert (fourth.outcome, fourth.queue_position) == (RegistrationOutcome.WAITLISTED, 2)
    assert (
        workshops.register(session, a.id, ws.id).outcome == RegistrationOutcome.ALREADY_REGISTERED
    )
    again = workshops.register(session, d.id, ws.id)
    assert (again.outcome, again.queue_position) == (RegistrationOutcome.ALREADY_WAITLISTED, 2)
    session.refresh(ws)
    assert (ws.seats_taken, ws.seats_left) == (2, 0)
    rows = session.scalars(select(Registration).where(Registration.workshop_id == ws.id)).all()
    assert len(rows) == 4


def test_cancel_frees_the_seat_for_the_first_waitlisted_and_queues_a_message(
    session: Session,
) -> None:
    ws = make_workshop(session, capacity=1)
    holder = make_employee(session)
    first = make_employee(session, chat_id=5001)
    second = make_employee(session, chat_id=5002)
    workshops.register(session, holder.id, ws.id)
    workshops.register(session, first.id, ws.id)
    workshops.register(session, second.id, ws.id)

    result = workshops.cancel(session, holder.id, ws.id)
    assert result.outcome == RegistrationOutcome.CANCELLED
    assert result.promoted is not None
    assert result.promoted.employee_id == first.id
    assert result.promoted.status == RegistrationStatus.REGISTERED
    session.refresh(ws)
    assert ws.seats_taken == 1
    [message] = session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == 5001)).all()
    assert message.kind == "waitlist"
    assert ws.title in message.text
    # second moved up the queue
    reg = session.scalar(select(Registration).where(Registration.employee_id == second.id))
    assert reg is not None
    assert workshops.queue_position(session, reg) == 1
    # cancelling again is a no-op
    assert workshops.cancel(session, holder.id, ws.id).outcome == RegistrationOutcome.NOT_REGISTERED
    # and the holder can register again, now behind the queue
    back = workshops.register(session, holder.id, ws.id)
    assert (back.outcome, back.queue_position) == (RegistrationOutcome.WAITLISTED, 2)


def test_waitlisted_cancellation_frees_no_seat(session: Session) -> None:
    ws = make_workshop(session, capacity=1)
    a, b = make_employee(session), make_employee(session)
    workshops.register(session, a.id, ws.id)
    workshops.register(session, b.id, ws.id)
    result = workshops.cancel(session, b.id, ws.id)
    assert (result.outcome, result.promoted) == (RegistrationOutcome.CANCELLED, None)
    session.refresh(ws)
    assert ws.seats_taken == 1


def test_deadline_start_and_cancelled_workshops_refuse(session: Session) -> None:
    now = utcnow()
    employee = make_employee(session)
    closed = make_workshop(session, registration_deadline=now - dt.timedelta(hours=1))
    assert workshops.register(session, employee.id, closed.id).outcome == RegistrationOutcome.CLOSED
    off = make_workshop(session, is_cancelled=True)
    assert (
        workshops.register(session, employee.id, off.id).outcome == RegistrationOutcome.UNAVAILABLE
    )
    started = make_workshop(session)
    assert (
        workshops.register(session, employee.id, started.id).outcome
        == RegistrationOutcome.REGISTERED
    )
    later = started.starts_at + dt.timedelta(minutes=1)
    assert (
        workshops.cancel(session, employee.id, started.id, now=later).outcome
        == RegistrationOutcome.UNAVAILABLE
    )


def test_upcoming_find_and_my_registrations(session: Session) -> None:
    soon = workshops.upcoming(session, limit=50)
    assert soon == sorted(soon, key=lambda w: w.starts_at)
    assert all(w.starts_at > utcnow() for w in soon)
    ws = make_workshop(session, title="Analisis Data dengan Spreadsheet", topics=["excel", "data"])
    assert workshops.find(session, ws.code) == [ws]
    assert ws in workshops.find(session, "workshop analisis data dong")
    assert workshops.find(session, "zzzz qqqq") == []
    employee = make_employee(session)
    workshops.register(session, employee.id, ws.id)
    assert [r.workshop_id for r in workshops.my_registrations(session, employee.id)] == [ws.id]


def _concurrent(url: str, calls: list[tuple[int, int]]) -> Counter[str]:
    engine = db.make_engine(url, pool_size=len(calls), max_overflow=0)
    factory = db.make_sessionmaker(engine)
    barrier = threading.Barrier(len(calls))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def one(employee_id: int, workshop_id: int) -> None:
        barrier.wait()
        with factory.begin() as s:
            result = workshops.register(s, employee_id, workshop_id)
        with lock:
            outcomes[result.outcome.value] += 1

    threads = [threading.Thread(target=one, args=call) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    engine.dispose()
    return outcomes


def test_concurrent_registrations_never_overbook(fresh_db_url: str) -> None:
    migrate_and_seed(fresh_db_url, DATA)
    engine = db.make_engine(fresh_db_url)
    factory = db.make_sessionmaker(engine)
    with factory.begin() as s:
        ws = make_workshop(s, capacity=5)
        staff = [make_employee(s).id for _ in range(16)]
        ws_id = ws.id
    outcomes = _concurrent(fresh_db_url, [(e, ws_id) for e in staff])
    # The same employee tapping "Daftar" eight times at once.
    double = _concurrent(fresh_db_url, [(staff[0], ws_id)] * 8)
    with factory.begin() as s:
        workshop = s.get_one(Workshop, ws_id)
        regs = s.scalars(select(Registration).where(Registration.workshop_id == ws_id)).all()
        seated = [r for r in regs if r.status == RegistrationStatus.REGISTERED]
        waiting = [r.waitlist_position for r in regs if r.status == RegistrationStatus.WAITLISTED]
        assert workshop.seats_taken == len(seated) == 5
    engine.dispose()
    assert outcomes == {"registered": 5, "waitlisted": 11}
    assert len(regs) == 16
    assert len(set(waiting)) == len(waiting) == 11
    assert sum(double.values()) == 8
    assert set(double) <= {"already_registered", "already_waitlisted"}
