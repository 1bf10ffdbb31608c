"""`asnbot db ...`: schema migrations."""

from __future__ import annotations

import typer

from asnkarier import db as database
from asnkarier.cli.common import out
from asnkarier.settings import get_settings

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Migrate the database (DATABASE_URL) up to the latest schema."""
    database.upgrade(get_settings().database_url, revision)
    out.print(f"Database at revision {_current()}")


@app.command()
def downgrade(revision: str = typer.Argument(..., help='Target revision, or "base".')) -> None:
    """Migrate the database down (destructive: data in dropped tables is lost)."""
    database.downgrade(get_settings().database_url, revision)
    out.print(f"Database at revision {_current()}")


@app.command()
def current() -> None:
    """Print the schema revision of the database."""
    out.print(_current())


def _current() -> str:
    engine = database.make_engine(get_settings().database_url)
    try:
        return database.current_revision(engine) or "(empty)"
    finally:
        engine.dispose()
