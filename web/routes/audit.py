"""Audit: every change made by an officer (console, CLI, bot), newest first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from asnkarier.services import audit as audit_log
from web.deps import AdminOfficer, Db
from web.templating import render

router = APIRouter()


@router.get("/audit")
def audit_page(request: Request, _officer: AdminOfficer, db: Db, aksi: str = "") -> Response:
    return render(
        request, "audit/daftar.html", entries=audit_log.recent(db, action=aksi), aksi=aksi
    )
