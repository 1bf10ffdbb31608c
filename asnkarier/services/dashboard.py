"""Beranda of the web console: reach, JP compliance, workshops, broadcasts, tickets, unanswered
questions, each as a few grouped queries (scoped to one unit for a unit operator)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import (
    Broadcast,
    CompetencyHours,
    Employee,
    HandoffTicket,
    OutboxMessage,
    OutboxStatus,
    TicketStatus,
    UnansweredMessage,
    Unit,
    Workshop,
)
from asnkarier.services.console_auth import Officer
from asnkarier.services.training import REQUIRED_JP


@dataclass
class UnitRow:
    code: str
    employees: int
    linked: int
    jp_met: int  # employees with at least REQUIRED_JP this year

    @property
    def linked_share(self) -> float:
        return self.linked / self.employees if self.employees else 0.0

    @property
    def jp_share(self) -> float:
        return self.jp_met / self.employees if self.employees else 0.0


@dataclass
class WorkshopRow:
    code: str
    title: str
    starts_at: dt.datetime
    capacity: int
    taken: int

    @property
    def fill(self) -> float:
        return min(1.0, self.taken / self.capacity) if self.capacity else 0.0


@dataclass
class Overview:
    units: list[UnitRow] = field(default_factory=list)
    workshops: list[WorkshopRow] = field(default_factory=list)
    broadcasts: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0
    open_tickets: int = 0
    unanswered: int = 0
    required_jp: int = REQUIRED_JP

    @property
    def employees(self) -> int:
        return sum(u.employees for u in self.units)

    @property
    def linked(self) -> int:
        return sum(u.linked for u in self.units)


def overview(session: Session, officer: Officer, now: dt.datetime) -> Overview:
    result = Overview()
    earned = (
        select(CompetencyHours.employee_id, func.sum(CompetencyHours.jp).label("jp"))
        .where(CompetencyHours.year == now.year)
        .group_by(CompetencyHours.employee_id)
        .subquery()
    )
    per_unit = (
        select(
            Unit.code,
            func.count(Employee.id),
            func.count(Employee.telegram_chat_id),
            func.sum(case((func.coalesce(earned.c.jp, 0) >= REQUIRED_JP, 1), else_=0)),
        )
        .join(Employee, Employee.unit_id == Unit.id)
        .outerjoin(earned, earned.c.employee_id == Employee.id)
        .where(Employee.is_active.is_(True))
        .group_by(Unit.code)
        .order_by(Unit.code)
    )
    if not officer.is_admin:
        per_unit = per_unit.where(Unit.id == officer.unit_id)
    result.units = [
        UnitRow(c, int(n), int(linked), int(met or 0))
        for c, n, linked, met in session.execute(per_unit)
    ]
    upcoming = (
        select(
            Workshop.code,
            Workshop.title,
            Workshop.starts_at,
            Workshop.capacity,
            Workshop.seats_taken,
        )
        .where(Workshop.starts_at > now, Workshop.is_cancelled.is_(False))
        .order_by(Workshop.starts_at)
        .limit(8)
    )
    result.workshops = [WorkshopRow(*row) for row in session.execute(upcoming)]
    since = now - dt.timedelta(days=30)
    recent = select(Broadcast.id).where(Broadcast.created_at >= since)
    if not officer.is_admin:
        recent = recent.where(
            Broadcast.created_by_id.in_(
                select(Employee.id).where(Employee.unit_id == officer.unit_id)
            )
        )
    result.broadcasts = int(
        session.scalar(select(func.count()).select_from(recent.subquery())) or 0
    )
    delivery = (
        select(OutboxMessage.status, func.count(), func.count(OutboxMessage.read_at))
        .where(OutboxMessage.broadcast_id.in_(recent))
        .group_by(OutboxMessage.status)
    )
    for status, count, read in session.execute(delivery):
        result.read += int(read)
        if status == OutboxStatus.SENT:
            result.delivered += int(count)
        elif status == OutboxStatus.FAILED:
            result.failed += int(count)
    result.open_tickets = int(
        session.scalar(select(func.count()).where(HandoffTicket.status == TicketStatus.OPEN)) or 0
    )
    result.unanswered = int(
        session.scalar(select(func.count()).where(UnansweredMessage.created_at >= since)) or 0
    )
    return result


def database_ok(sessions: sessionmaker[Session]) -> bool:
    """Whether the database answers (the console's /health)."""
    try:
        with sessions() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True
