"""`asnbot nlu ...`: NLU data generated from content, and what the assistant could not answer."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import typer
from rich.table import Table

from asnkarier.cli.common import err, esc, out, transaction
from asnkarier.services import nlu_lookups, seed, spreadsheet, support
from asnkarier.services.formatting import tanggal_jam
from asnkarier.settings import get_settings

app = typer.Typer(help="NLU data and unanswered questions.", no_args_is_help=True)
DEFAULT_TARGET = Path("nlu/data/nlu/generated/lookups.yml")


@app.command()
def generate(
    target: Path = typer.Option(DEFAULT_TARGET, help="Where to write the Rasa YAML."),
) -> None:
    """Write lookup tables and synonyms (positions, levels, ranks, topics) from data/*.yml."""
    try:
        content = seed.load_content(get_settings().content_dir)
    except seed.ContentError as exc:
        err.print(f"[red]Konten tidak valid:[/] {esc(exc)}")
        raise typer.Exit(1) from None
    changed = nlu_lookups.write(content, target)
    out.print(f"{esc(target)} {'diperbarui' if changed else 'sudah terbaru'}.")


@app.command()
def unanswered(
    days: int = typer.Option(30, help="Only messages from the last N days."),
    limit: int = typer.Option(50, help="At most this many groups."),
    as_csv: bool = typer.Option(False, "--csv", help="CSV to standard output instead of a table."),
) -> None:
    """Questions that ended in fallback or out_of_scope, grouped, most frequent first."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    tz = get_settings().default_timezone
    with transaction() as session:
        groups = support.unanswered_groups(session, since=since, limit=limit)
    if as_csv:
        spreadsheet.write_csv(
            sys.stdout,
            ["jumlah", "pesan", "alasan", "intent_teratas", "keyakinan", "terakhir"],
            (
                [
                    g.count,
                    g.text,
                    g.reason,
                    g.top_intent,
                    f"{g.confidence:.2f}",
                    g.last_seen.isoformat(),
                ]
                for g in groups
            ),
            lineterminator="\n",
        )
        return
    if not groups:
        out.print(f"Tidak ada pertanyaan tak terjawab dalam {days} hari terakhir.")
        return
    table = Table(
        "jumlah", "pesan", "alasan", "intent teratas", "terakhir", title="Pertanyaan tak terjawab"
    )
    for g in groups:
        table.add_row(
            str(g.count),
            esc(g.text),
            esc(g.reason),
            f"{esc(g.top_intent)} ({g.confidence:.2f})",
            tanggal_jam(g.last_seen, tz),
        )
    out.print(table)
