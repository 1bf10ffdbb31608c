"""Activation codes: hashed storage, one-time use, expiry, replacement and the wrong-code lock."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import ActivationCode, Employee, LinkAttempt, Rank, Unit, utcnow
from asnkarier.services.activation import (
    LinkLimits,
    LinkStatus,
    hash_code,
    issue_codes,
    normalize_code,
    pretty,
    redeem,
    unlink,
)

MAX, LOCK = 3, 30
LIMITS = LinkLimits(per_sender=MAX, per_code=10, overall=200, lock_minutes=LOCK)


@pytest.fixture
def people(session: Session) -> list[Employee]:
    unit = session.scalars(select(Unit)).first()
    rank = session.scalar(select(Rank).where(Rank.code == "III/a"))
    assert unit is not None
    assert rank is not None
    staff = [
        Employee(
            nip=f"19900101201501100{i}",
            name=f"Pegawai {i}",
            sex="L",
            birth_date=dt.date(1990, 1, 1),
            unit_id=unit.id,
            position_title="Pengolah Data",
            position_kind="pelaksana",
            rank_id=rank.id,
        )
        for i in (1, 2)
    ]
    session.add_all(staff)
    session.flush()
    return staff


def _redeem(session: Session, code: str, user: int = 111, now: dt.datetime | None = None):  # type: ignore[no-untyped-def]
    return redeem(
        session,
        telegram_user_id=user,
        chat_id=user,
        code=code,
        limits=LIMITS,
        now=now,
    )


def test_codes_are_stored_hashed_and_link_once(session: Session, people: list[Employee]) -> None:
    [issued] = issue_codes(session, people[:1], ttl_days=30, actor="test")
    stored = session.scalars(select(ActivationCode)).all()
    assert len(stored) == 1
    assert stored[0].code_hash == hash_code(issued.code)
    assert issued.code not in stored[0].code_hash

    # Typed loosely, as people do on phones.
    result = _redeem(session, pretty(issued.code).lower().replace("-", " "))
    assert result.status == LinkStatus.LINKED
    assert people[0].telegram_user_id == 111
    assert people[0].telegram_chat_id == 111
    assert _redeem(session, issued.code, user=222).status == LinkStatus.EXPIRED


def test_wrong_codes_lock_the_user_even_for_the_right_code(
    session: Session, people: list[Employee]
) -> None:
    [issued] = issue_codes(session, people[:1], ttl_days=30, actor="test")
    now = utcnow()
    first = _redeem(session, "AAAAAAAA", now=now)
    assert (first.status, first.attempts_left) == (LinkStatus.INVALID, 2)
    assert _redeem(session, "BBBBBBBB", now=now).attempts_left == 1
    locked = _redeem(session, "CCCCCCCC", now=now)
    assert locked.status == LinkStatus.LOCKED
    assert locked.locked_until == now + dt.timedelta(minutes=LOCK)
    assert _redeem(session, issued.code, now=now).status == LinkStatus.LOCKED
    assert people[0].telegram_user_id is None
    # Once the lock has passed, the right code works.
    later = now + dt.timedelta(minutes=LOCK + 1)
    assert _redeem(session, issued.code, now=later).status == LinkStatus.LINKED


def test_expired_and_replaced_codes_do_not_link(session: Session, people: list[Employee]) -> None:
    [old] = issue_codes(session, people[:1], ttl_days=1, actor="test")
    [new] = issue_codes(session, people[:1], ttl_days=1, actor="test")
    assert _redeem(session, old.code).status == LinkStatus.EXPIRED
    after_expiry = utcnow() + dt.timedelta(days=2)
    assert _redeem(session, new.code, now=after_expiry).status == LinkStatus.EXPIRED
    assert people[0].telegram_user_id is None


def test_one_telegram_account_cannot_hold_two_employees(
    session: Session, people: list[Employee]
) -> None:
    first, second = issue_codes(session, people, ttl_days=30, actor="test")
    assert _redeem(session, first.code).status == LinkStatus.LINKED
    result = _redeem(session, second.code)
    assert result.status == LinkStatus.OTHER_EMPLOYEE
    assert people[1].telegram_user_id is None
    unlink(session, people[0], actor="telegram:111")
    assert _redeem(session, second.code).status == LinkStatus.LINKED
    assert people[1].telegram_user_id == 111


def test_new_code_moves_the_link_to_a_new_phone(session: Session, people: list[Employee]) -> None:
    [issued] = issue_codes(session, people[:1], ttl_days=30, actor="test")
    assert _redeem(session, issued.code, user=111).status == LinkStatus.LINKED
    [again] = issue_codes(session, people[:1], ttl_days=30, actor="test")
    assert _redeem(session, again.code, user=999).status == LinkStatus.LINKED
    assert people[0].telegram_user_id == 999


def test_normalize_code() -> None:
    assert normalize_code(" k7p2-mx9q ") == "K7P2MX9Q"


def test_guessing_from_many_senders_locks_everyone(
    session: Session, people: list[Employee]
) -> None:
    [issued] = issue_codes(session, people[:1], ttl_days=30, actor="test")
    limits = LinkLimits(per_sender=MAX, per_code=10, overall=4, lock_minutes=LOCK)
    now = utcnow()
    results = [
        redeem(session, telegram_user_id=u, chat_id=u, code=f"GUESS{u}AA", limits=limits, now=now)
        for u in range(500, 504)
    ]
    assert [r.status for r in results] == [LinkStatus.INVALID] * 3 + [LinkStatus.LOCKED]
    # A fresh sender with the right code is refused too while the lock lasts, then links.
    fresh = {"telegram_user_id": 600, "chat_id": 600, "code": issued.code, "limits": limits}
    assert redeem(session, **fresh, now=now).status == LinkStatus.LOCKED  # type: ignore[arg-type]
    assert people[0].telegram_user_id is None
    later = now + dt.timedelta(minutes=LOCK + 1)
    assert redeem(session, **fresh, now=later).status == LinkStatus.LINKED  # type: ignore[arg-type]


def test_one_code_tried_by_many_senders_is_locked(session: Session, people: list[Employee]) -> None:
    [issued] = issue_codes(session, people[:1], ttl_days=30, actor="test")
    limits = LinkLimits(per_sender=MAX, per_code=3, overall=200, lock_minutes=LOCK)
    now = utcnow()
    assert _redeem(session, issued.code, user=700, now=now).status == LinkStatus.LINKED
    # The used code, passed around: each sender tries it once.
    statuses = [
        redeem(session, telegram_user_id=u, chat_id=u, code=issued.code, limits=limits, now=now)
        for u in range(701, 705)
    ]
    assert [s.status for s in statuses] == [
        LinkStatus.EXPIRED,
        LinkStatus.EXPIRED,
        LinkStatus.LOCKED,
        LinkStatus.LOCKED,
    ]
    other = redeem(session, telegram_user_id=710, chat_id=710, code="ZZZZ2222", limits=limits)
    assert other.status == LinkStatus.INVALID  # only that code value is locked


def test_concurrent_wrong_codes_are_counted_atomically(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """50 wrong codes at once from one sender: no error, at most MAX ever looked up."""
    limits = LinkLimits(per_sender=MAX, per_code=10, overall=1_000, lock_minutes=LOCK)
    user, tries = 880_001, 50
    lookups = 0

    def count_lookups(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        nonlocal lookups
        if "FROM activation_codes" in statement:
            lookups += 1

    start = threading.Barrier(tries)

    def attempt(i: int) -> LinkStatus:
        start.wait()
        with sessions.begin() as s:
            code = f"WR{i:02d}ONG9"
            return redeem(s, telegram_user_id=user, chat_id=user, code=code, limits=limits).status

    event.listen(engine, "before_cursor_execute", count_lookups)
    try:
        with ThreadPoolExecutor(max_workers=tries) as pool:
            statuses = list(pool.map(attempt, range(tries)))  # re-raises any error
    finally:
        event.remove(engine, "before_cursor_execute", count_lookups)
    assert statuses.count(LinkStatus.INVALID) == MAX - 1
    assert statuses.count(LinkStatus.LOCKED) == tries - (MAX - 1)
    assert lookups <= MAX
    with sessions.begin() as s:
        row = s.scalar(select(LinkAttempt).where(LinkAttempt.scope == f"sender:{user}"))
        assert row is not None
        assert row.attempts == tries
        assert row.locked_until is not None
