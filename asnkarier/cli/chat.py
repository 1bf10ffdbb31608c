"""`asnbot chat`: talk to the running bot from the terminal through the local emulator."""

from __future__ import annotations

import typer

from asnkarier.cli.common import actor, err, esc, transaction
from asnkarier.cli.demo import DEMO_USERS
from asnkarier.services import activation, employees
from asnkarier.services.employees import given_name
from asnkarier.settings import get_settings


def _first_name(full: str) -> str:
    """ "Budi, S.Kom., M.Kom." -> "Budi" (what Telegram would show as the first name)."""
    return given_name(full) or "Pengguna"


def chat(
    as_: str | None = typer.Option(
        None, "--as", help="Play a demo user of `asnbot demo`: pegawai, petugas or tamu."
    ),
    user_id: int = typer.Option(5550001, "--user", help="Telegram user id to play."),
    name: str | None = typer.Option(
        None, help="First name shown to the bot (default: the employee's)."
    ),
    nip: str = typer.Option(
        None, help="Link this employee first: issues a one-time code and sends /start CODE."
    ),
    wait: float = typer.Option(
        0.8, "--wait", min=0.1, help="Seconds of quiet that end an answer (more on a busy machine)."
    ),
) -> None:
    """Chat with the bot started by `make run` (no token: local emulator); buttons are numbered."""
    from telegram_emulator.chat import run  # the emulator client is only needed here

    if as_ is not None:
        if as_ not in DEMO_USERS:
            err.print(f"[red]--as harus salah satu dari:[/] {', '.join(DEMO_USERS)}")
            raise typer.Exit(2)
        user_id = DEMO_USERS[as_].telegram_user_id
    if name is None:
        with transaction() as session:
            linked = employees.by_telegram_user(session, user_id)
            name = _first_name(linked.name) if linked is not None else "Pengguna Coba"
    first = None
    if nip:
        with transaction() as session:
            try:
                employee = employees.by_nip(session, nip)
            except employees.EmployeeNotFound as exc:
                err.print(f"[red]{esc(exc)}[/]")
                raise typer.Exit(1) from None
            [issued] = activation.issue_codes(session, [employee], ttl_days=1, actor=actor())
            first = f"/start {issued.code}"
    port = get_settings().emulator_port
    run(f"http://127.0.0.1:{port}/_control", user_id, name, first, quiet=wait)
