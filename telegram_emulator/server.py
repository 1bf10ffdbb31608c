"""HTTP front of the emulator (tornado): the Bot API at /bot<token>/<method>, file downloads at
/file/bot<token>/<file_path>, control at /_control.

Parameters are read the way the Bot API server reads them: query string, then a form, multipart
or JSON body, every value flattened to a string (JSON bodies re-encode non-string values).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from http import HTTPStatus
from typing import Any

import tornado.web
from tornado.httpserver import HTTPServer

from telegram_emulator import control
from telegram_emulator.core import NOT_FOUND, Answer, Emulator, EmulatorConfig
from telegram_emulator.spec import ApiError, RawValue, UploadedFile, bad_request

logger = logging.getLogger("telegram_emulator")


class BotApiHandler(tornado.web.RequestHandler):
    """/bot<token>/<method>: every Bot API method, by GET or POST."""

    def initialize(self, emulator: Emulator) -> None:
        self.emulator = emulator

    async def get(self, token: str, method: str) -> None:
        await self._serve(token, method)

    async def post(self, token: str, method: str) -> None:
        await self._serve(token, method)

    async def _serve(self, token: str, method: str) -> None:
        try:
            raw = self._raw_params()
        except ApiError as exc:
            answer = await self.emulator.handle(
                token, method, {}, self.request.method or "POST", exc
            )
        else:
            answer = await self.emulator.handle(token, method, raw, self.request.method or "POST")
        send(self, answer)

    def _raw_params(self) -> dict[str, RawValue]:
        request = self.request
        params: dict[str, RawValue] = {
            key: _decode(values[-1]) for key, values in request.query_arguments.items()
        }
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type == "application/json":
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                raise bad_request("can't parse JSON encoded request body") from None
            if not isinstance(body, dict):
                raise bad_request("JSON encoded request body must be an object")
            for key, value in body.items():
                if value is not None:
                    params[key] = value if isinstance(value, str) else json.dumps(value)
            return params
        for key, values in request.body_arguments.items():
            params[key] = _decode(values[-1])
        for key, files in request.files.items():
            upload = files[-1]
            params[key] = UploadedFile(
                upload.filename, upload.content_type, len(upload.body), bytes(upload.body)
            )
        return params


class FileHandler(tornado.web.RequestHandler):
    """/file/bot<token>/<file_path>: download a file getFile named (Telegram answers 404 for
    a wrong token or path, with no JSON body worth parsing)."""

    def initialize(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def get(self, token: str, file_path: str) -> None:
        stored = self.emulator.state.file_at(file_path)
        if token != self.emulator.config.token or stored is None:
            send(self, Answer(404, NOT_FOUND.to_json()))
            return
        self.set_header("Content-Type", "application/octet-stream")
        self.finish(stored.data())


class NotFoundHandler(tornado.web.RequestHandler):
    """Any other path: Telegram's 404 answer."""

    def prepare(self) -> None:
        send(self, Answer(404, NOT_FOUND.to_json()))


def _decode(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("strings must be encoded in UTF-8") from None


def send(handler: tornado.web.RequestHandler, answer: Answer) -> None:
    """Write an `Answer` (JSON or an HTML error page) and finish the request."""
    try:
        reason = HTTPStatus(answer.status).phrase
    except ValueError:
        reason = "Error"
    handler.set_status(answer.status, reason)
    handler.set_header("Content-Type", f"{answer.content_type}; charset=utf-8")
    body = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
    handler.finish(body)


def make_app(emulator: Emulator) -> tornado.web.Application:
    """The tornado application serving one emulator (no access log: it would print the token)."""
    args: dict[str, Any] = {"emulator": emulator}
    return tornado.web.Application(
        [
            (r"/bot([^/]*)/([^/]*)", BotApiHandler, args),
            (r"/file/bot([^/]*)/(.+)", FileHandler, args),
            *control.routes(emulator),
        ],
        default_handler_class=NotFoundHandler,
        log_function=lambda handler: None,
    )


async def serve_forever(config: EmulatorConfig, host: str, port: int) -> None:
    """Run until SIGINT/SIGTERM (the CLI)."""
    emulator = Emulator(config)
    server = HTTPServer(make_app(emulator))
    server.listen(port, address=host)
    logger.info(
        "Telegram Bot API emulator (%s) on http://%s:%d/bot<token>/, control at /_control/",
        emulator.spec.version,
        host,
        port,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    logger.info("stopping the emulator")
    server.stop()
    await emulator.aclose()
    await server.close_all_connections()
