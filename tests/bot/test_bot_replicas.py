"""Two `python -m bot` processes in webhook mode behind a round-robin proxy, on PostgreSQL and
Redis, as docker/compose.yaml runs them: an officer's `/umumkan` flow whose updates alternate
between the replicas, each chat's updates in order across them, one flood count for both."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from asnkarier import db
from asnkarier.models import (
    Broadcast,
    BroadcastStatus,
    ConversationDraft,
    OutboxMessage,
    Role,
    utcnow,
)
from asnkarier.services import broadcasts, drafts
from asnkarier.services.seed import load_content, seed
from bot.handlers.broadcast import ASK_TEXT
from bot.handlers.gatekeeping import SLOW_DOWN
from bot.relay import BUSY
from telegram_emulator import EmulatorServer
from telegram_emulator.client import EmulatorClient
from tests.conftest import DATA, DatabaseFactory, RedisTarget, redis_target
from tests.e2e.bot_process import bot_env, start_bot
from tests.e2e.doors import loaded_but_failing_rasa
from tests.e2e.stack import Process, free_port
from tests.factories import make_employee

SECRET = "rahasia-replika-123"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_chats = itertools.count(4_700_001)


@dataclass
class RoundRobin:
    """The operator's reverse proxy: each update to the next replica in turn."""

    backends: list[str]
    delivered: list[tuple[int, int]] = field(default_factory=list)  # (update_id, replica)
    _turn: Iterator[int] = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._turn = itertools.cycle(range(len(self.backends)))

    def forward(self, body: bytes, secret: str) -> int:
        with self._lock:
            replica = next(self._turn)
        headers = {"Content-Type": "application/json", SECRET_HEADER: secret}
        try:
            response = httpx.post(self.backends[replica], content=body, headers=headers)
        except httpx.HTTPError:
            return 502
        if response.status_code == 200:
            update_id = int(json.loads(body)["update_id"])
            with self._lock:
                self.delivered.append((update_id, replica))
        return response.status_code


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    factory = DatabaseFactory("postgresql", tmp_path_factory.mktemp("replicas-db"))
    url = factory.new_url()
    db.upgrade(url)
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine).begin() as session:
        seed(session, load_content(DATA))
    yield engine
    engine.dispose()
    factory.close()


@dataclass
class Replicas:
    tg: EmulatorClient
    proxy: RoundRobin
    bots: list[Process]


@pytest.fixture(scope="module")
def redis_shared() -> Iterator[RedisTarget]:
    with redis_target() as target:
        yield target


@pytest.fixture(scope="module")
def replicas(
    database: Engine, redis_shared: RedisTarget, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Replicas]:
    redis, tmp_path = redis_shared, tmp_path_factory.mktemp("replica-logs")
    ports = [free_port(), free_port()]
    proxy = RoundRobin([f"http://127.0.0.1:{port}/telegram" for port in ports])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(proxy.forward(body, self.headers.get(SECRET_HEADER, "")))
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    front = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=front.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{front.server_address[1]}/telegram"
    database_url = database.url.render_as_string(hide_password=False)
    with loaded_but_failing_rasa() as rasa_url, EmulatorServer(rate_limit=False) as server:
        tg = server.client()
        bots: list[Process] = []
        try:
            for index, port in enumerate(ports):
                since = max((r["seq"] for r in tg.requests()), default=0)
                env = bot_env(
                    server,
                    rasa_url,
                    database_url,
                    rasa_url,
                    BOT_MODE="webhook",
                    WEBHOOK_URL=url,
                    WEBHOOK_LISTEN="127.0.0.1",
                    WEBHOOK_PORT=str(port),
                    WEBHOOK_SECRET=SECRET,
                    RASA_TIMEOUT_SECONDS="2",
                    **redis.env,
                )
                bots.append(start_bot(env, tmp_path, f"bot{index}"))
                try:
                    tg.wait_for_requests("setWebhook", 1, timeout=60, since=since)
                except TimeoutError:
                    raise RuntimeError(f"bot{index} did not start:\n{bots[-1].tail()}") from None
            yield Replicas(tg, proxy, bots)
        finally:
            for bot in bots:
                bot.stop()
            tg.close()
            front.shutdown()


def _say(tg: EmulatorClient, chat: int, text: str) -> dict[str, Any]:
    after = max((m["message_id"] for m in tg.messages(chat)), default=0)
    if text.startswith("/"):
        command, _, args = text[1:].partition(" ")
        tg.send_command(chat, command, args or None, first_name="Uji")
    else:
        tg.send_text(chat, text, first_name="Uji")
    [reply] = tg.wait_for(chat, 1, timeout=20, after=after)
    return reply


def _press(tg: EmulatorClient, chat: int, label: str) -> dict[str, Any]:
    message = tg.messages(chat)[-1]
    since = max(r["seq"] for r in tg.requests())
    tg.press(chat, message["message_id"], button=label)
    tg.wait_for_requests("editMessageText", 1, timeout=20, since=since)
    return next(m for m in tg.messages(chat) if m["message_id"] == message["message_id"])


def _buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def _draft_step(sessions: sessionmaker[Session], chat: int) -> str | None:
    with sessions() as session:
        return session.scalar(
            select(ConversationDraft.step).where(ConversationDraft.chat_id == chat)
        )


def test_umumkan_flow_with_updates_alternating_between_two_replicas(
    replicas: Replicas, database: Engine
) -> None:
    tg, proxy = replicas.tg, replicas.proxy
    sessions = db.make_sessionmaker(database)
    officer, staff = next(_chats), next(_chats)
    with sessions.begin() as s:
        make_employee(s, chat_id=officer, role=Role.HR_ADMIN, unit_code="BKPSDM")
        make_employee(s, chat_id=staff, unit_code="BKPSDM")
        expected = broadcasts.count_recipients(s, {"unit": "BKPSDM"})
    for chat in (officer, staff):
        tg.register_user(chat, first_name="Uji")

    start = len(proxy.delivered)
    assert _say(tg, officer, "/umumkan")["text"] == ASK_TEXT
    assert _draft_step(sessions, officer) == "text"
    question = _say(tg, officer, "Apel pagi Senin dipindah ke aula BKPSDM.")
    assert "Semua pegawai" in _buttons(question)
    assert _draft_step(sessions, officer) == "segment"
    assert "BKPSDM" in _buttons(_press(tg, officer, "Per unit kerja"))
    preview = _press(tg, officer, "BKPSDM")
    assert f"Penerima: {expected} pegawai (unit kerja BKPSDM)" in preview["text"]
    assert _draft_step(sessions, officer) == "confirm"
    done = _press(tg, officer, "Kirim sekarang")
    assert f"sedang dikirim ke {expected} pegawai" in done["text"]

    # Five steps, delivered to replica 0, 1, 0, 1, 0 (or 1, 0, ...): each step found the draft
    # the other replica wrote.
    steps = [replica for _update, replica in proxy.delivered[start:]]
    assert len(steps) == 5
    assert all(a != b for a, b in itertools.pairwise(steps)), steps
    assert _draft_step(sessions, officer) is None  # consumed by the send
    with sessions() as s:
        sent = s.scalars(select(Broadcast).order_by(Broadcast.id.desc())).first()
        assert sent is not None
        assert (sent.segment, sent.status) == ({"unit": "BKPSDM"}, BroadcastStatus.SENDING)
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.broadcast_id == sent.id))
        chats = {row.chat_id for row in rows}
        assert {officer, staff} <= chats
        assert len(chats) == expected


def test_one_chats_updates_stay_in_order_across_replicas(
    replicas: Replicas, database: Engine
) -> None:
    """/umumkan reaches one replica and is slow there; the text typed right after reaches the
    other replica meanwhile. It must wait and then become the announcement's text: handled
    before /umumkan, it would meet an older draft waiting for a button and go to the assistant
    (down here: the busy reply)."""
    tg = replicas.tg
    sessions = db.make_sessionmaker(database)
    officer = next(_chats)
    with sessions.begin() as s:
        make_employee(s, chat_id=officer, role=Role.HR_ADMIN, unit_code="BKPSDM")
        old = {"text": "Draf lama.", "segment": {}}
        drafts.save(s, "umumkan", officer, officer, step="confirm", data=old, now=utcnow())
    tg.register_user(officer, first_name="Uji")
    after = max((m["message_id"] for m in tg.messages(officer)), default=0)
    with sessions.begin() as s:
        # Hold the old draft's row: /umumkan, replacing it, waits for this transaction.
        s.execute(
            select(ConversationDraft).where(ConversationDraft.chat_id == officer).with_for_update()
        )
        tg.send_command(officer, "umumkan", first_name="Uji")
        tg.send_text(officer, "Pengumuman cepat.", first_name="Uji")
        time.sleep(1.5)
        assert tg.messages(officer) == []  # both wait: /umumkan for the row, the text for it
    replies = tg.wait_for(officer, 2, timeout=20, after=after)
    assert [r["text"] for r in replies] == [ASK_TEXT, "Pengumuman ini untuk siapa?"]
    assert _draft_step(sessions, officer) == "segment"


def test_the_flood_guard_counts_once_for_both_replicas(replicas: Replicas) -> None:
    tg = replicas.tg
    user = next(_chats)
    tg.register_user(user, first_name="Uji")
    for n in range(25):  # limit 20 per minute; the proxy splits them 13 / 12
        tg.send_text(user, f"pesan {n}", first_name="Uji")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        texts = [m["text"] for m in tg.messages(user)]
        if texts.count(BUSY) >= 20 and SLOW_DOWN in texts:
            break
        time.sleep(0.2)
    time.sleep(2.0)  # anything more would show now
    texts = [m["text"] for m in tg.messages(user)]
    assert texts.count(SLOW_DOWN) == 1
    assert texts.count(BUSY) == 20
