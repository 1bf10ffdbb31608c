"""The scheduler's leader lease and firing HR-scheduled broadcasts exactly once.

Only the holder of the lease row runs the scheduler's jobs (one instance at a time). The lease
works the same on SQLite (writers serialised by BEGIN IMMEDIATE) and PostgreSQL (the conditional
UPDATE re-checks its WHERE after waiting for a concurrent writer).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.orm import Session

from asnkarier.db import insert_ignore
from asnkarier.models import BroadcastStatus, ScheduledBroadcastRun, SchedulerLease
from asnkarier.services import broadcasts

logger = logging.getLogger(__name__)

LEASE_NAME = "scheduler"


def acquire(
    session: Session, holder: str, now: dt.datetime, ttl: dt.timedelta, name: str = LEASE_NAME
) -> bool:
    """Take the lease if it is free or expired, or renew it if `holder` has it; True if held."""
    values = {"name": name, "holder": holder, "expires_at": now + ttl, "acquired_at": now}
    if insert_ignore(session, SchedulerLease, values, ["name"]):
        return True
    taken = session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == name,
            or_(SchedulerLease.holder == holder, SchedulerLease.expires_at <= now),
        )
        .values(
            holder=holder,
            expires_at=now + ttl,
            acquired_at=case(
                (SchedulerLease.holder == holder, SchedulerLease.acquired_at), else_=now
            ),
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    return bool(taken)


def release(session: Session, holder: str, name: str = LEASE_NAME) -> None:
    """Give the lease up (clean shutdown) so a standby takes over at once."""
    session.execute(
        delete(SchedulerLease)
        .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
        .execution_options(synchronize_session=False)
    )


def lease(session: Session, name: str = LEASE_NAME) -> SchedulerLease | None:
    return session.scalar(select(SchedulerLease).where(SchedulerLease.name == name))


def fire_broadcast(
    session: Session, broadcast_id: int, now: dt.datetime, grace: dt.timedelta
) -> str:
    """Send a scheduled broadcast once; too late after downtime it is cancelled, with the reason.

    The run row is the claim, inserted first under its primary key: of two schedulers (or a
    scan racing a restart) only one inserts it, the other waits for that transaction and then
    finds it ("already fired"). Everything happens in the caller's transaction, so a failure
    rolls the claim back too and the next scan tries again.
    """
    values = {"broadcast_id": broadcast_id, "fired_at": now, "outcome": "firing"}
    if not insert_ignore(session, ScheduledBroadcastRun, values, ["broadcast_id"]):
        return "already fired"
    broadcast = broadcasts.get(session, broadcast_id, for_update=True)
    if broadcast.status != BroadcastStatus.SCHEDULED or broadcast.scheduled_at is None:
        outcome = f"skipped: status {broadcast.status.value}"
    elif now - broadcast.scheduled_at > grace:
        late = int((now - broadcast.scheduled_at).total_seconds() // 60)
        broadcasts.cancel(session, broadcast_id, now)
        outcome = (
            f"dropped: {late} min late, more than the {int(grace.total_seconds() // 60)} allowed"
        )
        logger.warning("Scheduled broadcast %d %s", broadcast_id, outcome)
    else:
        added = broadcasts.materialize(session, broadcast_id, now)
        outcome = f"sent: {added} messages enqueued"
        logger.info("Scheduled broadcast %d %s", broadcast_id, outcome)
    session.execute(
        update(ScheduledBroadcastRun)
        .where(ScheduledBroadcastRun.broadcast_id == broadcast_id)
        .values(outcome=outcome[:200])
        .execution_options(synchronize_session=False)
    )
    return outcome
