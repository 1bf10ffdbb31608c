"""`asnbot health`: the container health check of every app process (docker/compose.yaml).

Always checks that the database answers and has this code's schema; options add the process's
own endpoint. Exit status 0 when all pass, 1 otherwise, one line per check either way.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from functools import partial

import typer
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from asnkarier import db
from asnkarier.cli.common import err, esc, out
from asnkarier.models import utcnow
from asnkarier.services import scheduling
from asnkarier.settings import get_settings


def health(
    http: list[str] = typer.Option(
        [], "--http", metavar="URL", help="A URL that must answer 200 (repeatable)."
    ),
    tcp: list[str] = typer.Option(
        [], "--tcp", metavar="HOST:PORT", help="An address that must accept connections."
    ),
    scheduler_lease: bool = typer.Option(
        False, "--scheduler-lease", help="A scheduler must hold an unexpired leader lease."
    ),
    timeout: float = typer.Option(5.0, help="Seconds allowed for each check."),
) -> None:
    """Check the database and the given endpoints; exit 1 if any check fails."""
    checks: list[tuple[str, Callable[[], str]]] = [("database", partial(_database, timeout))]
    checks += [(f"http {url}", partial(_http, url, timeout)) for url in http]
    checks += [(f"tcp {address}", partial(_tcp, address, timeout)) for address in tcp]
    if scheduler_lease:
        checks.append(("scheduler lease", _scheduler_lease))
    failed = False
    for name, check in checks:
        try:
            out.print(f"OK   {esc(name)}: {esc(check())}", highlight=False)
        except Exception as exc:  # any failure is a failed check, reported as such
            failed = True
            err.print(f"GAGAL {esc(name)}: {esc(exc)}", highlight=False)
    if failed:
        raise typer.Exit(1)


def _database(timeout: float) -> str:
    url = get_settings().database_url
    # Without a connect timeout an unreachable server would hang until the health check is killed.
    connect_args = {"connect_timeout": max(1, int(timeout))}
    if make_url(url).get_backend_name() == "sqlite":
        connect_args = {"timeout": timeout}  # type: ignore[dict-item]
    engine = db.make_engine(url, connect_args=connect_args)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = db.current_revision(engine)
    except SQLAlchemyError as exc:
        raise RuntimeError(f"database tidak bisa dihubungi: {exc.__class__.__name__}") from None
    finally:
        engine.dispose()
    head = _head_revision()
    if current != head:
        raise RuntimeError(f"skema di revisi {current or '(kosong)'}, kode butuh {head}")
    return f"terhubung, skema di revisi {current}"


def _head_revision() -> str | None:
    from alembic.script import ScriptDirectory  # only this check needs Alembic's script loader

    return ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()


def _http(url: str, timeout: float) -> str:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - operator URL
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        raise RuntimeError(f"tidak menjawab ({exc})") from None
    if status != 200:
        raise RuntimeError(f"menjawab HTTP {status}")
    return "HTTP 200"


def _tcp(address: str, timeout: float) -> str:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise RuntimeError("alamat harus berbentuk HOST:PORT")
    with socket.create_connection((host, int(port)), timeout=timeout):
        return "menerima koneksi"


def _scheduler_lease() -> str:
    # Healthy when some scheduler (this one or another replica) leads: a standby is fine as long
    # as the leader renews; no fresh lease means reminders and scheduled broadcasts stopped.
    engine = db.make_engine(get_settings().database_url)
    try:
        with db.make_sessionmaker(engine)() as session:
            lease = scheduling.lease(session)
            now = utcnow()
    finally:
        engine.dispose()
    if lease is None:
        raise RuntimeError("belum ada scheduler yang memegang lease")
    if lease.expires_at <= now:
        raise RuntimeError(
            f"lease {lease.holder} kedaluwarsa sejak {lease.expires_at:%H:%M:%S} UTC"
        )
    return f"dipegang {lease.holder} sampai {lease.expires_at:%H:%M:%S} UTC"
