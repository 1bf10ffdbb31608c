"""Web console sessions in the DB (every web replica shares them), with idle and absolute expiry.

The browser holds a random token (in a signed cookie); the row holds its SHA-256 and the
session's CSRF token.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from asnkarier.models import ConsoleSession
from asnkarier.services.console_auth import Officer, hash_token, officer

# last_seen_at is written at most this often, so every page view is not a write.
TOUCH_EVERY = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class Active:
    """A live session: who and the CSRF token every form and htmx request must carry."""

    officer: Officer
    csrf_token: str


def start(session: Session, who: Officer, now: dt.datetime, *, absolute_minutes: int) -> str:
    """Open a session for a signed-in officer; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=hash_token(token),
            employee_id=who.employee_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + dt.timedelta(minutes=absolute_minutes),
        )
    )
    session.flush()
    return token


def resume(session: Session, token: str, now: dt.datetime, *, idle_minutes: int) -> Active | None:
    """The live session behind this token, touched; None when unknown, ended, idle or expired.

    The role is read again each time: rights revoked in the DB end the console access at once.
    """
    row = session.scalar(
        select(ConsoleSession).where(
            ConsoleSession.token_hash == hash_token(token),
            ConsoleSession.ended_at.is_(None),
            ConsoleSession.expires_at > now,
            ConsoleSession.last_seen_at > now - dt.timedelta(minutes=idle_minutes),
        )
    )
    if row is None:
        return None
    who = officer(session, row.employee_id)
    if who is None:
        row.ended_at = now
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return Active(who, row.csrf_token)


def end(session: Session, token: str, now: dt.datetime) -> bool:
    """Sign out: the session stops working on every replica."""
    result = session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.token_hash == hash_token(token), ConsoleSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
