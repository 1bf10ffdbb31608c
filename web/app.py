"""The console application: routers per page family, static files, headers, error pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from asnkarier.db import make_engine, make_sessionmaker
from asnkarier.settings import Settings, get_settings
from web import security
from web.deps import NotSignedIn
from web.routes import (
    activation,
    audit,
    auth,
    broadcasts,
    checkin,
    employees,
    feedback,
    health,
    home,
    roster,
    tickets,
    training_reports,
    verify,
    workshops,
)
from web.templating import render

STATIC = Path(__file__).parent / "static"


def create_app(
    settings: Settings | None = None, sessions: sessionmaker[Session] | None = None
) -> FastAPI:
    """The app on the configured database (or the given session factory, for tests)."""
    settings = settings or get_settings()
    if len(settings.web_secret) < 16:
        raise SystemExit(
            "WEB_SECRET_KEY is not set (or shorter than 16 characters): the console signs its "
            "session cookies with it. Set a long random value (`make run` makes one per run)."
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if engine is not None:
            engine.dispose()

    engine = None
    if sessions is None:
        engine = make_engine(settings.database_url)
        sessions = make_sessionmaker(engine)
    app = FastAPI(
        title="Konsol BKPSDM", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.secure_cookie = settings.web_base_url.startswith("https://")

    @app.middleware("http")
    async def headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in security.HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path not in ("/health", "/metrics") and not request.url.path.startswith(
            "/static/"
        ):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": "/masuk"})
        return RedirectResponse("/masuk", status_code=303)

    @app.exception_handler(StarletteHTTPException)  # also FastAPI's, and unknown paths
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = "Halaman tidak ditemukan."
        elif exc.status_code == 405 and message == "Method Not Allowed":
            message = "Permintaan ini tidak didukung di halaman tersebut."
        return render(request, "error.html", status_code=exc.status_code, message=message)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (
        health.router,
        auth.router,
        home.router,
        broadcasts.router,
        # Before employees: its /pegawai/{employee_id} would take /pegawai/impor and /aktivasi.
        roster.router,
        activation.router,
        employees.router,
        training_reports.router,
        tickets.router,
        workshops.router,
        feedback.router,
        verify.router,
        checkin.router,
        audit.router,
    ):
        app.include_router(router)
    return app
