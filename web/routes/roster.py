"""Impor pegawai: a roster upload (CSV/XLSX) checked by the core's reader and validator
(asnkarier.services.roster, the same as `asnbot roster import`), previewed, then imported.

hr_admin only: a roster import creates units and moves employees between units (the
`unit_kerja` column), which is BKPSDM's business, not one OPD's.

The preview runs the real import inside a SAVEPOINT that is rolled back, so its counts and its
per-row report are exactly what "Impor" will do. The uploaded file waits for "Impor" in a
private temporary folder under a random token bound to the officer, for UPLOAD_TTL.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response

from asnkarier.services import roster as rosters
from web.deps import AdminOfficer, Config, Db
from web.templating import render

router = APIRouter(prefix="/pegawai/impor")

UPLOADS = Path(tempfile.gettempdir()) / "asnkarier-konsol-roster"
UPLOAD_TTL = 3600  # seconds a previewed file waits for "Impor"
SUFFIXES = (".csv", ".xlsx")
CHUNK = 1024 * 1024
MAX_ROWS_SHOWN = 500  # rows of the report shown; the counts always cover the whole file


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB".replace(".", ",")


def _sweep() -> None:
    if not UPLOADS.is_dir():
        return
    cutoff = time.time() - UPLOAD_TTL
    for old in UPLOADS.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            continue


async def _save(upload: UploadFile, officer_id: int, max_bytes: int) -> tuple[str, Path]:
    """Keep the upload under a fresh token; refuse a wrong type or a file over the cap."""
    name = Path(upload.filename or "").name
    suffix = Path(name).suffix.lower()
    if not name:
        raise ValueError("Pilih berkas CSV atau XLSX lebih dulu.")
    if suffix not in SUFFIXES:
        raise ValueError(f"{name}: format tidak didukung (gunakan .csv atau .xlsx).")
    UPLOADS.mkdir(mode=0o700, parents=True, exist_ok=True)
    _sweep()
    token = secrets.token_urlsafe(24)
    path = UPLOADS / f"{officer_id}-{token}{suffix}"
    size = 0
    with path.open("wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > max_bytes:  # stop reading: the cap protects the disk, not only the DB
                out.close()
                path.unlink(missing_ok=True)
                raise ValueError(
                    f"{name}: berkas lebih besar dari batas {_mb(max_bytes)} (ROSTER_MAX_BYTES); "
                    "bagi berkasnya per unit kerja."
                )
            out.write(chunk)
    path.chmod(0o600)
    return token, path


def _saved(token: str, officer_id: int) -> Path:
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        raise HTTPException(400, "Berkas pratinjau tidak dikenal. Unggah ulang berkasnya.")
    for suffix in SUFFIXES:
        path = UPLOADS / f"{officer_id}-{token}{suffix}"
        if path.is_file() and path.stat().st_mtime >= time.time() - UPLOAD_TTL:
            return path
    raise HTTPException(
        410, "Berkas pratinjau sudah tidak ada (lebih dari 1 jam). Unggah ulang berkasnya."
    )


def _run(
    db: Db, path: Path, name: str, *, strict: bool, actor: str, settings: Config, dry: bool
) -> rosters.ImportReport:
    """The core's import; in a dry run inside a SAVEPOINT rolled back afterwards."""
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
    name = Path(berkas.filename or "").name
    try:
        token, path = await _save(berkas, officer.employee_id, settings.roster_max_bytes)
        report = _run(
            db, path, name, strict=strict, actor=officer.actor, settings=settings, dry=True
        )
    except ValueError as exc:
        return _page(request, 422, error=str(exc), strict=strict)
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
    path = _saved(token, officer.employee_id)
    name = Path(nama_berkas).name or path.name
    try:
        report = _run(
            db, path, name, strict=strict, actor=officer.actor, settings=settings, dry=False
        )
    except ValueError as exc:
        return _page(request, 422, error=str(exc), strict=strict)
    path.unlink(missing_ok=True)
    status = 200 if report.imported else 422
    return _page(request, status, report=report, dry=False, file_name=name, strict=strict)
