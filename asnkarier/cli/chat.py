"""`asnbot chat`: talk to the running bot from the terminal through the local emulator."""

from __future__ import annotations

import typer

from asnkarier.cli.common import actor, err, esc, transaction
from asnkarier.services import activation, employees
from asnkarier.settings import get_settings


def chat(
    user_id: int = typer.Option(5550001, "--user", help="Telegram user id to play."),
    name: str = typer.Option("Pengguna Coba", help="First name shown to the bot."),
    nip: str = typer.Option(
        None, help="Link this employee first: issues a one-time code and sends /start CODE."
    ),
) -> None:
    """Chat with the bot started by `make run` (no token: local emulator); buttons are numbered."""
    from telegram_emulator.chat import run  # the emulator client is only needed here

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
    run(f"http://127.0.0.1:{port}/_control", user_id, name, first)
