"""Pegawai in the web console: search within what the officer may see, an employee's page with
NIP and phone masked unless the officer asks (audited)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from asnkarier.models import Employee, Registration, Unit
from asnkarier.services import audit, training, workshops
from asnkarier.services.console_auth import Officer
from asnkarier.services.nip import mask_nip, mask_phone

PAGE_SIZE = 50


class EmployeeHidden(PermissionError):
    """The officer may not see this employee (another unit)."""


class UnknownEmployee(LookupError):
    """No employee has this id."""


@dataclass
class Row:
    id: int
    name: str
    nip: str  # masked
    unit: str
    position: str
    rank: str
    linked: bool


def search(
    session: Session, officer: Officer, *, text: str = "", unit: str = "", linked: str = ""
) -> list[Row]:
    """Up to PAGE_SIZE active employees by name or NIP, in the officer's scope, by name."""
    query = select(Employee).join(Unit, Unit.id == Employee.unit_id).where(Employee.is_active)
    if not officer.is_admin:
        query = query.where(Employee.unit_id == officer.unit_id)
    elif unit:
        query = query.where(Unit.code == unit)
    words = text.strip()
    if words:
        query = query.where(
            or_(func.lower(Employee.name).contains(words.lower()), Employee.nip == words)
        )
    if linked in ("ya", "tidak"):
        column = Employee.telegram_chat_id
        query = query.where(column.is_not(None) if linked == "ya" else column.is_(None))
    found = session.scalars(query.order_by(Employee.name).limit(PAGE_SIZE))
    return [
        Row(
            e.id,
            e.name,
            mask_nip(e.nip),
            e.unit.code,
            e.position_title,
            e.rank.code,
            e.telegram_chat_id is not None,
        )
        for e in found
    ]


@dataclass
class Profile:
    employee: Employee
    nip: str
    phone: str
    revealed: bool
    jp: training.HoursSummary
    registrations: list[Registration]


def profile(
    session: Session, officer: Officer, employee_id: int, now: dt.datetime, *, reveal: bool = False
) -> Profile:
    """The employee's page; `reveal` shows NIP and phone in full and is audited."""
    employee = session.get(Employee, employee_id)
    if employee is None:
        raise UnknownEmployee(f"Pegawai #{employee_id} tidak ditemukan.")
    if not officer.sees_unit(employee.unit_id):
        raise EmployeeHidden("Pegawai ini bukan dari unit Bapak/Ibu.")
    phone = employee.phone or ""
    if reveal:
        audit.record(
            session,
            officer.actor,
            "employee.reveal",
            mask_nip(employee.nip),
            {"fields": ["nip", "phone"]},
        )
    return Profile(
        employee,
        employee.nip if reveal else mask_nip(employee.nip),
        (phone if reveal else mask_phone(phone)) if phone else "-",
        reveal,
        training.hours(session, employee.id, now.year),
        workshops.my_registrations(session, employee.id, now=now),
    )


def unit_codes(session: Session, officer: Officer) -> list[str]:
    query = select(Unit.code).order_by(Unit.code)
    if not officer.is_admin:
        query = query.where(Unit.id == officer.unit_id)
    return list(session.scalars(query))
