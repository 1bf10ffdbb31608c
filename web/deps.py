"""Dependencies of every route: the DB session (one transaction per request), the signed-in
officer, CSRF on every state-changing request, and the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from asnkarier.services import sessions as console_sessions
from asnkarier.services.console_auth import Officer
from asnkarier.settings import Settings
from web import security

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class NotSignedIn(Exception):
    """No live session: pages redirect to the sign-in page (htmx gets HX-Redirect)."""


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back if it raises."""
    with request.app.state.sessions.begin() as session:
        yield session


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


Db = Annotated[Session, Depends(get_db)]
Config = Annotated[Settings, Depends(get_settings)]
Now = Annotated[dt.datetime, Depends(now)]


async def _csrf_given(request: Request) -> str | None:
    header = request.headers.get(security.CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # cached on the request: the route's Form() reads it again
        value = form.get(security.CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def active_session(request: Request, settings: Config) -> console_sessions.Active:
    """The live session of this browser; on POST also its CSRF token (header or form field)."""
    token = security.unsign(settings.web_secret, request.cookies.get(security.COOKIE))
    if token is None:
        raise NotSignedIn
    factory = request.app.state.sessions

    def resume() -> console_sessions.Active | None:
        with factory.begin() as session:
            return console_sessions.resume(
                session, token, now(), idle_minutes=settings.web_session_idle_minutes
            )

    active = await run_in_threadpool(resume)
    if active is None:
        raise NotSignedIn
    if request.method not in SAFE_METHODS and not security.same(
        active.csrf_token, await _csrf_given(request)
    ):
        raise HTTPException(403, "Token keamanan (CSRF) tidak ada atau salah. Muat ulang halaman.")
    request.state.active = active
    return active


def signed_in(active: Annotated[console_sessions.Active, Depends(active_session)]) -> Officer:
    return active.officer


def admin_only(officer: Annotated[Officer, Depends(signed_in)]) -> Officer:
    if not officer.is_admin:
        raise HTTPException(403, "Halaman ini khusus petugas BKPSDM (hr_admin).")
    return officer


CurrentOfficer = Annotated[Officer, Depends(signed_in)]
AdminOfficer = Annotated[Officer, Depends(admin_only)]
