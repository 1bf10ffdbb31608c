"""The outbox: senders enqueue messages by idempotency key; the dispatcher claims, sends, records.

Life of a row: pending -> sending (claimed under a lease by one dispatcher) -> sent, or failed
with a reason, or back to pending with a later `not_before` for a retry. A row whose lease ran
out (its dispatcher died mid-send) is taken over: the only rows that can ever reach a chat twice
are those in flight at a crash; a row recorded as sent is never claimed again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, Table, Text, func, literal, null, select, true, update
from sqlalchemy.orm import Session

from asnkarier.db import insert_ignore, insert_ignore_many, upsert_insert
from asnkarier.models import OutboxMessage, OutboxStatus, utcnow

OPEN = (OutboxStatus.PENDING, OutboxStatus.SENDING)
LEASE_EXPIRED = "lease expired: the dispatcher stopped while sending (maybe delivered)"


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    chat_id: int,
    text: str,
    reply_markup: dict[str, Any] | None = None,
    parse_mode: str | None = None,
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
        "parse_mode": parse_mode,
        "employee_id": employee_id,
        "broadcast_id": broadcast_id,
        "not_before": not_before or utcnow(),
    }
    return insert_ignore(session, OutboxMessage, values, ["idempotency_key"])


def enqueue_many(session: Session, rows: Sequence[dict[str, Any]], chunk: int = 500) -> int:
    """Bulk `enqueue` (dicts of the same keys as its arguments); returns how many were added."""
    added = 0
    for start in range(0, len(rows), chunk):
        values = [
            {
                "idempotency_key": row["key"],
                "kind": row["kind"],
                "chat_id": row["chat_id"],
                "text": row["text"],
                "reply_markup": row.get("reply_markup"),
                "parse_mode": row.get("parse_mode"),
                "employee_id": row.get("employee_id"),
                "broadcast_id": row.get("broadcast_id"),
                "not_before": row.get("not_before") or utcnow(),
                "attachment_file_id": row.get("attachment_file_id"),
                "attachment_kind": row.get("attachment_kind"),
            }
            for row in rows[start : start + chunk]
        ]
        added += insert_ignore_many(session, OutboxMessage, values, ["idempotency_key"])
    return added


def enqueue_from(
    session: Session,
    recipients: Select[tuple[str, int, int]],
    *,
    kind: str,
    text: str,
    reply_markup: dict[str, Any] | None,
    not_before: dt.datetime,
) -> int:
    """One message per row of `recipients` (idempotency key, employee id, chat id), in a single
    INSERT ... SELECT: thousands of rows never travel through Python. Returns how many were new.
    """
    table = cast(Table, OutboxMessage.__table__)
    source = recipients.subquery()
    rows = select(
        source.c[0],
        literal(kind),
        source.c[1],
        source.c[2],
        literal(text, Text),
        null() if reply_markup is None else literal(reply_markup, OutboxMessage.reply_markup.type),
        literal(OutboxStatus.PENDING.value),
        literal(0),
        literal(not_before, OutboxMessage.not_before.type),
        literal(utcnow(), OutboxMessage.created_at.type),
    ).where(true())  # SQLite needs a WHERE to parse INSERT ... SELECT ... ON CONFLICT
    columns = [
        "idempotency_key",
        "kind",
        "employee_id",
        "chat_id",
        "text",
        "reply_markup",
        "status",
        "attempts",
        "not_before",
        "created_at",
    ]
    stmt = (
        upsert_insert(session, table)
        .from_select(columns, rows)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.id)
    )
    return len(session.execute(stmt).all())


@dataclass(frozen=True)
class Claimed:
    """A claimed row as plain data, so it can be sent outside any session."""

    id: int
    kind: str
    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None
    parse_mode: str | None
    attempts: int
    attachment_file_id: int | None = None
    attachment_kind: str | None = None  # document | photo
    text_message_id: int | None = None  # the text already went on its own (see the dispatcher)


def expire_leases(
    session: Session, now: dt.datetime, lease: dt.timedelta, max_attempts: int
) -> int:
    """Put rows whose dispatcher died mid-send back to pending (or fail them when out of tries)."""
    stale = (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.locked_at < now - lease)
    failed = session.execute(
        update(OutboxMessage)
        .where(stale, OutboxMessage.attempts >= max_attempts)
        .values(
            status=OutboxStatus.FAILED,
            failure_reason="max_attempts",
            failed_at=now,
            last_error=LEASE_EXPIRED,
            locked_by=None,
            locked_at=None,
        )
    ).rowcount  # type: ignore[attr-defined]
    retried = session.execute(
        update(OutboxMessage)
        .where(stale)
        .values(
            status=OutboxStatus.PENDING, last_error=LEASE_EXPIRED, locked_by=None, locked_at=None
        )
    ).rowcount  # type: ignore[attr-defined]
    return int(failed) + int(retried)


def claim(session: Session, worker: str, now: dt.datetime, limit: int) -> list[Claimed]:
    """Take up to `limit` due pending rows for `worker`, oldest first.

    On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several dispatchers claim side by side without
    ever taking the same row; SQLite has a single writer (BEGIN IMMEDIATE), which is as safe.
    """
    ids = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now)
            .order_by(OutboxMessage.not_before, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return []
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(
            status=OutboxStatus.SENDING,
            locked_by=worker,
            locked_at=now,
            attempts=OutboxMessage.attempts + 1,
        )
    )
    rows = session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.kind,
            OutboxMessage.chat_id,
            OutboxMessage.text,
            OutboxMessage.reply_markup,
            OutboxMessage.parse_mode,
            OutboxMessage.attempts,
            OutboxMessage.attachment_file_id,
            OutboxMessage.attachment_kind,
            OutboxMessage.text_message_id,
        )
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
    )
    return [Claimed(*row) for row in rows]


def renew(session: Session, worker: str, ids: Iterable[int], now: dt.datetime) -> None:
    """Extend the lease of rows `worker` still holds (it is alive, only rate-limited)."""
    ids = list(ids)
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(_held_by(worker, ids))
            .values(locked_at=now)
            .execution_options(synchronize_session=False)
        )


def release(session: Session, worker: str, ids: Iterable[int]) -> None:
    """Give back rows claimed but never sent (shutdown): pending again, the attempt not counted."""
    ids = list(ids)
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(_held_by(worker, ids))
            .values(
                status=OutboxStatus.PENDING,
                locked_by=None,
                locked_at=None,
                attempts=OutboxMessage.attempts - 1,
            )
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True)
class SendOutcome:
    """What happened to one send: sent, retry at `retry_at`, or failed for `reason`."""

    id: int
    sent_message_id: int | None = None
    retry_at: dt.datetime | None = None
    reason: str | None = None
    error: str | None = None
    # The text part of a two-part send went out (the file did not yet): kept on a retry.
    text_message_id: int | None = None


def record(session: Session, outcomes: Iterable[SendOutcome], now: dt.datetime) -> None:
    """Store send outcomes. A sent row is recorded whoever holds it: delivery is a fact."""
    for outcome in outcomes:
        row = OutboxMessage.id == outcome.id
        if outcome.sent_message_id is not None:
            values: dict[str, Any] = {
                "status": OutboxStatus.SENT,
                "telegram_message_id": outcome.sent_message_id,
                "sent_at": now,
                "failure_reason": None,
            }
            where = row & (OutboxMessage.status != OutboxStatus.SENT)
        elif outcome.retry_at is not None:
            values = {"status": OutboxStatus.PENDING, "not_before": outcome.retry_at}
            where = row & (OutboxMessage.status == OutboxStatus.SENDING)
        else:
            values = {
                "status": OutboxStatus.FAILED,
                "failure_reason": outcome.reason,
                "failed_at": now,
            }
            where = row & (OutboxMessage.status == OutboxStatus.SENDING)
        if outcome.text_message_id is not None:
            values["text_message_id"] = outcome.text_message_id
        if outcome.error is not None:
            values["last_error"] = outcome.error[:1000]
        session.execute(
            update(OutboxMessage)
            .where(where)
            .values(locked_by=None, locked_at=None, **values)
            .execution_options(synchronize_session=False)
        )


def withdraw(session: Session, key_prefix: str, reason: str) -> int:
    """Fail the not-yet-claimed messages whose key starts with `key_prefix`; how many.

    Rows already being sent are left alone: they may be on their way to Telegram.
    """
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.idempotency_key.startswith(key_prefix, autoescape=True),
        )
        .values(
            status=OutboxStatus.FAILED, failure_reason=reason, last_error=reason, failed_at=utcnow()
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def record_text_part(session: Session, row_id: int, message_id: int) -> None:
    """The text of a two-part send (text, then its file) reached Telegram: store it at once,
    before the file is sent, so that a retry of the row sends only the file."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.text_message_id.is_(None))
        .values(text_message_id=message_id)
        .execution_options(synchronize_session=False)
    )


def depth(session: Session) -> dict[str, int]:
    """Rows not yet done, per status (pending, sending)."""
    counts = {status.value: 0 for status in OPEN}
    query = (
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_(OPEN))
        .group_by(OutboxMessage.status)
    )
    for status, count in session.execute(query):
        counts[OutboxStatus(status).value] = int(count)
    return counts


def _held_by(worker: str, ids: list[int]) -> Any:
    return (
        OutboxMessage.id.in_(ids)
        & (OutboxMessage.locked_by == worker)
        & (OutboxMessage.status == OutboxStatus.SENDING)
    )
