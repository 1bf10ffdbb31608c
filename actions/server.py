"""Entry point of the action server: `python -m actions.server` (port from ACTION_SERVER_PORT).

rasa_sdk's own Sanic app, with three additions on every request:
- only Rasa may call it: the shared ACTION_SERVER_TOKEN, which Rasa sends as the `token` query
  parameter (`action_endpoint: {url, token}` in its endpoints file), compared in constant time;
- `/health` (open, for container health checks) answers 503 when the database is unreachable;
- no error response carries the request: rasa_sdk's handler would echo the whole tracker
  (activation codes, NIPs) in the body of a 500, which Rasa then logs.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import sys
from functools import partial
from pathlib import Path
from typing import Any

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app_for_serve, create_ssl_config
from rasa_sdk.executor import ActionExecutor
from sanic import HTTPResponse, Request, Sanic, response
from sanic.response import BaseHTTPResponse
from sanic.worker.loader import AppLoader
from sqlalchemy import text

from actions.common import in_db
from asnkarier.settings import configure_logging, get_settings

logger = logging.getLogger(__name__)
HEALTH_TIMEOUT_SECONDS = 5.0


async def database_ok() -> bool:
    """Whether a `SELECT 1` through the actions' own session factory succeeds in time."""
    try:
        await asyncio.wait_for(
            in_db(lambda session: session.execute(text("SELECT 1"))), HEALTH_TIMEOUT_SECONDS
        )
    except Exception as exc:  # any failure means unhealthy; the reason, never a value, is logged
        logger.warning("Health check: database unreachable (%s)", type(exc).__name__)
        return False
    return True


def authorized(request: Request, token: str) -> bool:
    given = request.args.get("token") or ""
    return hmac.compare_digest(given.encode(), token.encode())


def create_app(token: str, endpoints: str) -> Sanic[Any, Any]:
    """rasa_sdk's app serving every action of this package, guarded as the module says.

    Sanic calls this in each worker process too, so logging is configured here as well."""
    configure_logging(get_settings().log_level)
    executor = ActionExecutor()
    executor.register_package("actions")
    app: Sanic[Any, Any] = create_app_for_serve(executor, cors_origins=None, endpoints=endpoints)

    async def gate(request: Request) -> HTTPResponse | None:
        if request.path == "/health":
            if await database_ok():
                return response.json({"status": "ok"})
            return response.json({"status": "unavailable", "database": "unreachable"}, 503)
        if not authorized(request, token):
            return response.json({"error": "unauthorized"}, status=401)
        return None

    async def no_echo(request: Request, resp: BaseHTTPResponse) -> HTTPResponse | None:
        if resp.status >= 500 and request.path != "/health":
            return response.json({"error": "internal error"}, status=resp.status)
        return None

    app.register_middleware(gate, "request")
    app.register_middleware(no_echo, "response")
    return app


def main() -> None:
    """Start the guarded rasa_sdk HTTP server (as rasa_sdk.endpoint.run does, with our app)."""
    settings = get_settings()
    configure_logging(settings.log_level)
    utils.update_sanic_log_level()
    token = settings.action_server_token.get_secret_value() if settings.action_server_token else ""
    if not token:
        sys.exit(
            "ACTION_SERVER_TOKEN is not set: the action server accepts calls only from Rasa, "
            "which sends this token (action_endpoint.token in its endpoints file). "
            "`make run` generates one; in docker/ set it in docker/.env."
        )
    # rasa_sdk reads only its tracing settings from Rasa's endpoints file. An installed package
    # (the app image, docker/Dockerfile.app) has no nlu/ beside it: nothing to read, no error.
    nlu_endpoints = Path(__file__).resolve().parent.parent / "nlu" / "endpoints.yml"
    endpoints = str(nlu_endpoints) if nlu_endpoints.exists() else ""
    loader = AppLoader(factory=partial(create_app, token, endpoints))
    app = loader.load()
    host = os.environ.get("SANIC_HOST", settings.action_server_host)
    logger.info("Action server on http://%s:%s", host, settings.action_server_port)
    app.prepare(
        host=host,
        port=settings.action_server_port,
        ssl=create_ssl_config(None, None, None),
        workers=utils.number_of_sanic_workers(),
    )
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
