"""Linking employees to Telegram, per unit, for the console: who has linked and who has not,
fresh activation codes (a printable sheet, a CSV, one employee), and lifting a wrong-code lock.

Codes are stored hashed (asnkarier.services.activation), so a code can be shown only when it is
issued: every sheet issues new codes and the earlier unused ones stop working, as with
`asnbot activation issue`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from asnkarier.models import ActivationCode, Employee, LinkAttempt, Unit, utcnow
from asnkarier.services import activation
from asnkarier.services.audit import record
from asnkarier.services.console_auth import Officer
from asnkarier.services.nip import mask_nip


class UnitHidden(PermissionError):
    """The officer may not act on this unit (another unit's operator)."""


class UnknownUnit(LookupError):
    """No unit has this code."""


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    nip: str  # masked
    linked: bool
    linked_at: dt.datetime | None
    code_expires_at: dt.datetime | None  # the live unused code, if any
    locked_until: dt.datetime | None  # a wrong-code lock that concerns this employee


@dataclass(frozen=True)
class UnitStatus:
    unit: Unit
    members: list[Member]

    @property
    def linked(self) -> int:
        return sum(m.linked for m in self.members)

    @property
    def not_linked(self) -> int:
        return len(self.members) - self.linked


@dataclass(frozen=True)
class Card:
    """One not-yet-linked employee's printed code."""

    employee_id: int
    name: str
    nip: str  # masked
    unit: str
    code: str  # pretty, e.g. K7P2-MX9Q
    link: str  # t.me deep link ("" without a bot username)
    expires_at: dt.datetime


def visible_unit(session: Session, officer: Officer, code: str) -> Unit:
    """The unit with this code, if the officer may act on it (an operator: only their own)."""
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise UnknownUnit(f"Unit {code!r} tidak ditemukan.")
    if not officer.sees_unit(unit.id):
        raise UnitHidden("Unit ini bukan unit Bapak/Ibu.")
    return unit


def visible_employee(session: Session, officer: Officer, employee_id: int) -> Employee:
    employee = session.get(Employee, employee_id)
    if employee is None:
        raise UnknownUnit(f"Pegawai #{employee_id} tidak ditemukan.")
    if not officer.sees_unit(employee.unit_id):
        raise UnitHidden("Pegawai ini bukan dari unit Bapak/Ibu.")
    return employee


def _scopes(session: Session, employee: Employee) -> list[str]:
    """The attempt counters that concern this employee: every code of theirs (by hash) and the
    Telegram accounts known to be theirs (linked now, or that redeemed one of their codes)."""
    codes = session.execute(
        select(ActivationCode.code_hash, ActivationCode.used_by_telegram_user_id).where(
            ActivationCode.employee_id == employee.id
        )
    ).all()
    senders = {user for _, user in codes if user is not None}
    if employee.telegram_user_id is not None:
        senders.add(employee.telegram_user_id)
    return [f"code:{h}" for h, _ in codes] + [f"sender:{u}" for u in sorted(senders)]


def _locks(session: Session, scopes: list[str], now: dt.datetime) -> dict[str, dt.datetime]:
    found: dict[str, dt.datetime] = {}
    for start in range(0, len(scopes), 500):
        rows = session.execute(
            select(LinkAttempt.scope, LinkAttempt.locked_until).where(
                LinkAttempt.scope.in_(scopes[start : start + 500]),
                LinkAttempt.locked_until > now,
            )
        )
        found.update((scope, until) for scope, until in rows if until is not None)
    return found


def unit_status(session: Session, unit: Unit, now: dt.datetime | None = None) -> UnitStatus:
    """Active employees of the unit by name, linked or not, with their live code and lock."""
    now = now or utcnow()
    employees = list(
        session.scalars(
            select(Employee)
            .where(Employee.unit_id == unit.id, Employee.is_active)
            .order_by(Employee.name, Employee.id)
        )
    )
    ids = [e.id for e in employees]
    live: dict[int, dt.datetime] = {}
    scopes: dict[int, list[str]] = {e.id: [] for e in employees}
    for start in range(0, len(ids), 500):
        for code in session.scalars(
            select(ActivationCode).where(ActivationCode.employee_id.in_(ids[start : start + 500]))
        ):
            scopes[code.employee_id].append(f"code:{code.code_hash}")
            if code.used_by_telegram_user_id is not None:
                scopes[code.employee_id].append(f"sender:{code.used_by_telegram_user_id}")
            if code.used_at is None and code.revoked_at is None and code.expires_at > now:
                live[code.employee_id] = max(code.expires_at, live.get(code.employee_id, now))
    for e in employees:
        if e.telegram_user_id is not None:
            scopes[e.id].append(f"sender:{e.telegram_user_id}")
    locks = _locks(session, [s for group in scopes.values() for s in group], now)
    members = [
        Member(
            id=e.id,
            name=e.name,
            nip=mask_nip(e.nip),
            linked=e.telegram_chat_id is not None,
            linked_at=e.linked_at,
            code_expires_at=live.get(e.id),
            locked_until=max((locks[s] for s in scopes[e.id] if s in locks), default=None),
        )
        for e in employees
    ]
    return UnitStatus(unit, members)


def _cards(issued: list[activation.IssuedCode], bot_username: str) -> list[Card]:
    return [
        Card(
            employee_id=item.employee.id,
            name=item.employee.name,
            nip=mask_nip(item.employee.nip),
            unit=item.employee.unit.name,
            code=activation.pretty(item.code),
            link=activation.deep_link(bot_username, item.code),
            expires_at=item.expires_at,
        )
        for item in issued
    ]


def issue_sheet(
    session: Session, unit: Unit, *, ttl_days: int, bot_username: str, actor: str
) -> list[Card]:
    """New codes for every active, not-yet-linked employee of the unit (earlier codes stop)."""
    targets = list(
        session.scalars(
            select(Employee)
            .where(
                Employee.unit_id == unit.id,
                Employee.is_active,
                Employee.telegram_chat_id.is_(None),
            )
            .order_by(Employee.name, Employee.id)
        )
    )
    if not targets:
        return []
    issued = activation.issue_codes(session, targets, ttl_days=ttl_days, actor=actor)
    record(session, actor, "activation.sheet", unit.code, {"codes": len(issued)})
    return _cards(issued, bot_username)


def reissue(
    session: Session, employee: Employee, *, ttl_days: int, bot_username: str, actor: str
) -> Card:
    """A new code for one employee (their earlier unused code stops working)."""
    issued = activation.issue_codes(session, [employee], ttl_days=ttl_days, actor=actor)
    record(session, actor, "activation.reissue", mask_nip(employee.nip))
    return _cards(issued, bot_username)[0]


def lift_lock(
    session: Session, employee: Employee, *, actor: str, now: dt.datetime | None = None
) -> int:
    """End the wrong-code locks that concern this employee (their codes and known Telegram
    accounts) and start their counts afresh; how many counters were reset. Audited."""
    now = now or utcnow()
    scopes = _scopes(session, employee)
    lifted = 0
    for start in range(0, len(scopes), 500):
        result = session.execute(
            update(LinkAttempt)
            .where(
                LinkAttempt.scope.in_(scopes[start : start + 500]),
                or_(LinkAttempt.locked_until.is_not(None), LinkAttempt.attempts > 0),
            )
            .values(attempts=0, locked_until=None, window_started_at=now)
            .execution_options(synchronize_session=False)
        )
        lifted += result.rowcount  # type: ignore[attr-defined]
    record(session, actor, "activation.unlock", mask_nip(employee.nip), {"counters": lifted})
    return lifted
