"""`asnbot activation issue`: one-time codes and deep links that let employees link Telegram."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from asnkarier.cli.common import actor as cli_actor
from asnkarier.cli.common import err, esc, out, transaction
from asnkarier.services import activation as codes
from asnkarier.services import employees, spreadsheet
from asnkarier.settings import get_settings

app = typer.Typer(help="Activation codes for linking Telegram accounts.", no_args_is_help=True)


@app.command()
def issue(
    out_file: Path = typer.Option(..., "--out", help="CSV file to write the codes to (mode 600)."),
    unit: str = typer.Option(
        None, "--unit", help="Unit code or name: every active employee in it."
    ),
    nip: str = typer.Option(None, "--nip", help="One employee."),
    all_: bool = typer.Option(False, "--all", help="Every active employee."),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
) -> None:
    """Issue fresh codes (earlier unused codes of the same employees stop working)."""
    if sum(bool(x) for x in (unit, nip, all_)) != 1:
        err.print("[red]Pilih tepat satu:[/] --unit UNIT, --nip NIP atau --all")
        raise typer.Exit(2)
    if out_file.exists() and not force:
        err.print(f"[red]{esc(out_file)} sudah ada.[/] Pakai --force untuk menimpanya.")
        raise typer.Exit(2)
    settings = get_settings()
    with transaction() as session:
        try:
            targets = (
                [employees.by_nip(session, nip)]
                if nip
                else employees.in_unit(session, unit)
                if unit
                else employees.all_active(session)
            )
        except employees.EmployeeNotFound as exc:
            err.print(f"[red]Gagal:[/] {esc(exc)}")
            raise typer.Exit(1) from None
        if not targets:
            err.print(f"[red]Tidak ada pegawai aktif di unit {esc(repr(unit))}.[/]")
            raise typer.Exit(1)
        issued = codes.issue_codes(
            session, targets, ttl_days=settings.activation_code_ttl_days, actor=cli_actor()
        )
        # Written inside the transaction: if the file cannot be written, no code is issued.
        fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        # The mode of os.open applies only to a new file: an existing one (--force) keeps its
        # mode, e.g. 0644, unless changed here before a code is written into it.
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            spreadsheet.write_csv(
                fh,
                ["nip", "nama", "unit_kerja", "kode_aktivasi", "tautan", "berlaku_sampai"],
                (
                    [
                        item.employee.nip,
                        item.employee.name,
                        item.employee.unit.name,
                        codes.pretty(item.code),
                        codes.deep_link(settings.telegram_bot_username, item.code),
                        item.expires_at.date().isoformat(),
                    ]
                    for item in issued
                ),
            )
    days = settings.activation_code_ttl_days
    out.print(f"{len(issued)} kode aktivasi ditulis ke {esc(out_file)} (berlaku {days} hari).")
    if not settings.telegram_bot_username:
        err.print(
            "[yellow]TELEGRAM_BOT_USERNAME belum diisi: kolom tautan kosong. Pegawai tetap bisa "
            "mengetik kodenya di bot.[/]"
        )
