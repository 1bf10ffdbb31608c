"""Reminder rules with controlled time: each kind, WIB/WITA/WIT, downtime policy, idempotency."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.orm import Session

from asnkarier.models import (
    AppraisalEvent,
    CareerLevel,
    CompetencyHours,
    Employee,
    OutboxMessage,
    OutboxStatus,
    PromotionPeriod,
    Rank,
    Registration,
    RegistrationStatus,
    ReminderScan,
    Workshop,
)
from asnkarier.services import outbox, promotion, reminders
from asnkarier.services.reminders import Rules
from tests.factories import make_employee, make_workshop

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
ZONES = {WIB: 7, WITA: 8, WIT: 9}
_chat = iter(range(7_100_000_000, 7_200_000_000))


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def eight_local(day: dt.date, tz: str) -> dt.datetime:
    """08:00 local on `day`, computed from the fixed UTC offset (independent of the code)."""
    return dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC) - dt.timedelta(hours=ZONES[tz])


def person(session: Session, tz: str | None = WIB, **values: object) -> Employee:
    return make_employee(session, chat_id=next(_chat), timezone=tz, **values)


@dataclass(frozen=True)
class Queued:
    """One reminder as the scan puts it in the outbox."""

    key: str
    employee_id: int
    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None


def planned(
    session: Session, now: dt.datetime, since: dt.datetime, rules: Rules | None = None
) -> list[Queued]:
    """What a scan of (since, now] enqueues, by the scheduler's own path (`due_slots`, then
    `enqueue`'s INSERT ... SELECT), in a savepoint rolled back afterwards."""
    savepoint = session.begin_nested()
    try:
        last = session.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0)))
        reminders.enqueue(session, reminders.due_slots(session, now, since, rules).due, now)
        rows = session.execute(
            select(
                OutboxMessage.idempotency_key,
                OutboxMessage.employee_id,
                OutboxMessage.chat_id,
                OutboxMessage.text,
                OutboxMessage.reply_markup,
            )
            .where(OutboxMessage.id > last)
            .order_by(OutboxMessage.id)
        )
        return [Queued(*row) for row in rows]
    finally:
        savepoint.rollback()


def keys(plan: list[Queued], *people: Employee) -> set[str]:
    ids = {p.id for p in people}
    return {r.key for r in plan if r.employee_id in ids}


def appraisal_event(session: Session, deadline: dt.date) -> AppraisalEvent:
    event = AppraisalEvent(
        code=f"uji-{deadline}",
        template_code="uji",
        name="Evaluasi kinerja periodik uji",
        kind="evaluasi_periodik",
        deadline=deadline,
        covers_year=deadline.year,
    )
    session.add(event)
    session.flush()
    return event


def around(
    session: Session, moment: dt.datetime, rules: Rules | None = None
) -> tuple[list[Queued], list[Queued]]:
    """What a scan ending just before `moment` enqueues, and one ending exactly at it."""
    since = moment - dt.timedelta(minutes=5)
    before = planned(session, moment - dt.timedelta(seconds=1), since, rules)
    at = planned(session, moment, since, rules)
    return before, at


DEADLINE = dt.date(2031, 3, 20)


@pytest.mark.parametrize("tz", [WIB, WITA, WIT])
def test_appraisal_reminders_at_eight_local_time_for_each_offset(session: Session, tz: str) -> None:
    event = appraisal_event(session, DEADLINE)
    me = person(session, tz)
    others = [person(session, z) for z in ZONES if z != tz]
    for days in (7, 3, 1):
        moment = eight_local(DEADLINE - dt.timedelta(days=days), tz)
        before, at = around(session, moment)
        assert keys(before, me, *others) == set()
        assert keys(at, me, *others) == {f"reminder:appraisal:{event.id}:{me.id}:d{days}"}
    [reminder] = [r for r in at if r.employee_id == me.id]
    assert reminder.chat_id == me.telegram_chat_id
    assert "besok" in reminder.text
    assert "Jumat, 20 Maret 2031" not in reminder.text  # 20 March 2031 is a Thursday
    assert "Kamis, 20 Maret 2031" in reminder.text
    markup = reminder.reply_markup
    assert markup is not None
    [[url], [done]] = markup["inline_keyboard"]
    assert url == {"text": "Buka e-Kinerja", "url": "https://kinerja.bkn.go.id"}
    assert done["text"] == "Sudah selesai"
    assert len(done["callback_data"].encode()) <= 64
    assert reminders.subject_of(done["callback_data"]) == f"appraisal:{event.id}"


def test_appraisal_offsets_come_from_the_rules(session: Session) -> None:
    event = appraisal_event(session, DEADLINE)
    me = person(session, WIB)
    rules = Rules(appraisal_days=(5,))
    _, at = around(session, eight_local(DEADLINE - dt.timedelta(days=5), WIB), rules)
    assert keys(at, me) == {f"reminder:appraisal:{event.id}:{me.id}:d5"}
    _, default_day = around(session, eight_local(DEADLINE - dt.timedelta(days=7), WIB), rules)
    assert keys(default_day, me) == set()


def workshop_at(session: Session, start: dt.datetime, hours: int = 2) -> Workshop:
    """A workshop starting at `start` (UTC) whose registration closed days before."""
    return make_workshop(
        session,
        capacity=10,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=hours),
        registration_deadline=start - dt.timedelta(days=2),
    )


def register(session: Session, workshop: Workshop, *people: Employee, status: str) -> None:
    for p in people:
        session.add(
            Registration(
                workshop_id=workshop.id, employee_id=p.id, status=RegistrationStatus(status)
            )
        )
    session.flush()


def test_workshop_reminders_the_day_before_at_eight_and_two_hours_before(session: Session) -> None:
    start = utc(2031, 3, 20, 2, 0)  # 09.00 WIB, 10.00 WITA, 11.00 WIT
    workshop = workshop_at(session, start, hours=3)
    attendees = {tz: person(session, tz) for tz in ZONES}
    waiting = person(session, WIB)
    stranger = person(session, WIB)
    register(session, workshop, *attendees.values(), status="registered")
    register(session, workshop, waiting, status="waitlisted")
    everyone = [*attendees.values(), waiting, stranger]
    for tz, me in attendees.items():
        before, at = around(session, eight_local(dt.date(2031, 3, 19), tz))
        assert keys(before, *everyone) == set()
        assert keys(at, *everyone) == {f"reminder:workshop:{workshop.id}:{me.id}:d1"}
    [day_before] = [r for r in at if r.employee_id == attendees[WIT].id]
    assert "besok" in day_before.text
    assert "pukul 11.00 WIT" in day_before.text
    before, at = around(session, start - dt.timedelta(hours=2))
    assert keys(before, *everyone) == set()
    assert keys(at, *everyone) == {
        f"reminder:workshop:{workshop.id}:{p.id}:h2" for p in attendees.values()
    }
    texts = {r.employee_id: r.text for r in at}
    assert "dimulai hari ini pukul 10.00 WITA" in texts[attendees[WITA].id]

    workshop.is_cancelled = True
    session.flush()
    _, at = around(session, start - dt.timedelta(hours=2))
    assert keys(at, *everyone) == set()


def _period(session: Session) -> PromotionPeriod:
    period = PromotionPeriod(
        period_date=dt.date(2031, 10, 1),
        proposal_opens=dt.date(2031, 8, 1),
        proposal_closes=dt.date(2031, 8, 28),
    )
    session.add(period)
    session.flush()
    return period


@pytest.mark.parametrize("tz", [WIB, WITA, WIT])
def test_promotion_window_opening_and_closing_for_eligible_employees(
    session: Session, tz: str
) -> None:
    period = _period(session)
    exactly = person(session, tz, rank="III/a", rank_tmt=dt.date(2027, 10, 1))  # 4 years on 1 Oct
    a_day_short = person(session, tz, rank="III/a", rank_tmt=dt.date(2027, 10, 2))
    no_tmt = person(session, tz, rank="III/a", rank_tmt=None)
    top = person(session, tz, rank="IV/e", rank_tmt=dt.date(2010, 1, 1))
    everyone = [exactly, a_day_short, no_tmt, top]

    _, opened = around(session, eight_local(dt.date(2031, 8, 1), tz))
    assert keys(opened, *everyone) == {f"reminder:promotion:{period.id}:{exactly.id}:open"}
    before, closing = around(session, eight_local(dt.date(2031, 8, 25), tz))
    assert keys(before, *everyone) == set()
    assert keys(closing, *everyone) == {f"reminder:promotion:{period.id}:{exactly.id}:close3"}
    [reminder] = [r for r in closing if r.employee_id == exactly.id]
    assert "28 Agustus 2031 (3 hari lagi)" in reminder.text


def test_promotion_sql_rule_agrees_with_eligibility(session: Session) -> None:
    period = _period(session)
    capped_level = session.scalar(
        select(CareerLevel).where(CareerLevel.max_rank_id.is_not(None)).limit(1)
    )
    assert capped_level is not None
    cap = session.get(Rank, capped_level.max_rank_id)
    assert cap is not None
    people = [
        person(session, rank="III/a", rank_tmt=dt.date(2027, 10, 1)),
        person(session, rank="III/a", rank_tmt=dt.date(2027, 10, 2)),
        person(session, rank="II/c", rank_tmt=dt.date(2020, 2, 29)),
        person(session, rank="III/b", rank_tmt=None),
        person(session, rank="IV/e", rank_tmt=dt.date(2001, 1, 1)),
        person(
            session,
            rank=cap.code,
            rank_tmt=dt.date(2015, 1, 1),
            ladder_id=capped_level.ladder_id,
            level_id=capped_level.id,
        ),
    ]
    condition = promotion.eligible_for_period(session, period)
    in_sql = set(
        session.scalars(
            select(Employee.id).where(condition, Employee.id.in_([p.id for p in people]))
        )
    )
    today = dt.date(2031, 8, 1)
    by_rule = {p.id for p in people if promotion.eligibility(session, p, today).eligible_now}
    assert in_sql == by_rule
    assert in_sql == {people[0].id, people[2].id}


@pytest.mark.parametrize("tz", [WIB, WITA, WIT])
def test_q4_nudge_for_employees_under_20_jp(session: Session, tz: str) -> None:
    short, done = person(session, tz), person(session, tz)
    for p, jp in ((short, 19), (done, 20)):
        session.add(
            CompetencyHours(
                employee_id=p.id, year=2031, jp=jp, activity="x", completed_on=dt.date(2031, 5, 1)
            )
        )
    session.flush()
    assert reminders.first_working_day(2031, 10) == dt.date(2031, 10, 1)  # a Wednesday
    assert reminders.first_working_day(2033, 10) == dt.date(2033, 10, 3)  # 1 Oct is a Saturday
    before, at = around(session, eight_local(dt.date(2031, 10, 1), tz))
    assert keys(before, short, done) == set()
    assert keys(at, short, done) == {f"reminder:jp:2031:{short.id}:q4"}


def test_only_linked_active_employees_with_reminders_on(session: Session) -> None:
    event = appraisal_event(session, DEADLINE)
    fine = person(session)
    off = person(session, reminders_enabled=False)
    inactive = person(session, is_active=False)
    blocked = person(session, bot_blocked=True)
    unlinked = make_employee(session, timezone=WIB)
    unit_zone = person(session, tz=None)  # falls back to the unit's zone (WIB in data/units.yml)
    _, at = around(session, eight_local(DEADLINE - dt.timedelta(days=3), WIB))
    assert keys(at, fine, off, inactive, blocked, unlinked, unit_zone) == {
        f"reminder:appraisal:{event.id}:{fine.id}:d3",
        f"reminder:appraisal:{event.id}:{unit_zone.id}:d3",
    }


def test_sudah_selesai_stops_reminders_for_that_deadline_only(session: Session) -> None:
    event = appraisal_event(session, DEADLINE)
    other = appraisal_event(session, DEADLINE + dt.timedelta(days=3))
    me, colleague = person(session), person(session)
    subject = reminders.subject_of(reminders.done_data(f"appraisal:{event.id}"))
    assert subject == f"appraisal:{event.id}"
    assert reminders.dismiss(session, me.id, subject) is True
    assert reminders.dismiss(session, me.id, subject) is False  # pressing twice is harmless
    _, at = around(session, eight_local(DEADLINE - dt.timedelta(days=3), WIB))
    assert keys(at, me, colleague) == {f"reminder:appraisal:{event.id}:{colleague.id}:d3"}
    _, at = around(session, eight_local(DEADLINE, WIB))  # other's d3 falls on DEADLINE
    assert f"reminder:appraisal:{other.id}:{me.id}:d3" in keys(at, me)


def test_sudah_selesai_withdraws_a_queued_reminder_of_that_deadline(session: Session) -> None:
    event = appraisal_event(session, DEADLINE)
    me, colleague = person(session), person(session)
    moment = eight_local(DEADLINE - dt.timedelta(days=3), WIB)
    assert (
        reminders.enqueue(
            session,
            reminders.due_slots(session, moment, moment - dt.timedelta(minutes=5)).due,
            moment,
        )
        == 2
    )
    assert reminders.dismiss(session, me.id, f"appraisal:{event.id}") is True
    rows = {
        row.employee_id: row
        for row in session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key.like(f"reminder:appraisal:{event.id}:%")
            )
        )
    }
    assert rows[me.id].status == OutboxStatus.FAILED
    assert rows[me.id].failure_reason == "dismissed"
    assert rows[colleague.id].status == OutboxStatus.PENDING


@pytest.mark.parametrize(
    "data",
    [
        "rem:done:workshop:1",
        "rem:done:appraisal:",
        "rem:done:appraisal:1x",
        "rem:done:appraisal:1:2",
        "/rem:done:appraisal:1",
        "rem:done:appraisal:" + "9" * 40,
        "",
    ],
)
def test_forged_done_data_is_refused(data: str) -> None:
    assert reminders.subject_of(data) is None


def _set_watermark(session: Session, moment: dt.datetime) -> None:
    state = session.get(ReminderScan, reminders.SCAN_NAME)
    if state is None:
        session.add(ReminderScan(name=reminders.SCAN_NAME, scanned_until=moment))
    else:
        state.scanned_until = moment
    session.flush()


def _outbox(session: Session, *people: Employee) -> list[OutboxMessage]:
    ids = [p.id for p in people]
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.employee_id.in_(ids))
            .order_by(OutboxMessage.idempotency_key)
        )
    )


def test_downtime_missed_reminders_are_sent_once_late_while_the_deadline_is_ahead(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    event = appraisal_event(session, DEADLINE)
    people = [person(session, tz) for tz in ZONES]
    _set_watermark(session, utc(2031, 3, 10))  # last scan before the d7 reminders
    back = utc(2031, 3, 18, 6)  # down over d7 and d3, back before d1
    with caplog.at_level(logging.INFO, logger="asnkarier.services.reminders"):
        result = reminders.scan(session, back)
    assert result.since == utc(2031, 3, 10)
    rows = _outbox(session, *people)
    assert [r.idempotency_key for r in rows] == sorted(
        f"reminder:appraisal:{event.id}:{p.id}:d3" for p in people
    )
    assert all(r.not_before == back and r.kind == "reminder" for r in rows)
    assert {r.chat_id for r in rows} == {p.telegram_chat_id for p in people}
    assert all(r.employee_id is not None and r.status == "pending" for r in rows)
    [[url], [done]] = rows[0].reply_markup["inline_keyboard"]  # type: ignore[index]
    assert url["url"] == reminders.EKINERJA_URL
    assert done["callback_data"] == f"rem:done:appraisal:{event.id}"
    assert all("2 hari lagi" in r.text for r in rows)  # the text counts from the late moment
    assert "superseded by d3" in caplog.text
    assert "sent late" in caplog.text
    # The d1 reminder still comes on time.
    reminders.scan(session, eight_local(DEADLINE - dt.timedelta(days=1), WIT))
    assert {r.idempotency_key for r in _outbox(session, *people)} >= {
        f"reminder:appraisal:{event.id}:{people[2].id}:d1"
    }
    assert session.get(ReminderScan, reminders.SCAN_NAME).scanned_until == eight_local(  # type: ignore[union-attr]
        DEADLINE - dt.timedelta(days=1), WIT
    )


def test_downtime_past_the_deadline_drops_with_a_logged_reason(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    event = appraisal_event(session, DEADLINE)
    start = utc(2031, 3, 25, 2)
    workshop = workshop_at(session, start)
    me = person(session, WITA)
    register(session, workshop, me, status="registered")
    _set_watermark(session, utc(2031, 3, 18, 12))  # after d3, before d1 of the appraisal
    with caplog.at_level(logging.WARNING, logger="asnkarier.services.reminders"):
        result = reminders.scan(session, utc(2031, 3, 26))  # back after both deadlines
    assert _outbox(session, me) == []
    dropped = {
        (d.slot.subject, d.slot.step, d.reason) for d in result.plan.dropped if d.slot.tz == WITA
    }
    assert (f"appraisal:{event.id}", "d1", "deadline passed before it could be sent") in dropped
    assert (f"workshop:{workshop.id}", "h2", "deadline passed before it could be sent") in dropped
    assert f"appraisal:{event.id} d1 (Asia/Makassar" in caplog.text
    assert "deadline passed" in caplog.text


def test_late_workshop_reminder_collapses_to_the_last_one(session: Session) -> None:
    start = utc(2031, 3, 20, 2)
    workshop = workshop_at(session, start)
    me = person(session, WIB)
    register(session, workshop, me, status="registered")
    plan = planned(session, start - dt.timedelta(minutes=30), utc(2031, 3, 18))
    assert keys(plan, me) == {f"reminder:workshop:{workshop.id}:{me.id}:h2"}


def test_rescans_never_duplicate(session: Session) -> None:
    event = appraisal_event(session, DEADLINE)
    people = [person(session, tz) for tz in ZONES]
    moment = eight_local(DEADLINE - dt.timedelta(days=7), WIB)
    _set_watermark(session, moment - dt.timedelta(days=1))
    first = reminders.scan(session, moment)
    mine = {r.idempotency_key for r in _outbox(session, *people)}
    assert len(mine) == 3  # WITA and WIT came earlier the same UTC hour and day
    assert first.enqueued >= 3
    assert reminders.scan(session, moment).enqueued == 0  # nothing new since the watermark
    _set_watermark(session, moment - dt.timedelta(days=1))  # e.g. a crash before the commit
    again = reminders.scan(session, moment)
    assert {slot.step for slot in again.plan.due if slot.object_id == event.id} == {"d7"}
    assert again.enqueued == 0
    assert {r.idempotency_key for r in _outbox(session, *people)} == mine
    assert mine == {f"reminder:appraisal:{event.id}:{p.id}:d7" for p in people}


def test_first_scan_looks_back_one_day(session: Session) -> None:
    state = session.get(ReminderScan, reminders.SCAN_NAME)
    if state is not None:
        session.delete(state)
        session.flush()
    appraisal_event(session, DEADLINE)
    me = person(session)
    moment = eight_local(DEADLINE - dt.timedelta(days=3), WIB)
    result = reminders.scan(session, moment + dt.timedelta(hours=23))
    assert result.since == moment - dt.timedelta(hours=1)
    assert len(_outbox(session, me)) == 1


def test_downtime_policy_for_promotion_windows_and_the_q4_nudge(session: Session) -> None:
    period = _period(session)
    me = person(session, WITA, rank="III/a", rank_tmt=dt.date(2027, 10, 1))  # eligible, 0 JP
    _set_watermark(session, utc(2031, 7, 30))
    reminders.scan(session, utc(2031, 8, 26, 3))  # down over "open" (1 Aug) and "close3" (25 Aug)
    assert [r.idempotency_key for r in _outbox(session, me)] == [
        f"reminder:promotion:{period.id}:{me.id}:close3"
    ]
    _set_watermark(session, utc(2031, 9, 30))
    reminders.scan(session, utc(2031, 10, 6))  # down over the first working day of October
    assert f"reminder:jp:2031:{me.id}:q4" in {r.idempotency_key for r in _outbox(session, me)}

    late = person(session, WIT)
    _set_watermark(session, utc(2031, 9, 30))
    result = reminders.scan(session, utc(2032, 1, 2))  # back only after 31 December
    assert [r.idempotency_key for r in _outbox(session, late)] == []
    assert any(
        d.slot.subject == "jp:2031" and d.slot.tz == WIT and "deadline passed" in d.reason
        for d in result.plan.dropped
    )


def test_set_based_enqueue_skips_existing_keys_and_keeps_a_missing_markup_null(
    session: Session,
) -> None:
    people = [person(session) for _ in range(3)]
    ids = [p.id for p in people]
    recipients = select(
        literal("uji:") + cast(Employee.id, String), Employee.id, Employee.telegram_chat_id
    ).where(Employee.id.in_(ids))
    moment = utc(2031, 1, 1)
    args = {"kind": "reminder", "text": "Halo", "reply_markup": None, "not_before": moment}
    assert outbox.enqueue_from(session, recipients, **args) == 3  # type: ignore[arg-type]
    assert outbox.enqueue_from(session, recipients, **args) == 0  # type: ignore[arg-type]
    rows = _outbox(session, *people)
    assert [(r.idempotency_key, r.chat_id, r.text) for r in rows] == [
        (f"uji:{p.id}", p.telegram_chat_id, "Halo")
        for p in sorted(people, key=lambda p: f"uji:{p.id}")
    ]
    assert all(r.reply_markup is None and r.not_before == moment for r in rows)
    nulls = session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.employee_id.in_(ids), OutboxMessage.reply_markup.is_(None))
    )
    assert nulls == 3  # SQL NULL, not the JSON text 'null'
