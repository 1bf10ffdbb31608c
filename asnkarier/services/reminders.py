"""Reminder rules: which reminders are due at a moment and for whom, and enqueueing them.

Each reminder belongs to a *slot*: one moment for one subject (an appraisal deadline, a workshop,
a promotion-proposal window, the yearly JP duty) in one time zone, mostly at 08:00 local time.
A scan covers the slots whose moment fell in (since, now]; `scan` keeps `since` in the database,
so the first scan after downtime sees every slot missed meanwhile. Downtime policy: a missed
slot is sent once, late, if its deadline is still ahead (only the latest missed slot of a
subject, so three missed reminders become one message); otherwise it is dropped with a logged
reason. Outbox keys (`outbox_keys.REMINDER`) name kind, object, employee and step, so a re-scan
never sends twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Select, distinct, func, select, true
from sqlalchemy.orm import Session

from asnkarier.db import insert_ignore
from asnkarier.models import (
    AppraisalEvent,
    Employee,
    PromotionPeriod,
    Registration,
    RegistrationStatus,
    ReminderDismissal,
    ReminderScan,
    Unit,
    Workshop,
)
from asnkarier.services import employees, outbox, promotion, training
from asnkarier.services.appraisal import EKINERJA_URL
from asnkarier.services.formatting import jam, local, sisa_hari, tanggal, tanggal_jam, today_in
from asnkarier.services.outbox_keys import REMINDER
from asnkarier.settings import Settings

logger = logging.getLogger(__name__)

APPRAISAL = "appraisal"
WORKSHOP = "workshop"
PROMOTION = "promotion"
JP = "jp"
DONE_PREFIX = "rem:done:"
# Subjects with a deadline the employee acts on; a workshop or the JP nudge has nothing to finish.
DISMISSABLE = (APPRAISAL, PROMOTION)
_DONE_DATA = re.compile(rf"^{DONE_PREFIX}({'|'.join(DISMISSABLE)}):(\d{{1,12}})$")
SCAN_NAME = "reminders"
# A brand-new installation looks this far back on its first scan (today's 08:00 slots).
FIRST_SCAN_LOOKBACK = dt.timedelta(days=1)
# Only for the log: a slot sent more than this after its moment is reported as late.
LATE_AFTER = dt.timedelta(minutes=30)
# The Q4 nudge goes out on the first working day (Monday-Friday) of this month: a full quarter
# is left to earn the missing JP before 31 December.
JP_NUDGE_MONTH = 10


@dataclass(frozen=True)
class Rules:
    """The tunable part of the rules (from Settings)."""

    local_hour: int = 8
    appraisal_days: tuple[int, ...] = (7, 3, 1)
    workshop_hours_before: int = 2
    promotion_close_days: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(
            local_hour=settings.reminder_local_hour,
            appraisal_days=settings.appraisal_reminder_days,
        )


@dataclass(frozen=True, eq=False)
class Slot:
    """One reminder moment for one subject in one time zone, with its text and buttons."""

    kind: str
    object_id: int
    step: str  # d7, d3, d1 (days before), h2 (hours before), open, close3, q4
    tz: str
    send_at: dt.datetime
    deadline: dt.datetime  # from then on the reminder is pointless
    text: str
    reply_markup: dict[str, Any] | None
    who: ColumnElement[bool] = field(repr=False)  # which employees it concerns (SQL condition)

    @property
    def subject(self) -> str:
        return f"{self.kind}:{self.object_id}"


@dataclass(frozen=True)
class Dropped:
    slot: Slot
    reason: str


@dataclass(frozen=True)
class ScanResult:
    since: dt.datetime
    until: dt.datetime
    plan: SlotPlan
    enqueued: int


def at_local(day: dt.date, hour: int, tz: str) -> dt.datetime:
    """`hour`:00 on `day` in the zone, as UTC."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(tz)).astimezone(dt.UTC)


def end_of_day(day: dt.date, tz: str) -> dt.datetime:
    """Midnight after `day` in the zone, as UTC: a deadline date is still good all day."""
    return at_local(day + dt.timedelta(days=1), 0, tz)


def _markup(*rows: dict[str, str]) -> dict[str, Any]:
    return {"inline_keyboard": [[row] for row in rows]}


def done_data(subject: str) -> str:
    """callback_data of the "Sudah selesai" button (at most 64 bytes by construction)."""
    return DONE_PREFIX + subject


def subject_of(data: str) -> str | None:
    """The subject a "Sudah selesai" button names, or None when the data is not a valid one."""
    match = _DONE_DATA.match(data)
    return f"{match.group(1)}:{int(match.group(2))}" if match else None


def dismiss(session: Session, employee_id: int, subject: str) -> bool:
    """Stop further reminders about `subject` for the employee; False if already stopped.

    Reminders about it already queued but not yet sent are withdrawn too.
    """
    values = {"employee_id": employee_id, "subject": subject}
    added = insert_ignore(session, ReminderDismissal, values, ["employee_id", "subject"])
    kind, object_id = subject.split(":")
    outbox.withdraw(session, REMINDER.prefix(kind, object_id, employee_id), "dismissed")
    return added


def _timezone() -> ColumnElement[str]:
    return func.coalesce(Employee.timezone, Unit.timezone)


def _reachable() -> ColumnElement[bool]:
    """Employees a reminder may go to: active, linked, reminders on, bot not blocked."""
    return employees.reachable() & Employee.reminders_enabled.is_(True)


def _zones(session: Session) -> list[str]:
    query = select(distinct(_timezone())).select_from(Employee).join(Unit).where(_reachable())
    zones = []
    for tz in session.scalars(query):
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            logger.error("Unknown time zone %r on employees or units: their reminders skipped", tz)
            continue
        zones.append(tz)
    return sorted(zones)


# --- the four kinds of reminder ---------------------------------------------------------------


def _appraisal_slots(
    session: Session, now: dt.datetime, since: dt.datetime, zones: list[str], rules: Rules
) -> list[Slot]:
    if not rules.appraisal_days:
        return []
    lo = since.date() - dt.timedelta(days=2)
    hi = now.date() + dt.timedelta(days=max(rules.appraisal_days) + 2)
    events = session.scalars(
        select(AppraisalEvent).where(AppraisalEvent.deadline.between(lo, hi))
    ).all()
    slots = []
    for event in events:
        for tz in zones:
            left = (event.deadline - today_in(tz, now)).days
            text = (
                f"Pengingat e-Kinerja: {event.name}, batas waktunya {tanggal(event.deadline)} "
                f"({sisa_hari(left)}).\nMohon diselesaikan di e-Kinerja. Bila sudah, tekan "
                '"Sudah selesai" agar pengingat ini berhenti. Terima kasih.'
            )
            markup = _markup(
                {"text": "Buka e-Kinerja", "url": EKINERJA_URL},
                {"text": "Sudah selesai", "callback_data": done_data(f"{APPRAISAL}:{event.id}")},
            )
            for days in rules.appraisal_days:
                day = event.deadline - dt.timedelta(days=days)
                slots.append(
                    Slot(
                        APPRAISAL,
                        event.id,
                        f"d{days}",
                        tz,
                        at_local(day, rules.local_hour, tz),
                        end_of_day(event.deadline, tz),
                        text,
                        markup,
                        true(),
                    )
                )
    return slots


def _workshop_slots(
    session: Session, now: dt.datetime, since: dt.datetime, zones: list[str], rules: Rules
) -> list[Slot]:
    workshops = session.scalars(
        select(Workshop).where(
            Workshop.is_cancelled.is_(False),
            Workshop.starts_at > since,
            Workshop.starts_at <= now + dt.timedelta(days=3),
        )
    ).all()
    slots = []
    for w in workshops:
        registered = (
            select(Registration.id)
            .where(
                Registration.workshop_id == w.id,
                Registration.employee_id == Employee.id,
                Registration.status == RegistrationStatus.REGISTERED,
            )
            .exists()
        )
        place = f" di {w.location}" if w.location else (" secara daring" if w.online_url else "")
        buttons = [{"text": "Pendaftaran saya", "callback_data": "/my_registrations"}]
        if w.online_url and w.online_url.startswith("https://"):
            buttons.insert(0, {"text": "Buka tautan workshop", "url": w.online_url})
        markup = _markup(*buttons)
        for tz in zones:
            local_start = local(w.starts_at, tz)
            left = (local_start.date() - today_in(tz, now)).days
            day_before = (
                f'Pengingat workshop: Bapak/Ibu terdaftar di "{w.title}", {sisa_hari(left)}, '
                f"{tanggal_jam(w.starts_at, tz)}{place}.\nMohon hadir tepat waktu. Terima kasih."
            )
            soon = (
                f'Workshop "{w.title}" dimulai {sisa_hari(left)} pukul {jam(w.starts_at, tz)}'
                f"{place}. Sampai jumpa!"
            )
            before = local_start.date() - dt.timedelta(days=1)
            hours = rules.workshop_hours_before
            slots += [
                Slot(
                    WORKSHOP,
                    w.id,
                    "d1",
                    tz,
                    at_local(before, rules.local_hour, tz),
                    w.starts_at,
                    day_before,
                    markup,
                    registered,
                ),
                Slot(
                    WORKSHOP,
                    w.id,
                    f"h{hours}",
                    tz,
                    w.starts_at - dt.timedelta(hours=hours),
                    w.starts_at,
                    soon,
                    markup,
                    registered,
                ),
            ]
    return slots


def _promotion_slots(
    session: Session, now: dt.datetime, since: dt.datetime, zones: list[str], rules: Rules
) -> list[Slot]:
    periods = session.scalars(
        select(PromotionPeriod).where(
            PromotionPeriod.proposal_closes >= since.date() - dt.timedelta(days=1),
            PromotionPeriod.proposal_opens <= now.date() + dt.timedelta(days=1),
        )
    ).all()
    slots = []
    for p in periods:
        eligible = promotion.eligible_for_period(session, p)
        period = tanggal(p.period_date, with_day=False)
        markup = _markup(
            {"text": "Syarat kenaikan pangkat", "callback_data": "/ask_promotion_requirements"},
            {"text": "Sudah selesai", "callback_data": done_data(f"{PROMOTION}:{p.id}")},
        )
        close_day = p.proposal_closes - dt.timedelta(days=rules.promotion_close_days)
        for tz in zones:
            left = (p.proposal_closes - today_in(tz, now)).days
            opened = (
                f"Kenaikan pangkat periode {period}: masa usul dibuka sampai "
                f"{tanggal(p.proposal_closes)}. Menurut data kepegawaian, masa kerja dalam "
                "pangkat Bapak/Ibu sudah memenuhi syarat.\nSilakan siapkan berkas dan hubungi "
                "pengelola kepegawaian di unit Bapak/Ibu."
            )
            closing = (
                f"Masa usul kenaikan pangkat periode {period} ditutup "
                f"{tanggal(p.proposal_closes)} ({sisa_hari(left)}).\nBila usul Bapak/Ibu belum "
                "diajukan, mohon segera hubungi pengelola kepegawaian."
            )
            deadline = end_of_day(p.proposal_closes, tz)
            opens_at = at_local(p.proposal_opens, rules.local_hour, tz)
            slots.append(
                Slot(PROMOTION, p.id, "open", tz, opens_at, deadline, opened, markup, eligible)
            )
            closes_at = at_local(close_day, rules.local_hour, tz)
            if closes_at > opens_at:  # a window shorter than the notice gets one reminder
                step = f"close{rules.promotion_close_days}"
                slots.append(
                    Slot(PROMOTION, p.id, step, tz, closes_at, deadline, closing, markup, eligible)
                )
    return slots


def first_working_day(year: int, month: int) -> dt.date:
    day = dt.date(year, month, 1)
    while day.weekday() >= 5:  # Saturday, Sunday
        day += dt.timedelta(days=1)
    return day


def _jp_slots(
    session: Session, now: dt.datetime, since: dt.datetime, zones: list[str], rules: Rules
) -> list[Slot]:
    slots = []
    for year in sorted({since.year, now.year}):
        markup = _markup(
            {"text": "Cek JP saya", "callback_data": "/ask_competency_hours"},
            {"text": "Workshop terdekat", "callback_data": "/list_workshops"},
        )
        text = (
            f"Pengembangan kompetensi {year}: catatan jam pelajaran (JP) Bapak/Ibu tahun ini "
            f"belum mencapai {training.REQUIRED_JP} JP. Masih ada waktu hingga "
            f"{tanggal(dt.date(year, 12, 31), with_day=False)}; silakan ikuti pelatihan, "
            "e-learning atau workshop."
        )
        who = training.under_required(year)
        day = first_working_day(year, JP_NUDGE_MONTH)
        for tz in zones:
            send_at = at_local(day, rules.local_hour, tz)
            deadline = end_of_day(dt.date(year, 12, 31), tz)
            slots.append(Slot(JP, year, "q4", tz, send_at, deadline, text, markup, who))
    return slots


# --- planning and enqueueing -------------------------------------------------------------------


def _recipients(slot: Slot) -> Select[tuple[str, int, int]]:
    """(outbox key, employee id, chat id) of everyone the slot concerns, as one SELECT."""
    dismissed = (
        select(ReminderDismissal.id)
        .where(
            ReminderDismissal.employee_id == Employee.id,
            ReminderDismissal.subject == slot.subject,
        )
        .exists()
    )
    key = REMINDER.sql(slot.kind, slot.object_id, Employee.id, slot.step)
    query = (
        select(key.label("key"), Employee.id, Employee.telegram_chat_id)
        .join(Unit, Unit.id == Employee.unit_id)
        .where(_reachable(), _timezone() == slot.tz, slot.who, ~dismissed)
        .order_by(Employee.id)
    )
    return query  # type: ignore[return-value]  # telegram_chat_id is not NULL by _reachable()


@dataclass
class SlotPlan:
    """The slots of a scan window: due ones (latest per subject), dropped ones, late ones."""

    due: list[Slot] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    late: list[Slot] = field(default_factory=list)


def due_slots(
    session: Session, now: dt.datetime, since: dt.datetime, rules: Rules | None = None
) -> SlotPlan:
    """Slots whose moment fell in (since, now], per the downtime policy; nothing is written."""
    rules = rules or Rules()
    plan = SlotPlan()
    zones = _zones(session)
    slots: list[Slot] = []
    for build in (_appraisal_slots, _workshop_slots, _promotion_slots, _jp_slots):
        slots += build(session, now, since, zones, rules)
    latest: dict[tuple[str, int, str], Slot] = {}
    for slot in slots:
        if not since < slot.send_at <= now:
            continue
        if slot.deadline <= now:
            plan.dropped.append(Dropped(slot, "deadline passed before it could be sent"))
            continue
        group = (slot.kind, slot.object_id, slot.tz)
        previous = latest.get(group)
        if previous is None or slot.send_at > previous.send_at:
            latest[group] = slot
            if previous is not None:
                plan.dropped.append(Dropped(previous, f"superseded by {slot.step}"))
        else:
            plan.dropped.append(Dropped(slot, f"superseded by {previous.step}"))
    plan.due = sorted(latest.values(), key=lambda s: (s.send_at, s.kind, s.object_id, s.tz))
    plan.late = [slot for slot in plan.due if now - slot.send_at > LATE_AFTER]
    return plan


def enqueue(session: Session, slots: Sequence[Slot], now: dt.datetime) -> int:
    """Put every reminder of the slots in the outbox, set-based (existing keys are skipped)."""
    return sum(
        outbox.enqueue_from(
            session,
            _recipients(slot),
            kind="reminder",
            text=slot.text,
            reply_markup=slot.reply_markup,
            not_before=now,
        )
        for slot in slots
    )


def _describe(slot: Slot) -> str:
    return f"{slot.subject} {slot.step} ({slot.tz}, due {slot.send_at:%Y-%m-%d %H:%M} UTC)"


def scan(session: Session, now: dt.datetime, rules: Rules | None = None) -> ScanResult:
    """Enqueue what fell due since the previous scan and move the watermark to `now`."""
    state = session.get(ReminderScan, SCAN_NAME, with_for_update=True)
    since = state.scanned_until if state else now - FIRST_SCAN_LOOKBACK
    if since >= now:
        return ScanResult(since, now, SlotPlan(), 0)
    plan = due_slots(session, now, since, rules)
    for item in plan.dropped:
        logger.warning("Reminder %s dropped: %s", _describe(item.slot), item.reason)
    for slot in plan.late:
        logger.info("Reminder %s sent late, at %s UTC", _describe(slot), f"{now:%Y-%m-%d %H:%M}")
    added = enqueue(session, plan.due, now)
    if state is None:
        session.add(ReminderScan(name=SCAN_NAME, scanned_until=now))
    else:
        state.scanned_until = now
    session.flush()
    if added:
        logger.info("Reminders: %d enqueued for (%s, %s]", added, since, now)
    return ScanResult(since, now, plan, added)
