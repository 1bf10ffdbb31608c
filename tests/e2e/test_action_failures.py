"""Rasa and the action server with the actions' PostgreSQL database dropped under them: users get
the apology (never "no answer"), the bot is told the turn was unavailable, the form asks again,
and no process logs the activation code that was typed or the tracker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from actions.common import UNAVAILABLE
from asnkarier import db, signals
from asnkarier.services.seed import load_content, seed
from tests.conftest import DATA, PG_ADMIN_URL, DatabaseFactory
from tests.e2e.stack import running_stack

SENDER = 955_001
CODE = "R4TW-8HNX"


def _texts(replies: list[dict[str, Any]]) -> list[str]:
    return [r["text"] for r in replies if r.get("text")]


def _signals(replies: list[dict[str, Any]]) -> list[str | None]:
    return [signals.name_of(r["custom"]) for r in replies if r.get("custom")]


def test_database_dropped_under_rasa_and_actions(
    db_factory: DatabaseFactory, tmp_path: Path
) -> None:
    if db_factory.backend != "postgresql":
        pytest.skip("drops a PostgreSQL database under the running servers")
    url = db_factory.new_url()
    db.upgrade(url)
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine).begin() as session:
        seed(session, load_content(DATA))
    engine.dispose()
    with running_stack(url, tmp_path) as stack:
        assert "Tenggat" in " ".join(_texts(stack.say(SENDER, "kapan tenggat SKP?")))
        admin = db.make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()

        question = stack.say(SENDER, "kapan tenggat SKP?")
        # Two actions of the turn need the database (the slot-mapping check and the answer);
        # each apologises, the bot shows one (tests/bot/test_relay_outcome.py).
        assert set(_texts(question)) == {UNAVAILABLE}, question
        assert set(_signals(question)) == {signals.UNAVAILABLE}

        # The linking form: opening it needs the database (is the sender linked?), so the
        # apology comes first, then the form asks for the code as usual.
        opened = stack.say(SENDER, "saya mau aktivasi akun")
        assert UNAVAILABLE in _texts(opened), opened
        assert signals.UNAVAILABLE in _signals(opened)
        typed = stack.say(SENDER, CODE)
        assert UNAVAILABLE in _texts(typed), typed
        assert "Sisa percobaan" not in " ".join(_texts(typed))
        assert "belum punya jawaban" not in " ".join(_texts(typed))
        logs = {p.name: p.log.read_text(errors="replace") for p in stack.processes}
    assert "Action validate_link_account_form failed" in logs["actions"]
    for name, log in logs.items():
        for secret in (CODE, CODE.replace("-", ""), "latest_message", "request_body"):
            assert secret not in log, (name, secret)
