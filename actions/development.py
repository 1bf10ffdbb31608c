"""Development: "apa yang kurang untuk naik?" (a personal plan card) and cari mentor.

Mentor buttons are Rasa payloads like every other button of the assistant (bot/handlers/
buttons.py relays "/intent{json}"): "Kirim permintaan" is `/find_mentor{"mentor_offer": id}`,
the mentor's Terima/Tolak (sent through the outbox) is `/respond_mentor_request{...}`. Identity
always comes from the sender of the turn, never from the button: a forwarded or forged button
can only act for its presser, and the core checks the request is addressed to them.
"""

from __future__ import annotations

import datetime as dt
import re

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from actions.common import (
    LINK_BUTTON,
    LINK_INVITE,
    AnswerAction,
    Reply,
    button,
    employee_of,
    timezone_of,
    user_text,
)
from actions.promotion import _window, _years
from asnkarier.models import Employee
from asnkarier.services import development_plan, mentors, training
from asnkarier.services.development_plan import DevelopmentPlan, RankStep
from asnkarier.services.employees import given_name, honorific
from asnkarier.services.formatting import tanggal, today_in
from asnkarier.services.mentors import OfferOutcome, RequestOutcome, ResponseOutcome
from asnkarier.telegram_limits import text_length

# One phone screen: about 14 short lines; the card is cut to this many UTF-16 units at most.
MAX_CARD = 900
PROMOTION_BUTTON = button("📋 Rincian kenaikan pangkat", "ask_promotion_requirements")
CAREER_BUTTON = button("🪜 Jalur karier", "ask_career_path")
HOURS_BUTTON = button("📚 Rincian JP saya", "ask_competency_hours")


def latest(tracker: Tracker, name: str) -> str | None:
    """This message's entity (never an older slot: a topic of last week is not this one's)."""
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value).strip() if value not in (None, "") else None


_USERNAME = re.compile(r"^[A-Za-z0-9_]{4,32}$")


def telegram_username(tracker: Tracker) -> str | None:
    """The sender's @username as the bot passes it in the metadata (None when unset)."""
    metadata = tracker.latest_message.get("metadata") or {}
    value = str(metadata.get("username") or "").lstrip("@")
    return value if _USERNAME.match(value) else None


# --- the development plan card --------------------------------------------------------------


def _rank_line(step: RankStep, today: dt.date) -> str:
    if step.next_rank is None:
        return f"🎖 Golongan {step.current.code}: sudah golongan tertinggi."
    head = f"🎖 Pangkat: {step.current.code} → {step.next_rank.code}"
    if step.years_in_rank is None:
        return f"{head}\nTMT golongan belum tercatat; mohon minta BKPSDM memperbarui data."
    years = _years(step.years_in_rank)
    if step.capped_by_level:
        return f"{head}\n{years} tahun di pangkat, tetapi perlu naik jenjang jabatan dulu."
    if step.route == "fungsional":
        if not step.credit_known or step.needed_years is None:
            return f"{head}\n{years} tahun di pangkat; cek PAK terakhir ke BKPSDM."
        need = f"{years} dari ±{_years(step.needed_years)} tahun (angka kredit, predikat Baik)"
    else:
        need = f"{years} dari {_years(step.needed_years or 4)} tahun"
    if step.past_due:
        need += " ⚠️ sudah lewat: cek PAK & minta diusulkan"
    when = ""
    if step.period is not None:
        when = (
            f"\nBisa diusulkan periode {tanggal(step.period.period_date, with_day=False)} "
            f"({_window(step.period, today)})."
        )
    elif step.eligible_on is not None and not step.due(today):
        when = f"\nMemenuhi masa kerja pada {tanggal(step.eligible_on, with_day=False)}."
    return f"{head}\n{need}.{when}"


def _level_line(plan: DevelopmentPlan) -> str | None:
    path = plan.path
    if path is None:
        return None
    if path.next is None:
        return f"🪜 Jenjang {path.ladder.name}: sudah jenjang tertinggi. 🎉"
    current = path.current.name if path.current else "-"
    requirements = [
        line.lstrip("- ").strip()
        for line in (path.current.requirements if path.current else "").splitlines()
        if line.strip()
    ][:3]
    lines = [f"🪜 Jenjang: {current} → {path.next.name}"]
    lines += [f"  • {r}" for r in requirements]
    return "\n".join(lines)


def _hours_line(plan: DevelopmentPlan) -> str:
    h = plan.hours
    if h.missing:
        return f"📚 JP {h.year}: {h.total}/{training.REQUIRED_JP} (kurang {h.missing} JP)"
    return f"📚 JP {h.year}: {h.total}/{training.REQUIRED_JP} ✅"


def _trainings_line(plan: DevelopmentPlan) -> str | None:
    if not plan.trainings:
        return None
    done = plan.done_trainings
    missing = plan.missing_trainings[: development_plan.MAX_TRAININGS]
    lines = []
    if missing:
        lines.append("❌ Belum: " + "; ".join(t.title for t in missing))
    if done:
        lines.append(f"✅ Sudah: {len(done)} pelatihan jabatan")
    return "\n".join(lines) if lines else None


def plan_card(plan: DevelopmentPlan) -> Reply:
    e = plan.employee
    parts = [f"📈 Yang perlu disiapkan {honorific(e)} {given_name(e.name)}:"]
    parts.append(_rank_line(plan.rank, plan.today))
    parts += [p for p in (_level_line(plan), _hours_line(plan), _trainings_line(plan)) if p]
    buttons = []
    if plan.workshops:
        parts.append("🗓 Workshop yang cocok, ketuk untuk daftar:")
        buttons = [
            button(f"📝 {w.title}", "register_workshop", workshop=w.code) for w in plan.workshops
        ]
    text = "\n\n".join(parts)
    while text_length(text) > MAX_CARD and len(parts) > 2:
        parts.pop(-2 if plan.workshops else -1)  # drop detail, keep the workshops' heading
        text = "\n\n".join(parts)
    details = [PROMOTION_BUTTON]
    if plan.path is not None:
        details.append(CAREER_BUTTON)
    details.append(HOURS_BUTTON)
    return Reply(text, [*buttons, *details])


def general_rule() -> str:
    return (
        "Secara umum, untuk naik pangkat:\n"
        "• Jabatan pelaksana: KP reguler, paling singkat 4 tahun dalam pangkat, SKP 2 tahun "
        "terakhir minimal «baik».\n"
        "• Jabatan fungsional: angka kredit minimal untuk pangkat berikutnya (predikat kinerja "
        "tiap tahun dikonversi ke angka kredit).\n"
        "• Jabatan struktural: KP pilihan sesuai jabatan yang diduduki.\n"
        f"• Setiap PNS mengembangkan kompetensi minimal {training.REQUIRED_JP} JP per tahun.\n"
        "Usul diajukan lewat SIASN oleh pengelola kepegawaian pada periode KP."
    )


def development_reply(session: Session, tracker: Tracker) -> Reply:
    employee = employee_of(session, tracker)
    if employee is None:
        return Reply(
            f"{general_rule()}\n\n{LINK_INVITE}",
            [
                LINK_BUTTON,
                PROMOTION_BUTTON,
                button("📅 Jadwal periode KP", "ask_promotion_schedule"),
            ],
        )
    plan = development_plan.plan_for(session, employee, today_in(timezone_of(employee)))
    return plan_card(plan)


class ActionDevelopmentPlan(AnswerAction, name="action_development_plan"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return development_reply(session, tracker)


# --- mentors --------------------------------------------------------------------------------

FIND_EXAMPLE = "Contoh: «cari mentor excel» atau «ada yang bisa ngajarin SIASN?»"
OFFER_EXAMPLE = "Contoh: «saya mau jadi mentor excel»."


def _topic(tracker: Tracker) -> str | None:
    """The topic of this message: its `topik` entity, else the words left of the text."""
    raw = latest(tracker, "topik")
    if raw is None and not user_text(tracker).startswith("/"):
        raw = user_text(tracker)
    return mentors.normalize_topic(raw)


def _topic_buttons(session: Session, intent: str, topics: list[str]) -> list[dict[str, str]]:
    return [button(t, intent, topik=t) for t in topics[:6]]


def _linked_only(what: str) -> Reply:
    return Reply(f"Untuk {what}, akun perlu terhubung dulu.\n\n{LINK_INVITE}", [LINK_BUTTON])


def offer_reply(session: Session, tracker: Tracker) -> Reply:
    employee = employee_of(session, tracker)
    if employee is None:
        return _linked_only("menjadi mentor")
    topic = _topic(tracker)
    you = honorific(employee)
    if topic is None:
        return Reply(
            f"Terima kasih mau berbagi ilmu! Topik apa yang ingin {you} bimbing? {OFFER_EXAMPLE}",
            _topic_buttons(session, "offer_mentor", mentors.known_topics()),
        )
    username = telegram_username(tracker)
    outcome = mentors.offer(session, employee, topic, username=username)
    stop = button(f"✋ Berhenti jadi mentor {topic}", "stop_mentor", topik=topic)
    if outcome == OfferOutcome.ALREADY:
        return Reply(f"{you} sudah terdaftar sebagai mentor «{topic}». 👍", [stop])
    note = (
        ""
        if username
        else "\n\nAkun Telegram ini belum punya username; rekan akan membuka chat lewat nama "
        f"{you} setelah {you} menerima."
    )
    return Reply(
        f"🙏 Terima kasih! {you} kini terdaftar sebagai mentor «{topic}».\n\nBila ada rekan "
        "yang meminta, permintaannya masuk ke chat ini dengan tombol Terima/Tolak. Kontak "
        f"{you} hanya dibagikan bila {you} menerima.{note}",
        [stop],
    )


def stop_reply(session: Session, tracker: Tracker) -> Reply:
    employee = employee_of(session, tracker)
    if employee is None:
        return Reply(LINK_INVITE, [LINK_BUTTON])
    you = honorific(employee)
    active = [o.topic for o in mentors.offers_of(session, employee.id)]
    if not active:
        return Reply(
            f"{you} saat ini tidak terdaftar sebagai mentor. Bila ingin berbagi ilmu: "
            f"{OFFER_EXAMPLE}"
        )
    raw = latest(tracker, "topik")
    topic = mentors.normalize_topic(raw) if raw else None
    if raw and raw.strip().lower() == "semua":
        topic = None
    elif topic is None and len(active) > 1:
        return Reply(
            f"{you} mentor untuk: {', '.join(active)}. Berhenti untuk topik yang mana?",
            [
                *[button(t, "stop_mentor", topik=t) for t in active[:5]],
                button("Semua topik", "stop_mentor", topik="semua"),
            ],
        )
    elif topic is not None and topic not in active:
        return Reply(
            f"{you} tidak terdaftar sebagai mentor «{topic}». Topik {you}: {', '.join(active)}.",
            [button(t, "stop_mentor", topik=t) for t in active[:5]],
        )
    withdrawn = mentors.withdraw(session, employee.id, topic)
    return Reply(
        f"Baik, {you} tidak lagi tampil sebagai mentor «{', '.join(withdrawn)}». Permintaan "
        "yang sudah masuk tetap bisa dijawab. Terima kasih atas kesediaannya selama ini. 🙏",
        [button(f"Jadi mentor {withdrawn[0]} lagi", "offer_mentor", topik=withdrawn[0])],
    )


def _offer_id(tracker: Tracker) -> int | None:
    value = latest(tracker, "mentor_offer")
    return int(value) if value and value.isdigit() else None


def find_reply(session: Session, tracker: Tracker) -> Reply:
    offer_id = _offer_id(tracker)
    employee = employee_of(session, tracker)
    if offer_id is not None:
        return request_reply(session, tracker, employee, offer_id)
    topic = _topic(tracker)
    if topic is None:
        return Reply(
            f"Mentor untuk topik apa yang dicari? {FIND_EXAMPLE}",
            _topic_buttons(session, "find_mentor", mentors.topics_offered(session)),
        )
    found = mentors.find(session, employee, topic)
    if not found:
        others = [t for t in mentors.topics_offered(session) if t != topic]
        text = f"Maaf, belum ada mentor «{topic}» yang terdaftar."
        if others:
            text += " Topik yang sudah ada mentornya:"
        text += f"\n\nBila menguasainya, jadilah mentor: «saya mau jadi mentor {topic}»."
        return Reply(text, _topic_buttons(session, "find_mentor", others))
    lines = [f"🤝 Mentor «{topic}» yang bersedia:"]
    for o in found:
        m = o.employee
        lines.append(f"\n• {m.name}\n  {m.position_title} · {m.unit.name}")
    buttons = []
    if employee is None:
        lines.append("\n" + LINK_INVITE)
        buttons.append(LINK_BUTTON)
    else:
        lines.append("\nKontak dibagikan setelah mentor menerima permintaan.")
        buttons = [
            button(f"📨 Kirim permintaan ke {o.employee.name}", "find_mentor", mentor_offer=o.id)
            for o in found
        ]
    return Reply("\n".join(lines), buttons)


def request_reply(
    session: Session, tracker: Tracker, employee: Employee | None, offer_id: int
) -> Reply:
    if employee is None:
        return _linked_only("mengirim permintaan mentor")
    result = mentors.request(session, employee, offer_id, username=telegram_username(tracker))
    name = result.offer.employee.name if result.offer else "mentor"
    topic = result.offer.topic if result.offer else ""
    again = button(f"🔎 Mentor {topic} lain", "find_mentor", topik=topic) if topic else None
    match result.outcome:
        case RequestOutcome.SENT:
            return Reply(
                f"📨 Permintaan sudah dikirim ke {name.rstrip('.')}. Kami kabari di sini begitu "
                "dijawab; kontak dibagikan setelah diterima."
            )
        case RequestOutcome.PENDING:
            return Reply(f"Permintaan ke {name} sudah terkirim dan menunggu jawaban. 🙏")
        case RequestOutcome.ACCEPTED:
            return Reply(
                f"{name} sudah menerima permintaan {honorific(employee)}; kontaknya sudah kami "
                "kirim di chat ini."
            )
        case RequestOutcome.DECLINED:
            return Reply(
                f"{name} belum bisa membimbing saat ini. Silakan pilih mentor lain.",
                [again] if again else [],
            )
        case RequestOutcome.SELF:
            return Reply("Itu penawaran mentor Bapak/Ibu sendiri. 🙂")
        case _:
            return Reply(
                "Maaf, mentor ini sudah tidak tersedia. Silakan cari mentor lain.",
                [again] if again else [],
            )


class ActionOfferMentor(AnswerAction, name="action_offer_mentor"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return offer_reply(session, tracker)


class ActionStopMentor(AnswerAction, name="action_stop_mentor"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return stop_reply(session, tracker)


class ActionFindMentor(AnswerAction, name="action_find_mentor"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return find_reply(session, tracker)


_DECLINE = re.compile(r"\b(tolak|menolak|tdk|tidak|nggak|gak|ga|enggak|maaf|belum bisa|skip)\b")
_ACCEPT = re.compile(r"\b(terima|menerima|bersedia|siap|boleh|oke|ok|mau|bisa)\b")


def _answer_of(tracker: Tracker) -> bool | None:
    value = (latest(tracker, "jawaban") or "").lower()
    if value in ("terima", "tolak"):
        return value == "terima"
    text = user_text(tracker).lower()
    if _DECLINE.search(text):
        return False
    if _ACCEPT.search(text):
        return True
    return None


def respond_reply(session: Session, tracker: Tracker) -> Reply:
    mentor = employee_of(session, tracker)
    if mentor is None:
        return Reply(LINK_INVITE, [LINK_BUTTON])
    you = honorific(mentor)
    accept = _answer_of(tracker)
    value = latest(tracker, "mentor_request")
    request_id = int(value) if value and value.isdigit() else None
    if request_id is None:
        pending = mentors.pending_for(session, mentor.id)
        if not pending:
            return Reply(f"Tidak ada permintaan mentoring yang menunggu jawaban {you}.")
        if len(pending) > 1 or accept is None:
            lines = [f"Permintaan mentoring untuk {you}:"]
            buttons = []
            for r in pending[:4]:
                lines.append(f"• {r.asker.name} ({r.asker.unit.name}): «{r.topic}»")
                buttons += [
                    {"title": f"✅ Terima {r.asker.name}",
                     "payload": mentors.response_payload(r.id, True)},
                    {"title": f"✖️ Tolak {r.asker.name}",
                     "payload": mentors.response_payload(r.id, False)},
                ]  # fmt: skip
            return Reply("\n".join(lines), buttons)
        request_id = pending[0].id
    if accept is None:
        return Reply("Mohon pilih Terima atau Tolak pada tombol permintaannya.")
    result = mentors.respond(session, mentor, request_id, accept)
    asker = result.request.asker.name if result.request else "rekan"
    match result.outcome:
        case ResponseOutcome.ACCEPTED:
            return Reply(
                f"🙏 Terima kasih, {you}! Kontak {asker} dan kontak {you} sudah kami kirim ke "
                "kedua pihak di chat masing-masing."
            )
        case ResponseOutcome.DECLINED:
            return Reply(
                f"Baik, permintaan {asker} ditolak. Kami sampaikan dengan sopan bahwa {you} "
                "belum bisa membimbing saat ini."
            )
        case ResponseOutcome.ALREADY_ACCEPTED:
            return Reply(
                f"Permintaan {asker} sudah {you} terima sebelumnya; kontaknya sudah dikirim."
            )
        case ResponseOutcome.ALREADY_DECLINED:
            return Reply(
                f"Permintaan {asker} sudah {you} tolak sebelumnya, jadi tidak bisa diterima lewat "
                f"tombol ini lagi. Bila berubah pikiran, silakan hubungi {asker} langsung."
            )
        case _:
            return Reply("Maaf, permintaan ini tidak ditemukan atau bukan untuk Bapak/Ibu.")


class ActionRespondMentorRequest(AnswerAction, name="action_respond_mentor_request"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return respond_reply(session, tracker)
