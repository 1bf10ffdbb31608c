"""Scripted failures (errors, flood waits, slow answers) and Telegram's sending limits.

A `FaultRule` matches calls by method and/or chat and fires for the next N calls or with a
probability; `RateLimiter` enforces the documented broadcast limits with sliding windows.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from telegram_emulator.spec import ApiError
from telegram_emulator.state import Clock

# Descriptions Telegram (or the nginx in front of it) gives for each status.
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot "
    "instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
# 502-504 come from the front proxy as an HTML page, not as a Bot API JSON answer.
HTML_STATUSES = frozenset({502, 503, 504})
_RULE_KEYS = frozenset(
    {"methods", "method", "chat_id", "status", "description", "retry_after", "delay", "times",
     "probability", "body"}
)  # fmt: skip


def is_send_method(method: str) -> bool:
    """Calls that post a message and so count against Telegram's sending limits."""
    name = method.lower()
    if name in {"sendchataction", "sendmessagedraft"}:
        return False
    return name.startswith(("send", "forwardmessage", "copymessage"))


def nginx_page(status: int) -> str:
    reason = DEFAULT_DESCRIPTIONS.get(status, "Error")
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )


@dataclass
class FaultRule:
    """One scripted fault; `times` None means "until removed"."""

    id: int
    methods: list[str] | None = None
    chat_id: int | str | None = None
    status: int | None = None
    description: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    times: int | None = None
    probability: float = 1.0
    body: str = "json"
    hits: int = 0

    @classmethod
    def from_json(cls, rule_id: int, data: Mapping[str, Any]) -> FaultRule:
        unknown = set(data) - _RULE_KEYS
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        methods = data.get("methods", data.get("method"))
        if isinstance(methods, str):
            methods = [methods]
        retry_after = data.get("retry_after")
        status = 429 if retry_after is not None else data.get("status")
        if status is not None and not 400 <= int(status) <= 599:
            raise ValueError("status must be a 4xx or 5xx code")
        if retry_after is not None and int(retry_after) < 1:
            raise ValueError("retry_after must be at least 1")
        delay = float(data.get("delay", 0.0))
        if status is None and delay <= 0:
            raise ValueError("a fault needs a status, a retry_after or a delay")
        probability = float(data.get("probability", 1.0))
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        times = data.get("times")
        if times is not None and int(times) < 1:
            raise ValueError("times must be at least 1")
        status_code = int(status) if status is not None else None
        body = str(data.get("body", "html" if status_code in HTML_STATUSES else "json"))
        if body not in {"json", "html"}:
            raise ValueError('body must be "json" or "html"')
        return cls(
            id=rule_id,
            methods=list(methods) if methods else None,
            chat_id=data.get("chat_id"),
            status=status_code,
            description=data.get("description"),
            retry_after=int(retry_after) if retry_after is not None else None,
            delay=delay,
            times=int(times) if times is not None else None,
            probability=probability,
            body=body,
        )

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        if self.methods and method.lower() not in {m.lower() for m in self.methods}:
            return False
        return self.chat_id is None or str(self.chat_id) == str(chat_id)

    def error(self) -> ApiError | None:
        if self.status is None:
            return None
        if self.status == 429:
            retry = self.retry_after or 1
            return ApiError(
                429,
                self.description or f"Too Many Requests: retry after {retry}",
                retry_after=retry,
            )
        return ApiError(self.status, self.description or DEFAULT_DESCRIPTIONS.get(self.status, ""))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Fired:
    """What the matching rules of one call add up to."""

    delay: float = 0.0
    rule: FaultRule | None = None  # the first rule that answers with an error


class FaultBook:
    """The scripted faults, consulted once per valid Bot API call."""

    def __init__(self, seed: int | None = None) -> None:
        self.rules: list[FaultRule] = []
        self._next_id = 1
        self._random = random.Random(seed)  # noqa: S311 - fault injection, not security

    def add(self, data: Mapping[str, Any]) -> FaultRule:
        rule = FaultRule.from_json(self._next_id, data)
        self._next_id += 1
        self.rules.append(rule)
        return rule

    def add_all(self, rules: Iterable[Mapping[str, Any]]) -> list[FaultRule]:
        return [self.add(rule) for rule in rules]

    def remove(self, rule_id: int) -> bool:
        before = len(self.rules)
        self.rules = [r for r in self.rules if r.id != rule_id]
        return len(self.rules) != before

    def clear(self) -> None:
        self.rules.clear()

    def seed(self, seed: int | None) -> None:
        self._random.seed(seed)

    def fire(self, method: str, chat_id: int | str | None) -> Fired:
        """Apply matching rules: every delay, and the first error (later errors stay queued)."""
        fired = Fired()
        for rule in list(self.rules):
            if not rule.matches(method, chat_id):
                continue
            if rule.status is not None and fired.rule is not None:
                continue
            if rule.probability < 1.0 and self._random.random() >= rule.probability:
                continue
            rule.hits += 1
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self.rules.remove(rule)
            fired.delay += rule.delay
            if rule.status is not None:
                fired.rule = rule
        return fired


@dataclass
class Limits:
    """Telegram's documented limits: 30 messages/s overall, 1/s per chat, 20/min per group."""

    enabled: bool = True
    global_per_second: int = 30
    chat_per_second: int = 1
    group_per_minute: int = 20

    def update(self, data: Mapping[str, Any]) -> None:
        unknown = set(data) - set(asdict(self))
        if unknown:
            raise ValueError(f"unknown limit fields: {', '.join(sorted(unknown))}")
        for key, value in data.items():
            if key == "enabled":
                self.enabled = bool(value)
                continue
            if int(value) < 1:
                raise ValueError(f"{key} must be at least 1")
            setattr(self, key, int(value))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RateLimiter:
    """Sliding-window counters of accepted sends; answers how long to wait when over a limit."""

    limits: Limits
    clock: Clock
    _global: deque[float] = field(default_factory=deque)
    _chats: dict[str, deque[float]] = field(default_factory=dict)

    def reset(self) -> None:
        self._global.clear()
        self._chats.clear()

    def admit(self, chat_id: int | str | None) -> int | None:
        """Record a send and return None, or return retry_after seconds without recording."""
        if not self.limits.enabled:
            return None
        now = self.clock.monotonic()
        waits = [_wait(self._global, now, 1.0, self.limits.global_per_second)]
        chat_window: deque[float] | None = None
        if chat_id is not None:
            key = str(chat_id)
            chat_window = self._chats.setdefault(key, deque())
            is_group = key.startswith("-") or key.startswith("@")
            if is_group:
                waits.append(_wait(chat_window, now, 60.0, self.limits.group_per_minute))
            # The per-second rule holds in every chat, groups included.
            waits.append(_wait(chat_window, now, 1.0, self.limits.chat_per_second, keep=60.0))
        wait = max(waits)
        if wait > 0:
            return max(1, math.ceil(wait))
        self._global.append(now)
        if chat_window is not None:
            chat_window.append(now)
        return None


def _wait(window: deque[float], now: float, span: float, limit: int, keep: float = 0.0) -> float:
    """Seconds until `window` has room for one more event within `span` (0 if it has now)."""
    horizon = max(span, keep)
    while window and window[0] <= now - horizon:
        window.popleft()
    recent = [t for t in window if t > now - span]
    if len(recent) < limit:
        return 0.0
    return recent[-limit] + span - now
