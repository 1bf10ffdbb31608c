"""The scheduler's leader lease and firing HR-scheduled broadcasts exactly once.

APScheduler 3 cannot share a job store between processes, so only the holder of the lease row
runs jobs. The lease works the same on SQLite (writers serialised by BEGIN IMMEDIATE) and
PostgreSQL (the conditional UPDATE re-checks its WHERE after waiting for a concurrent writer).
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


def broadcasts_to_schedule(
    session: Session, now: dt.datetime, horizon: dt.timedelta
) -> dict[int, dt.datetime]:
    """Scheduled broadcasts due before now + horizon and not fired yet: id -> scheduled time."""
    fired = set(session.scalars(select(ScheduledBroadcastRun.broadcast_id)))
    wanted = {}
    for broadcast_id in broadcasts.due_scheduled(session, now + horizon):
        if broadcast_id in fired:
            continue
        at = broadcasts.get(session, broadcast_id).scheduled_at
        if at is not None:
            wanted[broadcast_id] = at
    return wanted


def fire_broadcast(
    session: Session, broadcast_id: int, now: dt.datetime, grace: dt.timedelta
) -> str:
    """Send a scheduled broadcast once; too late after downtime it is cancelled, with the reason.

    Returns the outcome, also recorded so that a second firing (job store and sync racing, a
    restart) does nothing.
    """
    if session.get(ScheduledBroadcastRun, broadcast_id) is not None:
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
    values = {"broadcast_id": broadcast_id, "fired_at": now, "outcome": outcome[:200]}
    insert_ignore(session, ScheduledBroadcastRun, values, ["broadcast_id"])
    return outcome
