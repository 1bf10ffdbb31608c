"""Workshops: upcoming sessions, registration with seats or waitlist, cancellation.

Seats are taken and freed only by guarded UPDATEs (`seats_taken < capacity`), so concurrent
registrations can never overbook, on SQLite (writers serialised by BEGIN IMMEDIATE) and on
PostgreSQL (row lock, predicate re-checked after the wait).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from asnkarier.models import Employee, Registration, RegistrationStatus, Unit, Workshop, utcnow
from asnkarier.services import sendtime
from asnkarier.services.audit import record
from asnkarier.services.console_auth import Officer
from asnkarier.services.formatting import tanggal_jam
from asnkarier.services.outbox import enqueue
from asnkarier.services.outbox_keys import WAITLIST_PROMOTED, WORKSHOP_CANCELLED
from asnkarier.services.text import overlap, words

ACTIVE = (RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED)


def upcoming(
    session: Session, *, now: dt.datetime | None = None, limit: int = 10
) -> list[Workshop]:
    """Workshops not yet started and not cancelled, soonest first."""
    query = (
        select(Workshop)
        .where(Workshop.starts_at > (now or utcnow()), Workshop.is_cancelled.is_(False))
        .order_by(Workshop.starts_at, Workshop.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def match(candidates: list[Workshop], text: str) -> list[Workshop]:
    """Those of `candidates` a code or a (partial) title names, best match first."""
    wanted = text.strip().lower()
    exact = [w for w in candidates if wanted in (w.code.lower(), w.title.lower())]
    if exact:
        return exact
    wanted_words = words(wanted)
    scored = [(overlap(wanted_words, f"{w.title} {' '.join(w.topics)}"), w) for w in candidates]
    best = max((score for score, _ in scored), default=0)
    return [w for score, w in scored if score and score == best]


def find(session: Session, text: str, *, now: dt.datetime | None = None) -> list[Workshop]:
    """Upcoming workshops matching a code or the words of a title."""
    return match(upcoming(session, now=now, limit=200), text)


def by_code(session: Session, code: str | None) -> Workshop | None:
    return session.scalar(select(Workshop).where(Workshop.code == code)) if code else None


class RegistrationOutcome(enum.StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    ALREADY_REGISTERED = "already_registered"
    ALREADY_WAITLISTED = "already_waitlisted"
    CLOSED = "closed"  # registration deadline passed
    UNAVAILABLE = "unavailable"  # cancelled or already started
    CANCELLED = "cancelled"
    NOT_REGISTERED = "not_registered"


@dataclass(frozen=True)
class Result:
    outcome: RegistrationOutcome
    workshop: Workshop
    registration: Registration | None = None
    queue_position: int | None = None  # 1 = next in line
    promoted: Registration | None = None  # who got the freed seat (cancellation)


def queue_position(session: Session, registration: Registration) -> int | None:
    """Place in the waitlist as people see it: 1 = next to get a seat."""
    if (
        registration.status != RegistrationStatus.WAITLISTED
        or registration.waitlist_position is None
    ):
        return None
    ahead = session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.workshop_id == registration.workshop_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            Registration.waitlist_position < registration.waitlist_position,
        )
    )
    return (ahead or 0) + 1


def _take_seat(session: Session, workshop_id: int) -> bool:
    taken = session.execute(
        update(Workshop)
        .where(Workshop.id == workshop_id, Workshop.seats_taken < Workshop.capacity)
        .values(seats_taken=Workshop.seats_taken + 1)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def _free_seat(session: Session, workshop_id: int) -> None:
    session.execute(
        update(Workshop)
        .where(Workshop.id == workshop_id, Workshop.seats_taken > 0)
        .values(seats_taken=Workshop.seats_taken - 1)
    )


def _next_waitlist_number(session: Session, workshop_id: int) -> int:
    number = session.execute(
        update(Workshop)
        .where(Workshop.id == workshop_id)
        .values(waitlist_seq=Workshop.waitlist_seq + 1)
        .returning(Workshop.waitlist_seq)
    ).scalar_one()
    return int(number)


def _registration(session: Session, employee_id: int, workshop_id: int) -> Registration | None:
    return session.scalar(
        select(Registration).where(
            Registration.employee_id == employee_id, Registration.workshop_id == workshop_id
        )
    )


def _already(session: Session, workshop: Workshop, registration: Registration) -> Result:
    outcome = (
        RegistrationOutcome.ALREADY_REGISTERED
        if registration.status == RegistrationStatus.REGISTERED
        else RegistrationOutcome.ALREADY_WAITLISTED
    )
    return Result(outcome, workshop, registration, queue_position(session, registration))


def register(
    session: Session, employee_id: int, workshop_id: int, *, now: dt.datetime | None = None
) -> Result:
    """Give the employee a seat, or a waitlist place when full; never a second registration."""
    now = now or utcnow()
    workshop = session.get_one(Workshop, workshop_id)
    existing = _registration(session, employee_id, workshop_id)
    if existing is not None and existing.status in ACTIVE:
        return _already(session, workshop, existing)
    if workshop.is_cancelled or workshop.starts_at <= now:
        return Result(RegistrationOutcome.UNAVAILABLE, workshop)
    if workshop.registration_deadline < now:
        return Result(RegistrationOutcome.CLOSED, workshop)
    try:
        with session.begin_nested():  # a concurrent double tap loses here and undoes its seat
            seated = _take_seat(session, workshop_id)
            status = RegistrationStatus.REGISTERED if seated else RegistrationStatus.WAITLISTED
            position = None if seated else _next_waitlist_number(session, workshop_id)
            if existing is None:
                existing = Registration(
                    workshop_id=workshop_id, employee_id=employee_id, status=status
                )
                session.add(existing)
            existing.status = status
            existing.waitlist_position = position
            session.flush()
    except IntegrityError:
        # The same employee's concurrent request (a double tap) registered first.
        again = _registration(session, employee_id, workshop_id)
        if again is None:
            raise
        return _already(session, workshop, again)
    session.refresh(workshop)
    if status == RegistrationStatus.REGISTERED:
        return Result(RegistrationOutcome.REGISTERED, workshop, existing)
    return Result(
        RegistrationOutcome.WAITLISTED, workshop, existing, queue_position(session, existing)
    )


def cancel(
    session: Session, employee_id: int, workshop_id: int, *, now: dt.datetime | None = None
) -> Result:
    """Cancel a seat or waitlist place; a freed seat goes to the first in the waitlist."""
    now = now or utcnow()
    workshop = session.get_one(Workshop, workshop_id)
    registration = session.scalar(
        select(Registration)
        .where(Registration.employee_id == employee_id, Registration.workshop_id == workshop_id)
        .with_for_update()
    )
    if registration is None or registration.status not in ACTIVE:
        return Result(RegistrationOutcome.NOT_REGISTERED, workshop, registration)
    if workshop.starts_at <= now:
        return Result(RegistrationOutcome.UNAVAILABLE, workshop, registration)
    had_seat = registration.status == RegistrationStatus.REGISTERED
    registration.status = RegistrationStatus.CANCELLED
    registration.waitlist_position = None
    session.flush()
    promoted = None
    if had_seat:
        _free_seat(session, workshop_id)
        promoted = promote_waitlist(session, workshop)
    session.refresh(workshop)
    return Result(RegistrationOutcome.CANCELLED, workshop, registration, promoted=promoted)


def promote_waitlist(session: Session, workshop: Workshop) -> Registration | None:
    """Move the first waitlisted employee into a free seat and queue a message to them."""
    while True:
        first = session.scalar(
            select(Registration)
            .where(
                Registration.workshop_id == workshop.id,
                Registration.status == RegistrationStatus.WAITLISTED,
            )
            .order_by(Registration.waitlist_position)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if first is None or not _take_seat(session, workshop.id):
            return None
        moved = session.execute(
            update(Registration)
            .where(
                Registration.id == first.id, Registration.status == RegistrationStatus.WAITLISTED
            )
            .values(status=RegistrationStatus.REGISTERED, updated_at=utcnow())
        )
        if not moved.rowcount:  # type: ignore[attr-defined]
            _free_seat(session, workshop.id)  # someone else changed it; try the next one
            continue
        waitlist_number = first.waitlist_position
        session.refresh(first)
        _notify_promoted(session, first, workshop, waitlist_number)
        return first


def _notify_promoted(
    session: Session, registration: Registration, workshop: Workshop, number: int | None
) -> None:
    employee = session.get_one(Employee, registration.employee_id)
    if employee.telegram_chat_id is None:
        return  # not linked: they will see it under "pendaftaran saya"
    when = tanggal_jam(workshop.starts_at, employee.effective_timezone)
    enqueue(
        session,
        key=WAITLIST_PROMOTED(workshop.id, employee.id, number),
        kind="waitlist",
        chat_id=employee.telegram_chat_id,
        employee_id=employee.id,
        text=(
            f"Kabar baik, Bapak/Ibu {employee.name}! Ada kursi kosong dan Anda kini terdaftar "
            f"di workshop «{workshop.title}», {when}. Jika berhalangan, mohon batalkan agar "
            "kursinya bisa dipakai rekan lain."
        ),
    )


def my_registrations(
    session: Session, employee_id: int, *, now: dt.datetime | None = None
) -> list[Registration]:
    """The employee's seats and waitlist places in workshops that have not started."""
    query = (
        select(Registration)
        .join(Registration.workshop)
        .where(
            Registration.employee_id == employee_id,
            Registration.status.in_(ACTIVE),
            Workshop.starts_at > (now or utcnow()),
        )
        .order_by(Workshop.starts_at)
    )
    return list(session.scalars(query))


# --- Managed by HR (web console) --------------------------------------------------------------


class WorkshopError(ValueError):
    """Bad workshop input from HR; polite Indonesian."""


class WorkshopForbidden(PermissionError):
    """The officer may not manage this workshop (another unit's, or BKPSDM-wide)."""


# Who manages a workshop: its organiser unit's operators (and hr_admin); a BKPSDM-wide one
# (unit_id None) only hr_admin. A unit operator sees only their unit's workshops, with all of
# their registrants (employees of any unit may register for any workshop through the bot).


WIDE = "*"  # the organiser "unit" of a BKPSDM-wide workshop, in forms


def check_manages(officer: Officer, workshop: Workshop) -> None:
    if officer.is_admin:
        return
    if workshop.unit_id is None or workshop.unit_id != officer.unit_id:
        raise WorkshopForbidden(
            "Workshop ini bukan milik unit Bapak/Ibu; hanya petugas BKPSDM yang dapat "
            "membuka atau mengubahnya."
        )


def managed_one(
    session: Session, officer: Officer, workshop_id: int, *, for_update: bool = False
) -> Workshop:
    """A workshop the officer manages (WorkshopError if none, WorkshopForbidden if not theirs)."""
    workshop = session.get(Workshop, workshop_id, with_for_update=for_update)
    if workshop is None:
        raise WorkshopError("Workshop tidak ditemukan.")
    check_manages(officer, workshop)
    return workshop


def organiser_choices(session: Session, officer: Officer) -> list[tuple[str, str]]:
    """(unit code, label) an officer can pick as organiser; WIDE is BKPSDM-wide (hr_admin)."""
    if not officer.is_admin:
        return [(officer.unit_code or "", f"Unit {officer.unit_code}")]
    units = session.execute(select(Unit.code, Unit.name).order_by(Unit.name)).all()
    return [(WIDE, "BKPSDM (seluruh pemda)"), *((code, f"{code}: {name}") for code, name in units)]


def _organiser_id(session: Session, officer: Officer | None, organiser: str | None) -> int | None:
    if officer is not None and not officer.is_admin:
        return officer.unit_id  # an operator's workshops are always their unit's
    code = (organiser or "").strip()
    if code in ("", WIDE):
        return None
    unit_id = session.scalar(select(Unit.id).where(func.lower(Unit.code) == code.lower()))
    if unit_id is None:
        raise WorkshopError(f"Unit penyelenggara «{code}» tidak ditemukan.")
    return unit_id


def save(
    session: Session,
    *,
    actor: str,
    workshop_id: int | None,
    code: str,
    title: str,
    starts_at: str,
    hours: float,
    capacity: int,
    location: str,
    jp: int,
    timezone: str,
    now: dt.datetime,
    officer: Officer | None = None,
    organiser: str | None = None,
) -> Workshop:
    """Create a workshop or edit one; a capacity change frees seats for the waitlist (in order).

    With `officer` (the console), only a workshop they manage is edited; `organiser` is the
    organising unit's code ("" or WIDE for BKPSDM-wide; None on an edit keeps it); a unit operator's
    workshop is always their own unit's.

    `starts_at` is typed by HR as officers write times ("besok 08.00", "2/12/2026 08:00", ISO
    8601 ...; see services/sendtime.py), read in `timezone`; it must lie ahead.
    """
    try:  # the one parser of times HR types
        start = sendtime.parse_send_time(starts_at, timezone, now)
    except sendtime.SendTimeError as exc:
        raise WorkshopError(str(exc)) from None
    code, title = code.strip(), title.strip()
    if not code or not title:
        raise WorkshopError("Kode dan judul workshop wajib diisi.")
    if capacity < 1 or hours <= 0 or jp < 0:
        raise WorkshopError("Kapasitas minimal 1, durasi lebih dari 0 jam, JP tidak negatif.")
    if workshop_id is None and start <= now:
        raise WorkshopError("Waktu mulai sudah lewat; pilih waktu yang akan datang.")
    values = {
        "code": code,
        "title": title,
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=hours),
        "location": location.strip() or None,
        "jp": jp,
        "timezone": timezone,
        "registration_deadline": start - dt.timedelta(days=1),
    }
    existing = None
    if workshop_id is not None and officer is not None:
        existing = managed_one(session, officer, workshop_id)  # before anything is revealed
    if workshop_id is None or organiser is not None or (officer and not officer.is_admin):
        values["unit_id"] = _organiser_id(session, officer, organiser)
    clash = session.scalar(select(Workshop.id).where(Workshop.code == code))
    if clash is not None and clash != workshop_id:
        raise WorkshopError(f"Kode workshop «{code}» sudah dipakai.")
    if workshop_id is None:
        new = Workshop(capacity=capacity, **values)
        session.add(new)
        session.flush()
        details = {"code": code, "unit_id": new.unit_id}
        record(session, actor, "workshop.create", f"workshop:{new.id}", details)
        return new
    workshop = session.get(Workshop, workshop_id, with_for_update=True) or existing
    if workshop is None:
        raise WorkshopError("Workshop tidak ditemukan.")
    if capacity < workshop.seats_taken:
        raise WorkshopError(
            f"Kapasitas tidak boleh di bawah {workshop.seats_taken} kursi yang sudah terisi."
        )
    before = workshop.capacity
    for name, value in values.items():
        setattr(workshop, name, value)
    workshop.capacity = capacity
    session.flush()
    promoted = 0
    while capacity > before and promote_waitlist(session, workshop) is not None:
        promoted += 1
    record(
        session,
        actor,
        "workshop.edit",
        f"workshop:{workshop.id}",
        {"capacity": [before, capacity], "promoted": promoted},
    )
    session.refresh(workshop)
    return workshop


def cancel_workshop(session: Session, workshop_id: int, *, actor: str) -> int:
    """Cancel a workshop and tell every registrant (seat or waitlist) through the outbox."""
    workshop = session.get(Workshop, workshop_id, with_for_update=True)
    if workshop is None or workshop.is_cancelled:
        return 0
    workshop.is_cancelled = True
    people = session.execute(
        select(Employee)
        .join(Registration, Registration.employee_id == Employee.id)
        .where(Registration.workshop_id == workshop.id, Registration.status.in_(ACTIVE))
    ).scalars()
    told = 0
    for employee in people:
        if employee.telegram_chat_id is None:
            continue
        when = tanggal_jam(workshop.starts_at, employee.effective_timezone)
        told += enqueue(
            session,
            key=WORKSHOP_CANCELLED(workshop.id, employee.id),
            kind="workshop",
            chat_id=employee.telegram_chat_id,
            employee_id=employee.id,
            text=(
                f"Mohon maaf, Bapak/Ibu {employee.name}: workshop «{workshop.title}» ({when}) "
                "dibatalkan oleh BKPSDM. Pendaftaran Bapak/Ibu otomatis gugur."
            ),
        )
    session.flush()
    record(session, actor, "workshop.cancel", f"workshop:{workshop.id}", {"told": told})
    return told


@dataclass
class Registrant:
    name: str
    unit: str
    registration: Registration


def roster(session: Session, workshop_id: int) -> tuple[Workshop, list[Registrant]]:
    """A workshop with its registrants (and those who attended) and waitlist."""
    workshop = session.get(Workshop, workshop_id)
    if workshop is None:
        raise WorkshopError("Workshop tidak ditemukan.")
    rows = session.execute(
        select(Registration, Employee)
        .join(Employee, Employee.id == Registration.employee_id)
        .where(
            Registration.workshop_id == workshop_id,
            Registration.status.in_((*ACTIVE, RegistrationStatus.ATTENDED)),
        )
        .order_by(Registration.status, Registration.waitlist_position, Registration.id)
    ).tuples()
    return workshop, [Registrant(e.name, e.unit.code, r) for r, e in rows]


def managed(
    session: Session, now: dt.datetime, limit: int = 100, officer: Officer | None = None
) -> list[Workshop]:
    """Workshops HR manages: upcoming first, then the latest past ones; a unit operator's
    list holds only their unit's."""
    query = select(Workshop).where(Workshop.starts_at > now - dt.timedelta(days=30))
    if officer is not None and not officer.is_admin:
        query = query.where(Workshop.unit_id == officer.unit_id)
    return list(session.scalars(query.order_by(Workshop.starts_at).limit(limit)))


def organiser_codes(session: Session, items: list[Workshop]) -> dict[int, str]:
    """Unit code per organiser unit id of these workshops (for lists)."""
    ids = {w.unit_id for w in items if w.unit_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Unit.id, Unit.code).where(Unit.id.in_(ids))).tuples().all())
