"""Throw-away databases for tests and benchmarks: SQLite files, or fresh PostgreSQL databases
created on the server of TEST_POSTGRES_URL (default: the local server's `test` database, used
only to create and drop them)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from asnkarier import db
from asnkarier.services.seed import migrate_and_seed

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def pg_admin() -> Engine:
    """An AUTOCOMMIT engine on the admin database (CREATE/DROP DATABASE need one)."""
    return db.make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


class DatabaseFactory:
    """Creates databases of one backend and removes them at `close`."""

    def __init__(self, backend: str, tmp: Path, prefix: str = "asnbot_test") -> None:
        self.backend = backend
        self.tmp = tmp
        self.prefix = prefix
        self._pg_names: list[str] = []
        self._admin = pg_admin() if backend == "postgresql" else None

    def new_url(self) -> str:
        """URL of a new, empty (unmigrated) database."""
        name = f"{self.prefix}_{uuid.uuid4().hex[:12]}"
        if self._admin is None:
            return f"sqlite:///{self.tmp / name}.db"
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self._pg_names.append(name)
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def new_seeded_url(self) -> str:
        """URL of a new database, migrated and holding the content of data/."""
        url = self.new_url()
        migrate_and_seed(url, DATA)
        return url

    def close(self) -> None:
        if self._admin is None:
            return
        with self._admin.connect() as conn:
            for name in self._pg_names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()
