"""Workshop: create, edit (capacity changes promote the waitlist), cancel (registrants told
through the outbox), registrants and waitlist. hr_admin manages every workshop; a unit operator
only those their unit organises (a workshop with no organiser unit is BKPSDM-wide)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from asnkarier.services import workshops
from web.deps import Config, CurrentOfficer, Db, Now
from web.templating import render

router = APIRouter(prefix="/workshop")
Field = Annotated[str, Form()]
KEEP = "-"  # no organiser field in the form (FastAPI reads an empty field as None): unchanged


def _refused(exc: workshops.WorkshopError | workshops.WorkshopForbidden) -> HTTPException:
    return HTTPException(403 if isinstance(exc, PermissionError) else 404, str(exc))


@router.get("")
def daftar(request: Request, officer: CurrentOfficer, db: Db, now: Now) -> Response:
    items = workshops.managed(db, now, officer=officer)
    return render(
        request,
        "workshops/daftar.html",
        items=items,
        organisers=workshops.organiser_codes(db, items),
    )


@router.get("/baru")
def baru(request: Request, officer: CurrentOfficer, db: Db, settings: Config) -> Response:
    return render(
        request,
        "workshops/form.html",
        w=None,
        values={},
        timezone=settings.default_timezone,
        organisers=workshops.organiser_choices(db, officer),
        organiser=workshops.WIDE if officer.is_admin else officer.unit_code,
    )


@router.post("")
@router.post("/{workshop_id}")
def simpan(
    request: Request,
    officer: CurrentOfficer,
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
    penyelenggara: Annotated[str, Form()] = KEEP,
) -> Response:
    organiser = None if penyelenggara == KEEP else penyelenggara
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
            officer=officer,
            organiser=organiser,
        )
    except workshops.WorkshopForbidden as exc:
        raise _refused(exc) from None
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
            organisers=workshops.organiser_choices(db, officer),
            organiser=organiser or workshops.WIDE,
        )
    return RedirectResponse(f"/workshop/{saved.id}", status_code=303)


@router.get("/{workshop_id}")
def rincian(
    request: Request, workshop_id: int, officer: CurrentOfficer, db: Db, settings: Config
) -> Response:
    try:
        workshops.managed_one(db, officer, workshop_id)
        workshop, registrations = workshops.roster(db, workshop_id)
    except (workshops.WorkshopError, workshops.WorkshopForbidden) as exc:
        raise _refused(exc) from None
    codes = workshops.organiser_codes(db, [workshop])
    return render(
        request,
        "workshops/rincian.html",
        w=workshop,
        registrations=registrations,
        timezone=settings.default_timezone,
        organisers=workshops.organiser_choices(db, officer),
        organiser=codes.get(workshop.unit_id or 0, workshops.WIDE),
    )


@router.post("/{workshop_id}/batal")
def batal(request: Request, workshop_id: int, officer: CurrentOfficer, db: Db) -> Response:
    try:
        workshops.managed_one(db, officer, workshop_id)
    except (workshops.WorkshopError, workshops.WorkshopForbidden) as exc:
        raise _refused(exc) from None
    workshops.cancel_workshop(db, workshop_id, actor=officer.actor)
    return RedirectResponse(f"/workshop/{workshop_id}", status_code=303)
