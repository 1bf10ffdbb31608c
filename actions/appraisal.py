"""Appraisal (SKP / e-Kinerja): upcoming deadlines in the employee's time zone, and how-to."""

from __future__ import annotations

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from actions.common import (
    EKINERJA_URL,
    AnswerAction,
    Reply,
    button,
    employee_of,
    timezone_of,
    url_button,
    user_text,
)
from asnkarier.services import appraisal
from asnkarier.services.formatting import sisa_hari, tanggal, today_in, zone_name


def deadlines_reply(session: Session, tracker: Tracker) -> Reply:
    tz = timezone_of(employee_of(session, tracker))
    today = today_in(tz)
    events = appraisal.upcoming_deadlines(session, today, limit=3)
    if not events:
        return Reply("Belum ada tenggat SKP yang terjadwal. Silakan cek pengumuman BKPSDM.")
    lines = [f"Tenggat SKP / e-Kinerja terdekat ({zone_name(tz)}):"]
    for e in events:
        lines.append(f"• {e.name}: {tanggal(e.deadline)} ({sisa_hari((e.deadline - today).days)})")
    return Reply(
        "\n".join(lines),
        [
            url_button("🔗 Buka e-Kinerja", EKINERJA_URL),
            button("❓ Cara mengisi", "ask_appraisal_howto"),
        ],
    )


def howto_reply(session: Session, tracker: Tracker) -> Reply:
    articles = appraisal.howto(session, user_text(tracker), limit=2)
    if not articles:
        return Reply("Maaf, panduan belum tersedia. Silakan hubungi BKPSDM.")
    first = articles[0]
    buttons = [url_button("🔗 Buka situs", first.url)] if first.url else []
    buttons += [button(a.title, "ask_appraisal_howto") for a in articles[1:]]
    buttons.append(button("📅 Tenggat SKP", "ask_appraisal_deadline"))
    return Reply(f"{first.title}\n\n{first.body.strip()}", buttons)


class ActionAppraisalDeadlines(AnswerAction, name="action_appraisal_deadlines"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return deadlines_reply(session, tracker)


class ActionAppraisalHowto(AnswerAction, name="action_appraisal_howto"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return howto_reply(session, tracker)
