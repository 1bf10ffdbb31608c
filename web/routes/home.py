"""Beranda: the dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from asnkarier.services import dashboard
from web.deps import CurrentOfficer, Db, Now
from web.templating import render

router = APIRouter()


@router.get("/")
def beranda(request: Request, officer: CurrentOfficer, db: Db, now: Now) -> Response:
    return render(request, "home/beranda.html", data=dashboard.overview(db, officer, now))
