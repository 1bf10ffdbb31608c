"""Outbox keys: the string form and the SQL form are the same key, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from asnkarier.models import Employee
from asnkarier.services import outbox, outbox_keys
from asnkarier.services.outbox_keys import BROADCAST, REMINDER, WAITLIST_PROMOTED, KeyShape
from tests.factories import make_employee

SHAPES = [
    (REMINDER, ("appraisal", 12, "d7")),
    (REMINDER, ("jp", 2031, "q4")),
    (BROADCAST, (7,)),
    (WAITLIST_PROMOTED, (3, 2)),
]


@pytest.mark.parametrize(("shape", "others"), SHAPES, ids=lambda v: getattr(v, "template", ""))
def test_sql_form_equals_string_form(session: Session, shape: KeyShape, others: tuple) -> None:
    people = [make_employee(session) for _ in range(3)]
    at = shape.fields.index("employee_id")

    def values(employee: object) -> list[object]:
        rest = list(others)
        return [*rest[:at], employee, *rest[at:]]

    query = (
        select(Employee.id, shape.sql(*values(Employee.id)))
        .where(Employee.id.in_([p.id for p in people]))
        .order_by(Employee.id)
    )
    rows = session.execute(query).all()
    assert [key for _, key in rows] == [shape(*values(eid)) for eid, _ in rows]
    assert len({key for _, key in rows}) == 3


def test_reminder_prefix_selects_one_subject_and_employee(session: Session) -> None:
    me, other = make_employee(session, chat_id=8_100_000_001), make_employee(session)
    for who, object_id in ((me, 5), (me, 55), (other, 5)):
        for step in ("d7", "d3"):
            outbox.enqueue(
                session,
                key=REMINDER("appraisal", object_id, who.id, step),
                kind="reminder",
                chat_id=8_100_000_001,
                text="uji",
            )
    withdrawn = outbox.withdraw(session, REMINDER.prefix("appraisal", 5, me.id), "dismissed")
    assert withdrawn == 2  # neither subject 55 (a longer id) nor the other employee


def test_wrong_number_of_values_is_refused() -> None:
    with pytest.raises(ValueError, match="employee_id"):
        BROADCAST(1)
    with pytest.raises(ValueError, match="takes"):
        REMINDER.prefix("a", 1, 2, "d7", "extra")
    assert outbox_keys.HANDOFF_CLOSED(9) == "handoff:9:closed"
    assert outbox_keys.HANDOFF_REPLY(9, 501) == "handoff:9:reply:501"
