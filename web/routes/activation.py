"""Aktivasi: per unit, who has linked Telegram and who has not; a printable sheet of fresh codes
(QR of the t.me deep link per card) and the same as CSV; a new code and lifting a wrong-code lock
for one employee. Codes are stored hashed, so every sheet issues new ones (asnkarier.services
.linking, as `asnbot activation issue`). hr_admin for every unit, an operator for their own."""

from __future__ import annotations

import segno
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from asnkarier.models import Employee, Unit
from asnkarier.services import linking
from asnkarier.services.console_auth import Officer
from asnkarier.services.directory import unit_codes
from asnkarier.settings import Settings
from web.deps import Config, CurrentOfficer, Db, Now
from web.exports import table_download
from web.templating import render

router = APIRouter(prefix="/pegawai")


def _refused(exc: LookupError | PermissionError) -> HTTPException:
    return HTTPException(403 if isinstance(exc, PermissionError) else 404, str(exc))


def _unit(db: Db, officer: Officer, code: str) -> Unit:
    try:
        return linking.visible_unit(db, officer, code)
    except (linking.UnknownUnit, linking.UnitHidden) as exc:
        raise _refused(exc) from None


def _employee(db: Db, officer: Officer, employee_id: int) -> Employee:
    try:
        return linking.visible_employee(db, officer, employee_id)
    except (linking.UnknownUnit, linking.UnitHidden) as exc:
        raise _refused(exc) from None


def qr_svg(link: str) -> Markup:
    """The deep link as an inline SVG QR code (no style attribute: the CSP allows none)."""
    svg = segno.make(link, error="m").svg_inline(scale=3, border=2, omitsize=True)
    # segno writes the SVG from our own link (settings + generated code): no outside markup.
    labelled = svg.replace("<svg ", '<svg class="qr" role="img" aria-label="Kode QR" ', 1)
    return Markup(labelled)  # noqa: S704


@router.get("/aktivasi")
def daftar(request: Request, officer: CurrentOfficer, db: Db, now: Now, unit: str = "") -> Response:
    if not officer.is_admin:
        unit = officer.unit_code or ""
    status = linking.unit_status(db, _unit(db, officer, unit), now) if unit else None
    return render(
        request,
        "activation/daftar.html",
        units=unit_codes(db, officer),
        unit=unit,
        status=status,
    )


def _issue_sheet(db: Db, unit: Unit, officer: Officer, settings: Settings) -> list[linking.Card]:
    """New codes for the unit's unlinked employees (the old ones stop), for a sheet or a CSV."""
    return linking.issue_sheet(
        db,
        unit,
        ttl_days=settings.activation_code_ttl_days,
        bot_username=settings.telegram_bot_username,
        actor=officer.actor,
    )


@router.post("/aktivasi/{unit}/lembar")
def lembar(
    request: Request, unit: str, officer: CurrentOfficer, db: Db, settings: Config
) -> Response:
    found = _unit(db, officer, unit)
    cards = _issue_sheet(db, found, officer, settings)
    return render(
        request,
        "activation/lembar.html",
        unit=found,
        cards=cards,
        qr={c.employee_id: qr_svg(c.link) for c in cards if c.link},
        bot=settings.telegram_bot_username,
    )


@router.post("/aktivasi/{unit}/csv")
def csv(unit: str, officer: CurrentOfficer, db: Db, settings: Config) -> Response:
    found = _unit(db, officer, unit)
    cards = _issue_sheet(db, found, officer, settings)
    rows: list[list[object]] = [
        ["nama", "nip", "unit_kerja", "kode_aktivasi", "tautan", "berlaku_sampai"]
    ]
    rows += [
        [c.name, c.nip, c.unit, c.code, c.link, c.expires_at.date().isoformat()] for c in cards
    ]
    return table_download(rows, "csv", f"kode-aktivasi-{found.code}")


@router.post("/{employee_id}/kode-baru")
def kode_baru(
    request: Request, employee_id: int, officer: CurrentOfficer, db: Db, settings: Config
) -> Response:
    employee = _employee(db, officer, employee_id)
    if employee.telegram_chat_id is not None:
        raise HTTPException(409, "Pegawai ini sudah terhubung ke bot; kode baru tidak diperlukan.")
    card = linking.reissue(
        db,
        employee,
        ttl_days=settings.activation_code_ttl_days,
        bot_username=settings.telegram_bot_username,
        actor=officer.actor,
    )
    return render(
        request,
        "activation/lembar.html",
        unit=employee.unit,
        cards=[card],
        qr={card.employee_id: qr_svg(card.link)} if card.link else {},
        bot=settings.telegram_bot_username,
        single=True,
    )


@router.post("/{employee_id}/buka-kunci")
def buka_kunci(employee_id: int, officer: CurrentOfficer, db: Db, now: Now) -> Response:
    employee = _employee(db, officer, employee_id)
    linking.lift_lock(db, employee, actor=officer.actor, now=now)
    return RedirectResponse(
        f"/pegawai/aktivasi?unit={employee.unit.code}&dibuka={employee.id}", status_code=303
    )
