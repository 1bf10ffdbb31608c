"""Sign-in with a one-time link from the bot, and sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from asnkarier.services import console_auth
from asnkarier.services import sessions as console_sessions
from asnkarier.services.sessions import Active
from web import security
from web.deps import Config, Db, Now, active_session
from web.templating import render

router = APIRouter()


@router.get("/masuk")
def sign_in_help(request: Request) -> Response:
    return render(request, "auth/masuk.html")


@router.get("/masuk/{token}")
def confirm(request: Request, token: str) -> Response:
    # A GET never uses the link: Telegram's link preview or a mail scanner would burn it.
    return render(request, "auth/konfirmasi.html", token=token)


@router.post("/masuk/{token}")
def sign_in(request: Request, token: str, db: Db, settings: Config, now: Now) -> Response:
    try:
        who = console_auth.redeem_link(db, token, now)
    except console_auth.ConsoleAuthError as exc:
        return render(request, "auth/masuk.html", status_code=403, error=str(exc))
    session_token = console_sessions.start(
        db, who, now, absolute_minutes=settings.web_session_absolute_minutes
    )
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        security.COOKIE,
        security.sign(settings.web_secret, session_token),
        max_age=settings.web_session_absolute_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=request.app.state.secure_cookie,
        path="/",
    )
    return response


@router.post("/keluar")
def sign_out(
    request: Request,
    db: Db,
    settings: Config,
    now: Now,
    _active: Annotated[Active, Depends(active_session)],
) -> Response:
    token = security.unsign(settings.web_secret, request.cookies.get(security.COOKIE))
    if token:
        console_sessions.end(db, token, now)
    response = RedirectResponse("/masuk?keluar=1", status_code=303)
    response.delete_cookie(security.COOKIE, path="/")
    return response
