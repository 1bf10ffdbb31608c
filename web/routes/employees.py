"""Pegawai: search and an employee's page (NIP and phone masked unless asked, audited)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from asnkarier.services import directory
from web.deps import CurrentOfficer, Db, Now
from web.templating import render

router = APIRouter(prefix="/pegawai")


@router.get("")
def daftar(
    request: Request,
    officer: CurrentOfficer,
    db: Db,
    q: str = "",
    unit: str = "",
    tertaut: str = "",
) -> Response:
    rows = directory.search(db, officer, text=q, unit=unit, linked=tertaut)
    template = (
        "employees/_baris.html" if request.headers.get("HX-Request") else "employees/daftar.html"
    )
    return render(
        request,
        template,
        rows=rows,
        q=q,
        unit=unit,
        tertaut=tertaut,
        units=directory.unit_codes(db, officer),
    )


def _profile(
    request: Request, officer: CurrentOfficer, db: Db, now: Now, employee_id: int, reveal: bool
) -> Response:
    try:
        found = directory.profile(db, officer, employee_id, now, reveal=reveal)
    except directory.UnknownEmployee as exc:
        raise HTTPException(404, str(exc)) from None
    except directory.EmployeeHidden as exc:
        raise HTTPException(403, str(exc)) from None
    return render(request, "employees/rincian.html", p=found)


@router.get("/{employee_id}")
def rincian(
    request: Request, employee_id: int, officer: CurrentOfficer, db: Db, now: Now
) -> Response:
    return _profile(request, officer, db, now, employee_id, reveal=False)


@router.post("/{employee_id}/buka")
def buka(request: Request, employee_id: int, officer: CurrentOfficer, db: Db, now: Now) -> Response:
    return _profile(request, officer, db, now, employee_id, reveal=True)
