"""Umpan balik: per ended workshop the scores (averages, 1-5 distributions), the comments and
the certificates issued, with revoking (hr_admin, reason required, audited). A unit operator
sees only their own unit's employees' rows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from asnkarier.services import certificates
from asnkarier.services import feedback as fb
from web.deps import AdminOfficer, CurrentOfficer, Db, Now
from web.templating import render

router = APIRouter(prefix="/umpan-balik")


@router.get("")
def daftar(request: Request, officer: CurrentOfficer, db: Db, now: Now) -> Response:
    return render(request, "feedback/daftar.html", lines=fb.ended_with_counts(db, officer, now))


def _page(
    request: Request, officer: CurrentOfficer, db: Db, workshop_id: int, **extra: object
) -> Response:
    found = fb.summary(db, workshop_id, officer)
    if found is None:
        raise HTTPException(404, "Workshop tidak ditemukan.")
    status_code = int(str(extra.pop("status_code", 200)))
    return render(
        request,
        "feedback/rincian.html",
        status_code=status_code,
        s=found,
        overall_bars=found.bars(fb.OVERALL),
        usefulness_bars=found.bars(fb.USEFULNESS),
        **extra,
    )


@router.get("/workshop/{workshop_id}")
def rincian(request: Request, workshop_id: int, officer: CurrentOfficer, db: Db) -> Response:
    return _page(request, officer, db, workshop_id)


@router.post("/workshop/{workshop_id}/cabut")
def cabut(
    request: Request,
    workshop_id: int,
    officer: AdminOfficer,
    db: Db,
    nomor: Annotated[str, Form()] = "",
    alasan: Annotated[str, Form()] = "",
) -> Response:
    try:
        fb.revoke(db, workshop_id, nomor, alasan, actor=officer.actor)
    except certificates.CertificateError as exc:
        return _page(
            request, officer, db, workshop_id, status_code=422, error=str(exc), nomor=nomor
        )
    return RedirectResponse(f"/umpan-balik/workshop/{workshop_id}#sertifikat", status_code=303)
