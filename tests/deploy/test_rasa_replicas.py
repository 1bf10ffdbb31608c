"""Two Rasa servers on the production endpoints (docker/rasa-endpoints.yml: tracker store in
PostgreSQL, lock store in Redis) serve one conversation alternately, as replicas behind a load
balancer do, and the conversation stays whole."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from asnkarier import db
from asnkarier.models import Registration, RegistrationStatus
from tests.conftest import ROOT, DatabaseFactory
from tests.e2e.stack import Stack, running_stack
from tests.factories import make_employee, make_workshop

pytestmark = pytest.mark.postgres

ENDPOINTS = ROOT / "docker" / "rasa-endpoints.yml"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


@dataclass
class Replicas:
    stack: Stack
    sessions: sessionmaker[Session]
    tracker: Engine  # the Rasa tracker store's database, as Rasa created it
    redis: redis.Redis
    key_prefix: str

    @property
    def a(self) -> str:
        return self.stack.rasa_urls[0]

    @property
    def b(self) -> str:
        return self.stack.rasa_urls[1]

    def events(self, sender: int) -> list[dict[str, Any]]:
        """The conversation's events in the order Rasa stored them."""
        with self.tracker.connect() as conn:
            rows = conn.execute(
                text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": str(sender)}
            )
            return [json.loads(row.data) for row in rows]


def _redis() -> redis.Redis:
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (required when CI is set)")
        pytest.skip(f"!!! SKIPPING RASA REPLICA TESTS: {reason}")
    return client


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    client = _redis()
    factory = DatabaseFactory("postgresql", tmp_path_factory.mktemp("replicas-db"))
    app_url = factory.new_seeded_url()
    engine = db.make_engine(app_url)
    sessions = db.make_sessionmaker(engine)
    # Rasa creates the tracker database itself (login_db), as on a fresh production server.
    tracker_name = f"asnbot_tracker_{uuid.uuid4().hex[:12]}"
    factory._pg_names.append(tracker_name)  # dropped with the others at the end
    parsed = make_url(app_url)
    key_prefix = f"asntest{uuid.uuid4().hex[:12]}"  # alphanumeric, as Rasa requires
    rasa_env = {
        "TRACKER_DB_HOST": parsed.host or "127.0.0.1",
        "TRACKER_DB_PORT": str(parsed.port or 5432),
        "TRACKER_DB_NAME": tracker_name,
        "TRACKER_DB_USER": parsed.username or "postgres",
        "TRACKER_DB_PASSWORD": parsed.password or "",
        "TRACKER_DB_LOGIN_DB": parsed.database or "test",
        "LOCK_STORE_REDIS_HOST": REDIS_HOST,
        "LOCK_STORE_REDIS_PORT": str(REDIS_PORT),
        "LOCK_STORE_REDIS_DB": "0",
        "LOCK_STORE_REDIS_PASSWORD": "",
        "LOCK_STORE_KEY_PREFIX": key_prefix,
    }
    logs: Path = tmp_path_factory.mktemp("replicas-logs")
    tracker = db.make_engine(parsed.set(database=tracker_name).render_as_string(False))
    try:
        with running_stack(
            app_url, logs, rasa_servers=2, endpoints=ENDPOINTS, rasa_env=rasa_env
        ) as stack:
            yield Replicas(stack, sessions, tracker, client, key_prefix)
    finally:
        tracker.dispose()
        engine.dispose()
        for key in client.scan_iter(f"{key_prefix}:*"):
            client.delete(key)
        client.close()
        factory.close()


def text_of(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def payloads(replies: list[dict[str, Any]]) -> list[str]:
    return [b["payload"] for r in replies for b in r.get("buttons") or []]


def turns(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Split events into turns, each starting at a user message."""
    result: list[list[dict[str, Any]]] = []
    for event in events:
        if event["event"] == "user":
            result.append([])
        if result:
            result[-1].append(event)
    return result


def test_form_carried_across_servers(replicas: Replicas) -> None:
    sender = 930_001
    with replicas.sessions.begin() as s:
        employee_id = make_employee(s, chat_id=sender).id
        code = make_workshop(s, title="Kelas Penulisan Naskah Dinas Elektronik").code

    # Turn 1 on server A opens the registration form and asks which workshop.
    asked = replicas.stack.say_to(replicas.a, sender, "saya mau daftar workshop")
    assert "/deny" in payloads(asked), asked
    # Turn 2 on server B: only the form state stored by A makes this a workshop name.
    confirm = replicas.stack.say_to(replicas.b, sender, "naskah dinas elektronik")
    assert "Naskah Dinas" in text_of(confirm), confirm
    assert "/affirm" in payloads(confirm), confirm
    # Turn 3 back on A: the confirmation completes the form B filled.
    done = replicas.stack.say_to(replicas.a, sender, "/affirm")
    assert "Terdaftar" in text_of(done), done

    with replicas.sessions.begin() as s:
        registration = s.scalar(select(Registration).where(Registration.employee_id == employee_id))
        assert registration is not None
        assert registration.workshop.code == code
        assert registration.status == RegistrationStatus.REGISTERED

    events = replicas.events(sender)
    said = [e["text"] for e in events if e["event"] == "user"]
    assert said == ["saya mau daftar workshop", "naskah dinas elektronik", "/affirm"]
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps), "events stored out of order"
    loops = [e["name"] for e in events if e["event"] == "active_loop"]
    assert loops[0] == "workshop_registration_form", loops
    assert loops[-1] is None, loops  # the form finished on A after B filled it
    slots = [(e["name"], e["value"]) for e in events if e["event"] == "slot"]
    assert ("workshop", code) in slots, slots
    # Every turn ends listening, and no turn was stored twice.
    for turn in turns(events):
        actions = [e["name"] for e in turn if e["event"] == "action"]
        assert actions, turn
        assert actions[-1] == "action_listen", turn


@pytest.mark.xfail(
    reason="Rasa 3.6.21's lock store issues tickets by a non-atomic read-modify-write of the lock "
    "in Redis: simultaneous turns of one conversation on two servers can lose a ticket and wait "
    "out the lock lifetime (docs/deployment.md). Passes when the race is not hit.",
    strict=False,
)
def test_simultaneous_turns_on_both_servers_are_serialised(replicas: Replicas) -> None:
    sender = 930_002
    messages = [
        (replicas.a if i % 2 == 0 else replicas.b, f"halo {word}")
        for i, word in enumerate(["satu", "dua", "tiga", "empat", "lima", "enam"])
    ]
    with ThreadPoolExecutor(len(messages)) as pool:
        replies = list(pool.map(lambda m: replicas.stack.say_to(m[0], sender, m[1]), messages))
    assert all(replies), replies

    events = replicas.events(sender)
    said = [e["text"] for e in events if e["event"] == "user"]
    assert sorted(said) == sorted(m for _, m in messages), said
    # With the Redis lock, each turn (user message, actions, bot replies) is stored whole
    # before the next one starts, whichever server took it; without it the two servers would
    # write over each other's turns.
    for turn in turns(events):
        actions = [e["name"] for e in turn if e["event"] == "action"]
        assert actions, turn
        assert actions[-1] == "action_listen", turn
        assert actions.count("action_listen") == 1, turn
    assert not list(replicas.redis.scan_iter(f"{replicas.key_prefix}:lock:*")), "lock left behind"
