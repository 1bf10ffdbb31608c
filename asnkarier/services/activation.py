"""One-time activation codes: HR issues them per employee; redeeming one links a Telegram account.

Only a SHA-256 of each code is stored; a NIP alone never links an account. Codes cannot be
guessed: every entry is counted before it is looked at, per sender, per code and over everyone,
each with one atomic UPDATE, and a scope that reached its limit is locked for a while. Entries
beyond a limit are refused unseen, so even many at once from one sender (they queue on the
sender's row) get at most the limit evaluated.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import Session

from asnkarier.db import insert_ignore
from asnkarier.models import ActivationCode, Employee, LinkAttempt, utcnow
from asnkarier.services.audit import record
from asnkarier.services.nip import mask_nip
from asnkarier.settings import Settings

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


@dataclass(frozen=True)
class LinkLimits:
    """Code entries allowed within `lock_minutes` before a lock of `lock_minutes`: per sender
    (LINK_MAX_ATTEMPTS), per code value (LINK_CODE_MAX_ATTEMPTS), over everyone
    (LINK_GLOBAL_MAX_ATTEMPTS, against guessing from many sender ids)."""

    per_sender: int
    per_code: int
    overall: int
    lock_minutes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkLimits:
        return cls(
            per_sender=settings.link_max_attempts,
            per_code=settings.link_code_max_attempts,
            overall=settings.link_global_max_attempts,
            lock_minutes=settings.link_lock_minutes,
        )


@dataclass(frozen=True)
class _Count:
    scope: str
    limit: int
    attempts: int
    locked_until: dt.datetime | None


def _count(
    session: Session, scope: str, limit: int, window: dt.timedelta, now: dt.datetime
) -> _Count:
    """Count one entry under `scope` atomically: a single UPDATE ... RETURNING on its row (made
    first if missing, without ever failing on a concurrent insert). The row stays locked until
    the transaction ends, so concurrent entries of one scope are counted one after another. A
    passed lock or window starts the count afresh."""
    insert_ignore(
        session,
        LinkAttempt,
        {"scope": scope, "attempts": 0, "window_started_at": now, "locked_until": None},
        ["scope"],
    )
    row = LinkAttempt.__table__.c
    stale = or_(
        and_(row.locked_until.is_not(None), row.locked_until <= now),
        and_(row.locked_until.is_(None), row.window_started_at <= now - window),
    )
    attempts, locked_until = session.execute(
        update(LinkAttempt)
        .where(LinkAttempt.scope == scope)
        .values(
            attempts=case((stale, 1), else_=row.attempts + 1),
            window_started_at=case((stale, now), else_=row.window_started_at),
            locked_until=case((stale, None), else_=row.locked_until),
        )
        .returning(LinkAttempt.attempts, LinkAttempt.locked_until)
        .execution_options(synchronize_session=False)
    ).one()
    return _Count(scope, limit, attempts, locked_until)


def _lock(session: Session, scope: str, until: dt.datetime) -> None:
    session.execute(
        update(LinkAttempt)
        .where(LinkAttempt.scope == scope, LinkAttempt.locked_until.is_(None))
        .values(locked_until=until)
        .execution_options(synchronize_session=False)
    )


def _count_entry(
    session: Session, telegram_user_id: int, code: str, limits: LinkLimits, now: dt.datetime
) -> tuple[list[_Count], LinkResult | None]:
    """Count the entry in every scope (always in this order, so transactions never deadlock);
    a LOCKED result when any scope is locked or over its limit (the code is then not looked at)."""
    window = dt.timedelta(minutes=limits.lock_minutes)
    counts = [
        _count(session, "all", limits.overall, window, now),
        _count(session, f"code:{hash_code(code)}", limits.per_code, window, now),
        _count(session, f"sender:{telegram_user_id}", limits.per_sender, window, now),
    ]
    locks = [c.locked_until for c in counts if c.locked_until and c.locked_until > now]
    if locks:
        return counts, LinkResult(LinkStatus.LOCKED, locked_until=max(locks))
    over = [c for c in counts if c.attempts > c.limit]
    if over:
        until = now + window
        for c in over:
            _lock(session, c.scope, until)
        return counts, LinkResult(LinkStatus.LOCKED, locked_until=until)
    return counts, None


def _failed(
    session: Session, counts: list[_Count], status: LinkStatus, limits: LinkLimits, now: dt.datetime
) -> LinkResult:
    """The entry failed: lock every scope that has reached its limit."""
    full = [c for c in counts if c.attempts >= c.limit]
    if full:
        until = now + dt.timedelta(minutes=limits.lock_minutes)
        for c in full:
            _lock(session, c.scope, until)
        return LinkResult(LinkStatus.LOCKED, locked_until=until)
    if status == LinkStatus.INVALID:
        sender = counts[-1]
        return LinkResult(status, attempts_left=sender.limit - sender.attempts)
    return LinkResult(status)


def _succeeded(session: Session, counts: list[_Count]) -> None:
    """A linked account: the sender starts afresh, the other scopes forget this entry."""
    *shared, sender = counts
    session.execute(
        update(LinkAttempt)
        .where(LinkAttempt.scope == sender.scope)
        .values(attempts=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(LinkAttempt)
        .where(LinkAttempt.scope.in_([c.scope for c in shared]), LinkAttempt.attempts > 0)
        .values(attempts=LinkAttempt.attempts - 1)
        .execution_options(synchronize_session=False)
    )


def redeem(
    session: Session,
    *,
    telegram_user_id: int,
    chat_id: int,
    code: str,
    limits: LinkLimits,
    now: dt.datetime | None = None,
) -> LinkResult:
    """Link the Telegram account to the code's employee, counting every entry and locking a
    sender, a code or everyone after too many (see the module docstring)."""
    now = now or utcnow()
    counts, refused = _count_entry(session, telegram_user_id, code, limits, now)
    if refused is not None:
        return refused

    row = session.scalar(select(ActivationCode).where(ActivationCode.code_hash == hash_code(code)))
    if row is None:
        return _failed(session, counts, LinkStatus.INVALID, limits, now)
    if row.used_at is not None or row.revoked_at is not None or row.expires_at <= now:
        return _failed(session, counts, LinkStatus.EXPIRED, limits, now)
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
        return _failed(session, counts, LinkStatus.EXPIRED, limits, now)
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
    _succeeded(session, counts)
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
