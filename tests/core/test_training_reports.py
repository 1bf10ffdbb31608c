"""Training reports and the file store, on SQLite and PostgreSQL: checks, duplicates, HR's
decision, the JP of the year and the notice in the outbox."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from asnkarier.models import (
    CompetencyHours,
    OutboxMessage,
    ReportStatus,
    StoredFile,
    TrainingReport,
)
from asnkarier.services import files, training
from asnkarier.services import training_reports as reports
from asnkarier.services.outbox_keys import TRAINING_REPORT_DECIDED
from tests.factories import make_employee

PDF = b"%PDF-1.7\n" + b"x" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
FORM = {
    "title": "Pelatihan Analisis Data",
    "provider": "BPSDM Jateng",
    "start": "2026-11-03",
    "end": "2026-11-05",
    "jp": 24,
}


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("Pelatihan Analisis Data, BPSDM Jateng, 3-5 Nov 2026, 24 JP", FORM),
        (
            "Diklat PIM IV; LAN RI; 28 Okt - 2 November 2026; 40 jp",
            {
                "title": "Diklat PIM IV",
                "provider": "LAN RI",
                "start": "2026-10-28",
                "end": "2026-11-02",
                "jp": 40,
            },
        ),
        (
            "Webinar SKP 12 Agt 2026 2 JP",
            {"title": "Webinar SKP", "start": "2026-08-12", "end": "2026-08-12", "jp": 2},
        ),
        (
            "e-learning ASN 03/11/2026 - 05/11/2026",
            {"title": "e-learning ASN", "start": "2026-11-03", "end": "2026-11-05"},
        ),
        ("", {}),
        ("31 Feb 2026, 900 JP", {}),  # no such date, implausible JP: nothing taken
    ],
)
def test_caption_prefills_what_it_can(caption: str, expected: dict[str, object]) -> None:
    assert reports.from_caption(caption) == expected


def test_form_answers_are_checked() -> None:
    data = reports.fill({}, "title", "  Pelatihan   Kepemimpinan ")
    assert data == {"title": "Pelatihan Kepemimpinan"}
    assert reports.missing(data) == "provider"
    data = reports.fill(data, "provider", "BKPSDM Kota")
    data = reports.fill(data, "dates", "5 Des 2026")
    data = reports.fill(data, "jp", "16 JP")
    assert reports.missing(data) is None
    assert data["start"] == data["end"] == "2026-12-05"
    assert data["jp"] == 16
    for field, answer in (("jp", "banyak"), ("jp", "0"), ("dates", "kemarin"), ("title", "x")):
        with pytest.raises(reports.ReportError):
            reports.fill(data, field, answer)
    assert "5 Desember 2026" in reports.summary(data)


def test_files_are_checked_by_their_bytes() -> None:
    assert files.check(PDF).mime_type == "application/pdf"
    assert files.check(JPEG).mime_type == "image/jpeg"
    assert files.check(PNG).mime_type == "image/png"
    with pytest.raises(files.FileRejected, match="tidak bisa kami terima"):
        files.check(b"MZ\x90\x00 an executable named sertifikat.pdf")
    with pytest.raises(files.FileRejected, match="terlalu besar"):
        files.check(b"%PDF-" + b"0" * files.MAX_BYTES)
    with pytest.raises(files.FileRejected, match="terlalu besar"):
        files.check_size(files.MAX_BYTES + 1)
    files.check_size(files.MAX_BYTES)
    files.check_size(None)
    with pytest.raises(files.FileRejected):
        files.check(b"")


def test_the_same_bytes_are_stored_once_and_recognised(session: Session) -> None:
    employee = make_employee(session, chat_id=880_001)
    first = files.store(session, files.check(PDF), "a.pdf")
    again = files.store(session, files.check(PDF), "copy.pdf")
    assert first.id == again.id
    assert files.content_of(session, first.id) == PDF
    assert reports.reported_file(session, files.digest(PDF)) is None
    report = reports.create(session, employee, first.id, FORM)
    assert reports.reported_file(session, files.digest(PDF)) == report
    with pytest.raises(reports.ReportError, match="sudah pernah dilaporkan"):
        reports.create(session, employee, first.id, FORM)
    count = session.scalar(select(StoredFile.id).where(StoredFile.sha256 == files.digest(PDF)))
    assert count == first.id


def _report(session: Session, chat_id: int | None, content: bytes = PDF) -> TrainingReport:
    employee = make_employee(session, chat_id=chat_id)
    stored = files.store(session, files.check(content + str(chat_id).encode()))
    return reports.create(session, employee, stored.id, FORM)


def test_jp_count_only_once_approved_and_the_employee_is_told(session: Session) -> None:
    report = _report(session, 880_011)
    employee_id = report.employee_id
    assert training.hours(session, employee_id, 2026).total == 0
    assert employee_id in training.employees_under(session, 2026)

    decision = reports.approve(session, report.id, 20, reviewer="cli:hr")
    assert decision.notified
    assert report.status == ReportStatus.APPROVED
    summary = training.hours(session, employee_id, 2026)
    assert summary.total == 20
    assert summary.missing == 0
    assert [e.source for e in summary.entries] == ["laporan"]
    assert employee_id not in training.employees_under(session, 2026)
    notice = session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.idempotency_key == TRAINING_REPORT_DECIDED(report.id, "approved")
        )
    )
    assert notice is not None
    assert notice.chat_id == 880_011
    assert "disetujui" in notice.text
    assert "20 JP" in notice.text
    assert "Diajukan 24 JP" in notice.text

    with pytest.raises(reports.ReportError, match="sudah diputuskan"):
        reports.approve(session, report.id, 24, reviewer="cli:other")
    with pytest.raises(reports.ReportError, match="sudah diputuskan"):
        reports.reject(session, report.id, "salah berkas", reviewer="cli:other")
    rows = session.scalars(
        select(CompetencyHours).where(CompetencyHours.training_report_id == report.id)
    )
    assert len(list(rows)) == 1


def test_rejected_reports_add_no_jp_and_say_why(session: Session) -> None:
    report = _report(session, 880_021)
    with pytest.raises(reports.ReportError, match="alasan"):
        reports.reject(session, report.id, "  ", reviewer="cli:hr")
    reports.reject(session, report.id, "Sertifikat tidak terbaca", reviewer="cli:hr")
    assert training.hours(session, report.employee_id, 2026).total == 0
    notice = session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.idempotency_key == TRAINING_REPORT_DECIDED(report.id, "rejected")
        )
    )
    assert notice is not None
    assert "Alasan: Sertifikat tidak terbaca" in notice.text
    history = reports.history_text(reports.for_employee(session, report.employee_id))
    assert "ditolak" in history
    assert "Sertifikat tidak terbaca" in history


def test_an_unlinked_employee_is_not_queued_a_notice(session: Session) -> None:
    report = _report(session, None)
    assert not reports.approve(session, report.id, 24, reviewer="cli:hr").notified
    assert report not in reports.pending(session)


def test_pending_lists_oldest_first_and_bad_ids_are_refused(session: Session) -> None:
    first, second = _report(session, 880_031), _report(session, 880_032)
    waiting = reports.pending(session)
    assert waiting.index(first) < waiting.index(second)
    with pytest.raises(reports.ReportError, match="tidak ditemukan"):
        reports.approve(session, 999_999, 10, reviewer="cli:hr")
    with pytest.raises(reports.ReportError, match="JP harus"):
        reports.approve(session, first.id, 0, reviewer="cli:hr")
    assert reports.period(dt.date(2026, 1, 2), dt.date(2026, 1, 2)) == "2 Januari 2026"
