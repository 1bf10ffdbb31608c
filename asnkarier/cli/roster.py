"""`asnbot roster ...`: import and export the employee roster."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from asnkarier.cli.common import actor, err, esc, out, transaction
from asnkarier.services import roster as rosters
from asnkarier.services import spreadsheet
from asnkarier.settings import get_settings

app = typer.Typer(help="Employee roster (CSV/XLSX as exported from SIASN).", no_args_is_help=True)


@app.command("import")
def import_(
    file: Path = typer.Argument(
        ..., help="CSV or XLSX file with columns nip, nama, unit_kerja, jabatan, golongan."
    ),
    strict: bool = typer.Option(False, "--strict", help="Import nothing if any row is invalid."),
) -> None:
    """Import or update employees; every invalid row is listed with its line number and field."""
    try:
        rows = rosters.read_roster(file, max_bytes=get_settings().roster_max_bytes)
    except rosters.RosterFileError as exc:
        err.print(f"[red]Gagal membaca berkas:[/] {esc(exc)}")
        raise typer.Exit(2) from None
    with (
        Progress(
            TextColumn("Impor pegawai"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as progress,
        transaction() as session,
    ):
        task = progress.add_task("import", total=None)  # rows are counted as they stream
        try:
            report = rosters.import_roster(
                session,
                rows,
                strict=strict,
                actor=actor(),
                default_timezone=get_settings().default_timezone,
                progress=lambda done: progress.update(task, completed=done),
            )
        except rosters.RosterFileError as exc:
            err.print(f"[red]{esc(exc)}[/]")
            raise typer.Exit(2) from None

    if report.warnings:
        table = Table("baris", "kolom", "catatan", title="Peringatan", title_justify="left")
        for w in report.warnings:
            table.add_row(str(w.line), esc(w.field), esc(w.reason))
        err.print(table)
    if report.errors:
        table = Table("baris", "kolom", "masalah", title="Baris yang ditolak", title_justify="left")
        for e in report.errors:
            table.add_row(str(e.line), esc(e.field), esc(e.reason))
        err.print(table)
    if not report.imported:
        err.print(
            f"[red]Tidak ada yang diimpor (--strict):[/] {report.rejected_lines} dari "
            f"{report.total} baris tidak valid."
        )
        raise typer.Exit(1)
    out.print(
        f"{report.total} baris dibaca: {report.created} pegawai baru, {report.updated} diperbarui, "
        f"{report.unchanged} tanpa perubahan, {report.rejected_lines} ditolak."
    )
    if report.new_units:
        out.print(f"Unit kerja baru dibuat: {esc(', '.join(sorted(set(report.new_units))))}")
    if report.errors:
        raise typer.Exit(1)


@app.command()
def export(
    out_file: Path | None = typer.Option(
        None, "--out", help="Write to this .csv or .xlsx file instead of standard output (CSV)."
    ),
) -> None:
    """Write all employees (required columns first); cells cannot carry spreadsheet formulas."""
    columns = list(rosters.EXPORT_COLUMNS)
    suffix = out_file.suffix.lower() if out_file else ".csv"
    if suffix not in (".csv", ".xlsx"):
        err.print("[red]Gagal:[/] --out harus berkas .csv atau .xlsx")
        raise typer.Exit(2)
    with transaction() as session:
        rows = ([row[c] for c in columns] for row in rosters.export_rows(session))
        if out_file is None:
            spreadsheet.write_csv(sys.stdout, columns, rows, lineterminator="\n")
            return
        if suffix == ".xlsx":
            count = spreadsheet.write_xlsx(out_file, columns, rows, title="Pegawai")
        else:
            with out_file.open("w", newline="", encoding="utf-8") as handle:
                count = spreadsheet.write_csv(handle, columns, rows, lineterminator="\n")
    out.print(f"{count} pegawai ditulis ke {esc(out_file)}.")
