"""Impor pegawai: a roster upload (CSV/XLSX) checked by the core's reader and validator
(asnkarier.services.roster, the same as `asnbot roster import`), previewed, then imported.

hr_admin only: a roster import creates units and moves employees between units (the
`unit_kerja` column), which is BKPSDM's business, not one OPD's.

The preview runs the real import inside a SAVEPOINT that is rolled back, so its counts and its
per-row report are exactly what "Impor" will do. The uploaded file waits for "Impor" in the
file store (asnkarier.services.roster_uploads: any console replica can import it) for an hour,
under a token signed for the officer who uploaded it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from asnkarier.models import StoredFile
from asnkarier.services import files, roster_uploads
from asnkarier.services import roster as rosters
from web import security
from web.deps import AdminOfficer, Config, Db
from web.templating import render

router = APIRouter(prefix="/pegawai/impor")

SUFFIXES = tuple(roster_uploads.TYPES)
CHUNK = 1024 * 1024
MAX_ROWS_SHOWN = 500  # rows of the report shown; the counts always cover the whole file


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB".replace(".", ",")


async def _read(upload: UploadFile, max_bytes: int) -> tuple[str, str, bytes]:
    """The upload's name, suffix and bytes; refuses a wrong type or a file over the cap."""
    name = Path(upload.filename or "").name
    suffix = Path(name).suffix.lower()
    if not name:
        raise ValueError("Pilih berkas CSV atau XLSX lebih dulu.")
    if suffix not in SUFFIXES:
        raise ValueError(f"{name}: format tidak didukung (gunakan .csv atau .xlsx).")
    content = bytearray()
    while chunk := await upload.read(CHUNK):
        content += chunk
        if len(content) > max_bytes:  # stop reading: the cap protects memory, not only the DB
            raise ValueError(
                f"{name}: berkas lebih besar dari batas {_mb(max_bytes)} (ROSTER_MAX_BYTES); "
                "bagi berkasnya per unit kerja."
            )
    return name, suffix, bytes(content)


def _token(settings: Config, officer_id: int, file_id: int, sha256: str) -> str:
    """The kept file for "Impor", signed for this officer only."""
    return security.sign(settings.web_secret, f"{officer_id}:{file_id}:{sha256}")


def _kept(db: Db, settings: Config, token: str, officer_id: int) -> StoredFile:
    payload = security.unsign(settings.web_secret, token)
    parts = payload.split(":") if payload else []
    if len(parts) != 3 or parts[0] != str(officer_id) or not parts[1].isdigit():
        raise HTTPException(400, "Berkas pratinjau tidak dikenal. Unggah ulang berkasnya.")
    stored = roster_uploads.waiting(db, int(parts[1]), parts[2])
    if stored is None:
        raise HTTPException(
            410,
            "Berkas pratinjau sudah tidak ada (sudah diimpor atau lebih dari 1 jam). "
            "Unggah ulang berkasnya.",
        )
    return stored


def _run(
    db: Db,
    content: bytes,
    suffix: str,
    name: str,
    *,
    strict: bool,
    actor: str,
    settings: Config,
    dry: bool,
) -> rosters.ImportReport:
    """The core's reader and import on the bytes (in a private temporary file for the reader);
    in a dry run inside a SAVEPOINT rolled back afterwards."""
    with tempfile.TemporaryDirectory(prefix="asnkarier-roster-") as folder:
        path = Path(folder) / f"roster{suffix}"
        path.write_bytes(content)
        try:
            rows = rosters.read_roster(path, max_bytes=settings.roster_max_bytes)
            savepoint = db.begin_nested() if dry else None
            try:
                report = rosters.import_roster(
                    db,
                    rows,
                    strict=strict,
                    actor=actor,
                    default_timezone=settings.default_timezone,
                )
            finally:
                if savepoint is not None:
                    savepoint.rollback()
            return report
        except rosters.RosterFileError as exc:
            # The core names the file by its path: show the name the officer uploaded instead.
            raise ValueError(str(exc).replace(str(path), name)) from None


def _page(request: Request, status_code: int = 200, **context: object) -> Response:
    context.setdefault("max_mb", _mb(request.app.state.settings.roster_max_bytes))
    context.setdefault("shown", MAX_ROWS_SHOWN)
    return render(request, "roster/impor.html", status_code=status_code, **context)


@router.get("")
def form(request: Request, officer: AdminOfficer) -> Response:
    return _page(request)


@router.post("/pratinjau")
async def preview(
    request: Request,
    officer: AdminOfficer,
    db: Db,
    settings: Config,
    berkas: UploadFile,
    ketat: Annotated[str, Form()] = "",
) -> Response:
    strict = ketat == "ya"
    try:
        name, suffix, content = await _read(berkas, settings.roster_max_bytes)
        report = await run_in_threadpool(
            _run,
            db,
            content,
            suffix,
            name,
            strict=strict,
            actor=officer.actor,
            settings=settings,
            dry=True,
        )
    except ValueError as exc:
        return _page(request, 422, error=str(exc), strict=strict)
    token = ""
    if report.imported and (report.created or report.updated):
        stored = await run_in_threadpool(roster_uploads.keep, db, content, suffix)
        token = _token(settings, officer.employee_id, stored.id, stored.sha256)
    return _page(request, report=report, dry=True, token=token, file_name=name, strict=strict)


@router.post("")
def import_(
    request: Request,
    officer: AdminOfficer,
    db: Db,
    settings: Config,
    token: Annotated[str, Form()] = "",
    nama_berkas: Annotated[str, Form()] = "",
    ketat: Annotated[str, Form()] = "",
) -> Response:
    strict = ketat == "ya"
    stored = _kept(db, settings, token, officer.employee_id)
    suffix = next(s for s, mime in roster_uploads.TYPES.items() if mime == stored.mime_type)
    name = Path(nama_berkas).name or stored.file_name
    content = files.content_of(db, stored.id) or b""
    try:
        report = _run(
            db,
            content,
            suffix,
            name,
            strict=strict,
            actor=officer.actor,
            settings=settings,
            dry=False,
        )
    except ValueError as exc:
        return _page(request, 422, error=str(exc), strict=strict)
    roster_uploads.discard(db, stored.id)  # used once
    status = 200 if report.imported else 422
    return _page(request, status, report=report, dry=False, file_name=name, strict=strict)
