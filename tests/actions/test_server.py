"""The real action server process over HTTP: the shared token, /health, and the one guard
around every action when its database is really gone (a dropped PostgreSQL database, a SQLite
file that cannot exist)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from actions.common import UNAVAILABLE
from asnkarier import db, signals
from tests.conftest import PG_ADMIN_URL, ROOT, DatabaseFactory
from tests.e2e.stack import Process, free_port, start

TOKEN = "test-token-Vq3x9"
SENDER = 987_654_321
CODE = "R4TW8HNX"  # what a user typed: must never reach the log
DOMAIN = {
    "forms": {"link_account_form": {"required_slots": ["kode_aktivasi"]}},
    "slots": {"kode_aktivasi": {"type": "text", "mappings": []}},
}


@dataclass
class Server:
    url: str
    process: Process

    def call(self, action: str, token: str | None = TOKEN, **slots: Any) -> httpx.Response:
        latest = {
            "text": f"kode saya {CODE}",
            "intent": {"name": "inform", "confidence": 0.9},
            "entities": [],
            "metadata": {"chat_id": SENDER},
        }
        tracker = {
            "sender_id": str(SENDER),
            "slots": slots,
            "latest_message": latest,
            "events": [{"event": "user", "text": latest["text"], "parse_data": latest}],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": "link_account_form"} if "requested_slot" in slots else {},
            "latest_action_name": "action_listen",
        }
        body = {"next_action": action, "sender_id": str(SENDER), "tracker": tracker}
        params = {} if token is None else {"token": token}
        return httpx.post(
            f"{self.url}/webhook",
            params=params,
            json={**body, "domain": DOMAIN, "version": "3.6.21"},
            timeout=20,
        )

    def health(self) -> int:
        return httpx.get(f"{self.url}/health", timeout=20).status_code

    def log(self) -> str:
        return self.process.log.read_text(errors="replace")


@contextmanager
def running_server(database_url: str, logs: Path) -> Iterator[Server]:
    port = free_port()
    env = {
        "DATABASE_URL": database_url,
        "ACTION_SERVER_PORT": str(port),
        "ACTION_SERVER_TOKEN": TOKEN,
        "LOG_LEVEL": "DEBUG",  # the guard must keep the conversation out at every level
    }
    process = start("actions", [sys.executable, "-m", "actions.server"], env, ROOT, logs)
    try:
        wait_until_listening(process, f"http://127.0.0.1:{port}/health")
        yield Server(f"http://127.0.0.1:{port}", process)
    finally:
        process.stop()


def wait_until_listening(process: Process, url: str) -> None:
    """Like stack.wait_http, but any answer will do: /health may rightly say 503."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"action server exited:\n{process.tail()}")
        try:
            httpx.get(url, timeout=5)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError(f"action server not listening:\n{process.tail()}")


def _drop(url: str) -> None:
    admin = db.make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _assert_apology(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r.get("text") for r in body["responses"] if r.get("text")] == [UNAVAILABLE]
    customs = [r["custom"] for r in body["responses"] if r.get("custom")]
    assert customs == [signals.signal(signals.UNAVAILABLE)]
    assert CODE not in response.text
    events: list[dict[str, Any]] = body["events"]
    return events


def test_only_calls_with_the_token_are_served(db_factory: DatabaseFactory, tmp_path: Path) -> None:
    if db_factory.backend != "sqlite":
        pytest.skip("the token does not depend on the database")
    url = db_factory.new_url()
    db.upgrade(url)
    with running_server(url, tmp_path) as server:
        for token in (None, "", "wrong", TOKEN + "x", TOKEN[:-1]):
            refused = server.call("action_my_profile", token=token)
            assert refused.status_code == 401, token
            assert "Untuk jawaban pribadi" not in refused.text
        listing = httpx.get(f"{server.url}/actions", timeout=10)
        assert listing.status_code == 401
        served = server.call("action_my_profile")
        assert served.status_code == 200
        assert "hubungkan akun" in served.text.lower()
        assert server.health() == 200  # open: container health checks carry no token


def test_a_malformed_call_is_answered_without_echoing_it(
    db_factory: DatabaseFactory, tmp_path: Path
) -> None:
    if db_factory.backend != "sqlite":
        pytest.skip("rasa_sdk's error path does not depend on the database")
    url = db_factory.new_url()
    with running_server(url, tmp_path) as server:
        # rasa_sdk's own handler would answer 500 with {"request_body": <the whole call>}.
        response = httpx.post(
            f"{server.url}/webhook",
            params={"token": TOKEN},
            json={"next_action": "action_my_profile", "tracker": f"bad {CODE}", "domain": {"x": 1}},
            timeout=10,
        )
        assert response.status_code == 500
        assert CODE not in response.text
        assert response.json() == {"error": "internal error"}


@pytest.mark.parametrize("failure", ["database gone", "schema missing"])
def test_a_failing_database_gives_an_apology_counted_as_unavailable(
    db_factory: DatabaseFactory, tmp_path: Path, failure: str
) -> None:
    url = db_factory.new_url()
    if failure == "database gone" and db_factory.backend == "postgresql":
        db.upgrade(url)  # a working database, dropped under the running server
    elif failure == "database gone":
        # A SQLite file below a regular file: it can never be opened.
        (tmp_path / "not-a-directory").write_text("")
        url = f"sqlite:///{tmp_path / 'not-a-directory' / 'asnbot.db'}"
    # "schema missing": an empty database, so a statement with parameters fails.
    with running_server(url, tmp_path) as server:
        if failure == "database gone":
            if db_factory.backend == "postgresql":
                assert server.health() == 200
                assert server.call("action_my_profile").status_code == 200
                _drop(url)
            assert server.health() == 503

        # A plain action, and a form validator in the middle of asking for the code.
        assert _assert_apology(server.call("action_my_profile")) == []
        events = _assert_apology(
            server.call(
                "validate_link_account_form", requested_slot="kode_aktivasi", kode_aktivasi=CODE
            )
        )
        assert events == [
            {"event": "slot", "timestamp": None, "name": "kode_aktivasi", "value": None}
        ]
        log = server.log()
    assert "Action action_my_profile failed" in log
    assert "Action validate_link_account_form failed" in log
    assert "Traceback" in log
    if failure == "schema missing":
        assert "SQL parameters hidden" in log
    # Neither the tracker, the slots, the message nor the sender (a statement's parameter)
    # reach the log.
    for secret in (CODE, str(SENDER), "kode saya", "latest_message"):
        assert secret not in log, secret
