"""Workshop: create, edit (capacity changes promote the waitlist), cancel (registrants told
through the outbox), registrants and waitlist. hr_admin only: workshops belong to no unit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from asnkarier.services import workshops
from web.deps import AdminOfficer, Config, Db, Now
from web.templating import render

router = APIRouter(prefix="/workshop")
Field = Annotated[str, Form()]


@router.get("")
def daftar(request: Request, _officer: AdminOfficer, db: Db, now: Now) -> Response:
    return render(request, "workshops/daftar.html", items=workshops.managed(db, now))


@router.get("/baru")
def baru(request: Request, _officer: AdminOfficer, settings: Config) -> Response:
    return render(
        request, "workshops/form.html", w=None, values={}, timezone=settings.default_timezone
    )


@router.post("")
@router.post("/{workshop_id}")
def simpan(
    request: Request,
    officer: AdminOfficer,
    db: Db,
    settings: Config,
    now: Now,
    workshop_id: int | None = None,
    kode: Field = "",
    judul: Field = "",
    mulai: Field = "",
    durasi: Annotated[float, Form()] = 3,
    kapasitas: Annotated[int, Form()] = 30,
    lokasi: Field = "",
    jp: Annotated[int, Form()] = 0,
) -> Response:
    try:
        saved = workshops.save(
            db,
            actor=officer.actor,
            workshop_id=workshop_id,
            code=kode,
            title=judul,
            starts_at=mulai,
            hours=durasi,
            capacity=kapasitas,
            location=lokasi,
            jp=jp,
            timezone=settings.default_timezone,
            now=now,
        )
    except workshops.WorkshopError as exc:
        values = {
            "kode": kode,
            "judul": judul,
            "mulai": mulai,
            "durasi": durasi,
            "kapasitas": kapasitas,
            "lokasi": lokasi,
            "jp": jp,
        }
        return render(
            request,
            "workshops/form.html",
            status_code=422,
            error=str(exc),
            w=None,
            values=values,
            timezone=settings.default_timezone,
            workshop_id=workshop_id,
        )
    return RedirectResponse(f"/workshop/{saved.id}", status_code=303)


@router.get("/{workshop_id}")
def rincian(
    request: Request, workshop_id: int, _officer: AdminOfficer, db: Db, settings: Config
) -> Response:
    try:
        workshop, registrations = workshops.roster(db, workshop_id)
    except workshops.WorkshopError as exc:
        raise HTTPException(404, str(exc)) from None
    return render(
        request,
        "workshops/rincian.html",
        w=workshop,
        registrations=registrations,
        timezone=settings.default_timezone,
    )


@router.post("/{workshop_id}/batal")
def batal(request: Request, workshop_id: int, officer: AdminOfficer, db: Db) -> Response:
    workshops.cancel_workshop(db, workshop_id, actor=officer.actor)
    return RedirectResponse(f"/workshop/{workshop_id}", status_code=303)
