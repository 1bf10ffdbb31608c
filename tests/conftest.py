"""Database fixtures shared by all tests: every DB test runs on SQLite and on PostgreSQL.

PostgreSQL comes from TEST_POSTGRES_URL (default: the local server's `test` database, used only
to create and drop a throw-away database per test session), Redis (`redis` fixture) from
TEST_REDIS_URL. When CI is set they are required; on a developer machine without them those
tests are skipped with a loud reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import redis as redis_sync
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from asnkarier import db
from tests.databases import DATA, PG_ADMIN_URL, ROOT, DatabaseFactory, pg_admin

__all__ = ["DATA", "ROOT", "DatabaseFactory"]  # what test modules and benchmarks import here
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


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


@dataclass
class RedisTarget:
    """The test Redis and a key prefix no other test (or parallel run) uses."""

    url: str
    prefix: str
    client: redis_sync.Redis

    @property
    def env(self) -> dict[str, str]:
        """The settings of a process that should share this Redis."""
        return {"REDIS_URL": self.url, "REDIS_KEY_PREFIX": self.prefix}

    def keys(self) -> list[str]:
        return sorted(k.decode() for k in self.client.scan_iter(f"{self.prefix}:*"))


@contextmanager
def redis_target() -> Iterator[RedisTarget]:
    """The test Redis under a fresh prefix; its keys are removed afterwards."""
    client = redis_sync.Redis.from_url(REDIS_TEST_URL, socket_timeout=5)
    try:
        client.ping()
    except redis_sync.RedisError as exc:
        client.close()
        reason = f"Redis not reachable at {REDIS_TEST_URL}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (required when CI is set)")
        pytest.skip(f"!!! SKIPPING REDIS TESTS: {reason}")
    target = RedisTarget(REDIS_TEST_URL, f"asntest{uuid.uuid4().hex[:12]}", client)
    try:
        yield target
    finally:
        for key in client.scan_iter(f"{target.prefix}:*"):
            client.delete(key)
        client.close()


@pytest.fixture
def redis() -> Iterator[RedisTarget]:
    with redis_target() as target:
        yield target
