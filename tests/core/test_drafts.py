"""Conversation drafts in the database: one per flow, chat and user; they lapse; taking one
consumes it exactly once, even when two bot replicas race."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from asnkarier import db
from asnkarier.services import drafts

T0 = dt.datetime(2031, 3, 1, tzinfo=dt.UTC)


def test_a_draft_is_saved_replaced_and_lapses(session: Session) -> None:
    drafts.save(session, "umumkan", 1, 2, step="text", data={}, now=T0)
    drafts.save(session, "umumkan", 1, 2, step="segment", data={"text": "Halo"}, now=T0)
    drafts.save(session, "umumkan", 1, 3, step="text", data={}, now=T0)  # another officer
    draft = drafts.get(session, "umumkan", 1, 2, T0 + dt.timedelta(hours=1))
    assert draft is not None
    assert (draft.step, draft.data) == ("segment", {"text": "Halo"})
    assert drafts.get(session, "lain", 1, 2, T0) is None
    later = T0 + drafts.DRAFT_TTL
    assert drafts.get(session, "umumkan", 1, 2, later) is None  # lapsed
    assert drafts.take(session, "umumkan", 1, 2, "segment", later) is None
    assert drafts.purge_expired(session, later) == 2
    assert not drafts.drop(session, "umumkan", 1, 2)


def test_take_needs_the_step_and_consumes_the_draft(session: Session) -> None:
    drafts.save(session, "umumkan", 5, 6, step="confirm", data={"text": "x"}, now=T0)
    assert drafts.take(session, "umumkan", 5, 6, "when", T0) is None  # wrong step: kept
    assert drafts.take(session, "umumkan", 5, 6, "confirm", T0) == {"text": "x"}
    assert drafts.take(session, "umumkan", 5, 6, "confirm", T0) is None


def test_racing_takes_get_the_draft_once(engine: Engine) -> None:
    sessions = db.make_sessionmaker(engine)
    now = dt.datetime.now(dt.UTC)
    with sessions.begin() as session:
        drafts.save(session, "umumkan", 9, 9, step="confirm", data={"text": "y"}, now=now)
    start = threading.Barrier(4)
    got: list[object] = []

    def press() -> None:
        start.wait()
        with sessions.begin() as session:
            got.append(drafts.take(session, "umumkan", 9, 9, "confirm", now))

    threads = [threading.Thread(target=press) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got, key=str) == [None, None, None, {"text": "y"}]
