"""Public certificate verification: `/verifikasi` (a form to type a number) and
`/verifikasi/<number>` (valid, revoked with its date, or not found). No sign-in, no cookies
read, nothing changed (GET only, so no CSRF form); only the holder's name, the title, the date
and the JP are shown. Numbers carry 8 random characters of a 31-letter alphabet (about 8.5e11
per year), so they cannot be guessed by trying.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from asnkarier.services import certificates
from web.deps import Db
from web.templating import templates

router = APIRouter(prefix="/verifikasi")
NUMBER = re.compile(r"^\d{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")
MAX_INPUT = 64
EXAMPLE = "2026-7K3Q-9XPA"


def _page(request: Request, status_code: int = 200, **context: object) -> Response:
    """The public layout (no console navigation, no officer), and kept out of search engines."""
    response = templates.TemplateResponse(
        request, "verify/halaman.html", {"example": EXAMPLE, **context}, status_code=status_code
    )
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@router.get("")
def form(request: Request, nomor: str = "") -> Response:
    """The form; submitting it (GET ?nomor=) goes to the number's page, normalised."""
    if not nomor.strip():
        return _page(request, typed="")
    wanted = certificates.normalize_number(nomor[:MAX_INPUT])
    if not NUMBER.match(wanted):
        return _page(request, status_code=400, typed=nomor[:MAX_INPUT], bad_format=True)
    return RedirectResponse(f"/verifikasi/{wanted}", status_code=303)


@router.get("/{number}")
def check(request: Request, number: str, db: Db) -> Response:
    wanted = certificates.normalize_number(number[:MAX_INPUT])
    if not NUMBER.match(wanted):
        return _page(request, status_code=404, typed=number[:MAX_INPUT], bad_format=True)
    if wanted != number:  # one address per certificate
        return RedirectResponse(f"/verifikasi/{wanted}", status_code=301)
    result = certificates.verify(db, wanted)
    status = 404 if result.status == certificates.Status.UNKNOWN else 200
    return _page(request, status_code=status, typed=wanted, result=result)
