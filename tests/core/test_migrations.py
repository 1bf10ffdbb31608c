"""Alembic migrations go up and down cleanly and match the models, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from asnkarier import db
from asnkarier.models import Base


def test_upgrade_matches_models_then_downgrade_removes_everything(fresh_db_url: str) -> None:
    db.upgrade(fresh_db_url)
    engine = db.make_engine(fresh_db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        assert db.current_revision(engine) is not None

        db.downgrade(fresh_db_url, "base")
        engine.dispose()
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        assert db.current_revision(engine) is None

        db.upgrade(fresh_db_url)  # and up again: downgrade left nothing behind
        engine.dispose()
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
