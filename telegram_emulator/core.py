"""The emulator as one object: spec checks, faults, limits, methods and state, behind `handle`.

`Emulator.handle` answers one Bot API request the way Telegram would; the HTTP layer (server.py)
and the control API (control.py) are thin shells around it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from telegram_emulator.faults import FaultBook, Limits, RateLimiter, is_send_method, nginx_page
from telegram_emulator.inject import Injector
from telegram_emulator.methods import BotApi
from telegram_emulator.spec import (
    ApiError,
    BotApiSpec,
    RawValue,
    UploadedFile,
    default_spec,
    too_many_requests,
)
from telegram_emulator.state import JSON, Clock, EmulatorState
from telegram_emulator.webhook import WebhookDeliverer

logger = logging.getLogger("telegram_emulator")

# The token `bot.app` uses when no TELEGRAM_BOT_TOKEN is set, so `make run` works out of the box.
DEFAULT_TOKEN = "1000000001:local-try-out-token"  # noqa: S105 - only this emulator accepts it
UNAUTHORIZED = ApiError(401, "Unauthorized")
NOT_FOUND = ApiError(404, "Not Found")


@dataclass
class EmulatorConfig:
    """Everything the CLI and `EmulatorServer` can set."""

    token: str = DEFAULT_TOKEN
    bot_username: str = "asn_karier_bot"
    bot_name: str = "Asisten Karier ASN"
    limits: Limits = field(default_factory=Limits)
    faults: list[Mapping[str, Any]] = field(default_factory=list)
    group_privacy: bool = True
    seed: int | None = None
    webhook_retry_initial: float = 0.1
    webhook_retry_max: float = 2.0
    spec_path: str | None = None


@dataclass
class Answer:
    """An HTTP answer to a Bot API request."""

    status: int
    body: JSON | str
    content_type: str = "application/json"


class Emulator:
    """State, rules and behaviour of the emulated Bot API for one bot token."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.spec: BotApiSpec = (
            BotApiSpec.load(self.config.spec_path) if self.config.spec_path else default_spec()
        )
        self.clock = Clock()
        self.state = EmulatorState(
            self.config.token, self.config.bot_username, self.config.bot_name, self.clock
        )
        self.faults = FaultBook(self.config.seed)
        self.limits = Limits(**self.config.limits.to_json())
        self.limiter = RateLimiter(self.limits, self.clock)
        self.webhook = WebhookDeliverer(
            self.state,
            retry_initial=self.config.webhook_retry_initial,
            retry_max=self.config.webhook_retry_max,
        )
        self.api = BotApi(self.state, self.webhook.ensure_running)
        self.inject = Injector(self.state, self.spec, group_privacy=self.config.group_privacy)
        self.faults.add_all(self.config.faults)

    def reset(self) -> None:
        """Back to a fresh start: no chats, updates, faults; limits as configured."""
        self.state.reset()
        self.faults.clear()
        self.faults.seed(self.config.seed)
        self.faults.add_all(self.config.faults)
        self.limits.update(self.config.limits.to_json())
        self.limiter.reset()
        self.clock.reset()

    async def aclose(self) -> None:
        """Release long polls and waiters, stop webhook delivery."""
        self.api.closing = True
        self.state.updates_changed.notify()
        self.state.messages_changed.notify()
        self.state.requests_changed.notify()
        await self.webhook.aclose()

    async def handle(
        self,
        token: str,
        method_name: str,
        raw: Mapping[str, RawValue],
        http_method: str = "POST",
        unreadable: ApiError | None = None,
    ) -> Answer:
        """Answer one Bot API request: auth, spec, faults, limits, then the method itself.

        `unreadable` is the error for a body that could not be read (answered after auth).
        """
        started = time.monotonic()
        method = self.spec.method(method_name)
        name = method.name if method else method_name
        outcome = _Outcome(dict(raw))
        try:
            answer = await self._process(token, name, raw, outcome, unreadable)
        except ApiError as exc:
            answer = Answer(exc.error_code, exc.to_json())
        except Exception:
            logger.exception("emulator failed on %s", name)
            answer = Answer(500, ApiError(500, "Internal Server Error").to_json())
        self._record(name, http_method, outcome, answer, started)
        return answer

    async def _process(
        self,
        token: str,
        name: str,
        raw: Mapping[str, RawValue],
        outcome: _Outcome,
        unreadable: ApiError | None,
    ) -> Answer:
        if token != self.config.token:
            raise UNAUTHORIZED
        method = self.spec.method(name)
        if method is None:
            raise NOT_FOUND
        if unreadable is not None:
            raise unreadable
        call = self.spec.validate_call(method, raw)
        outcome.params = call.params
        chat_id = call.params.get("chat_id")
        fired = self.faults.fire(name, chat_id)
        if fired.delay > 0:
            await asyncio.sleep(fired.delay)
        if fired.rule is not None:
            error = fired.rule.error()
            if error is not None and fired.rule.body == "html":
                return Answer(error.error_code, nginx_page(error.error_code), "text/html")
            if error is not None:
                raise error
        if is_send_method(name):
            retry_after = self.limiter.admit(chat_id)
            if retry_after is not None:
                raise too_many_requests(retry_after)
        outcome.result = await self.api.call(call)
        return Answer(200, {"ok": True, "result": outcome.result})

    def _record(
        self, name: str, http_method: str, outcome: _Outcome, answer: Answer, started: float
    ) -> None:
        elapsed = (time.monotonic() - started) * 1000
        if isinstance(answer.body, dict):
            error = answer.body.get("description")
        else:
            error = f"HTTP {answer.status} ({answer.content_type})"
        chat = outcome.params.get("chat_id")
        self.state.log_request(
            {
                "time": self.clock.time(),
                "method": name,
                "http_method": http_method,
                "params": {k: _jsonable(v) for k, v in outcome.params.items()},
                "chat_id": chat,
                "status": answer.status,
                "ok": answer.status == 200,
                "error": error,
                "result": outcome.result,
                "duration_ms": round(elapsed, 2),
            }
        )
        logger.info(
            "%s %s%s -> %d%s (%.1f ms)",
            http_method,
            name,
            f" chat={chat}" if chat is not None else "",
            answer.status,
            f" {error}" if error else "",
            elapsed,
        )


@dataclass
class _Outcome:
    """What `handle` learns while answering, for the request log."""

    params: dict[str, Any]
    result: Any = None


def _jsonable(value: Any) -> Any:
    return value.to_json() if isinstance(value, UploadedFile) else value
