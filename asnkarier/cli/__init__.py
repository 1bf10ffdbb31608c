"""`asnbot`: the command line for HR officers and operators (database, content, roster, codes)."""

from __future__ import annotations

import typer

from asnkarier.cli import (
    activation,
    admin,
    broadcast,
    chat,
    content,
    db,
    demo,
    health,
    nlu,
    roster,
    ticket,
)
from asnkarier.settings import configure_logging, get_settings

app = typer.Typer(
    help="Asisten Karier ASN: database, content, roster and account administration.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.command("seed")(content.seed)
app.add_typer(roster.app, name="roster")
app.add_typer(admin.app, name="admin")
app.add_typer(activation.app, name="activation")
app.add_typer(nlu.app, name="nlu")
app.add_typer(broadcast.app, name="broadcast")
app.add_typer(ticket.app, name="ticket")
app.command("chat")(chat.chat)
app.command("demo")(demo.demo)
app.command("health")(health.health)


def main() -> None:
    """Console-script entry point."""
    configure_logging(get_settings().log_level, "alembic")
    app()
