"""Laporan pelatihan: HR verifies training reported by employees. The list (pending first, or
decided ones), a report with its certificate (streamed from the file store to signed-in
officers only), approve with the JP or reject with a reason through the core service
(asnkarier.services.training_reports, as `asnbot training approve/reject`): the employee is
told through the outbox. An operator sees and decides only their unit's employees' reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from asnkarier.models import TrainingReport
from asnkarier.services import files, report_review, training_reports
from asnkarier.services.console_auth import Officer
from web.deps import CurrentOfficer, Db
from web.templating import render

router = APIRouter(prefix="/laporan-pelatihan")

INLINE = {"image/jpeg", "image/png", "application/pdf"}
# The core's labels without their leading emoji (office PCs may lack an emoji font): badges.
WORDS = {status: label.split(" ", 1)[1] for status, label in training_reports.STATUS_LABELS.items()}


def _report(db: Db, officer: Officer, report_id: int) -> TrainingReport:
    try:
        return report_review.visible(db, officer, report_id)
    except report_review.UnknownReport as exc:
        raise HTTPException(404, str(exc)) from None
    except report_review.ReportHidden as exc:
        raise HTTPException(403, str(exc)) from None


@router.get("")
def daftar(request: Request, officer: CurrentOfficer, db: Db, status: str = "menunggu") -> Response:
    if status not in report_review.FILTERS:
        status = "menunggu"
    return render(
        request,
        "training_reports/daftar.html",
        reports=report_review.listing(db, officer, status),
        status=status,
        labels=WORDS,
    )


def _page(
    request: Request, report: TrainingReport, status_code: int = 200, **context: object
) -> Response:
    return render(
        request,
        "training_reports/rincian.html",
        status_code=status_code,
        r=report,
        labels=WORDS,
        period=training_reports.period(report.start_date, report.end_date),
        max_jp=training_reports.MAX_JP,
        **context,
    )


@router.get("/{report_id}")
def rincian(request: Request, report_id: int, officer: CurrentOfficer, db: Db) -> Response:
    return _page(request, _report(db, officer, report_id))


@router.get("/{report_id}/berkas")
def berkas(report_id: int, officer: CurrentOfficer, db: Db, unduh: int = 0) -> Response:
    """The certificate's bytes with its sniffed type; inline (image, PDF) unless asked to save."""
    try:
        stored, content = report_review.file_of(db, officer, report_id)
    except report_review.UnknownReport as exc:
        raise HTTPException(404, str(exc)) from None
    except report_review.ReportHidden as exc:
        raise HTTPException(403, str(exc)) from None
    mime = stored.mime_type if stored.mime_type in INLINE else "application/octet-stream"
    name = f"laporan-{report_id}{files.extension(stored.mime_type)}"
    disposition = "attachment" if unduh or mime not in INLINE else "inline"
    return Response(
        content,
        media_type=mime,
        headers={
            "Content-Disposition": f'{disposition}; filename="{name}"',
            # Certificates are personal: never kept by a shared office PC's cache or a proxy.
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/{report_id}/setujui")
def setujui(
    request: Request,
    report_id: int,
    officer: CurrentOfficer,
    db: Db,
    jp: Annotated[str, Form()] = "",
) -> Response:
    report = _report(db, officer, report_id)
    try:
        value = int(jp.strip())
    except ValueError:
        return _page(request, report, 422, error="JP harus berupa angka.", jp=jp)
    try:
        decision = training_reports.approve(db, report.id, value, reviewer=officer.actor)
    except training_reports.ReportError as exc:
        return _page(request, report, 422, error=str(exc), jp=jp)
    return RedirectResponse(
        f"/laporan-pelatihan/{report_id}?dikirim={int(decision.notified)}", status_code=303
    )


@router.post("/{report_id}/tolak")
def tolak(
    request: Request,
    report_id: int,
    officer: CurrentOfficer,
    db: Db,
    alasan: Annotated[str, Form()] = "",
) -> Response:
    report = _report(db, officer, report_id)
    try:
        decision = training_reports.reject(db, report.id, alasan, reviewer=officer.actor)
    except training_reports.ReportError as exc:
        return _page(request, report, 422, error=str(exc), alasan=alasan)
    return RedirectResponse(
        f"/laporan-pelatihan/{report_id}?dikirim={int(decision.notified)}", status_code=303
    )
