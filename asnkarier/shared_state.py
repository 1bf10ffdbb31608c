"""The Redis connection for state that replicas must share (REDIS_URL; none: stay in memory).

Users: the bot's flood guard and per-chat order (bot/), the dispatchers' global send budget
(scheduler/). Every key starts with REDIS_KEY_PREFIX, so deployments or tests may share a server.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from asnkarier.settings import Settings


class SharedState:
    """An asyncio Redis client plus this deployment's key prefix."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def key(self, *parts: object) -> str:
        return ":".join([self.prefix, *(str(p) for p in parts)])

    async def aclose(self) -> None:
        await self.client.aclose()


def connect(settings: Settings) -> SharedState | None:
    """A client for REDIS_URL (connections open lazily), or None when it is not set."""
    if not settings.redis:
        return None
    client = aioredis.Redis.from_url(
        settings.redis, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30
    )
    return SharedState(client, settings.redis_key_prefix)
