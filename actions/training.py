"""Training questions: catalogue search and recommendations, and the 20 JP/year duty."""

from __future__ import annotations

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
    url_button,
    user_text,
)
from asnkarier.models import Training
from asnkarier.services import training
from asnkarier.services.employees import honorific
from asnkarier.services.formatting import today_in

MODES = {"klasikal": "tatap muka", "e-learning": "e-learning", "blended": "blended"}


def _line(t: Training) -> str:
    return f"• {t.title} — {t.jp} JP, {MODES.get(t.mode, t.mode)} ({t.provider})"


def search_reply(session: Session, tracker: Tracker) -> Reply:
    employee = employee_of(session, tracker)
    topic = entity(tracker, "topik")
    kind = training.competency_type_in(user_text(tracker))
    # No topic tagged ("ada pelatihan PKA?"): the message's own words may still name one.
    named = [] if topic else training.named_in(session, user_text(tracker), competency_type=kind)
    if named:
        found = named
        intro = "Pelatihan yang cocok dengan pertanyaan Bapak/Ibu:"
    else:
        found = training.search(session, topic=topic, competency_type=kind, employee=employee)
        if topic and not found:
            found = training.search(session, competency_type=kind, employee=employee)
            intro = f"Belum ada pelatihan tentang «{topic}». Rekomendasi lain:"
        elif topic:
            intro = f"Pelatihan tentang «{topic}»:"
        elif employee is not None and employee.ladder is not None:
            intro = f"Rekomendasi pelatihan untuk {employee.position_title}:"
        else:
            intro = "Beberapa pelatihan yang tersedia:"
    lines = [intro, *(_line(t) for t in found)]
    buttons = [url_button(f"🔗 {t.title}", t.url) for t in found if t.url][:3]
    buttons.append(button("📋 Workshop terdekat", "list_workshops"))
    if employee is None:
        lines.append("\n" + LINK_INVITE)
        buttons.append(LINK_BUTTON)
    else:
        buttons.append(button("🎓 JP saya tahun ini", "ask_competency_hours"))
    return Reply("\n".join(lines), buttons)


def hours_reply(session: Session, tracker: Tracker) -> Reply:
    employee = employee_of(session, tracker)
    duty = (
        f"Setiap PNS berhak dan wajib mengikuti pengembangan kompetensi minimal "
        f"{training.REQUIRED_JP} JP per tahun."
    )
    if employee is None:
        return Reply(f"{duty}\n\n{LINK_INVITE}", [LINK_BUTTON])
    year = today_in(timezone_of(employee)).year
    summary = training.hours(session, employee.id, year)
    lines = [
        f"JP {honorific(employee)} tahun {year}: {summary.total} dari {training.REQUIRED_JP} JP."
    ]
    lines += [f"• {e.activity}: {e.jp} JP" for e in summary.entries[-5:]]
    if summary.missing:
        lines.append(f"\nMasih kurang {summary.missing} JP. {duty}")
        short = sorted(training.search(session, employee=employee, limit=20), key=lambda t: t.jp)[
            :3
        ]
        if short:
            lines.append("Pilihan singkat:")
            lines += [_line(t) for t in short]
    else:
        lines.append("\nKewajiban 20 JP tahun ini sudah terpenuhi. Terima kasih! 🎉")
    lines.append("JP yang belum tercatat? Kirim buktinya ke BKPSDM agar dicatat.")
    return Reply("\n".join(lines), [button("📋 Workshop terdekat", "list_workshops")])


class ActionTrainingSearch(AnswerAction, name="action_training_search"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return search_reply(session, tracker)


class ActionCompetencyHours(AnswerAction, name="action_competency_hours"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return hours_reply(session, tracker)
