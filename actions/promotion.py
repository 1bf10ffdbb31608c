"""Rank promotion (kenaikan pangkat): requirements with the employee's own outlook, and periods."""

from __future__ import annotations

import datetime as dt

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from actions.common import (
    LINK_BUTTON,
    LINK_INVITE,
    AnswerAction,
    Reply,
    button,
    employee_of,
    entity,
    timezone_of,
)
from asnkarier.models import Employee, PromotionPeriod
from asnkarier.services import promotion
from asnkarier.services.formatting import tanggal, today_in
from asnkarier.services.golongan import all_codes, normalize_golongan


def _window(period: PromotionPeriod, today: dt.date) -> str:
    opens = tanggal(period.proposal_opens, with_day=False)
    closes = tanggal(period.proposal_closes, with_day=False)
    state = " — sedang dibuka" if period.proposal_opens <= today <= period.proposal_closes else ""
    return f"usul {opens} s.d. {closes}{state}"


def _outlook(session: Session, employee: Employee, today: dt.date) -> str:
    e = promotion.eligibility(session, employee, today)
    if e.next_rank is None:
        return f"Golongan Bapak/Ibu {e.current.code} adalah golongan tertinggi."
    if e.years_in_rank is None or e.eligible_on is None:
        return (
            f"Golongan Bapak/Ibu {e.current.code}, tetapi TMT golongannya belum tercatat. "
            "Mohon hubungi BKPSDM agar data diperbarui."
        )
    years = f"{e.years_in_rank:.1f}".replace(".", ",")
    text = (
        f"Golongan Bapak/Ibu {e.current.code} ({e.current.name}) sejak "
        f"{tanggal(employee.rank_tmt or today, with_day=False)}, sekitar {years} tahun."
    )
    if e.capped_by_level and employee.level is not None:
        return (
            f"{text} Golongan ini sudah batas atas jenjang {employee.level.name}, jadi perlu naik "
            "jenjang jabatan lebih dulu sebelum naik pangkat."
        )
    if e.period is None:
        return f"{text} Syarat {e.min_years} tahun terpenuhi pada {tanggal(e.eligible_on)}."
    return (
        f"{text} KP reguler ke {e.next_rank.code} dapat diusulkan untuk periode "
        f"{tanggal(e.period.period_date, with_day=False)} ({_window(e.period, today)}), "
        "selama SKP 2 tahun terakhir minimal «baik»."
    )


def target_rank(tracker: Tracker) -> str | None:
    """The rank asked about: of "dari III/b ke III/c" the higher one, else the slot's."""
    ranks = all_codes()
    mentioned = {normalize_golongan(str(v)) for v in tracker.get_latest_entity_values("golongan")}
    known = [code for code in mentioned if code]
    if known:
        return max(known, key=ranks.index)
    return normalize_golongan(entity(tracker, "golongan") or "")


def requirements_reply(session: Session, tracker: Tracker) -> Reply:
    employee = employee_of(session, tracker)
    today = today_in(timezone_of(employee))
    kind = promotion.kind(session, entity(tracker, "jenis_kp")) or promotion.kind(
        session, promotion.REGULAR
    )
    lines = []
    if kind is not None:
        lines.append(f"Syarat {kind.name}:\n{kind.requirements.strip()}")
    target = target_rank(tracker)
    if target:
        lines.append(f"\n(Pertanyaan untuk naik ke golongan {target}.)")
    if employee is not None:
        lines.append("\n" + _outlook(session, employee, today))
        buttons = [button("📅 Jadwal periode KP", "ask_promotion_schedule")]
    else:
        lines.append("\n" + LINK_INVITE)
        buttons = [button("📅 Jadwal periode KP", "ask_promotion_schedule"), LINK_BUTTON]
    others = [k for k in promotion.kinds(session) if kind is None or k.code != kind.code]
    buttons += [button(k.name, "ask_promotion_requirements", jenis_kp=k.code) for k in others[:3]]
    return Reply("\n".join(lines), buttons)


def schedule_reply(session: Session, tracker: Tracker) -> Reply:
    employee = employee_of(session, tracker)
    today = today_in(timezone_of(employee))
    periods = promotion.upcoming_periods(session, today, limit=3)
    if not periods:
        return Reply(
            "Maaf, jadwal periode kenaikan pangkat belum tersedia. Silakan hubungi BKPSDM."
        )
    lines = ["Periode kenaikan pangkat terdekat (6 periode per tahun sejak 2024):"]
    lines += [f"• {tanggal(p.period_date, with_day=False)}: {_window(p, today)}" for p in periods]
    lines.append("Usul diajukan melalui SIASN oleh pengelola kepegawaian unit kerja.")
    if employee is not None:
        lines.append("\n" + _outlook(session, employee, today))
    return Reply("\n".join(lines), [button("📋 Syarat KP", "ask_promotion_requirements")])


class ActionPromotionRequirements(AnswerAction, name="action_promotion_requirements"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return requirements_reply(session, tracker)


class ActionPromotionSchedule(AnswerAction, name="action_promotion_schedule"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return schedule_reply(session, tracker)
