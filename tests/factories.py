"""Small builders for test data (employees, workshops) on top of the seeded content."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select
from sqlalchemy.orm import Session

from asnkarier.models import Employee, PositionKind, Rank, Unit, Workshop, utcnow

_serial = itertools.count(1)


def make_employee(
    session: Session,
    *,
    rank: str = "III/a",
    unit_code: str | None = None,
    chat_id: int | None = None,
    **values: object,
) -> Employee:
    """A valid employee with a unique NIP; keyword values override any column."""
    n = next(_serial)
    unit = session.scalar(select(Unit).where(Unit.code == unit_code) if unit_code else select(Unit))
    rank_row = session.scalar(select(Rank).where(Rank.code == rank))
    assert unit is not None
    assert rank_row is not None
    fields: dict[str, object] = {
        # 18 digits whatever the serial: birth date, TMT year and month (which carries the
        # thousands), sex digit, three-digit sequence.
        "nip": f"199001012015{1 + (n // 1000) % 12:02d}{1 + n % 2}{n % 1000:03d}",
        "name": f"Pegawai Uji {n}",
        "sex": "L",
        "birth_date": dt.date(1990, 1, 1),
        "unit_id": unit.id,
        "position_title": "Pengolah Data",
        "position_kind": PositionKind.PELAKSANA,
        "rank_id": rank_row.id,
        "telegram_user_id": chat_id,
        "telegram_chat_id": chat_id,
    }
    fields.update(values)
    employee = Employee(**fields)
    session.add(employee)
    session.flush()
    return employee


def make_workshop(
    session: Session, *, capacity: int = 2, days: int = 10, **values: object
) -> Workshop:
    """A workshop `days` ahead whose registration is open."""
    n = next(_serial)
    start = utcnow().replace(microsecond=0) + dt.timedelta(days=days)
    fields: dict[str, object] = {
        "code": f"ws-test-{n}",
        "title": f"Workshop Uji {n}",
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=3),
        "registration_deadline": start - dt.timedelta(days=1),
        "capacity": capacity,
        "location": "Aula",
        "jp": 3,
    }
    fields.update(values)
    workshop = Workshop(**fields)
    session.add(workshop)
    session.flush()
    return workshop
