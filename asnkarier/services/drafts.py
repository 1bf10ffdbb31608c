"""Multi-step bot flows kept in the database (one row per flow, chat and user), never in a bot
process's memory: the next step may reach another replica, or the bot may have restarted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from asnkarier.db import insert_ignore
from asnkarier.models import ConversationDraft

# An untouched draft lapses after this; the officer starts again (nothing was sent).
DRAFT_TTL = dt.timedelta(hours=24)


def get(
    session: Session, flow: str, chat_id: int, user_id: int, now: dt.datetime
) -> ConversationDraft | None:
    """The live draft of this flow in this chat by this user (None when absent or lapsed)."""
    return session.scalar(
        select(ConversationDraft).where(
            ConversationDraft.flow == flow,
            ConversationDraft.chat_id == chat_id,
            ConversationDraft.user_id == user_id,
            ConversationDraft.expires_at > now,
        )
    )


def save(
    session: Session,
    flow: str,
    chat_id: int,
    user_id: int,
    *,
    step: str,
    data: dict[str, Any],
    now: dt.datetime,
    ttl: dt.timedelta = DRAFT_TTL,
) -> None:
    """Create or replace the draft: its step and its whole data; the expiry starts again."""
    values = {"step": step, "data": data, "updated_at": now, "expires_at": now + ttl}
    key = {"flow": flow, "chat_id": chat_id, "user_id": user_id}
    if insert_ignore(session, ConversationDraft, {**key, **values}, list(key)):
        return
    session.execute(
        update(ConversationDraft)
        .where(*(getattr(ConversationDraft, k) == v for k, v in key.items()))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def drop(session: Session, flow: str, chat_id: int, user_id: int) -> bool:
    """End the flow (sent, scheduled or cancelled); True if there was a draft."""
    result = session.execute(
        delete(ConversationDraft)
        .where(
            ConversationDraft.flow == flow,
            ConversationDraft.chat_id == chat_id,
            ConversationDraft.user_id == user_id,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def purge_expired(session: Session, now: dt.datetime) -> int:
    """Remove lapsed drafts (the scheduler does this with its scans); returns how many."""
    result = session.execute(
        delete(ConversationDraft)
        .where(ConversationDraft.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def take(
    session: Session, flow: str, chat_id: int, user_id: int, step: str, now: dt.datetime
) -> dict[str, Any] | None:
    """Consume the live draft if it is at `step`: its data, or None. The row is deleted in the
    same statement, so of two presses of "send" (even on two replicas) only one gets it; a
    caller whose work then fails rolls back and the draft is there again."""
    row = session.execute(
        delete(ConversationDraft)
        .where(
            ConversationDraft.flow == flow,
            ConversationDraft.chat_id == chat_id,
            ConversationDraft.user_id == user_id,
            ConversationDraft.step == step,
            ConversationDraft.expires_at > now,
        )
        .returning(ConversationDraft.data)
        .execution_options(synchronize_session=False)
    ).first()
    return None if row is None else dict(row[0])
