"""Engine and session factories, and Alembic upgrade/downgrade for the configured database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.dialects.postgresql import Insert

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
T = TypeVar("T")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; for SQLite create the file's folder and enable FKs, WAL and a busy wait."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Several processes (bot, actions, scheduler) share the file: wait for locks rather
        # than failing at once.
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling starts transactions late and breaks SAVEPOINTs; turn
    # it off and let SQLAlchemy emit BEGIN itself (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front: concurrent writers queue on busy_timeout instead
    # of failing with SQLITE_BUSY when a read-then-write transaction finds its snapshot stale.
    # That is what keeps guarded updates (seats, codes, outbox) correct on SQLite.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Session factory; callers own the transaction (`with factory.begin() as session:`)."""
    return sessionmaker(engine, expire_on_commit=False)


async def run_in_transaction(sessions: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """Run `work(session)` in one transaction on a worker thread, keeping the event loop free.

    The one way async code (bot handlers, actions, the dispatcher) reaches the database: the
    transaction commits when `work` returns and rolls back when it raises.
    """

    def run() -> T:
        with sessions.begin() as session:
            return work(session)

    return await asyncio.to_thread(run)


def assign_changed(obj: Any, values: Mapping[str, Any]) -> bool:
    """Set only the attributes whose value differs, so an unchanged row issues no UPDATE (and
    keeps its `updated_at`); True if any changed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the package's migrations and the given database."""
    from alembic.config import Config  # Alembic is imported only by commands that migrate

    cfg = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on '%' in passwords.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision`."""
    if make_url(url).get_backend_name() == "sqlite":
        make_engine(url).dispose()  # creates the SQLite file's folder
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at `url` down to `revision` ("base" removes everything)."""
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upsert_insert(session: Session, target: Any) -> Insert:
    """An INSERT on `target` (model or table) with ON CONFLICT support for the session's database.

    SQLite and PostgreSQL spell `on_conflict_do_nothing` the same way, each in its own dialect
    module: this is the one place that picks it. (Typed as PostgreSQL's, the richer of the two.)
    """
    from sqlalchemy.dialects import postgresql, sqlite

    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(target)
    return sqlite.insert(target)  # type: ignore[return-value]


def insert_ignore(
    session: Session, model: type[Any], values: dict[str, Any], conflict: list[str]
) -> bool:
    """INSERT ... ON CONFLICT (conflict) DO NOTHING on SQLite or PostgreSQL; True if inserted."""
    stmt = (
        upsert_insert(session, model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict)
    )
    # Not rowcount: it is -1 on PostgreSQL once SQLAlchemy adds RETURNING for a serial key.
    key = sa_inspect(model).primary_key[0]
    return session.execute(stmt.returning(key)).first() is not None


def insert_ignore_many(
    session: Session, model: type[Any], rows: list[dict[str, Any]], conflict: list[str]
) -> int:
    """Multi-row `insert_ignore` (all rows with the same keys); returns how many were inserted."""
    if not rows:
        return 0
    # One executemany on the table rather than a multi-row VALUES through the ORM: compiled once
    # and batched by the driver, several times faster for thousands of rows (reminders,
    # broadcasts). RETURNING counts the rows inserted (rowcount is -1 with psycopg).
    table = sa_inspect(model).local_table
    stmt = upsert_insert(session, table).on_conflict_do_nothing(index_elements=conflict)
    session.flush()  # Core bypasses autoflush; rows may refer to objects still pending
    result = session.connection().execute(stmt.returning(table.c[conflict[0]]), rows)
    return len(result.all())
