"""`asnbot admin ...`: grant or revoke HR officer rights (the only way to get them)."""

from __future__ import annotations

import typer

from asnkarier.cli.common import actor, err, esc, out, transaction
from asnkarier.models import Role
from asnkarier.services.employees import EmployeeNotFound, set_role

app = typer.Typer(help="HR officer (hr_admin) rights.", no_args_is_help=True)


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
def grant(nip: str = typer.Argument(..., help="NIP of the employee.")) -> None:
    """Make an employee an HR officer."""
    _set(nip, Role.HR_ADMIN)


@app.command()
def revoke(nip: str = typer.Argument(..., help="NIP of the employee.")) -> None:
    """Take HR officer rights away."""
    _set(nip, Role.EMPLOYEE)
