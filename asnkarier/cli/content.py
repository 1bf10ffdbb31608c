"""`asnbot seed`: load HR content from data/*.yml."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from asnkarier.cli.common import err, esc, out, transaction
from asnkarier.services import seed as seeding
from asnkarier.settings import get_settings


def seed(
    content_dir: Path = typer.Option(
        None, help="Folder with the YAML files (default: CONTENT_DIR)."
    ),
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when content exists."),
) -> None:
    """Load ranks, career ladders, trainings, workshops and calendars (safe to run again)."""
    folder = content_dir or get_settings().content_dir
    try:
        content = seeding.load_content(folder)
    except seeding.ContentError as exc:
        err.print(f"[red]Konten tidak valid:[/] {esc(exc)}")
        raise typer.Exit(1) from None
    with transaction() as session:
        if if_empty and not seeding.is_empty(session):
            out.print("Konten sudah ada; seed dilewati (--if-empty).")
            return
        try:
            report = seeding.seed(session, content)
        except seeding.ContentError as exc:
            err.print(f"[red]Konten tidak valid:[/] {esc(exc)}")
            raise typer.Exit(1) from None
    table = Table("tabel", "baru", "diperbarui", title=f"Seed dari {esc(folder)}")
    for name, created, updated in report.table():
        table.add_row(name, str(created), str(updated))
    out.print(table if report else "Tidak ada perubahan: database sudah sama dengan konten.")
