"""Career path questions (jenjang jabatan): the employee's own ladder or a named one."""

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
    user_text,
)
from asnkarier.models import CareerLadder, CareerLevel
from asnkarier.services import career
from asnkarier.services.employees import honorific


def _range(level: CareerLevel) -> str:
    if level.min_rank and level.max_rank and level.min_rank != level.max_rank:
        return f" ({level.min_rank.code}–{level.max_rank.code})"
    return f" ({level.min_rank.code})" if level.min_rank else ""


def _ladder_line(ladder: CareerLadder) -> str:
    return " → ".join(f"{lvl.name}{_range(lvl)}" for lvl in ladder.levels)


def _describe(path: career.CareerPath, *, own: bool, you: str = "Bapak/Ibu") -> str:
    ladder = path.ladder
    lines = [f"Jenjang {ladder.name} ({ladder.track}):", _ladder_line(ladder)]
    if path.current is not None:
        who = f"{you} saat ini" if own else "Dari"
        lines.append(f"\n{who} {ladder.name} {path.current.name}.")
        if path.next is None:
            lines.append("Ini jenjang tertinggi jabatan ini. 🎉")
        else:
            lines.append(f"Jenjang berikutnya: {path.next.name}{_range(path.next)}.")
            if path.current.requirements:
                lines.append(f"Syarat umumnya:\n{path.current.requirements.strip()}")
    return "\n".join(lines)


def career_reply(session: Session, tracker: Tracker) -> Reply:
    """Answer from the named position, else the employee's own, else offer the list."""
    employee = employee_of(session, tracker)
    text = user_text(tracker)
    named = entity(tracker, "jabatan")
    spelled = career.ladder_spelled_in(session, text)
    if spelled and (named is None or named.lower() in spelled.lower()):
        named = spelled  # the whole name as typed: the NLU may tag only "analis" of it
    jenjang = entity(tracker, "jenjang") or career.level_spelled_in(text)
    if named:
        ladder = career.find_ladder(session, named, jenjang)
        if ladder is None:
            return Reply(
                f"Maaf, jabatan «{named}» belum ada di data jenjang karier kami. "
                "Pilih salah satu jabatan fungsional berikut:",
                _ladder_buttons(session),
            )
        return Reply(
            _describe(career.path_for(ladder, career.level_named(ladder, jenjang)), own=False)
        )
    if employee is None:
        return Reply(
            "Jabatan fungsional mana yang ingin Bapak/Ibu ketahui jenjangnya?\n\n" + LINK_INVITE,
            [*_ladder_buttons(session), LINK_BUTTON],
        )
    path = career.path_for_employee(employee)
    if path is None:
        return Reply(
            f"Jabatan {honorific(employee)} saat ini: {employee.position_title} "
            f"({employee.position_kind.value}). Jabatan ini tidak berjenjang seperti jabatan "
            "fungsional. Untuk beralih ke jabatan "
            "fungsional (misalnya lewat penyesuaian/perpindahan jabatan), diperlukan formasi, "
            "kesesuaian pendidikan dan uji kompetensi; silakan konsultasi ke BKPSDM.\n\n"
            "Lihat jenjang jabatan fungsional:",
            _ladder_buttons(session),
        )
    return Reply(_describe(path, own=True, you=honorific(employee)))


def _ladder_buttons(session: Session) -> list[dict[str, str]]:
    seen: set[str] = set()
    buttons = []
    for ladder in career.ladders(session):
        if ladder.name not in seen and ladder.track == "keahlian":
            seen.add(ladder.name)
            buttons.append(button(ladder.name, "ask_career_path", jabatan=ladder.name))
    return buttons[:8]


class ActionCareerPath(AnswerAction, name="action_career_path"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return career_reply(session, tracker)
