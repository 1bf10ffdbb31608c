"""Employee look-ups and HR role management."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from asnkarier.models import Employee, Role, Unit
from asnkarier.services.audit import record
from asnkarier.services.nip import mask_nip


class EmployeeNotFound(LookupError):
    """No employee has this NIP."""


def by_nip(session: Session, nip: str) -> Employee:
    employee = session.scalar(select(Employee).where(Employee.nip == nip.strip()))
    if employee is None:
        raise EmployeeNotFound(f"tidak ada pegawai dengan NIP {mask_nip(nip.strip())}")
    return employee


NEUTRAL = "Bapak/Ibu"


def honorific(employee: Employee | None) -> str:
    """'Bapak' or 'Ibu' from the roster's sex ('L'/'P'), else the NIP's sex digit (the 15th:
    1 male, 2 female); 'Bapak/Ibu' when unknown or not linked."""
    if employee is None:
        return NEUTRAL
    sex = (employee.sex or "").strip().upper()
    if sex not in ("L", "P"):
        digit = employee.nip[14:15] if employee.nip and len(employee.nip) == 18 else ""
        sex = {"1": "L", "2": "P"}.get(digit, "")
    return {"L": "Bapak", "P": "Ibu"}.get(sex, NEUTRAL)


_FRONT_TITLES = {"dr.", "drs.", "dra.", "ir.", "h.", "hj.", "prof.", "dr", "drs", "ir", "hj"}


def given_name(full_name: str) -> str:
    """The name a person is addressed by: the first word before the degrees after the comma,
    without front titles ("dr. Siti Rahma, M.Kes." -> "Siti"); "" for an empty name."""
    words = [w for w in full_name.split(",")[0].split() if w.lower() not in _FRONT_TITLES]
    return words[0].strip(".,") if words else ""


def by_telegram_user(session: Session, telegram_user_id: int) -> Employee | None:
    return session.scalar(select(Employee).where(Employee.telegram_user_id == telegram_user_id))


def in_unit(session: Session, unit: str) -> list[Employee]:
    """Active employees of a unit given by code or exact name (case-insensitive)."""
    u = unit.strip().lower()
    query = (
        select(Employee)
        .join(Employee.unit)
        .where(Employee.is_active, (func.lower(Unit.code) == u) | (func.lower(Unit.name) == u))
        .order_by(Employee.name)
    )
    return list(session.scalars(query))


def all_active(session: Session) -> list[Employee]:
    return list(session.scalars(select(Employee).where(Employee.is_active).order_by(Employee.name)))


def reachable() -> ColumnElement[bool]:
    """Employees the bot can message: active, linked to Telegram, bot not blocked."""
    return (
        Employee.is_active.is_(True)
        & Employee.telegram_chat_id.is_not(None)
        & Employee.bot_blocked.is_(False)
    )


def hr_officer_chats(session: Session) -> list[int]:
    """Private chats of active HR officers linked to Telegram (they get the HR commands menu)."""
    query = select(Employee.telegram_chat_id).where(Employee.role == Role.HR_ADMIN, reachable())
    return [int(chat) for chat in session.scalars(query) if chat is not None]


def set_role(session: Session, nip: str, role: Role, *, actor: str) -> tuple[Employee, bool]:
    """Grant or revoke HR admin rights; returns the employee and whether anything changed."""
    employee = by_nip(session, nip)
    if employee.role == role:
        return employee, False
    employee.role = role
    session.flush()
    record(session, actor, f"role.{role.value}", target=mask_nip(employee.nip))
    return employee, True


def set_reminders(session: Session, employee: Employee, enabled: bool) -> bool:
    """Turn the employee's reminders on or off; True when that changed anything."""
    if employee.reminders_enabled == enabled:
        return False
    employee.reminders_enabled = enabled
    session.flush()
    return True


def mark_chat_blocked(session: Session, chat_id: int) -> bool:
    """Telegram answered 403 for this chat: stop sending to it until the user writes again."""
    employee = session.scalar(select(Employee).where(Employee.telegram_chat_id == chat_id))
    if employee is None or employee.bot_blocked:
        return False
    employee.bot_blocked = True
    session.flush()
    return True


def mark_chat_active(session: Session, telegram_user_id: int) -> None:
    """The user wrote to the bot: they have not blocked it (any more)."""
    employee = by_telegram_user(session, telegram_user_id)
    if employee is not None and employee.bot_blocked:
        employee.bot_blocked = False
        session.flush()
