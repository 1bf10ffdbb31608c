"""`asnbot training ...`: HR verifies the training employees reported (certificate as evidence)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from asnkarier.cli.common import actor, err, out, transaction
from asnkarier.services import files
from asnkarier.services import training_reports as reports
from asnkarier.services.nip import mask_nip

app = typer.Typer(help="Training reports (laporan pelatihan): list, view, approve, reject.")


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]Gagal:[/] {message}", markup=True, highlight=False)
    return typer.Exit(code)


@app.command()
def pending() -> None:
    """Reports waiting for verification, oldest first."""
    with transaction() as session:
        rows = reports.pending(session)
        if not rows:
            out.print("Tidak ada laporan pelatihan yang menunggu verifikasi.")
            return
        table = Table("ID", "Pegawai", "NIP", "Pelatihan", "Penyelenggara", "Tanggal", "JP")
        for report in rows:
            table.add_row(
                str(report.id),
                report.employee.name,
                mask_nip(report.employee.nip),
                report.title,
                report.provider,
                reports.period(report.start_date, report.end_date),
                str(report.jp_claimed),
            )
        out.print(table)


@app.command()
def show(
    report_id: int = typer.Argument(..., help="Report ID (from `asnbot training pending`)."),
    save: Path | None = typer.Option(
        None, "--save", help="Write the certificate file here to open it (mode 600)."
    ),
) -> None:
    """One report in full; --save writes its certificate file."""
    with transaction() as session:
        try:
            report = reports.get(session, report_id)
        except reports.ReportError as exc:
            raise _fail(str(exc)) from None
        stored = report.file
        out.print(f"Laporan #{report.id} — {reports.STATUS_LABELS[report.status]}", markup=False)
        lines = [
            f"Pegawai: {report.employee.name} ({mask_nip(report.employee.nip)})",
            f"Pelatihan: {report.title}",
            f"Penyelenggara: {report.provider}",
            f"Tanggal: {reports.period(report.start_date, report.end_date)}",
            f"JP diajukan: {report.jp_claimed}",
            f"Berkas: {stored.mime_type}, {stored.size:,} byte, SHA-256 {stored.sha256[:16]}…",
        ]
        if report.jp_approved is not None:
            lines.append(f"JP disetujui: {report.jp_approved}")
        if report.reviewer:
            lines.append(f"Diverifikasi oleh: {report.reviewer}")
        if report.reason:
            lines.append(f"Alasan: {report.reason}")
        for line in lines:
            out.print(line, markup=False, highlight=False)
        if save is not None:
            content = files.content_of(session, stored.id) or b""
            target = save if save.suffix else save.with_suffix(files.extension(stored.mime_type))
            target.touch(mode=0o600, exist_ok=True)
            target.write_bytes(content)
            out.print(f"Berkas disimpan ke {target}", markup=False)


@app.command()
def approve(
    report_id: int = typer.Argument(..., help="Report ID."),
    jp: int = typer.Option(..., "--jp", help="JP accepted (may be fewer than claimed)."),
) -> None:
    """Approve: the JP count toward the employee's year; the employee is told in Telegram."""
    with transaction() as session:
        try:
            decision = reports.approve(session, report_id, jp, reviewer=actor())
        except reports.ReportError as exc:
            raise _fail(str(exc)) from None
    told = "pegawai diberi tahu lewat Telegram" if decision.notified else "pegawai belum terhubung"
    out.print(f"Laporan #{report_id} disetujui dengan {jp} JP ({told}).", markup=False)


@app.command()
def reject(
    report_id: int = typer.Argument(..., help="Report ID."),
    reason: str = typer.Option(..., "--reason", help="Why, in words the employee reads."),
) -> None:
    """Reject with a reason; the employee is told in Telegram."""
    with transaction() as session:
        try:
            decision = reports.reject(session, report_id, reason, reviewer=actor())
        except reports.ReportError as exc:
            raise _fail(str(exc)) from None
    told = "pegawai diberi tahu lewat Telegram" if decision.notified else "pegawai belum terhubung"
    out.print(f"Laporan #{report_id} ditolak ({told}).", markup=False)
