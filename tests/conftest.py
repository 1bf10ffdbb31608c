"""Database fixtures shared by all tests: every DB test runs on SQLite and on PostgreSQL.

PostgreSQL comes from TEST_POSTGRES_URL (default: the local server's `test` database, used only
to create and drop a throw-away database per test session). When CI is set it is required; on a
developer machine without it those tests are skipped with a loud reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from asnkarier import db
from tests.databases import DATA, PG_ADMIN_URL, ROOT, DatabaseFactory, pg_admin

__all__ = ["DATA", "ROOT", "DatabaseFactory"]  # what test modules and benchmarks import here
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _require_postgres() -> None:
    engine = pg_admin()
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        reason = f"PostgreSQL not reachable at {make_url(PG_ADMIN_URL).render_as_string()}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (required when CI is set)")
        pytest.skip(f"!!! SKIPPING POSTGRESQL TESTS: {reason}")
    finally:
        engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def db_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DatabaseFactory]:
    if request.param == "postgresql":
        _require_postgres()
    factory = DatabaseFactory(request.param, tmp_path_factory.mktemp("db"))
    yield factory
    factory.close()


@pytest.fixture
def fresh_db_url(db_factory: DatabaseFactory) -> str:
    """URL of a new, empty (unmigrated) database of the current backend."""
    return db_factory.new_url()


@pytest.fixture(scope="module")
def engine(db_factory: DatabaseFactory) -> Iterator[Engine]:
    """A migrated database holding the content of data/, shared by one module's tests.

    Per module, not per session: tests of processes that talk to the database on their own
    connections (the bot, the dispatcher, the CLI) must commit, and what they commit must not
    leak into another module's counts.
    """
    engine = db.make_engine(db_factory.new_seeded_url())
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions that commit, for code under test that opens its own (bot, dispatcher, CLI)."""
    return db.make_sessionmaker(engine)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        sess = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield sess
        finally:
            sess.close()
            outer.rollback()
