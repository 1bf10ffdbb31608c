"""Check-in at a workshop: the projector page (QR deep link and 6-digit code, new every 30 s),
attendance by hand (and undo), and the attendance sheet as XLSX or CSV.

The projector page and its fragment are hr_admin only (what they show lets anyone in the room
check in). The attendance list, marking and the sheet are open to unit operators too, limited
to their unit's employees, like every other page about people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import segno
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from asnkarier.models import Employee, RegistrationStatus, Workshop
from asnkarier.services import checkin, workshops
from asnkarier.services.console_auth import Officer
from asnkarier.services.formatting import local_time
from asnkarier.services.nip import mask_nip
from asnkarier.settings import Settings
from web.deps import AdminOfficer, Config, CurrentOfficer, Db, Now
from web.exports import MEDIA, table_download
from web.templating import render

router = APIRouter(prefix="/hadir")
STATUS = {RegistrationStatus.REGISTERED: "terdaftar", RegistrationStatus.ATTENDED: "hadir"}
VIA = {"qr": "QR", "code": "kode", "console": "konsol"}


def _scope(officer: Officer) -> set[int] | None:
    """The units whose employees this officer sees (None: all)."""
    if officer.is_admin:
        return None
    return {officer.unit_id} if officer.unit_id is not None else set()


def _sheet(
    db: Session, workshop_id: int, officer: Officer
) -> tuple[Workshop, list[checkin.SheetRow]]:
    try:
        return checkin.attendance(db, workshop_id, unit_ids=_scope(officer))
    except checkin.CheckinError as exc:
        raise HTTPException(404, str(exc)) from None


@dataclass
class Screen:
    """What the projector shows now: QR (inline SVG), code, count, seconds to the next one."""

    w: Workshop
    attended: int
    expected: int
    running: bool
    opens_at: dt.datetime
    seconds: int = checkin.WINDOW_SECONDS
    key_missing: bool = False
    code: str = ""
    link: str = ""
    qr: str = ""


def _screen(db: Session, settings: Settings, workshop_id: int, now: dt.datetime) -> Screen:
    try:
        workshop, rows = checkin.attendance(db, workshop_id)
    except checkin.CheckinError as exc:
        raise HTTPException(404, str(exc)) from None
    attended, expected = checkin.counts(rows)
    screen = Screen(
        workshop,
        attended,
        expected,
        checkin.is_running(workshop, now),
        workshop.starts_at - checkin.OPENS_BEFORE,
    )
    key = settings.checkin_key
    if not key:
        screen.key_missing = True
        return screen
    shown = checkin.display(key, workshop.id, now)
    # Ask again just after the window changes (at least 1 s from now).
    screen.seconds = max(1, int((shown.changes_at - now).total_seconds()) + 1)
    if screen.running:
        screen.code = shown.code
        screen.link = checkin.deep_link(settings.telegram_bot_username, shown.token)
        if screen.link:
            screen.qr = segno.make(screen.link, error="m").svg_inline(
                scale=1, border=2, omitsize=True, svgclass="qr", lineclass="qr-line"
            )
    return screen


@router.get("")
def daftar(request: Request, _officer: CurrentOfficer, db: Db, now: Now) -> Response:
    """Workshops running now and recent ones, to open their attendance."""
    items = workshops.managed(db, now - dt.timedelta(days=60), limit=100)
    return render(
        request,
        "checkin/daftar.html",
        items=[
            w for w in items if w.starts_at - checkin.OPENS_BEFORE <= now + dt.timedelta(days=1)
        ],
        running={w.id for w in checkin.running(db, now)},
    )


@router.get("/{workshop_id}/layar")
def layar(
    request: Request, workshop_id: int, _officer: AdminOfficer, db: Db, settings: Config, now: Now
) -> Response:
    return render(request, "checkin/layar.html", s=_screen(db, settings, workshop_id, now))


@router.get("/{workshop_id}/kode")
def kode(
    request: Request, workshop_id: int, _officer: AdminOfficer, db: Db, settings: Config, now: Now
) -> Response:
    """The fragment htmx swaps in every window (QR, code, count)."""
    return render(request, "checkin/_kode.html", s=_screen(db, settings, workshop_id, now))


@router.get("/{workshop_id}")
def peserta(
    request: Request, workshop_id: int, officer: CurrentOfficer, db: Db, now: Now
) -> Response:
    workshop, rows = _sheet(db, workshop_id, officer)
    attended, expected = checkin.counts(rows)
    return render(
        request,
        "checkin/peserta.html",
        w=workshop,
        rows=rows,
        attended=attended,
        expected=expected,
        running=checkin.is_running(workshop, now),
        vias=VIA,
        message=request.query_params.get("pesan", ""),
    )


def _own(db: Session, officer: Officer, employee_id: int) -> Employee:
    employee = db.get(Employee, employee_id)
    if employee is None or not officer.sees_unit(employee.unit_id):
        raise HTTPException(404, "Pegawai tidak ditemukan di unit Anda.")
    return employee


@router.post("/{workshop_id}/pegawai/{employee_id}/hadir")
def tandai(
    workshop_id: int, employee_id: int, officer: CurrentOfficer, db: Db, now: Now
) -> Response:
    _own(db, officer, employee_id)
    try:
        result = checkin.mark_by_hand(db, workshop_id, employee_id, actor=officer.actor, now=now)
    except checkin.CheckinError as exc:
        raise HTTPException(404, str(exc)) from None
    messages = {
        checkin.Outcome.ATTENDED: "tercatat",
        checkin.Outcome.ALREADY: "sudah",
        checkin.Outcome.NOT_REGISTERED: "tidak-terdaftar",
        checkin.Outcome.CANCELLED: "dibatalkan",
    }
    return RedirectResponse(
        f"/hadir/{workshop_id}?pesan={messages.get(result.outcome, '')}", status_code=303
    )


@router.post("/{workshop_id}/pegawai/{employee_id}/batal")
def batalkan(workshop_id: int, employee_id: int, officer: CurrentOfficer, db: Db) -> Response:
    _own(db, officer, employee_id)
    try:
        checkin.unmark(db, workshop_id, employee_id, actor=officer.actor)
    except checkin.CheckinError as exc:
        raise HTTPException(409, str(exc)) from None
    return RedirectResponse(f"/hadir/{workshop_id}?pesan=dibatalkan-hadir", status_code=303)


@router.get("/{workshop_id}/daftar-hadir.{fmt}")
def ekspor(workshop_id: int, fmt: str, officer: CurrentOfficer, db: Db) -> Response:
    if fmt not in MEDIA:
        raise HTTPException(404, "Format daftar hadir tidak dikenal (csv atau xlsx).")
    workshop, rows = _sheet(db, workshop_id, officer)
    tz = workshop.timezone
    table: list[list[object]] = [["Nama", "NIP", "Unit", "Status", "Waktu hadir", "Cara"]]
    for r in rows:
        reg = r.registration
        table.append(
            [
                r.name,
                mask_nip(r.nip),
                r.unit,
                STATUS.get(reg.status, reg.status.value),
                local_time(reg.attended_at, tz) if reg.attended_at else "",
                VIA.get(reg.attended_via or "", ""),
            ]
        )
    return table_download(table, fmt, f"daftar-hadir-{workshop.code}", title="Daftar hadir")
