"""`asnbot health`, the containers' health check, against real databases and sockets."""

from __future__ import annotations

import datetime as dt
import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from asnkarier import db
from asnkarier.models import utcnow
from asnkarier.services import scheduling
from tests.cli.test_cli import run


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/ok" else 500)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nobody listens once the socket closes


@pytest.fixture
def migrated_url(fresh_db_url: str) -> str:
    db.upgrade(fresh_db_url)
    return fresh_db_url


def test_unmigrated_database_is_unhealthy(fresh_db_url: str) -> None:
    result = run(fresh_db_url, "health")
    assert result.returncode == 1
    assert "skema" in result.stderr


def test_migrated_database_is_healthy(migrated_url: str) -> None:
    result = run(migrated_url, "health")
    assert result.returncode == 0, result.stderr
    assert "OK   database" in result.stdout


def test_unreachable_database_is_unhealthy() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/nothing"
    result = run(url, "health", "--timeout", "2")
    assert result.returncode == 1
    assert "tidak bisa dihubungi" in result.stderr


def test_http_and_tcp_endpoints(migrated_url: str, web: str) -> None:
    good = run(migrated_url, "health", "--http", f"http://{web}/ok", "--tcp", web)
    assert good.returncode == 0, good.stderr
    bad_status = run(migrated_url, "health", "--http", f"http://{web}/broken")
    assert bad_status.returncode == 1
    assert "HTTP 500" in bad_status.stderr
    nobody = f"127.0.0.1:{closed_port()}"
    down = run(migrated_url, "health", "--http", f"http://{web}/ok", "--tcp", nobody)
    assert down.returncode == 1
    assert f"tcp {nobody}" in down.stderr
    assert f"OK   http http://{web}/ok" in down.stdout  # each check reported on its own


def test_scheduler_lease_must_be_fresh(migrated_url: str) -> None:
    absent = run(migrated_url, "health", "--scheduler-lease")
    assert absent.returncode == 1
    assert "lease" in absent.stderr
    engine = db.make_engine(migrated_url)
    sessions = db.make_sessionmaker(engine)
    try:
        with sessions.begin() as session:
            assert scheduling.acquire(session, "sched-a", utcnow(), dt.timedelta(minutes=2))
        fresh = run(migrated_url, "health", "--scheduler-lease")
        assert fresh.returncode == 0, fresh.stderr
        assert "sched-a" in fresh.stdout
        with sessions.begin() as session:
            past = utcnow() - dt.timedelta(minutes=10)
            assert scheduling.acquire(session, "sched-a", past, dt.timedelta(minutes=1))
        stale = run(migrated_url, "health", "--scheduler-lease")
        assert stale.returncode == 1
        assert "kedaluwarsa" in stale.stderr
    finally:
        engine.dispose()
