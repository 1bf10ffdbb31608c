"""End-to-end fixtures: the real Rasa server and action server on a fresh migrated database."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from asnkarier import db
from asnkarier.services.seed import load_content, seed
from tests.conftest import DATA
from tests.e2e.stack import Stack, running_stack

_senders = itertools.count(910_001)


@pytest.fixture(scope="session")
def e2e_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, sessionmaker[Session]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.db'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as session:
        seed(session, load_content(DATA))
    yield url, sessions
    engine.dispose()


@pytest.fixture(scope="session")
def stack(
    e2e_db: tuple[str, sessionmaker[Session]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    logs: Path = tmp_path_factory.mktemp("e2e-logs")
    with running_stack(e2e_db[0], logs) as running:
        yield running


@pytest.fixture
def sessions(e2e_db: tuple[str, sessionmaker[Session]]) -> sessionmaker[Session]:
    return e2e_db[1]


@pytest.fixture
def sender() -> int:
    """A Telegram user id no other test uses (each conversation starts fresh)."""
    return next(_senders)
