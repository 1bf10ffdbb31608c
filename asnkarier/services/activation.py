"""One-time activation codes: HR issues them per employee; redeeming one links a Telegram account.

Only a SHA-256 of each code is stored. A Telegram user who enters too many wrong codes is locked
out for a while, so codes cannot be guessed; a NIP alone never links an account.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from asnkarier.models import ActivationCode, Employee, LinkAttempt, utcnow
from asnkarier.services.audit import record
from asnkarier.services.nip import mask_nip

# No 0/O, 1/I/L: codes are read off paper and typed on phones.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_code() -> str:
    """A random code such as 'K7P2MX9Q' (about 40 bits)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """Accept 'k7p2-mx9q', 'K7P2 MX9Q' etc."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def hash_code(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def pretty(code: str) -> str:
    """'K7P2MX9Q' -> 'K7P2-MX9Q' for printing."""
    return f"{code[:4]}-{code[4:]}"


def deep_link(bot_username: str, code: str) -> str:
    """t.me link that opens the bot with /start <code>."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}" if bot_username else ""


@dataclass(frozen=True)
class IssuedCode:
    employee: Employee
    code: str
    expires_at: dt.datetime


def issue_codes(
    session: Session, employees: list[Employee], *, ttl_days: int, actor: str
) -> list[IssuedCode]:
    """Issue a fresh code per employee; their earlier unused codes stop working."""
    now = utcnow()
    expires = now + dt.timedelta(days=ttl_days)
    ids = [e.id for e in employees]
    for start in range(0, len(ids), 500):
        session.execute(
            update(ActivationCode)
            .where(
                ActivationCode.employee_id.in_(ids[start : start + 500]),
                ActivationCode.used_at.is_(None),
                ActivationCode.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
    issued = []
    for employee in employees:
        code = new_code()
        session.add(
            ActivationCode(employee_id=employee.id, code_hash=hash_code(code), expires_at=expires)
        )
        issued.append(IssuedCode(employee, code, expires))
    session.flush()
    record(session, actor, "activation.issue", details={"codes": len(issued)})
    return issued


class LinkStatus(enum.StrEnum):
    LINKED = "linked"
    INVALID = "invalid"  # no such code (counts as a failed attempt)
    EXPIRED = "expired"  # the code existed but expired, was used or replaced
    LOCKED = "locked"  # too many failed attempts; try again after locked_until
    OTHER_EMPLOYEE = "other_employee"  # this Telegram account is linked to someone else


@dataclass(frozen=True)
class LinkResult:
    status: LinkStatus
    employee: Employee | None = None
    attempts_left: int | None = None
    locked_until: dt.datetime | None = None


def redeem(
    session: Session,
    *,
    telegram_user_id: int,
    chat_id: int,
    code: str,
    max_attempts: int,
    lock_minutes: int,
    now: dt.datetime | None = None,
) -> LinkResult:
    """Link the Telegram account to the code's employee, counting and locking failed attempts."""
    now = now or utcnow()
    attempt = session.scalar(
        select(LinkAttempt).where(LinkAttempt.telegram_user_id == telegram_user_id)
    )
    if attempt and attempt.locked_until and attempt.locked_until > now:
        return LinkResult(LinkStatus.LOCKED, locked_until=attempt.locked_until)

    row = session.scalar(select(ActivationCode).where(ActivationCode.code_hash == hash_code(code)))
    if row is None:
        if attempt is None:
            attempt = LinkAttempt(telegram_user_id=telegram_user_id, failed_count=0)
            session.add(attempt)
        if attempt.locked_until and attempt.locked_until <= now:
            attempt.failed_count, attempt.locked_until = 0, None
        attempt.failed_count += 1
        attempt.last_failed_at = now
        if attempt.failed_count >= max_attempts:
            attempt.locked_until = now + dt.timedelta(minutes=lock_minutes)
            attempt.failed_count = 0
            session.flush()
            return LinkResult(LinkStatus.LOCKED, locked_until=attempt.locked_until)
        session.flush()
        return LinkResult(LinkStatus.INVALID, attempts_left=max_attempts - attempt.failed_count)

    if row.used_at is not None or row.revoked_at is not None or row.expires_at <= now:
        return LinkResult(LinkStatus.EXPIRED)
    holder = session.scalar(select(Employee).where(Employee.telegram_user_id == telegram_user_id))
    if holder is not None and holder.id != row.employee_id:
        return LinkResult(LinkStatus.OTHER_EMPLOYEE, employee=holder)
    # Guarded UPDATE: of two concurrent redemptions of one code, only one wins.
    claimed = session.execute(
        update(ActivationCode)
        .where(ActivationCode.id == row.id, ActivationCode.used_at.is_(None))
        .values(used_at=now, used_by_telegram_user_id=telegram_user_id)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return LinkResult(LinkStatus.EXPIRED)
    # The chat may still be recorded on a previous holder (e.g. a shared phone): release it.
    session.execute(
        update(Employee)
        .where(Employee.telegram_chat_id == chat_id, Employee.id != row.employee_id)
        .values(telegram_chat_id=None, telegram_user_id=None, linked_at=None)
    )
    employee = session.get_one(Employee, row.employee_id)
    employee.telegram_user_id = telegram_user_id
    employee.telegram_chat_id = chat_id
    employee.linked_at = now
    employee.bot_blocked = False
    if attempt is not None:
        attempt.failed_count, attempt.locked_until = 0, None
    session.flush()
    record(session, f"telegram:{telegram_user_id}", "account.link", target=mask_nip(employee.nip))
    return LinkResult(LinkStatus.LINKED, employee=employee)


def unlink(session: Session, employee: Employee, *, actor: str) -> None:
    """Detach the Telegram account; the employee record itself stays."""
    employee.telegram_user_id = None
    employee.telegram_chat_id = None
    employee.linked_at = None
    session.flush()
    record(session, actor, "account.unlink", target=mask_nip(employee.nip))
