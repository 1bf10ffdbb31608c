"""`asnbot admin ...`: grant or revoke HR officer and unit operator rights (the only way to get
them), and print a one-time sign-in link to the web console."""

from __future__ import annotations

import typer

from asnkarier.cli.common import actor, err, esc, out, transaction
from asnkarier.models import Role, utcnow
from asnkarier.services import console_auth
from asnkarier.services.employees import EmployeeNotFound, by_nip, set_role
from asnkarier.settings import get_settings

app = typer.Typer(help="HR officer (hr_admin) and unit operator rights.", no_args_is_help=True)


def _set(nip: str, role: Role) -> None:
    with transaction() as session:
        try:
            employee, changed = set_role(session, nip, role, actor=actor())
        except EmployeeNotFound as exc:
            err.print(f"[red]Gagal:[/] {esc(exc)}")
            raise typer.Exit(1) from None
        name = esc(employee.name)
    verb = "kini petugas BKPSDM (hr_admin)" if role == Role.HR_ADMIN else "kini pegawai biasa"
    out.print(f"{name} {verb}." if changed else f"Tidak ada perubahan: {name} sudah {role.value}.")


@app.command()
def grant(
    nip: str = typer.Argument(..., help="NIP of the employee."),
    unit: str = typer.Option(
        "", "--unit", help="Unit code: make them that unit's operator (unit_operator) instead."
    ),
) -> None:
    """Make an employee an HR officer, or with --unit the console operator of one unit."""
    if not unit:
        _set(nip, Role.HR_ADMIN)
        return
    with transaction() as session:
        try:
            employee, code, changed = console_auth.grant_unit_operator(
                session, nip, unit, actor=actor()
            )
        except (EmployeeNotFound, console_auth.ConsoleAuthError) as exc:
            err.print(f"[red]Gagal:[/] {exc}")
            raise typer.Exit(1) from None
        name = employee.name
    if changed:
        out.print(f"{name} kini pengelola kepegawaian unit {code} (unit_operator).")
    else:
        out.print(f"Tidak ada perubahan: {name} sudah pengelola unit {code}.")


@app.command()
def revoke(nip: str = typer.Argument(..., help="NIP of the employee.")) -> None:
    """Take HR officer and unit operator rights away."""
    with transaction() as session:
        try:
            employee = by_nip(session, nip)
        except EmployeeNotFound as exc:
            err.print(f"[red]Gagal:[/] {exc}")
            raise typer.Exit(1) from None
        if console_auth.revoke_unit_operator(session, employee, actor=actor()):
            out.print(f"{employee.name} bukan lagi pengelola unit.")
    _set(nip, Role.EMPLOYEE)


@app.command("login-link")
def login_link(
    nip: str = typer.Argument(..., help="NIP of the HR officer or unit operator."),
) -> None:
    """Print a one-time sign-in link to the web console (first officer, or Telegram is down)."""
    settings = get_settings()
    with transaction() as session:
        try:
            employee = by_nip(session, nip)
            token = console_auth.issue_link(
                session,
                employee.id,
                utcnow(),
                valid_minutes=settings.web_login_link_minutes,
                per_hour=settings.web_login_links_per_hour,
                via="cli",
            )
        except (EmployeeNotFound, console_auth.ConsoleAuthError) as exc:
            err.print(f"[red]Gagal:[/] {exc}")
            raise typer.Exit(1) from None
    out.print(
        f"Tautan masuk (berlaku {settings.web_login_link_minutes} menit, sekali pakai):",
        console_auth.link_url(settings.web_base_url, token),
        sep="\n",
        soft_wrap=True,
    )
