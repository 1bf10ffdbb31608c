"""Sign-in to the web console: who may enter (roles from the DB) and one-time sign-in links.

A link carries a random token; only its SHA-256 is stored. It is valid WEB_LOGIN_LINK_MINUTES,
works once (an atomic UPDATE claims it) and an officer gets at most WEB_LOGIN_LINKS_PER_HOUR.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from asnkarier.models import ConsoleLoginLink, Employee, Role, Unit, UnitOperator
from asnkarier.services.audit import record
from asnkarier.services.employees import by_nip
from asnkarier.services.nip import mask_nip

HR_ADMIN = "hr_admin"
UNIT_OPERATOR = "unit_operator"
LOGIN_PATH = "/masuk"


class ConsoleAuthError(ValueError):
    """Sign-in refused; the message is polite Indonesian for the officer."""


@dataclass(frozen=True)
class Officer:
    """Who is signed in and what they may see: everything (hr_admin) or one unit."""

    employee_id: int
    name: str
    role: str
    unit_id: int | None = None
    unit_code: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == HR_ADMIN

    @property
    def actor(self) -> str:
        """This officer in the audit log."""
        return f"web:{self.employee_id}:{self.name}"

    def sees_unit(self, unit_id: int | None) -> bool:
        return self.is_admin or (unit_id is not None and unit_id == self.unit_id)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def officer(session: Session, employee_id: int) -> Officer | None:
    """The console role of this employee from the DB, or None when they may not sign in."""
    employee = session.get(Employee, employee_id)
    if employee is None or not employee.is_active:
        return None
    if employee.role == Role.HR_ADMIN:
        return Officer(employee.id, employee.name, HR_ADMIN)
    grant = session.execute(
        select(UnitOperator.unit_id, Unit.code)
        .join(Unit, Unit.id == UnitOperator.unit_id)
        .where(UnitOperator.employee_id == employee.id)
    ).first()
    if grant is None:
        return None
    return Officer(employee.id, employee.name, UNIT_OPERATOR, grant[0], grant[1])


def grant_unit_operator(
    session: Session, nip: str, unit: str, *, actor: str
) -> tuple[Employee, str, bool]:
    """Make an employee the operator of one unit (code or name); (employee, unit code, changed)."""
    employee = by_nip(session, nip)
    wanted = unit.strip().lower()
    found = session.scalar(
        select(Unit).where((func.lower(Unit.code) == wanted) | (func.lower(Unit.name) == wanted))
    )
    if found is None:
        raise ConsoleAuthError(f"Unit kerja «{unit}» tidak ditemukan (pakai kode atau nama).")
    grant = session.get(UnitOperator, employee.id)
    if grant is not None and grant.unit_id == found.id:
        return employee, found.code, False
    if grant is None:
        session.add(UnitOperator(employee_id=employee.id, unit_id=found.id))
    else:
        grant.unit_id = found.id
    session.flush()
    record(
        session,
        actor,
        "role.unit_operator",
        target=mask_nip(employee.nip),
        details={"unit": found.code},
    )
    return employee, found.code, True


def revoke_unit_operator(session: Session, employee: Employee, *, actor: str) -> bool:
    grant = session.get(UnitOperator, employee.id)
    if grant is None:
        return False
    session.delete(grant)
    session.flush()
    record(session, actor, "role.unit_operator.revoke", target=mask_nip(employee.nip))
    return True


def issue_link(
    session: Session,
    employee_id: int,
    now: dt.datetime,
    *,
    valid_minutes: int,
    per_hour: int,
    via: str,
) -> str:
    """A new one-time sign-in token for this officer; refuses non-officers and too many links."""
    if officer(session, employee_id) is None:
        raise ConsoleAuthError(
            "Maaf, konsol hanya untuk petugas BKPSDM dan pengelola kepegawaian unit."
        )
    # Lock the employee row so two requests at once cannot both pass the count.
    session.execute(select(Employee.id).where(Employee.id == employee_id).with_for_update())
    recent = session.scalar(
        select(func.count())
        .select_from(ConsoleLoginLink)
        .where(
            ConsoleLoginLink.employee_id == employee_id,
            ConsoleLoginLink.created_at > now - dt.timedelta(hours=1),
        )
    )
    if int(recent or 0) >= per_hour:
        raise ConsoleAuthError(
            f"Bapak/Ibu sudah meminta {per_hour} tautan masuk dalam satu jam terakhir. "
            "Silakan coba lagi nanti atau pakai tautan yang terakhir."
        )
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleLoginLink(
            token_hash=hash_token(token),
            employee_id=employee_id,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=valid_minutes),
        )
    )
    session.flush()
    record(session, f"{via}:{employee_id}", "console.login_link", target=str(employee_id))
    return token


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{LOGIN_PATH}/{token}"


def redeem_link(session: Session, token: str, now: dt.datetime) -> Officer:
    """Use a sign-in token once; the officer it was issued to, or ConsoleAuthError."""
    refused = ConsoleAuthError(
        "Tautan masuk ini tidak berlaku (sudah dipakai atau kedaluwarsa). "
        "Kirim /konsol ke bot untuk meminta tautan baru."
    )
    if not token or len(token) > 100:
        raise refused
    digest = hash_token(token)
    claimed = session.execute(
        update(ConsoleLoginLink)
        .where(
            ConsoleLoginLink.token_hash == digest,
            ConsoleLoginLink.used_at.is_(None),
            ConsoleLoginLink.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        raise refused
    employee_id = session.scalar(
        select(ConsoleLoginLink.employee_id).where(ConsoleLoginLink.token_hash == digest)
    )
    who = officer(session, int(employee_id)) if employee_id is not None else None
    if who is None:  # rights revoked since the link was sent
        raise refused
    record(session, who.actor, "console.sign_in")
    return who
