"""Async client for Rasa's REST channel: one user message in, the assistant's replies out."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

logger = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) did not answer in time or answered an error."""


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class BotReply:
    """One message of the assistant as Rasa returns it."""

    text: str
    buttons: list[Button] = field(default_factory=list)
    # A `custom` payload: for the bot to act on (asnkarier.signals), never shown.
    custom: dict[str, Any] | None = None

    @classmethod
    def from_rasa(cls, item: dict[str, Any]) -> BotReply:
        buttons = [
            Button(str(b.get("title") or ""), str(b.get("payload") or ""))
            for b in item.get("buttons") or []
            if b.get("payload")
        ]
        custom = item.get("custom")
        return cls(
            str(item.get("text") or ""), buttons, custom if isinstance(custom, dict) else None
        )


class RasaClient:
    """Talks to `POST {url}/webhooks/rest/webhook`; one long-lived HTTP client per process."""

    def __init__(
        self, url: str, timeout: float = 4.5, client: httpx.AsyncClient | None = None
    ) -> None:
        self.url = url.rstrip("/") + "/webhooks/rest/webhook"
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=2.0))

    async def send(self, sender: str, message: str, metadata: dict[str, Any]) -> list[BotReply]:
        """Deliver a message; raise RasaUnavailable when the assistant cannot answer now."""
        body = {"sender": sender, "message": message, "metadata": metadata}
        try:
            response = await self._client.post(self.url, json=body)
        except httpx.HTTPError as exc:  # timeouts included
            raise RasaUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            items = response.json()
        except ValueError as exc:
            raise RasaUnavailable("invalid JSON from Rasa") from exc
        return [BotReply.from_rasa(item) for item in items if isinstance(item, dict)]

    async def aclose(self) -> None:
        await self._client.aclose()
