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
from asnkarier.models import Employee, PositionKind, PromotionPeriod
from asnkarier.services import promotion
from asnkarier.services.employees import honorific
from asnkarier.services.formatting import tanggal, today_in
from asnkarier.services.golongan import all_codes, normalize_golongan


def _window(period: PromotionPeriod, today: dt.date) -> str:
    opens = tanggal(period.proposal_opens, with_day=False)
    closes = tanggal(period.proposal_closes, with_day=False)
    state = " — sedang dibuka" if period.proposal_opens <= today <= period.proposal_closes else ""
    return f"usul {opens} s.d. {closes}{state}"


def _figure(value: float) -> str:
    """A figure of the regulation as written: 3.75 -> '3,75', 12.5 -> '12,5', 50.0 -> '50'."""
    return f"{value:g}".replace(".", ",")


def _years(value: float) -> str:
    """12.5 -> '12,5', 50.0 -> '50', 75.02 -> '75'."""
    rounded = round(value, 1)
    text = f"{rounded:.0f}" if rounded == int(rounded) else f"{rounded:.1f}"
    return text.replace(".", ",")


def _regular_outlook(session: Session, employee: Employee, today: dt.date) -> str:
    e = promotion.eligibility(session, employee, today)
    you = honorific(employee)
    route = "pilihan" if employee.position_kind == PositionKind.STRUKTURAL else "reguler"
    if e.next_rank is None:
        return f"Golongan {you} {e.current.code} adalah golongan tertinggi."
    if e.years_in_rank is None or e.eligible_on is None:
        return (
            f"Golongan {you} {e.current.code}, tetapi TMT golongannya belum tercatat. "
            "Mohon hubungi BKPSDM agar data diperbarui."
        )
    text = (
        f"Golongan {you} {e.current.code} ({e.current.name}) sejak "
        f"{tanggal(employee.rank_tmt or today, with_day=False)}, sekitar "
        f"{_years(e.years_in_rank)} tahun."
    )
    if e.capped_by_level and employee.level is not None:
        return (
            f"{text} Golongan ini sudah batas atas jenjang {employee.level.name}, jadi perlu naik "
            "jenjang jabatan lebih dulu sebelum naik pangkat."
        )
    if e.period is None:
        return f"{text} Syarat {e.min_years} tahun terpenuhi pada {tanggal(e.eligible_on)}."
    return (
        f"{text} KP {route} ke {e.next_rank.code} dapat diusulkan untuk periode "
        f"{tanggal(e.period.period_date, with_day=False)} ({_window(e.period, today)}), "
        "selama SKP 2 tahun terakhir minimal «baik»."
    )


def _functional_outlook(session: Session, employee: Employee, today: dt.date) -> str:
    rules = promotion.credit_rules()
    o = promotion.functional_outlook(session, employee, today, rules)
    you = honorific(employee)
    where = f"{employee.position_title}, golongan {o.current.code} ({o.current.name})"
    if o.years_in_rank is None:
        return (
            f"{you} {where}; TMT golongannya belum tercatat, jadi perkiraan angka kredit belum "
            "bisa dihitung. Mohon hubungi BKPSDM agar data diperbarui."
        )
    lines = [
        f"{you} {where} sejak {tanggal(employee.rank_tmt or today, with_day=False)}, sekitar "
        f"{_years(o.years_in_rank)} tahun."
    ]
    if o.level is None:
        lines.append(
            f"Koefisien angka kredit jenjang {o.level_name or 'jabatan ini'} belum ada di data "
            "kami; silakan cek PAK terakhir ke BKPSDM."
        )
        return " ".join(lines)
    lvl = o.level
    lines.append(
        f"Jenjang {lvl.level}: koefisien {_figure(lvl.yearly_coefficient)} angka kredit per "
        "tahun untuk predikat Baik"
        + (f", minimal {_years(lvl.rank_minimum)} untuk naik pangkat." if lvl.rank_minimum else ".")
    )
    if o.capped_by_level:
        need = f" (angka kredit {_years(lvl.level_minimum)})" if lvl.level_minimum else ""
        lines.append(
            f"Golongan {o.current.code} sudah batas atas jenjang {lvl.level}: langkah berikutnya "
            f"kenaikan jenjang{need}, lulus uji kompetensi, dan tersedia formasi."
        )
        if o.estimated_credit is not None and o.usual_years is not None:
            lines.append(
                "Perkiraan dengan predikat Baik tiap tahun: sekitar "
                f"{_years(o.estimated_credit)} angka kredit sejak TMT; biasanya angka kredit "
                f"kenaikan jenjang tercapai dalam {_years(o.usual_years)} tahun."
            )
        if o.past_due:
            lines.append(
                f"⚠️ {you} sudah melewati waktu yang biasa untuk kenaikan jenjang. Mohon cek PAK "
                "terakhir dan tanyakan jadwal uji kompetensi ke pengelola kepegawaian."
            )
    elif o.estimated_credit is not None and o.usual_years is not None:
        lines.append(
            "Perkiraan dengan predikat Baik tiap tahun: sekitar "
            f"{_years(o.estimated_credit)} angka kredit sejak TMT; biasanya batas minimal "
            f"tercapai dalam {_years(o.usual_years)} tahun."
        )
        if o.past_due and o.next_rank is not None:
            lines.append(
                f"⚠️ {you} sudah melewati waktu yang biasa untuk naik ke {o.next_rank.code}. "
                "Mohon cek PAK terakhir dan minta pengelola kepegawaian mengusulkan KP melalui "
                "SIASN pada periode terdekat."
            )
    return "\n".join(lines)


def outlook(session: Session, employee: Employee, today: dt.date) -> str:
    """The employee's own promotion outlook, by position kind."""
    if employee.position_kind == PositionKind.FUNGSIONAL:
        return _functional_outlook(session, employee, today)
    return _regular_outlook(session, employee, today)


def target_rank(tracker: Tracker) -> str | None:
    """The rank asked about: of "dari III/b ke III/c" the higher one, else the slot's."""
    ranks = all_codes()
    mentioned = {normalize_golongan(str(v)) for v in tracker.get_latest_entity_values("golongan")}
    known = [code for code in mentioned if code]
    if known:
        return max(known, key=ranks.index)
    return normalize_golongan(entity(tracker, "golongan") or "")


FUNCTIONAL_TITLE = "Kenaikan pangkat jabatan fungsional (angka kredit)"


def _kind_for(employee: Employee | None) -> str:
    """The promotion route of the employee's position: functional, structural or regular."""
    if employee is None:
        return promotion.REGULAR
    return {
        PositionKind.FUNGSIONAL: "fungsional",
        PositionKind.STRUKTURAL: "pilihan",
    }.get(employee.position_kind, promotion.REGULAR)


def requirements_reply(session: Session, tracker: Tracker) -> Reply:
    employee = employee_of(session, tracker)
    today = today_in(timezone_of(employee))
    asked = promotion.kind(session, entity(tracker, "jenis_kp"))
    route = asked.code if asked else _kind_for(employee)
    lines = []
    if route == "fungsional":
        rules = promotion.credit_rules()
        lines.append(f"{FUNCTIONAL_TITLE}:\n{rules.steps.strip()}")
        if promotion.minimums(rules):
            lines.append(
                "Batas minimal angka kredit kumulatif untuk naik pangkat per jenjang: "
                f"{promotion.minimums(rules)}."
            )
        kind = None
    else:
        kind = asked or promotion.kind(session, route) or promotion.kind(session, promotion.REGULAR)
        if kind is not None:
            lines.append(f"Syarat {kind.name}:\n{kind.requirements.strip()}")
    target = target_rank(tracker)
    if target:
        lines.append(f"\n(Pertanyaan untuk naik ke golongan {target}.)")
    if employee is not None:
        if asked is None or route == _kind_for(employee):
            lines.append("\n" + outlook(session, employee, today))
        buttons = [button("📅 Jadwal periode KP", "ask_promotion_schedule")]
    else:
        lines.append(
            "\nJabatan fungsional naik pangkat dengan angka kredit; jabatan pelaksana dengan KP "
            "reguler (paling singkat 4 tahun dalam pangkat)."
        )
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
        lines.append("\n" + outlook(session, employee, today))
    return Reply("\n".join(lines), [button("📋 Syarat KP", "ask_promotion_requirements")])


class ActionPromotionRequirements(AnswerAction, name="action_promotion_requirements"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return requirements_reply(session, tracker)


class ActionPromotionSchedule(AnswerAction, name="action_promotion_schedule"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return schedule_reply(session, tracker)
