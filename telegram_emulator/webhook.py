"""Webhook delivery: POST each queued update to the bot's URL, in order, retrying on failure.

Like Telegram, an update leaves the queue only when the webhook answers 2xx; the secret token
goes in the X-Telegram-Bot-Api-Secret-Token header.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import httpx

from telegram_emulator.state import JSON, EmulatorState, Webhook

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_DELIVERY_LOG = 1_000


class WebhookDeliverer:
    """One background task per emulator; it idles while no webhook is set."""

    def __init__(
        self,
        state: EmulatorState,
        *,
        retry_initial: float = 0.1,
        retry_max: float = 2.0,
        timeout: float = 10.0,
    ) -> None:
        self.state = state
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self._closing = False

    def ensure_running(self) -> None:
        if not self._closing and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def aclose(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _run(self) -> None:
        delay = self.retry_initial
        while not self._closing:
            hook = self.state.webhook
            if hook is None:
                return  # restarted by the next setWebhook
            if not self.state.updates:
                await self.state.updates_changed.wait(30.0)
                continue
            update = self.state.updates[0]
            error = await self._post(hook, update)
            self._log(hook, update, error)
            if error is None:
                if self.state.updates and self.state.updates[0] is update:
                    self.state.updates.popleft()
                delay = self.retry_initial
                continue
            hook.last_error_date = self.state.now()
            hook.last_error_message = error
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.retry_max)

    async def _post(self, hook: Webhook, update: JSON) -> str | None:
        """Deliver one update; the error as Telegram reports it in getWebhookInfo, or None."""
        if self._client is None:
            self._client = httpx.AsyncClient()
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[SECRET_HEADER] = hook.secret_token
        try:
            response = await self._client.post(
                hook.url, content=json.dumps(update), headers=headers, timeout=self.timeout
            )
        except httpx.TimeoutException:
            return "Read timeout expired"
        except httpx.HTTPError as exc:
            return f"Connection failed: {exc.__class__.__name__}"
        if 200 <= response.status_code < 300:
            return None
        return f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"

    def _log(self, hook: Webhook, update: JSON, error: str | None) -> None:
        hook.deliveries.append(
            {"update_id": update["update_id"], "date": self.state.now(), "error": error}
        )
        del hook.deliveries[:-MAX_DELIVERY_LOG]
        if error:
            logger.info("webhook delivery of update %s failed: %s", update["update_id"], error)
