"""Broadcast segments, recipient counts, idempotent materialization, read marks and reports."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from asnkarier.models import (
    BroadcastStatus,
    Employee,
    OutboxMessage,
    OutboxStatus,
    PositionKind,
    utcnow,
)
from asnkarier.services import broadcasts, outbox
from tests.factories import make_employee

_chats = itertools.count(700_000_001)


def linked(session: Session, **values: object) -> Employee:
    return make_employee(session, chat_id=next(_chats), **values)


@pytest.fixture
def staff(session: Session) -> dict[str, Employee]:
    """Linked employees across units, kinds and ranks, plus ones who must never be reached."""
    return {
        "bkpsdm_3c": linked(session, unit_code="BKPSDM", rank="III/c"),
        "bkpsdm_fung": linked(
            session, unit_code="BKPSDM", rank="III/a", position_kind=PositionKind.FUNGSIONAL
        ),
        "dinkes_4a": linked(session, unit_code="DINKES", rank="IV/a"),
        "dinkes_2b": linked(session, unit_code="DINKES", rank="II/b"),
        "unlinked": make_employee(session, unit_code="BKPSDM", rank="III/c"),
        "inactive": linked(session, unit_code="BKPSDM", rank="III/c", is_active=False),
        "blocked": linked(session, unit_code="BKPSDM", rank="III/c", bot_blocked=True),
    }


def ids(session: Session, segment: dict[str, str]) -> set[int]:
    return {row.id for row in session.execute(broadcasts._recipients(session, segment))}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("all", {}),
        ("Semua", {}),
        ("unit=bkpsdm", {"unit": "BKPSDM"}),
        ("unit=Dinas Kesehatan", {"unit": "DINKES"}),
        ("jenis_jabatan=Fungsional", {"jenis_jabatan": "fungsional"}),
        ("golongan=3c", {"golongan": "III/c"}),
        ("golongan=tiga c", {"golongan": "III/c"}),
        ("golongan=III", {"golongan": "III"}),
        ("golongan=4", {"golongan": "IV"}),
        ("golongan=Gol. III", {"golongan": "III"}),
        ("golongan=golongan empat", {"golongan": "IV"}),
    ],
)
def test_segments_are_normalized(session: Session, text: str, expected: dict[str, str]) -> None:
    assert broadcasts.parse_segment(session, text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("unit=NOPE", "Unit kerja «NOPE» tidak ditemukan"),
        ("jenis_jabatan=guru", "Jenis jabatan «guru» tidak dikenal"),
        ("golongan=V/a", "Golongan «V/a» tidak dikenal"),
        ("golongan=I/e", "Golongan «I/e» tidak dikenal"),
        ("eselon=II", "tidak dikenal"),
        ("BKPSDM", "Segmen «BKPSDM» tidak dikenal"),
        ("unit=", "kosong"),
    ],
)
def test_bad_segments_are_refused_clearly(session: Session, text: str, words: str) -> None:
    with pytest.raises(broadcasts.BroadcastError, match=words):
        broadcasts.parse_segment(session, text)


def test_recipients_per_segment(session: Session, staff: dict[str, Employee]) -> None:
    everyone = ids(session, {})
    reachable = {staff[k].id for k in ("bkpsdm_3c", "bkpsdm_fung", "dinkes_4a", "dinkes_2b")}
    assert reachable <= everyone
    assert not {staff[k].id for k in ("unlinked", "inactive", "blocked")} & everyone

    bkpsdm = ids(session, {"unit": "BKPSDM"})
    assert {staff["bkpsdm_3c"].id, staff["bkpsdm_fung"].id} <= bkpsdm
    assert not {staff["dinkes_4a"].id, staff["dinkes_2b"].id} & bkpsdm
    assert staff["bkpsdm_fung"].id in ids(session, {"jenis_jabatan": "fungsional"})
    assert staff["bkpsdm_3c"].id not in ids(session, {"jenis_jabatan": "fungsional"})
    gol3 = ids(session, {"golongan": "III"})
    assert {staff["bkpsdm_3c"].id, staff["bkpsdm_fung"].id} <= gol3
    assert not {staff["dinkes_4a"].id, staff["dinkes_2b"].id} & gol3
    exact = ids(session, {"golongan": "III/c"})
    assert staff["bkpsdm_3c"].id in exact
    assert staff["bkpsdm_fung"].id not in exact
    assert broadcasts.count_recipients(session, {"unit": "BKPSDM"}) == len(bkpsdm)


def test_text_is_checked(session: Session) -> None:
    with pytest.raises(broadcasts.BroadcastError, match="kosong"):
        broadcasts.create(session, text="   ", segment={}, now=utcnow())
    with pytest.raises(broadcasts.BroadcastError, match="4097 karakter"):
        broadcasts.create(session, text="x" * 4097, segment={}, now=utcnow())
    with pytest.raises(broadcasts.BroadcastError, match="sudah lewat"):
        broadcasts.create(
            session, text="Halo", segment={}, now=utcnow(), scheduled_at=utcnow() - dt.timedelta(1)
        )


def test_text_length_is_counted_as_telegram_counts_it(session: Session) -> None:
    # 4000 characters, but each emoji is two UTF-16 units: Telegram would refuse it for every
    # recipient ("message is too long"), so it is refused here, before anything is queued.
    with pytest.raises(broadcasts.BroadcastError, match="4200 karakter"):
        broadcasts.create(session, text="😀" * 200 + "a" * 3800, segment={}, now=utcnow())
    fits = "😀" * 200 + "a" * 3696
    assert broadcasts.create(session, text=fits, segment={}, now=utcnow()).text == fits


def test_materialize_is_idempotent_and_carries_the_read_button(
    session: Session, staff: dict[str, Employee]
) -> None:
    now = utcnow()
    expected = ids(session, {"unit": "BKPSDM"})
    broadcast = broadcasts.create(
        session, text="Apel pagi Senin.", segment={"unit": "bkpsdm"}, now=now
    )
    assert broadcast.status == BroadcastStatus.DRAFT
    assert broadcast.recipients == len(expected)

    assert broadcasts.materialize(session, broadcast.id, now) == len(expected)
    assert broadcasts.materialize(session, broadcast.id, now) == 0
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast.id)
    ).all()
    assert {r.employee_id for r in rows} == expected
    assert {r.idempotency_key for r in rows} == {f"broadcast:{broadcast.id}:{e}" for e in expected}
    for row in rows:
        data = row.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
        assert len(data.encode()) <= 64
        assert broadcasts.parse_read_data(data) == broadcast.id
    session.refresh(broadcast)
    assert broadcast.status == BroadcastStatus.SENDING
    assert broadcast.recipients == len(expected)

    # Even a new employee joining the segment later is not added by a second call.
    linked(session, unit_code="BKPSDM")
    assert broadcasts.materialize(session, broadcast.id, now) == 0


def test_scheduled_broadcasts_become_due(session: Session, staff: dict[str, Employee]) -> None:
    now = utcnow()
    later = broadcasts.create(
        session, text="Besok", segment={}, now=now, scheduled_at=now + dt.timedelta(hours=1)
    )
    assert later.status == BroadcastStatus.SCHEDULED
    assert later.id not in broadcasts.due_scheduled(session, now)
    assert later.id in broadcasts.due_scheduled(session, now + dt.timedelta(hours=1))
    broadcasts.materialize(session, later.id, now + dt.timedelta(hours=1))
    assert later.id not in broadcasts.due_scheduled(session, now + dt.timedelta(hours=2))


def test_report_counts_sent_failed_read_and_pending(
    session: Session, staff: dict[str, Employee]
) -> None:
    now = utcnow()
    linked(session, unit_code="DINKES", rank="III/b")
    broadcast = broadcasts.create(session, text="Info", segment={"golongan": "III"}, now=now)
    broadcasts.materialize(session, broadcast.id, now)
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.broadcast_id == broadcast.id)
        .order_by(OutboxMessage.id)
    ).all()
    assert len(rows) >= 3
    claimed = outbox.claim(session, "test", now, limit=10_000)
    mine = [c for c in claimed if c.id in {r.id for r in rows}]
    outbox.record(
        session,
        [
            outbox.SendOutcome(mine[0].id, sent_message_id=11),
            outbox.SendOutcome(mine[1].id, reason="blocked", error="Forbidden"),
        ],
        now,
    )
    first_employee = rows[0].employee_id
    assert first_employee is not None
    assert broadcasts.mark_read(session, broadcast.id, first_employee, now)
    assert not broadcasts.mark_read(session, broadcast.id, first_employee, now)  # once
    assert not broadcasts.mark_read(session, broadcast.id + 999, first_employee, now)  # forged

    report = broadcasts.report(session, broadcast.id)
    assert report.recipients == len(rows)
    assert report.sent == 1
    assert report.failed == {"blocked": 1}
    assert report.read == 1
    assert report.pending == len(rows) - 2
    assert report.sending == len(rows) - 2  # claimed above, still in flight
    assert not broadcasts.finish_done(session, now)
    text = broadcasts.format_report(report)
    assert "Terkirim: 1" in text
    assert "memblokir bot: 1" in text

    outbox.record(
        session,
        [outbox.SendOutcome(c.id, sent_message_id=20 + i) for i, c in enumerate(mine[2:])],
        now,
    )
    assert broadcast.id in broadcasts.finish_done(session, now)
    session.refresh(broadcast)
    assert broadcast.status == BroadcastStatus.DONE
    assert broadcasts.report(session, broadcast.id).finished


def test_cancel_drops_pending_messages(session: Session, staff: dict[str, Employee]) -> None:
    now = utcnow()
    broadcast = broadcasts.create(session, text="Batal", segment={"unit": "DINKES"}, now=now)
    added = broadcasts.materialize(session, broadcast.id, now)
    assert added >= 2
    assert broadcasts.cancel(session, broadcast.id, now) == added
    report = broadcasts.report(session, broadcast.id)
    assert report.failed == {"cancelled": added}
    assert report.status == "cancelled"
    statuses = session.scalars(
        select(OutboxMessage.status).where(OutboxMessage.broadcast_id == broadcast.id)
    ).all()
    assert set(statuses) == {OutboxStatus.FAILED}


def test_unknown_broadcast(session: Session) -> None:
    with pytest.raises(broadcasts.BroadcastNotFound):
        broadcasts.report(session, 987_654)
    assert broadcasts.parse_read_data("dibaca:12") == 12
    for forged in ("dibaca:", "dibaca:-1", "dibaca:1x", "lain:1", "dibaca:" + "9" * 40):
        assert broadcasts.parse_read_data(forged) is None
