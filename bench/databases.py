"""Throw-away databases for benchmarks: a SQLite file or a fresh local PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from asnkarier import db

PG_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def fresh_db(backend: str, tmp: Path) -> tuple[str, str | None]:
    """URL of an empty database of `backend`, and the PostgreSQL name to drop afterwards."""
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}", None
    name = f"asnbot_bench_{uuid.uuid4().hex[:8]}"
    admin = db.make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False), name


def drop_db(name: str) -> None:
    admin = db.make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
