"""The Jinja2 environment of every page: templates per feature, Indonesian formats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from asnkarier.services import broadcasts
from asnkarier.services.formatting import local, local_time, tanggal

TEMPLATES = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES)


def _waktu(value: dt.datetime | None, timezone: str = "Asia/Jakarta") -> str:
    return local_time(value, timezone)


def _angka(value: int | float) -> str:
    return f"{value:,}".replace(",", ".")


templates.env.filters["waktu"] = _waktu
templates.env.filters["lokal"] = lambda value, tz: f"{local(value, tz):%Y-%m-%dT%H:%M}"
templates.env.filters["angka"] = _angka
templates.env.filters["tanggal"] = lambda day: tanggal(day, with_day=False) if day else ""
# Words for statuses and failure reasons come from the broadcast service (one home).
templates.env.globals["status_labels"] = broadcasts.STATUS_LABELS
templates.env.globals["failure_labels"] = broadcasts.FAILURE_LABELS


def render(request: Request, name: str, status_code: int = 200, **context: object) -> Response:
    """Render a page with the signed-in officer and CSRF token (when any) in its context."""
    active = getattr(request.state, "active", None)
    context.setdefault("officer", active.officer if active else None)
    context.setdefault("csrf_token", active.csrf_token if active else "")
    return templates.TemplateResponse(request, name, context, status_code=status_code)
