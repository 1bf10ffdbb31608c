"""Training done elsewhere, reported by the employee with the certificate as evidence.

The employee sends a photo or PDF (the bot's form fills title, provider, dates and JP, from the
caption where it can); HR approves with the JP it accepts or rejects with a reason; the employee
is told through the outbox. Only an approved report counts toward the year's JP: approving adds
the `CompetencyHours` row that `training.hours` sums.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from asnkarier.models import (
    CompetencyHours,
    Employee,
    ReportStatus,
    StoredFile,
    TrainingReport,
    utcnow,
)
from asnkarier.services import outbox
from asnkarier.services.audit import record
from asnkarier.services.employees import NEUTRAL, honorific, reachable
from asnkarier.services.formatting import MONTHS, tanggal
from asnkarier.services.outbox_keys import TRAINING_REPORT_DECIDED

OUTBOX_KIND = "training_report"
FIELDS = ("title", "provider", "dates", "jp")  # the form's questions, in order
MAX_JP = 200  # a long programme (e.g. Latsar CPNS) is a few hundred JP at most
STATUS_LABELS = {
    ReportStatus.PENDING: "⏳ menunggu verifikasi",
    ReportStatus.APPROVED: "✅ disetujui",
    ReportStatus.REJECTED: "❌ ditolak",
}

# "Jan", "Januari", "Agt", "Agus" ... -> month number; three letters suffice, plus Indonesian
# abbreviations that are not the first three letters.
_MONTHS = {name[:3].lower(): index + 1 for index, name in enumerate(MONTHS)}
_MONTHS.update({"agt": 8, "ags": 8, "okt": 10, "des": 12, "peb": 2, "nop": 11})
_MONTH = r"([A-Za-z]{3,9})\.?"
_DAY = r"(\d{1,2})"
_YEAR = r"(\d{4})"
_RANGE_SEP = r"\s*(?:-|–|—|s\.?d\.?|s/d|sampai(?: dengan)?|hingga)\s*"
_DATE_PATTERNS = (
    # 3-5 Nov 2026
    re.compile(rf"\b{_DAY}{_RANGE_SEP}{_DAY}\s+{_MONTH}\s+{_YEAR}\b", re.IGNORECASE),
    # 28 Okt - 2 Nov 2026
    re.compile(rf"\b{_DAY}\s+{_MONTH}{_RANGE_SEP}{_DAY}\s+{_MONTH}\s+{_YEAR}\b", re.IGNORECASE),
    # 3 Nov 2026 (one day)
    re.compile(rf"\b{_DAY}\s+{_MONTH}\s+{_YEAR}\b", re.IGNORECASE),
    # 03/11/2026 - 05/11/2026, or 03-11-2026 alone
    re.compile(
        rf"\b{_DAY}[/.-](\d{{1,2}})[/.-]{_YEAR}(?:{_RANGE_SEP}{_DAY}[/.-](\d{{1,2}})[/.-]{_YEAR})?\b"
    ),
)
_DATE_OR_JP_LIKE = re.compile(
    r"\b\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{4}\b|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{4}\b|\b\d+\s*JP\b",
    re.IGNORECASE,
)
_JP = re.compile(r"\b(\d{1,3})\s*(?:JP|jam pelajaran)\b", re.IGNORECASE)


class ReportError(ValueError):
    """A report cannot be created or decided; the message is for the person (Indonesian)."""


def _month(name: str) -> int | None:
    return _MONTHS.get(name[:3].lower())


def _date(year: str, month: int | None, day: str) -> dt.date | None:
    if month is None:
        return None
    try:
        return dt.date(int(year), month, int(day))
    except ValueError:
        return None


def parse_dates(text: str) -> tuple[dt.date, dt.date, str] | None:
    """The first date or date range in the text: (start, end, the matched text), or None."""
    for index, pattern in enumerate(_DATE_PATTERNS):
        match = pattern.search(text)
        if match is None:
            continue
        g = match.groups()
        if index == 0:
            month = _month(g[2])
            start, end = _date(g[3], month, g[0]), _date(g[3], month, g[1])
        elif index == 1:
            start, end = _date(g[4], _month(g[1]), g[0]), _date(g[4], _month(g[3]), g[2])
        elif index == 2:
            start = end = _date(g[2], _month(g[1]), g[0])
        else:
            start = _date(g[2], int(g[1]), g[0])
            end = _date(g[5], int(g[4]), g[3]) if g[3] else start
        if start is not None and end is not None and start <= end:
            return start, end, match.group(0)
    return None


def parse_jp(text: str) -> tuple[int, str] | None:
    match = _JP.search(text)
    if match is None or not 1 <= int(match.group(1)) <= MAX_JP:
        return None
    return int(match.group(1)), match.group(0)


def from_caption(caption: str | None) -> dict[str, Any]:
    """Form fields found in a caption such as
    "Pelatihan Analisis Data, BPSDM Jateng, 3-5 Nov 2026, 24 JP": what is left once the dates
    and JP are taken out gives the title (first part) and the provider (second)."""
    text = " ".join((caption or "").split())
    found: dict[str, Any] = {}
    dates = parse_dates(text)
    if dates is not None:
        found["start"], found["end"] = dates[0].isoformat(), dates[1].isoformat()
        text = text.replace(dates[2], ",")
    jp = parse_jp(text)
    if jp is not None:
        found["jp"] = jp[0]
        text = text.replace(jp[1], ",")
    parts = [p.strip(" .-–") for p in re.split(r"[,;\n]", text)]
    # What still looks like a date or JP (an impossible date, 900 JP) is no title or provider.
    parts = [p for p in parts if len(p) >= 3 and not _DATE_OR_JP_LIKE.search(p)]
    if parts:
        found["title"] = parts[0][:200]
    if len(parts) > 1:
        found["provider"] = parts[1][:200]
    return found


def missing(data: dict[str, Any]) -> str | None:
    """The first form field still missing ("title", "provider", "dates", "jp"), or None."""
    for name in FIELDS:
        key = "start" if name == "dates" else name
        if not data.get(key):
            return name
    return None


def fill(data: dict[str, Any], field: str, answer: str) -> dict[str, Any]:
    """The draft with one typed answer; ReportError (Indonesian) when it does not fit."""
    answer = " ".join(answer.split())
    if field in {"title", "provider"}:
        if not 3 <= len(answer) <= 200:
            raise ReportError("Mohon tulis 3 sampai 200 karakter.")
        return {**data, field: answer}
    if field == "dates":
        dates = parse_dates(answer)
        if dates is None:
            raise ReportError(
                "Tanggalnya belum saya kenali. Contoh: 3-5 Nov 2026, atau 03/11/2026."
            )
        return {**data, "start": dates[0].isoformat(), "end": dates[1].isoformat()}
    if field == "jp":
        digits = answer.upper().removesuffix("JP").strip()
        if not digits.isdigit() or not 1 <= int(digits) <= MAX_JP:
            raise ReportError(f"Mohon tulis jumlah JP sebagai angka 1 sampai {MAX_JP}.")
        return {**data, "jp": int(digits)}
    raise ValueError(f"unknown field {field!r}")


def period(start: dt.date, end: dt.date) -> str:
    if start == end:
        return tanggal(start, with_day=False)
    return f"{tanggal(start, with_day=False)} s.d. {tanggal(end, with_day=False)}"


def summary(data: dict[str, Any]) -> str:
    """The form as the employee confirms it."""
    start, end = dt.date.fromisoformat(data["start"]), dt.date.fromisoformat(data["end"])
    return (
        f"Judul: {data['title']}\n"
        f"Penyelenggara: {data['provider']}\n"
        f"Tanggal: {period(start, end)}\n"
        f"JP: {data['jp']}"
    )


def reported_file(session: Session, sha256: str) -> TrainingReport | None:
    """The report that already carries a file with this content (a duplicate), if any."""
    return session.scalar(
        select(TrainingReport).join(TrainingReport.file).where(StoredFile.sha256 == sha256)
    )


def create(
    session: Session, employee: Employee, file_id: int, data: dict[str, Any]
) -> TrainingReport:
    """File the report (pending) from a complete form."""
    if missing(data) is not None:
        raise ValueError("the form is not complete")
    if session.scalar(select(TrainingReport.id).where(TrainingReport.file_id == file_id)):
        raise ReportError("Sertifikat ini sudah pernah dilaporkan.")
    report = TrainingReport(
        employee_id=employee.id,
        file_id=file_id,
        title=data["title"],
        provider=data["provider"],
        start_date=dt.date.fromisoformat(data["start"]),
        end_date=dt.date.fromisoformat(data["end"]),
        jp_claimed=int(data["jp"]),
        status=ReportStatus.PENDING,
    )
    session.add(report)
    session.flush()
    return report


def for_employee(session: Session, employee_id: int, limit: int = 10) -> list[TrainingReport]:
    """The employee's own reports, newest first."""
    return list(
        session.scalars(
            select(TrainingReport)
            .where(TrainingReport.employee_id == employee_id)
            .order_by(TrainingReport.created_at.desc(), TrainingReport.id.desc())
            .limit(limit)
        )
    )


def pending(session: Session) -> list[TrainingReport]:
    """Reports waiting for HR, oldest first (with their employee)."""
    return list(
        session.scalars(
            select(TrainingReport)
            .options(joinedload(TrainingReport.employee))
            .where(TrainingReport.status == ReportStatus.PENDING)
            .order_by(TrainingReport.created_at, TrainingReport.id)
        )
    )


def get(session: Session, report_id: int) -> TrainingReport:
    report = session.get(TrainingReport, report_id)
    if report is None:
        raise ReportError(f"Laporan #{report_id} tidak ditemukan.")
    return report


@dataclass(frozen=True)
class Decision:
    report: TrainingReport
    notified: bool  # a notice was queued (the employee is reachable in Telegram)


def _decide(session: Session, report_id: int) -> TrainingReport:
    # Row lock on PostgreSQL: two officers deciding at once, one wins and the other is told.
    report = session.scalar(
        select(TrainingReport).where(TrainingReport.id == report_id).with_for_update()
    )
    if report is None:
        raise ReportError(f"Laporan #{report_id} tidak ditemukan.")
    if report.status != ReportStatus.PENDING:
        raise ReportError(
            f"Laporan #{report_id} sudah diputuskan ({STATUS_LABELS[report.status]})."
        )
    return report


def approve(
    session: Session, report_id: int, jp: int, *, reviewer: str, now: dt.datetime | None = None
) -> Decision:
    """Accept the report with `jp` JP (may be fewer than claimed); they count from now on."""
    if not 1 <= jp <= MAX_JP:
        raise ReportError(f"JP harus 1 sampai {MAX_JP}.")
    now = now or utcnow()
    report = _decide(session, report_id)
    report.status = ReportStatus.APPROVED
    report.jp_approved = jp
    report.reviewer = reviewer
    report.reviewed_at = now
    session.add(
        CompetencyHours(
            employee_id=report.employee_id,
            year=report.end_date.year,
            jp=jp,
            activity=report.title,
            completed_on=report.end_date,
            training_report_id=report.id,
            source="laporan",
        )
    )
    session.flush()
    record(session, reviewer, "training_report.approved", f"#{report.id}", {"jp": jp})
    text = (
        f"✅ Laporan pelatihan {honorific(report.employee)} disetujui BKPSDM.\n{report.title} "
        f"({period(report.start_date, report.end_date)}): {jp} JP dicatat untuk tahun "
        f"{report.end_date.year}."
    )
    if jp < report.jp_claimed:
        text += f" (Diajukan {report.jp_claimed} JP.)"
    return Decision(report, _notify(session, report, text))


def reject(
    session: Session,
    report_id: int,
    reason: str,
    *,
    reviewer: str,
    now: dt.datetime | None = None,
) -> Decision:
    """Turn the report down with a reason the employee reads."""
    reason = " ".join(reason.split())
    if len(reason) < 5:
        raise ReportError("Mohon tulis alasan penolakan (minimal 5 karakter).")
    report = _decide(session, report_id)
    report.status = ReportStatus.REJECTED
    report.reason = reason[:1000]
    report.reviewer = reviewer
    report.reviewed_at = now or utcnow()
    session.flush()
    record(session, reviewer, "training_report.rejected", f"#{report.id}")
    text = (
        f"❌ Laporan pelatihan {honorific(report.employee)} belum dapat disetujui BKPSDM.\n"
        f"{report.title}\n"
        f"Alasan: {report.reason}\nSilakan kirim ulang sertifikat yang benar bila perlu."
    )
    return Decision(report, _notify(session, report, text))


def _notify(session: Session, report: TrainingReport, text: str) -> bool:
    employee = session.scalar(
        select(Employee).where(Employee.id == report.employee_id, reachable())
    )
    if employee is None or employee.telegram_chat_id is None:
        return False
    outbox.enqueue(
        session,
        key=TRAINING_REPORT_DECIDED(report.id, report.status.value),
        kind=OUTBOX_KIND,
        chat_id=employee.telegram_chat_id,
        text=text,
        employee_id=employee.id,
    )
    return True


def history_text(reports: list[TrainingReport], you: str = NEUTRAL) -> str:
    """`/riwayat`: the employee's reports and their status, short for a phone."""
    if not reports:
        return (
            "Belum ada laporan pelatihan. Untuk melapor, kirim foto atau PDF sertifikat ke "
            "percakapan ini."
        )
    lines = [f"Riwayat laporan pelatihan {you}:"]
    for report in reports:
        line = f"#{report.id} {report.title} ({tanggal(report.end_date, with_day=False)}), "
        if report.status == ReportStatus.APPROVED:
            line += f"{report.jp_approved} JP: {STATUS_LABELS[report.status]}"
        else:
            line += f"{report.jp_claimed} JP: {STATUS_LABELS[report.status]}"
        if report.status == ReportStatus.REJECTED and report.reason:
            line += f"\n   Alasan: {report.reason}"
        lines.append(line)
    return "\n".join(lines)
