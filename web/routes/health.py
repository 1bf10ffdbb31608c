"""`/health` (the database answers) and `/metrics` (Prometheus) for probes and scrapers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from asnkarier.services.dashboard import database_ok

router = APIRouter()


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    ok = await run_in_threadpool(database_ok, request.app.state.sessions)
    return JSONResponse(
        {"status": "ok" if ok else "db_down", "db": ok}, status_code=200 if ok else 503
    )


@router.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
