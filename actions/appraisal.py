"""Appraisal (SKP / e-Kinerja): upcoming deadlines in the employee's time zone, and how-to."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.common import (
    EKINERJA_URL,
    Reply,
    button,
    employee_of,
    in_db,
    send,
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


class ActionAppraisalDeadlines(Action):
    def name(self) -> str:
        return "action_appraisal_deadlines"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        send(dispatcher, await in_db(lambda s: deadlines_reply(s, tracker)))
        return []


class ActionAppraisalHowto(Action):
    def name(self) -> str:
        return "action_appraisal_howto"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        send(dispatcher, await in_db(lambda s: howto_reply(s, tracker)))
        return []
