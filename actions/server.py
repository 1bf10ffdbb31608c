"""Entry point of the action server: `python -m actions.server` (port from ACTION_SERVER_PORT)."""

from __future__ import annotations

import os
from pathlib import Path

from rasa_sdk import utils
from rasa_sdk.endpoint import run
from rasa_sdk.executor import ActionExecutor

from asnkarier.settings import configure_logging, get_settings


def main() -> None:
    """Start the rasa_sdk HTTP server with every action of this package."""
    settings = get_settings()
    configure_logging(settings.log_level)
    utils.update_sanic_log_level()
    os.environ.setdefault("SANIC_HOST", settings.action_server_host)
    executor = ActionExecutor()
    executor.register_package("actions")
    # rasa_sdk reads only its tracing settings from Rasa's endpoints file. An installed package
    # (the app image, docker/Dockerfile.app) has no nlu/ beside it: nothing to read, no error.
    endpoints = Path(__file__).resolve().parent.parent / "nlu" / "endpoints.yml"
    tracing = str(endpoints) if endpoints.exists() else ""
    run(executor, port=settings.action_server_port, cors_origins=None, endpoints=tracing)


if __name__ == "__main__":
    main()
