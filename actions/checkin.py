"""Workshop check-in (a `/start hadir-<token>` deep link or the 6-digit code), how to report
training taken elsewhere, and the employee's own training reports (as /riwayat)."""

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
    timezone_of,
)
from asnkarier.models import Employee, utcnow
from asnkarier.services import checkin
from asnkarier.services import training_reports as reports
from asnkarier.services.checkin import Outcome
from asnkarier.services.employees import honorific
from asnkarier.services.files import MAX_MB
from asnkarier.services.formatting import jam, tanggal_jam
from asnkarier.settings import get_settings

HOW_TO = (
    "Untuk absen di workshop: pindai (scan) kode QR yang tampil di layar ruangan dengan kamera "
    "HP, lalu tekan «Mulai/Start» di Telegram. Kalau tidak bisa memindai, ketik kode 6 angka "
    "yang tampil di bawah QR, misalnya: kode hadir 482913. Kodenya berganti tiap 30 detik, "
    "jadi ketik yang sedang tampil."
)
TRY_AGAIN = "Silakan pindai lagi QR yang sedang tampil di layar, atau ketik kode 6 angkanya."


def _digits(text: str) -> str | None:
    """A 6-digit code typed in a sentence ("kode hadir 482 913" -> "482913"), if exactly one."""
    found = [w for w in text.replace("-", " ").split() if w.isdigit()]
    joined = "".join(found)
    if len(found) >= 1 and len(joined) == checkin.CODE_DIGITS:
        return joined
    six = [w for w in found if len(w) == checkin.CODE_DIGITS]
    return six[0] if len(six) == 1 else None


def given_code(tracker: Tracker) -> str | None:
    """The token of the deep link (payload entity) or the code: the entity, else the text."""
    value = next(tracker.get_latest_entity_values("kode_hadir"), None)
    if value not in (None, ""):
        text = str(value).strip()
        if checkin.is_token(text) or checkin.is_code(text):
            return text
    text = str(tracker.latest_message.get("text") or "")
    if text.startswith("/"):  # a payload without a usable entity
        return None
    return _digits(text)


def only_a_code(tracker: Tracker) -> bool:
    """Whether the latest message is a check-in code and little else ("482913", "kode
    482913"): what an employee types from the projector, whatever intent the NLU gave it."""
    return is_only_a_code(str(tracker.latest_message.get("text") or ""))


def is_only_a_code(text: str) -> bool:
    text = text.strip()
    if text.startswith("/") or _digits(text) is None:
        return False
    return len([w for w in text.replace("-", " ").split() if not w.isdigit()]) <= 2


def check_in_reply(session: Session, tracker: Tracker) -> Reply:
    employee = employee_of(session, tracker)
    if employee is None:
        return Reply(
            "Absen workshop lewat bot perlu akun Telegram yang sudah terhubung dengan data "
            f"pegawai. {LINK_INVITE} Setelah itu pindai lagi QR di layar.",
            [LINK_BUTTON],
        )
    code = given_code(tracker)
    if code is None:
        return Reply(HOW_TO)
    result = checkin.check_in(session, employee, code, key=get_settings().checkin_key)
    return Reply(outcome_text(result, employee))


def outcome_text(result: checkin.Result, employee: Employee) -> str:
    """The employee-facing answer to one check-in attempt."""
    who = honorific(employee)
    tz = timezone_of(employee)
    w = result.workshop
    title = f"«{w.title}»" if w else "workshop ini"
    match result.outcome:
        case Outcome.ATTENDED:
            when = result.registration.attended_at if result.registration else None
            text = f"✅ Terima kasih, kehadiran {who} di {title} tercatat"
            text += f" pukul {jam(when, tz)}." if when else "."
            if w is not None and w.jp:
                text += f" {w.jp} JP masuk ke catatan pengembangan kompetensi {who}."
            if result.walk_in:
                text += " (Dicatat sebagai peserta tanpa pendaftaran.)"
            return text
        case Outcome.ALREADY:
            when = result.registration.attended_at if result.registration else None
            at = f" pukul {jam(when, tz)}" if when else ""
            return f"{who} sudah tercatat hadir di {title}{at}. Tidak perlu absen lagi. 🙏"
        case Outcome.EXPIRED:
            return f"⌛ Kode QR itu sudah kedaluwarsa (berganti tiap 30 detik). {TRY_AGAIN}"
        case Outcome.NOT_RUNNING:
            if w is not None and w.starts_at > utcnow():
                opens = w.starts_at - checkin.OPENS_BEFORE
                return (
                    f"Absen {title} belum dibuka. Workshop mulai {tanggal_jam(w.starts_at, tz)}; "
                    f"absen dibuka sejak pukul {jam(opens, tz)}."
                )
            return (
                f"{title} sudah selesai, jadi absen lewat bot sudah ditutup. Bila {who} hadir, "
                "mohon hubungi panitia agar dicatat dari konsol BKPSDM."
            )
        case Outcome.NOT_REGISTERED:
            if result.waitlisted:
                return (
                    f"{who} masih di daftar tunggu {title}, belum mendapat kursi, dan workshop "
                    "ini tidak menerima peserta tanpa pendaftaran. Mohon hubungi panitia di lokasi."
                )
            return (
                f"{who} tidak terdaftar sebagai peserta {title}, dan workshop ini tidak menerima "
                "peserta tanpa pendaftaran. Mohon hubungi panitia di lokasi."
            )
        case Outcome.CANCELLED:
            return f"Maaf, {title} dibatalkan, jadi tidak ada absen untuk workshop ini."
        case Outcome.UNAVAILABLE:
            return (
                "Maaf, absen lewat bot sedang tidak tersedia. Mohon minta panitia mencatat "
                "kehadiran dari konsol BKPSDM."
            )
        case _:  # INVALID: forged, mistyped, or the code of no running workshop
            return (
                "Maaf, kode absen itu tidak cocok dengan workshop yang sedang berlangsung. "
                + TRY_AGAIN
            )


class ActionCheckIn(AnswerAction, name="action_check_in"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return check_in_reply(session, tracker)


class ActionReportTraining(AnswerAction, name="action_report_training"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        employee = employee_of(session, tracker)
        text = (
            "Untuk melaporkan pelatihan yang diikuti di luar (diklat, webinar, kursus daring):\n"
            "1. Kirim foto atau PDF sertifikatnya ke chat ini (JPG, PNG atau PDF, maks. "
            f"{MAX_MB} MB).\n"
            "2. Tulis keterangannya di kolom caption, misalnya: «Pelatihan Analisis Data, BPSDM "
            "Jateng, 3-5 Nov 2026, 24 JP». Yang belum lengkap akan kami tanyakan.\n"
            "3. Periksa ringkasannya lalu tekan «Kirim ke BKPSDM».\n"
            "BKPSDM memverifikasi sertifikatnya; JP baru dihitung setelah disetujui. Statusnya "
            "bisa dilihat di /riwayat."
        )
        if employee is None:
            return Reply(f"{text}\n\n{LINK_INVITE}", [LINK_BUTTON])
        return Reply(text, [button("📋 Riwayat laporan saya", "ask_training_history")])


class ActionTrainingHistory(AnswerAction, name="action_training_history"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        employee = employee_of(session, tracker)
        if employee is None:
            return Reply(
                "Untuk melihat riwayat laporan pelatihan, akun Telegram perlu dihubungkan dulu "
                f"dengan data pegawai. {LINK_INVITE}",
                [LINK_BUTTON],
            )
        return Reply(
            reports.history_text(reports.for_employee(session, employee.id), honorific(employee))
        )
