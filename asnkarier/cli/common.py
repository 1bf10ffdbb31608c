"""Helpers shared by CLI commands: database sessions, consoles, the actor name for the audit log."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from asnkarier.db import make_engine, make_sessionmaker
from asnkarier.settings import get_settings

out = Console()
err = Console(stderr=True)


def esc(value: object) -> str:
    """Data (names, units, messages, file names, errors) made safe to put into rich markup.

    Every value that did not come from our own source code goes through this before it is
    interpolated into a string that `out`/`err` print or a Table cell: a unit called
    `Bidang [/] Umum` would otherwise crash the print, and `[link=…]` would show HR a hidden
    link that recipients get as literal text.
    """
    return escape(str(value))


def actor() -> str:
    """Who runs the command, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@contextmanager
def transaction() -> Iterator[Session]:
    """One transaction on the configured database; refuses to run on an unmigrated one."""
    engine = make_engine(get_settings().database_url)
    try:
        if not inspect(engine).has_table("employees"):
            err.print("[red]Database belum dimigrasi.[/] Jalankan dulu: [bold]asnbot db upgrade[/]")
            raise typer.Exit(2)
        with make_sessionmaker(engine).begin() as session:
            yield session
    finally:
        engine.dispose()
