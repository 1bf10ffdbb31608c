"""`asnbot broadcast ...`: send HR announcements now or later, and follow their delivery."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table

from asnkarier.cli.common import err, esc, out, transaction
from asnkarier.models import utcnow
from asnkarier.services import broadcasts, sendtime
from asnkarier.settings import get_settings

app = typer.Typer(help="HR announcements (pengumuman) to all employees or a segment.")


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]Gagal:[/] {esc(message)}")
    return typer.Exit(code)


@app.command()
def send(
    text_file: Path = typer.Option(..., "--text-file", help="UTF-8 text file with the message."),
    segment: str = typer.Option(
        "all", "--segment", help="all, unit=KODE, jenis_jabatan=JENIS or golongan=GOL (III, III/c)."
    ),
    at: str | None = typer.Option(
        None,
        "--at",
        help='Send later, in DEFAULT_TIMEZONE: "besok 08.00", "Senin jam 9", "2/12/2026 08:00", '
        '"2026-12-02 08:00", or ISO 8601 with an offset.',
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    attachment: Path | None = typer.Option(
        None,
        "--attachment",
        help="A PDF or JPEG/PNG (at most 10 MB), e.g. the surat edaran, sent with the text.",
    ),
) -> None:
    """Show the recipient count, then send now (or schedule) one message per recipient."""
    settings = get_settings()
    try:
        text = text_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"berkas teks {text_file} tidak dapat dibaca: {exc}") from None
    content = None
    if attachment is not None:
        try:
            content = attachment.read_bytes()
        except OSError as exc:
            raise _fail(f"lampiran {attachment} tidak dapat dibaca: {exc}") from None
    now = utcnow()
    try:
        text = broadcasts.check_text(text)
        when = sendtime.parse_send_time(at, settings.default_timezone, now) if at else None
        with transaction() as session:
            chosen = broadcasts.parse_segment(session, segment)
            count = broadcasts.count_recipients(session, chosen)
    except (broadcasts.BroadcastError, sendtime.SendTimeError) as exc:
        raise _fail(str(exc)) from None

    out.print(f"Penerima: [bold]{count}[/] pegawai ({esc(broadcasts.describe_segment(chosen))})")
    preview = text if len(text) <= 300 else text[:300] + "…"
    # Escaped: HR must see exactly the text recipients get, '[link=…]' and all.
    out.print(f"Isi pesan ({len(text)} karakter):\n{esc(preview)}")
    if attachment is not None:
        out.print(f"Lampiran: {esc(attachment.name)}")
    if when is not None:
        out.print(f"Dijadwalkan: {broadcasts.local_time(when, settings.default_timezone)}")
    if count == 0 and when is None:
        raise _fail("tidak ada penerima (pegawai aktif yang sudah menautkan Telegram).", 1)
    if count == 0:
        err.print(
            "[yellow]Peringatan:[/] saat ini segmen ini belum punya penerima (pegawai aktif yang "
            "sudah menautkan Telegram); pengumuman hanya sampai ke yang sudah menautkan pada "
            "waktunya."
        )
    question = "Tetap jadwalkan?" if count == 0 else "Kirim pengumuman ini?"
    if not yes and not typer.confirm(question, default=False):
        err.print("Dibatalkan; tidak ada yang dikirim.")
        raise typer.Exit(1)

    with transaction() as session:
        try:
            attached = (
                broadcasts.attach(session, content, attachment.name)
                if content is not None and attachment is not None
                else None
            )
            created = broadcasts.create(
                session,
                text=text,
                segment=chosen,
                now=utcnow(),
                scheduled_at=when,
                attachment=attached,
            )
        except broadcasts.BroadcastError as exc:
            raise _fail(str(exc)) from None
        broadcast_id = created.id
        added = broadcasts.materialize(session, broadcast_id, utcnow()) if when is None else 0
    if when is None:
        out.print(
            f"Pengumuman #{broadcast_id}: {added} pesan masuk antrean pengiriman.\n"
            f"Pantau: asnbot broadcast report {broadcast_id} --watch"
        )
    else:
        out.print(
            f"Pengumuman #{broadcast_id} dijadwalkan pada "
            f"{broadcasts.local_time(when, settings.default_timezone)}."
        )


def _table(rep: broadcasts.Report, timezone: str) -> Table:
    table = Table(title=f"Pengumuman #{rep.id}", title_justify="left", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("status", esc(rep.status))
    table.add_row("segmen", esc(rep.segment))
    if rep.scheduled_at is not None:
        table.add_row("jadwal", broadcasts.local_time(rep.scheduled_at, timezone))
    table.add_row("mulai", broadcasts.local_time(rep.started_at, timezone))
    table.add_row("selesai", broadcasts.local_time(rep.finished_at, timezone))
    table.add_row("penerima", str(rep.recipients))
    table.add_row("terkirim", str(rep.sent))
    table.add_row("dibaca", str(rep.read))
    table.add_row("menunggu", f"{rep.pending} (sedang dikirim: {rep.sending})")
    table.add_row("gagal", str(rep.failed_total))
    for reason, count in rep.failed.items():
        label = broadcasts.FAILURE_LABELS.get(reason, reason)
        table.add_row(f"  {esc(reason)}", f"{count} ({esc(label)})")
    return table


def _view(rep: broadcasts.Report, timezone: str) -> Group:
    done = rep.sent + rep.failed_total
    bar = ProgressBar(total=max(rep.recipients, 1), completed=done, width=40)
    return Group(_table(rep, timezone), bar, f"{done}/{rep.recipients} diproses")


def _load(broadcast_id: int) -> broadcasts.Report:
    with transaction() as session:
        try:
            return broadcasts.report(session, broadcast_id)
        except broadcasts.BroadcastNotFound as exc:
            raise _fail(str(exc), 1) from None


@app.command()
def report(
    broadcast_id: int = typer.Argument(..., help="The announcement number (#ID)."),
    watch: bool = typer.Option(False, "--watch", "-w", help="Follow progress until it is done."),
    interval: float = typer.Option(1.0, "--interval", min=0.2, help="Seconds between refreshes."),
) -> None:
    """Recipients, sent, read, pending and failures by reason."""
    timezone = get_settings().default_timezone
    rep = _load(broadcast_id)
    if not watch:
        out.print(_table(rep, timezone))
        return
    try:
        with Live(_view(rep, timezone), console=out, refresh_per_second=4) as live:
            while not rep.finished and rep.status != "scheduled":
                time.sleep(interval)
                rep = _load(broadcast_id)
                live.update(_view(rep, timezone))
    except KeyboardInterrupt:
        pass  # leaving the live view does not stop the broadcast


@app.command()
def cancel(broadcast_id: int = typer.Argument(..., help="The announcement number (#ID).")) -> None:
    """Stop a scheduled or running announcement (messages already sent stay sent)."""
    with transaction() as session:
        try:
            dropped = broadcasts.cancel(session, broadcast_id, utcnow())
        except broadcasts.BroadcastNotFound as exc:
            raise _fail(str(exc), 1) from None
    out.print(f"Pengumuman #{broadcast_id} dibatalkan; {dropped} pesan tidak jadi dikirim.")


@app.command("list")
def list_(limit: int = typer.Option(20, "--limit", min=1)) -> None:
    """The latest announcements."""
    timezone = get_settings().default_timezone
    table = Table("#", "dibuat", "jadwal", "status", "penerima", "isi")
    with transaction() as session:
        for b in broadcasts.recent(session, limit):
            table.add_row(
                str(b.id),
                broadcasts.local_time(b.created_at, timezone),
                broadcasts.local_time(b.scheduled_at, timezone),
                b.status.value,
                str(b.recipients),
                esc(b.text[:40].replace("\n", " ")),
            )
    out.print(table)
