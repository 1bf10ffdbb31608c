"""docker/postgres-init.sh on a real PostgreSQL: the owner migrates, the app role only uses rows,
Rasa's role reaches its own database only."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from asnkarier import db
from asnkarier.services.seed import load_content, seed
from tests.conftest import DATA, PG_ADMIN_URL, ROOT

pytestmark = pytest.mark.postgres
INIT = ROOT / "docker" / "postgres-init.sh"


@pytest.fixture
def cluster() -> Iterator[dict[str, str]]:
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    admin_url = make_url(PG_ADMIN_URL)
    admin = db.make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    suffix = uuid.uuid4().hex[:8]
    names = {
        "app_db": f"asnbot_roles_{suffix}",
        "rasa_db": f"rasa_roles_{suffix}",
        "owner": f"owner_{suffix}",
        "app": f"app_{suffix}",
        "rasa": f"rasa_{suffix}",
    }
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{names["app_db"]}"'))  # as the image's initdb does
    env = {
        **os.environ,
        "PGHOST": admin_url.host or "127.0.0.1",
        "PGPORT": str(admin_url.port or 5432),
        "POSTGRES_USER": admin_url.username or "postgres",
        "POSTGRES_DB": names["app_db"],
        "RASA_TRACKER_DB": names["rasa_db"],
        "ASNBOT_OWNER_ROLE": names["owner"],
        "ASNBOT_APP_ROLE": names["app"],
        "RASA_DB_ROLE": names["rasa"],
        "ASNBOT_OWNER_PASSWORD": "owner1",
        "ASNBOT_APP_PASSWORD": "app1",
        "RASA_DB_PASSWORD": "rasa1",
    }
    if admin_url.password:
        env["PGPASSWORD"] = admin_url.password
    try:
        done = subprocess.run(["sh", str(INIT)], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        yield names
    finally:
        with admin.connect() as conn:
            for database in (names["app_db"], names["rasa_db"]):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            for role in (names["owner"], names["app"], names["rasa"]):
                conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def _url(user: str, database: str) -> str:
    url = make_url(PG_ADMIN_URL).set(username=user, database=database, password=None)
    return url.render_as_string(hide_password=False)


def test_roles_of_least_privilege(cluster: dict[str, str]) -> None:
    # The owner migrates the schema (DDL).
    db.upgrade(_url(cluster["owner"], cluster["app_db"]))

    app = db.make_engine(_url(cluster["app"], cluster["app_db"]))
    try:
        with db.make_sessionmaker(app).begin() as session:  # rows: what the app does
            seed(session, load_content(DATA))
        with app.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM units")).scalar()
            conn.execute(text("UPDATE units SET name = name || ' ' WHERE id = 1"))
            conn.execute(text("DELETE FROM audit_log WHERE id < 0"))
        assert db.current_revision(app) is not None  # `asnbot health` reads alembic_version
        for ddl in (
            "CREATE TABLE stolen (x int)",
            "DROP TABLE units",
            "ALTER TABLE units ADD COLUMN x int",
            "TRUNCATE units",
            "CREATE ROLE intruder",
        ):
            with (
                pytest.raises(ProgrammingError, match=r"permission denied|must be owner"),
                app.begin() as conn,
            ):
                conn.execute(text(ddl))
    finally:
        app.dispose()

    # Neither the app role nor Rasa's reaches the other's database.
    for user, database in (
        (cluster["app"], cluster["rasa_db"]),
        (cluster["rasa"], cluster["app_db"]),
    ):
        other = db.make_engine(_url(user, database))
        try:
            with pytest.raises(OperationalError, match="permission denied"), other.connect():
                pass
        finally:
            other.dispose()

    rasa = db.make_engine(_url(cluster["rasa"], cluster["rasa_db"]))
    try:
        with rasa.begin() as conn:  # Rasa creates its tracker table itself
            conn.execute(text("CREATE TABLE events (id serial PRIMARY KEY, data text)"))
    finally:
        rasa.dispose()
