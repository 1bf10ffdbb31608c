"""Pengumuman: compose (segment builder, live count, preview), approve, list, report, export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from asnkarier.services import broadcasts, files, sendtime
from asnkarier.services.formatting import today_in
from asnkarier.settings import Settings
from web import charts
from web.deps import Config, CurrentOfficer, Db, Now
from web.exports import MEDIA, table_download
from web.templating import render

router = APIRouter(prefix="/pengumuman")

Text = Annotated[str, Form()]
Optional = Annotated[str, Form()]
Upload = Annotated[UploadFile | None, File()]
# htmx event: the composer's preview reloads. Sent as HX-Trigger-After-Swap, so the preview's
# request reads the form once the new hidden `lampiran` field is in it (with HX-Trigger it could
# be issued before the swap, without the attachment, whenever no other preview was in flight).
ATTACHMENT_CHANGED = "lampiran-berubah"
ATTACHMENT_CHANGED_HEADER = "HX-Trigger-After-Swap"


def _read_upload(upload: UploadFile | None) -> tuple[bytes, str] | None:
    """The bytes of an uploaded file (at most one byte over the limit is read), or None."""
    if upload is None or not upload.filename:
        return None
    return upload.file.read(files.MAX_BYTES + 1), upload.filename


def _attachment(db: Db, lampiran: str, berkas: UploadFile | None) -> str:
    """The SHA-256 the form names, or that of a file sent with the form itself (no htmx)."""
    uploaded = _read_upload(berkas)
    if uploaded is not None:
        return broadcasts.attach(db, *uploaded).sha256
    return lampiran.strip()


def _chart(info: broadcasts.Detail, settings: Settings) -> charts.Chart | None:
    return (
        charts.timeline_chart(info.timeline, settings.default_timezone) if info.timeline else None
    )


def _segment(key: str, value: str) -> dict[str, str]:
    return {key: value} if key and key != "semua" else {}


def _not_found(exc: LookupError | PermissionError) -> HTTPException:
    status = 403 if isinstance(exc, PermissionError) else 404
    return HTTPException(status, str(exc))


@router.get("")
def daftar(request: Request, officer: CurrentOfficer, db: Db) -> Response:
    return render(request, "broadcasts/daftar.html", items=broadcasts.listing(db, officer))


@router.get("/baru")
def baru(
    request: Request, officer: CurrentOfficer, db: Db, settings: Config, now: Now, dari: int = 0
) -> Response:
    text, segment = "", ({"unit": officer.unit_code} if not officer.is_admin else {})
    attachment = None
    if dari:
        try:
            text, segment = broadcasts.duplicate(db, officer, dari)
            attachment = broadcasts.attachment_of(db, broadcasts.get(db, dari))
        except (broadcasts.BroadcastNotFound, broadcasts.BroadcastForbidden) as exc:
            raise _not_found(exc) from None
    key, value = next(iter(segment.items())) if segment else ("semua", "")
    return render(
        request,
        "broadcasts/tulis.html",
        options=broadcasts.segment_options(db, today_in(settings.default_timezone, now)),
        text=text,
        key=key,
        value=value,
        when="",
        timezone=settings.default_timezone,
        threshold=settings.broadcast_approval_threshold,
        attachment=attachment,
    )


@router.post("/lampiran")
def lampiran_unggah(
    request: Request, _officer: CurrentOfficer, db: Db, lampiran_berkas: Upload = None
) -> Response:
    """Keep the chosen file in the store; the composer then names it by its SHA-256."""
    try:
        uploaded = _read_upload(lampiran_berkas)
        if uploaded is None:
            raise broadcasts.BroadcastError("Pilih berkas PDF atau gambar untuk dilampirkan.")
        attachment = broadcasts.attach(db, *uploaded)
    except broadcasts.BroadcastError as exc:
        return render(request, "broadcasts/_lampiran.html", attachment=None, error=str(exc))
    response = render(request, "broadcasts/_lampiran.html", attachment=attachment)
    response.headers[ATTACHMENT_CHANGED_HEADER] = ATTACHMENT_CHANGED
    return response


@router.get("/lampiran/kosong")
def lampiran_kosong(request: Request, _officer: CurrentOfficer) -> Response:
    """The file picker again (the officer removed the attachment)."""
    response = render(request, "broadcasts/_lampiran.html", attachment=None)
    response.headers[ATTACHMENT_CHANGED_HEADER] = ATTACHMENT_CHANGED
    return response


@router.get("/lampiran/{sha256}")
def lampiran_lihat(sha256: str, _officer: CurrentOfficer, db: Db) -> Response:
    """The attachment's bytes, for the preview (named by content hash: no guessing ids)."""
    try:
        attachment, content = broadcasts.attachment_content(db, sha256)
    except broadcasts.BroadcastError as exc:
        raise HTTPException(404, str(exc)) from None
    name = attachment.file_name.encode("ascii", "replace").decode().replace('"', "")
    return Response(
        content,
        media_type=attachment.mime_type,
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.post("/pratinjau")
def pratinjau(
    request: Request,
    officer: CurrentOfficer,
    db: Db,
    settings: Config,
    teks: Optional = "",
    kunci: Optional = "semua",
    nilai: Optional = "",
    lampiran: Optional = "",
) -> Response:
    result = broadcasts.preview(
        db,
        officer,
        text=teks,
        segment=_segment(kunci, nilai),
        approval_threshold=settings.broadcast_approval_threshold,
        attachment=lampiran.strip() or None,
    )
    return render(request, "broadcasts/_pratinjau.html", p=result)


@router.post("")
def kirim(
    request: Request,
    officer: CurrentOfficer,
    db: Db,
    settings: Config,
    now: Now,
    teks: Optional = "",
    kunci: Optional = "semua",
    nilai: Optional = "",
    waktu: Optional = "",
    aksi: Optional = "kirim",
    lampiran: Optional = "",
    lampiran_berkas: Upload = None,
) -> Response:
    attachment = None
    try:
        digest = _attachment(db, lampiran, lampiran_berkas)
        attachment = broadcasts.attachment_by_digest(db, digest) if digest else None
        if aksi == "uji":
            broadcasts.send_test(db, officer, teks, now, attachment=digest or None)
            message = "Uji kirim masuk antrean: periksa chat Telegram Bapak/Ibu."
            return render(request, "broadcasts/_pesan.html", message=message)
        when = (
            sendtime.parse_send_time(waktu, settings.default_timezone, now)
            if waktu.strip()
            else None
        )
        done = broadcasts.submit(
            db,
            officer,
            text=teks,
            segment=_segment(kunci, nilai),
            now=now,
            scheduled_at=when,
            approval_threshold=settings.broadcast_approval_threshold,
            attachment=digest or None,
        )
    except (
        broadcasts.BroadcastError,
        broadcasts.BroadcastForbidden,
        sendtime.SendTimeError,
    ) as exc:
        if aksi == "uji":
            return render(request, "broadcasts/_pesan.html", message=str(exc), error=True)
        return render(
            request,
            "broadcasts/tulis.html",
            status_code=422,
            error=str(exc),
            options=broadcasts.segment_options(db, today_in(settings.default_timezone, now)),
            text=teks,
            key=kunci,
            value=nilai,
            when=waktu,
            timezone=settings.default_timezone,
            threshold=settings.broadcast_approval_threshold,
            attachment=attachment,
        )
    return RedirectResponse(f"/pengumuman/{done.broadcast.id}", status_code=303)


@router.get("/{broadcast_id}")
def rincian(
    request: Request, broadcast_id: int, officer: CurrentOfficer, db: Db, settings: Config
) -> Response:
    try:
        info = broadcasts.detail(db, officer, broadcast_id, with_timeline=True)
    except (broadcasts.BroadcastNotFound, broadcasts.BroadcastForbidden) as exc:
        raise _not_found(exc) from None
    return render(request, "broadcasts/rincian.html", d=info, chart=_chart(info, settings))


@router.get("/{broadcast_id}/progres")
def progres(
    request: Request, broadcast_id: int, officer: CurrentOfficer, db: Db, settings: Config
) -> Response:
    try:
        info = broadcasts.detail(db, officer, broadcast_id, with_timeline=True)
    except (broadcasts.BroadcastNotFound, broadcasts.BroadcastForbidden) as exc:
        raise _not_found(exc) from None
    return render(request, "broadcasts/_progres.html", d=info, chart=_chart(info, settings))


@router.post("/{broadcast_id}/setujui")
def setujui(
    request: Request, broadcast_id: int, officer: CurrentOfficer, db: Db, now: Now
) -> Response:
    try:
        broadcasts.approve(db, officer, broadcast_id, now)
    except broadcasts.BroadcastNotFound as exc:
        raise _not_found(exc) from None
    except (
        broadcasts.BroadcastError,
        broadcasts.BroadcastForbidden,
        sendtime.SendTimeError,
    ) as exc:
        raise HTTPException(403, str(exc)) from None
    return RedirectResponse(f"/pengumuman/{broadcast_id}", status_code=303)


@router.post("/{broadcast_id}/batal")
def batal(
    request: Request, broadcast_id: int, officer: CurrentOfficer, db: Db, now: Now
) -> Response:
    try:
        broadcasts.cancel_by(db, officer, broadcast_id, now)
    except (broadcasts.BroadcastNotFound, broadcasts.BroadcastForbidden) as exc:
        raise _not_found(exc) from None
    return RedirectResponse(f"/pengumuman/{broadcast_id}", status_code=303)


@router.get("/{broadcast_id}/laporan.{fmt}")
def ekspor(broadcast_id: int, fmt: str, officer: CurrentOfficer, db: Db) -> Response:
    if fmt not in MEDIA:
        raise HTTPException(404, "Format laporan tidak dikenal (csv atau xlsx).")
    try:
        rows = broadcasts.report_rows(db, officer, broadcast_id)
    except (broadcasts.BroadcastNotFound, broadcasts.BroadcastForbidden) as exc:
        raise _not_found(exc) from None
    return table_download(
        rows, fmt, f"laporan-pengumuman-{broadcast_id}", title=f"Pengumuman {broadcast_id}"
    )
