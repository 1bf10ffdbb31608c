"""Prometheus metrics of the bot and the outbox dispatcher, in one place so names never drift.

Each process that records them calls `serve(port, host)` once (port 0 or unset: no endpoint), and
docker/compose.yaml scrapes `/metrics` on that port. Labels stay low-cardinality: never a user
id, chat id or NIP.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram, start_http_server

logger = logging.getLogger(__name__)

# Bot (bot/): what arrives from Telegram and how fast the assistant answers.
UPDATES_HANDLED = Counter(
    "asnbot_updates_handled_total", "Telegram updates handled by the bot", ["kind"]
)
REPLY_LATENCY = Histogram(
    "asnbot_reply_latency_seconds",
    "Time from receiving a user's message to the last reply sent",
    buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0),
)
NLU_REPLIES = Counter(
    "asnbot_nlu_replies_total",
    "Turns answered through Rasa, by outcome (answered, fallback, unavailable)",
    ["outcome"],
)

# Outbox dispatcher (scheduler/): queue depth, throughput and failures.
OUTBOX_DEPTH = Gauge("asnbot_outbox_depth", "Outbox messages not yet sent or failed", ["status"])
MESSAGES_SENT = Counter("asnbot_outbox_sent_total", "Outbox messages delivered", ["kind"])
SEND_FAILURES = Counter(
    "asnbot_outbox_failures_total",
    "Failed send attempts by reason (blocked, chat_not_found, retry_after, server_error, ...)",
    ["reason"],
)


def serve(port: int, addr: str = "127.0.0.1") -> None:
    """Expose /metrics on `addr:port` (METRICS_HOST, METRICS_PORT) in a background thread; port
    0 disables it. Only compose opens it to its network (0.0.0.0) for Prometheus."""
    if port <= 0:
        return
    start_http_server(port, addr=addr)
    logger.info("Prometheus metrics on %s:%d/metrics", addr, port)
