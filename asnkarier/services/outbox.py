"""Enqueue outgoing Telegram messages; the dispatcher sends them (exactly once per key)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from asnkarier.db import insert_ignore
from asnkarier.models import OutboxMessage, utcnow


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    chat_id: int,
    text: str,
    reply_markup: dict[str, Any] | None = None,
    employee_id: int | None = None,
    broadcast_id: int | None = None,
    not_before: dt.datetime | None = None,
) -> bool:
    """Add a message unless one with the same idempotency key exists; True if it was added."""
    values = {
        "idempotency_key": key,
        "kind": kind,
        "chat_id": chat_id,
        "text": text,
        "reply_markup": reply_markup,
        "employee_id": employee_id,
        "broadcast_id": broadcast_id,
        "not_before": not_before or utcnow(),
    }
    return insert_ignore(session, OutboxMessage, values, ["idempotency_key"])
