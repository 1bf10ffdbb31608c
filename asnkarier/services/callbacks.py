"""Short tokens for long button payloads (Telegram callback_data holds at most 64 bytes)."""

from __future__ import annotations

import base64
import hashlib

from sqlalchemy.orm import Session

from asnkarier.db import insert_ignore
from asnkarier.models import CallbackToken

PREFIX = "t:"


def token_for(payload: str) -> str:
    """Deterministic: the same payload always gets the same token (no duplicates, no races)."""
    digest = hashlib.sha256(payload.encode()).digest()
    return PREFIX + base64.urlsafe_b64encode(digest[:12]).decode()


def store(session: Session, payload: str) -> str:
    token = token_for(payload)
    insert_ignore(session, CallbackToken, {"token": token, "payload": payload}, ["token"])
    return token


def resolve(session: Session, data: str) -> str | None:
    """The payload behind callback data: itself, or the stored one for a token; None if unknown."""
    if not data.startswith(PREFIX):
        return data
    row = session.get(CallbackToken, data)
    return row.payload if row else None
