"""`asnbot ticket list|show|answer|close`: work handoff tickets without the HR group.

Answers go to the employee through the outbox (sent by the dispatcher), exactly as an officer's
reply in the HR group does; closing tells the employee too.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from asnkarier.cli.common import actor, err, out, transaction
from asnkarier.models import TicketStatus
from asnkarier.services import support
from asnkarier.services.formatting import tanggal_jam
from asnkarier.services.support import ReplyOutcome, TicketView
from asnkarier.settings import get_settings

app = typer.Typer(help="Handoff tickets (pertanyaan untuk petugas) without the HR group.")

# What is left of a reply after the prefix the employee sees (the same limit as in the group).
MAX_ANSWER = 4096 - len(support.REPLY_PREFIX.format(ticket=10**9))


def _who(view: TicketView) -> str:
    card = view.card
    if card.employee_name:
        return f"{card.employee_name} — {card.unit_name or '-'} (NIP {card.masked_nip or '-'})"
    return "akun belum terhubung dengan data pegawai"


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]Gagal:[/] {message}")
    return typer.Exit(code)


@app.command("list")
def list_(
    all_: bool = typer.Option(False, "--all", help="Closed tickets too (newest first)."),
    limit: int = typer.Option(50, "--limit", min=1),
) -> None:
    """Open tickets, oldest first: the next one to answer is on top."""
    timezone = get_settings().default_timezone
    with transaction() as session:
        views = support.list_tickets(session, include_closed=all_, limit=limit)
    if not views:
        out.print("Tidak ada tiket terbuka." if not all_ else "Belum ada tiket.")
        return
    table = Table("#", "dibuka", "status", "balasan", "pegawai", "pertanyaan")
    for view in views:
        table.add_row(
            str(view.card.ticket_id),
            tanggal_jam(view.created_at, timezone),
            "terbuka" if view.status == TicketStatus.OPEN else "ditutup",
            str(view.replies),
            _who(view),
            view.card.question[:60].replace("\n", " "),
        )
    out.print(table)


def _load(ticket_id: int) -> TicketView:
    with transaction() as session:
        try:
            return support.ticket_view(session, ticket_id)
        except support.TicketNotFound as exc:
            raise _fail(str(exc)) from None


@app.command()
def show(ticket_id: int = typer.Argument(..., help="The ticket number (#ID).")) -> None:
    """The whole question, who asked, and the ticket's state."""
    timezone = get_settings().default_timezone
    view = _load(ticket_id)
    out.print(f"[bold]Tiket #{view.card.ticket_id}[/] — {_who(view)}")
    out.print(f"Dibuka: {tanggal_jam(view.created_at, timezone)}")
    if view.status == TicketStatus.CLOSED:
        closed = tanggal_jam(view.closed_at, timezone) if view.closed_at else "-"
        out.print(f"Ditutup: {closed} oleh {view.closed_by or '-'}")
    else:
        out.print("Status: terbuka")
    out.print(f"Balasan terkirim/antre: {view.replies}")
    out.print(f"\n{view.card.question}", markup=False, highlight=False)


@app.command()
def answer(
    ticket_id: int = typer.Argument(..., help="The ticket number (#ID)."),
    text: str = typer.Argument(None, help="The answer (or use --text-file)."),
    text_file: Path = typer.Option(None, "--text-file", help="UTF-8 file with the answer."),
) -> None:
    """Send an answer to the employee in their Telegram chat (through the outbox)."""
    if (text is None) == (text_file is None):
        raise _fail("berikan jawaban sebagai teks ATAU dengan --text-file.", 2)
    if text_file is not None:
        try:
            text = text_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise _fail(f"berkas {text_file} tidak dapat dibaca: {exc}", 2) from None
    if not text.strip():
        raise _fail("jawaban kosong.", 2)
    if len(text.strip()) > MAX_ANSWER:
        raise _fail(
            f"jawaban terlalu panjang ({len(text.strip())} karakter, maks. {MAX_ANSWER}).", 2
        )
    with transaction() as session:
        try:
            outcome = support.answer_ticket(session, ticket_id, text, actor=actor())
        except support.TicketNotFound as exc:
            raise _fail(str(exc)) from None
    match outcome:
        case ReplyOutcome.QUEUED:
            out.print(f"Jawaban untuk tiket #{ticket_id} masuk antrean pengiriman ke pegawai.")
        case ReplyOutcome.DUPLICATE:
            out.print(f"Jawaban yang sama untuk tiket #{ticket_id} sudah dikirim; tidak diulang.")
        case _:
            raise _fail(f"tiket #{ticket_id} sudah ditutup; jawaban tidak dikirim.")


@app.command()
def close(ticket_id: int = typer.Argument(..., help="The ticket number (#ID).")) -> None:
    """Close the ticket; the employee is told it is closed."""
    with transaction() as session:
        try:
            support.ticket_view(session, ticket_id)
        except support.TicketNotFound as exc:
            raise _fail(str(exc)) from None
        closed = support.close_and_notify(session, ticket_id, actor=actor())
    if closed is None:
        raise _fail(f"tiket #{ticket_id} sudah ditutup sebelumnya.")
    out.print(f"Tiket #{ticket_id} ditutup; pegawai diberi tahu.")
