"""Check-in at a workshop: a token that changes every 30 seconds, a 6-digit code, attendance once.

While a workshop runs, the console shows a QR code of the deep link
`https://t.me/<bot>?start=hadir-<token>` and a 6-digit code for those who cannot scan; both change
every `WINDOW_SECONDS`. The token is `hadir-<workshop id>-<window>-<mac>` (workshop id and window
number in base 36, the mac 16 base64url characters of an HMAC-SHA256 with CHECKIN_SECRET over both),
at most ~35 characters of [A-Za-z0-9_-]: it fits Telegram's `start` parameter (64).

A token or code is accepted in its own window and the one after (so it lives 30 to 60 seconds;
a screen photo forwarded an hour later fails), plus `SKEW_SECONDS` of clock difference between
the console and the action server. The code names no workshop: it is looked up among the
workshops running now (a 6-digit HMAC per workshop and window). Guessing: each try has at most
2 * (running workshops) / 10^6 chance; the bot's flood guard limits tries per minute.

"Running" is from `OPENS_BEFORE` (30 minutes) before `starts_at` until `ends_at`: people arrive
early and sign the list before the opening; after the end, check-in is closed (HR can still mark
attendance in the console, which is not bound to the window).

Attendance is written once: a guarded UPDATE (`status = registered`) or, for a walk-in when the
workshop allows them, a new row (the unique (employee, workshop) pair stops a second one); only
the call that changed the row credits the workshop's JP (one `CompetencyHours` row with
`workshop_id`, source "workshop"; "workshop-walk-in" for a walk-in, which takes no seat). Forged,
malformed or unknown input never raises: it is an outcome.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import hmac
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from asnkarier.models import (
    CompetencyHours,
    Employee,
    Registration,
    RegistrationStatus,
    Workshop,
    utcnow,
)
from asnkarier.services.audit import record
from asnkarier.settings import Settings, get_settings

PREFIX = "hadir-"
WINDOW_SECONDS = 30
SKEW_SECONDS = 5
OPENS_BEFORE = dt.timedelta(minutes=30)
CODE_DIGITS = 6
_MAC_CHARS = 16
_TOKEN = re.compile(r"^hadir-([0-9a-z]{1,10})-([0-9a-z]{1,10})-([A-Za-z0-9_-]{16})$")
_CODE = re.compile(r"^\d{6}$")
SOURCE = "workshop"
SOURCE_WALK_IN = "workshop-walk-in"
VIAS = ("qr", "code", "console")


class Outcome(enum.StrEnum):
    ATTENDED = "attended"  # recorded now
    ALREADY = "already"  # attended before (registration.attended_at says when)
    EXPIRED = "expired"  # a genuine token of an older window
    INVALID = "invalid"  # forged, malformed, or a code matching no running workshop
    NOT_RUNNING = "not_running"  # before the opening or after the end
    NOT_REGISTERED = "not_registered"  # no seat (not registered, waitlisted, cancelled)
    CANCELLED = "cancelled"  # the workshop was cancelled
    UNAVAILABLE = "unavailable"  # CHECKIN_SECRET is not set: no token can be checked


@dataclass
class Result:
    outcome: Outcome
    workshop: Workshop | None = None
    registration: Registration | None = None
    walk_in: bool = False
    waitlisted: bool = False  # NOT_REGISTERED: the employee is on the waitlist


class CheckinError(ValueError):
    """A console action that cannot be done (the message names why, in Indonesian)."""


# --- tokens and codes -------------------------------------------------------------------------


def key_of(settings: Settings | None = None) -> bytes:
    """CHECKIN_SECRET as the HMAC key (b"" when unset: no token can be shown or checked)."""
    return (settings or get_settings()).checkin_key


def window_of(now: dt.datetime) -> int:
    return int(now.timestamp()) // WINDOW_SECONDS


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def _mac(key: bytes, purpose: str, workshop_id: int, window: int) -> bytes:
    if not key:
        raise ValueError("CHECKIN_SECRET is not set")
    message = f"{purpose}:{workshop_id}:{window}".encode()
    return hmac.new(key, message, hashlib.sha256).digest()


def _token_mac(key: bytes, workshop_id: int, window: int) -> str:
    raw = base64.urlsafe_b64encode(_mac(key, "qr", workshop_id, window)).decode()
    return raw[:_MAC_CHARS]


def token_for(key: bytes, workshop_id: int, window: int) -> str:
    """The deep-link `start` parameter (with the `hadir-` prefix) of a workshop and window."""
    return f"{PREFIX}{_b36(workshop_id)}-{_b36(window)}-{_token_mac(key, workshop_id, window)}"


def code_for(key: bytes, workshop_id: int, window: int) -> str:
    """The 6-digit code of a workshop and window."""
    number = int.from_bytes(_mac(key, "code", workshop_id, window)[:8], "big")
    return f"{number % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


@dataclass(frozen=True)
class Display:
    """What the projector shows now, and until when it is the newest."""

    token: str
    code: str
    window: int
    changes_at: dt.datetime


def display(key: bytes, workshop_id: int, now: dt.datetime) -> Display:
    window = window_of(now)
    changes_at = dt.datetime.fromtimestamp((window + 1) * WINDOW_SECONDS, dt.UTC)
    return Display(
        token_for(key, workshop_id, window), code_for(key, workshop_id, window), window, changes_at
    )


def deep_link(bot_username: str, token: str) -> str:
    """t.me link that opens the bot with `/start <token>` ("" without a bot username)."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={token}" if bot_username else ""


def _accepted(window: int, now: dt.datetime) -> bool:
    newest = window_of(now + dt.timedelta(seconds=SKEW_SECONDS))
    return window_of(now) - 1 <= window <= newest


def is_token(text: str) -> bool:
    """Whether `text` has the token's form (a `/start` parameter meant for check-in)."""
    return text.startswith(PREFIX)


def normalize_code(text: str) -> str:
    """'482 913' / '482-913' -> '482913' (digits only)."""
    return re.sub(r"[\s.-]", "", text or "")


def is_code(text: str) -> bool:
    return bool(_CODE.match(normalize_code(text)))


def running(session: Session, now: dt.datetime) -> list[Workshop]:
    """Workshops open for check-in now (not cancelled, from OPENS_BEFORE before start to end)."""
    return list(
        session.scalars(
            select(Workshop)
            .where(
                Workshop.is_cancelled.is_(False),
                Workshop.starts_at <= now + OPENS_BEFORE,
                Workshop.ends_at > now,
            )
            .order_by(Workshop.starts_at, Workshop.id)
        )
    )


def is_running(workshop: Workshop, now: dt.datetime) -> bool:
    return not workshop.is_cancelled and workshop.starts_at - OPENS_BEFORE <= now < workshop.ends_at


# --- attendance -------------------------------------------------------------------------------


def _registration(session: Session, employee_id: int, workshop_id: int) -> Registration | None:
    return session.scalar(
        select(Registration).where(
            Registration.employee_id == employee_id, Registration.workshop_id == workshop_id
        )
    )


def _credit(
    session: Session, workshop: Workshop, employee_id: int, now: dt.datetime, *, walk_in: bool
) -> None:
    """The workshop's JP for the year it took place; called only by the call that marked."""
    if workshop.jp <= 0:
        return
    day = workshop.starts_at.astimezone(_zone(workshop)).date()
    session.add(
        CompetencyHours(
            employee_id=employee_id,
            year=day.year,
            jp=workshop.jp,
            activity=workshop.title[:200],
            completed_on=day,
            training_id=workshop.training_id,
            workshop_id=workshop.id,
            source=SOURCE_WALK_IN if walk_in else SOURCE,
            created_at=now,
        )
    )


def _zone(workshop: Workshop) -> dt.tzinfo:
    try:
        return ZoneInfo(workshop.timezone or get_settings().default_timezone)
    except (KeyError, ValueError):
        return dt.UTC


def attend(
    session: Session, employee: Employee, workshop: Workshop, *, via: str, now: dt.datetime
) -> Result:
    """Record attendance once (registered, or a walk-in when allowed) and credit the JP once.

    Does not check windows or the running time (the console's hand marking uses it directly).
    """
    if via not in VIAS:
        raise ValueError(f"unknown check-in channel {via!r}")
    if workshop.is_cancelled:
        return Result(Outcome.CANCELLED, workshop)
    registration = _registration(session, employee.id, workshop.id)
    if registration is not None and registration.status == RegistrationStatus.ATTENDED:
        return Result(Outcome.ALREADY, workshop, registration)
    values = {
        "status": RegistrationStatus.ATTENDED,
        "attended_at": now,
        "attended_via": via,
        "waitlist_position": None,
    }
    if registration is not None and registration.status == RegistrationStatus.REGISTERED:
        changed = session.execute(
            update(Registration)
            .where(
                Registration.id == registration.id,
                Registration.status == RegistrationStatus.REGISTERED,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        session.refresh(registration)
        if not changed:  # someone else marked it between our read and the update
            return Result(Outcome.ALREADY, workshop, registration)
        _credit(session, workshop, employee.id, now, walk_in=False)
        session.flush()
        return Result(Outcome.ATTENDED, workshop, registration)
    # Not holding a seat: waitlisted, cancelled, or no row at all.
    if not workshop.allow_walk_in:
        waitlisted = (
            registration is not None and registration.status == RegistrationStatus.WAITLISTED
        )
        return Result(Outcome.NOT_REGISTERED, workshop, registration, waitlisted=waitlisted)
    if registration is not None:
        changed = session.execute(
            update(Registration)
            .where(
                Registration.id == registration.id,
                Registration.status == registration.status,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        session.refresh(registration)
        if not changed:
            return attend(session, employee, workshop, via=via, now=now)
    else:
        try:
            with session.begin_nested():
                registration = Registration(
                    workshop_id=workshop.id,
                    employee_id=employee.id,
                    status=RegistrationStatus.ATTENDED,
                    attended_at=now,
                    attended_via=via,
                )
                session.add(registration)
                session.flush()
        except IntegrityError:  # a concurrent check-in made the row first
            return attend(session, employee, workshop, via=via, now=now)
    _credit(session, workshop, employee.id, now, walk_in=True)
    session.flush()
    return Result(Outcome.ATTENDED, workshop, registration, walk_in=True)


def _workshop_of_token(
    session: Session, key: bytes, token: str, now: dt.datetime
) -> Result | Workshop:
    match = _TOKEN.match(token)
    if match is None:
        return Result(Outcome.INVALID)
    try:
        workshop_id, window = int(match[1], 36), int(match[2], 36)
    except ValueError:
        return Result(Outcome.INVALID)
    if not hmac.compare_digest(_token_mac(key, workshop_id, window), match[3]):
        return Result(Outcome.INVALID)
    workshop = session.get(Workshop, workshop_id)
    if workshop is None:  # signed by us for a workshop since deleted
        return Result(Outcome.INVALID)
    if workshop.is_cancelled:
        return Result(Outcome.CANCELLED, workshop)
    if not is_running(workshop, now):
        return Result(Outcome.NOT_RUNNING, workshop)
    if not _accepted(window, now):
        return Result(Outcome.EXPIRED, workshop)
    return workshop


def _workshop_of_code(
    session: Session, key: bytes, employee: Employee, code: str, now: dt.datetime
) -> Result | Workshop:
    newest = window_of(now + dt.timedelta(seconds=SKEW_SECONDS))
    windows = range(window_of(now) - 1, newest + 1)
    matches = [
        w
        for w in running(session, now)
        if any(hmac.compare_digest(code_for(key, w.id, n), code) for n in windows)
    ]
    if not matches:
        return Result(Outcome.INVALID)
    if len(matches) > 1:  # two running workshops sharing a code this window: 1 in 10^6
        own = {
            r.workshop_id
            for r in session.scalars(
                select(Registration).where(
                    Registration.employee_id == employee.id,
                    Registration.workshop_id.in_([w.id for w in matches]),
                )
            )
        }
        matches = [w for w in matches if w.id in own] or matches
    return matches[0]


def check_in(
    session: Session,
    employee: Employee,
    token_or_code: str,
    now: dt.datetime | None = None,
    *,
    key: bytes | None = None,
) -> Result:
    """Check the employee in with a deep-link token (`hadir-...`) or a 6-digit code; `key`
    defaults to CHECKIN_SECRET of the process's settings."""
    now = now or utcnow()
    key = key_of() if key is None else key
    if not key:
        return Result(Outcome.UNAVAILABLE)
    text = (token_or_code or "").strip()
    if is_token(text):
        found, via = _workshop_of_token(session, key, text, now), "qr"
    elif is_code(text):
        found, via = _workshop_of_code(session, key, employee, normalize_code(text), now), "code"
    else:
        return Result(Outcome.INVALID)
    if isinstance(found, Result):
        if found.outcome in (Outcome.NOT_RUNNING, Outcome.EXPIRED) and found.workshop:
            # A stale token of a workshop already attended still says so (a second scan).
            registration = _registration(session, employee.id, found.workshop.id)
            if registration is not None and registration.status == RegistrationStatus.ATTENDED:
                return Result(Outcome.ALREADY, found.workshop, registration)
        return found
    return attend(session, employee, found, via=via, now=now)


# --- the console ------------------------------------------------------------------------------


def mark_by_hand(
    session: Session,
    workshop_id: int,
    employee_id: int,
    *,
    actor: str,
    now: dt.datetime | None = None,
) -> Result:
    """HR marks a registrant (or, when walk-ins are allowed, anyone) as attended; audited."""
    now = now or utcnow()
    workshop = session.get(Workshop, workshop_id)
    employee = session.get(Employee, employee_id)
    if workshop is None or employee is None:
        raise CheckinError("Workshop atau pegawai tidak ditemukan.")
    result = attend(session, employee, workshop, via="console", now=now)
    if result.outcome == Outcome.ATTENDED:
        record(
            session,
            actor,
            "checkin.marked",
            f"workshop:{workshop.id}",
            {"employee_id": employee.id, "walk_in": result.walk_in},
        )
    return result


def unmark(session: Session, workshop_id: int, employee_id: int, *, actor: str) -> Registration:
    """Undo a mistaken attendance: back to registered (a walk-in: cancelled, it held no seat)
    and the workshop's JP row removed; audited."""
    registration = session.scalar(
        select(Registration)
        .where(Registration.workshop_id == workshop_id, Registration.employee_id == employee_id)
        .with_for_update()
    )
    if registration is None or registration.status != RegistrationStatus.ATTENDED:
        raise CheckinError("Pegawai ini belum tercatat hadir.")
    credited = session.scalar(
        select(CompetencyHours).where(
            CompetencyHours.employee_id == employee_id,
            CompetencyHours.workshop_id == workshop_id,
            CompetencyHours.source.in_((SOURCE, SOURCE_WALK_IN)),
        )
    )
    walk_in = credited is not None and credited.source == SOURCE_WALK_IN
    was = registration.attended_via
    registration.status = RegistrationStatus.CANCELLED if walk_in else RegistrationStatus.REGISTERED
    registration.attended_at = None
    registration.attended_via = None
    session.execute(
        delete(CompetencyHours).where(
            CompetencyHours.employee_id == employee_id,
            CompetencyHours.workshop_id == workshop_id,
            CompetencyHours.source.in_((SOURCE, SOURCE_WALK_IN)),
        )
    )
    record(
        session,
        actor,
        "checkin.unmarked",
        f"workshop:{workshop_id}",
        {"employee_id": employee_id, "was_via": was, "walk_in": walk_in},
    )
    session.flush()
    return registration


@dataclass
class SheetRow:
    name: str
    nip: str
    unit: str
    unit_id: int
    employee_id: int
    registration: Registration


def attendance(
    session: Session, workshop_id: int, *, unit_ids: set[int] | None = None
) -> tuple[Workshop, list[SheetRow]]:
    """A workshop's registrants and attendees (not waitlist or cancelled), by name; `unit_ids`
    limits it to those units (a unit operator's scope)."""
    workshop = session.get(Workshop, workshop_id)
    if workshop is None:
        raise CheckinError("Workshop tidak ditemukan.")
    query = (
        select(Registration, Employee)
        .join(Employee, Employee.id == Registration.employee_id)
        .where(
            Registration.workshop_id == workshop_id,
            Registration.status.in_((RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED)),
        )
        .order_by(Employee.name, Employee.id)
    )
    if unit_ids is not None:
        query = query.where(Employee.unit_id.in_(unit_ids))
    rows = [
        SheetRow(e.name, e.nip, e.unit.code, e.unit_id, e.id, r)
        for r, e in session.execute(query).tuples()
    ]
    return workshop, rows


def counts(rows: list[SheetRow]) -> tuple[int, int]:
    """(attended, expected) of a sheet: "hadir X dari Y"."""
    attended = sum(1 for r in rows if r.registration.status == RegistrationStatus.ATTENDED)
    return attended, len(rows)
