"""Training reports as HR reviews them in the console: the list (pending first, or decided ones)
and one report with its file, within what the officer may see (an operator: their unit's
employees). Deciding is asnkarier.services.training_reports (approve/reject), as in the CLI."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from asnkarier.models import Employee, ReportStatus, StoredFile, TrainingReport
from asnkarier.services import files
from asnkarier.services.console_auth import Officer

PAGE_SIZE = 100
FILTERS = {
    "menunggu": [ReportStatus.PENDING],
    "disetujui": [ReportStatus.APPROVED],
    "ditolak": [ReportStatus.REJECTED],
    "semua": list(ReportStatus),
}


class ReportHidden(PermissionError):
    """The report is of an employee of another unit."""


class UnknownReport(LookupError):
    """No report has this id."""


def listing(session: Session, officer: Officer, status: str = "menunggu") -> list[TrainingReport]:
    """Reports in scope: pending ones oldest first (the queue), decided ones newest first."""
    statuses = FILTERS.get(status, FILTERS["menunggu"])
    query = (
        select(TrainingReport)
        .join(Employee, Employee.id == TrainingReport.employee_id)
        .options(joinedload(TrainingReport.employee).joinedload(Employee.unit))
        .where(TrainingReport.status.in_(statuses))
    )
    if not officer.is_admin:
        query = query.where(Employee.unit_id == officer.unit_id)
    if statuses == [ReportStatus.PENDING]:
        query = query.order_by(TrainingReport.created_at, TrainingReport.id)
    else:
        query = query.order_by(TrainingReport.created_at.desc(), TrainingReport.id.desc())
    return list(session.scalars(query.limit(PAGE_SIZE)))


def visible(session: Session, officer: Officer, report_id: int) -> TrainingReport:
    """One report, if the officer may see it."""
    report = session.get(TrainingReport, report_id)
    if report is None:
        raise UnknownReport(f"Laporan #{report_id} tidak ditemukan.")
    if not officer.sees_unit(report.employee.unit_id):
        raise ReportHidden("Laporan ini dari pegawai unit lain.")
    return report


def file_of(session: Session, officer: Officer, report_id: int) -> tuple[StoredFile, bytes]:
    """The report's stored file and its bytes (from the file store), in scope."""
    report = visible(session, officer, report_id)
    return report.file, files.content_of(session, report.file_id) or b""
