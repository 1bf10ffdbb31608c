"""Roster upload through the console: `python -m bench.console_roster [--rows N] [--backend ...]`.

Generates N fictional employees (data/samples/generate_roster.py, seed 11) as CSV and sends it
through the whole console app in process (FastAPI, multipart, the core's reader and validator,
the DB) as an officer would: "Periksa" (the preview, a real import rolled back), then "Impor",
then the same file again (a re-import that changes nothing). Each backend runs in its own child
process so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import re
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from asnkarier import db
from asnkarier.models import Employee, Role, utcnow
from asnkarier.services import console_auth
from asnkarier.services.seed import migrate_and_seed
from asnkarier.settings import Settings
from bench.machine import describe
from bench.roster_import import _generate
from tests.databases import DATA, DatabaseFactory
from tests.factories import make_employee
from web.app import create_app


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def _upload(client: TestClient, roster: Path, *, changes: bool = True) -> tuple[float, float]:
    """Seconds of the preview and of the import of one file (0 when nothing changes)."""
    csrf = _csrf(client.get("/pegawai/impor").text)
    started = time.perf_counter()
    with roster.open("rb") as handle:
        preview = client.post(
            "/pegawai/impor/pratinjau",
            data={"csrf_token": csrf},
            files={"berkas": (roster.name, handle, "text/csv")},
        )
    previewed = time.perf_counter() - started
    assert preview.status_code == 200, preview.text[:500]
    token = re.search(r'name="token" value="([^"]+)"', preview.text)
    if not changes:
        assert token is None, "a re-upload of the same file offered changes"
        return previewed, 0.0
    assert token, "the preview offered nothing to import"
    started = time.perf_counter()
    done = client.post("/pegawai/impor", data={"csrf_token": csrf, "token": token.group(1)})
    imported = time.perf_counter() - started
    assert done.status_code == 200, done.text[:500]
    return previewed, imported


def run(backend: str, rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        roster = tmp / "roster.csv"
        _generate(rows, roster)
        size = roster.stat().st_size / 1_000_000
        databases = DatabaseFactory(backend, tmp, prefix="asnbot_bench")
        url = databases.new_url()
        try:
            migrate_and_seed(url, DATA)
            engine = db.make_engine(url)
            sessions = db.make_sessionmaker(engine)
            with sessions.begin() as s:
                officer = make_employee(s, role=Role.HR_ADMIN, chat_id=1).id
                token = console_auth.issue_link(
                    s, officer, utcnow(), valid_minutes=10, per_hour=5, via="bench"
                )
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None,
                database_url=url,
                web_secret_key=secrets.token_urlsafe(32),
                roster_max_bytes=10**12,
            )
            with TestClient(create_app(settings, sessions)) as client:
                assert client.post(f"/masuk/{token}", follow_redirects=False).status_code == 303
                preview, first = _upload(client, roster)
                again_preview, _ = _upload(client, roster, changes=False)
            with sessions() as s:
                count = s.scalar(select(func.count()).select_from(Employee)) or 0
            assert count >= rows, count
            engine.dispose()
        finally:
            databases.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(
        f"console roster upload {backend}: {rows} rows ({size:.1f} MB): preview {preview:.1f} s, "
        f"import {first:.1f} s (total {preview + first:.1f} s, "
        f"{rows / (preview + first):.0f} rows/s); the same file again (no changes, preview "
        f"only) {again_preview:.1f} s; peak RSS {rss} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run(args.backend, args.rows)
        return
    print(describe())
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        command = [sys.executable, "-m", "bench.console_roster", "--child"]
        subprocess.run([*command, "--backend", backend, "--rows", str(args.rows)], check=True)


if __name__ == "__main__":
    main()
