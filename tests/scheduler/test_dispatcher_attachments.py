"""Broadcasts with a file (surat edaran) through the dispatcher to the emulator, on SQLite and
PostgreSQL: the text as caption or text-then-file exactly once, the bytes uploaded once and
then sent by the file_id Telegram returned, dispatchers racing to upload."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.request import HTTPXRequest

from asnkarier import db
from asnkarier.models import OutboxMessage, OutboxStatus, StoredFile, utcnow
from asnkarier.services import broadcasts
from scheduler.dispatcher import DispatchConfig, Dispatcher
from telegram_emulator import EmulatorServer
from telegram_emulator.client import AsyncEmulatorClient
from tests.bot.emulator_support import server_fixture
from tests.bot.test_emulator_files import PDF, png
from tests.conftest import DatabaseFactory
from tests.factories import make_employee

_users = itertools.count(812_000_001)
FAST = DispatchConfig(retry_base=0.05, retry_max=0.2, poll_interval=0.05, send_timeout=5.0)
server = server_fixture(rate_limit=True)
LONG = "Surat edaran tentang penilaian kinerja. " * 40  # ~1,600 characters: over a caption


@pytest.fixture
async def tg(server: EmulatorServer) -> AsyncIterator[AsyncEmulatorClient]:
    async with server.async_client() as client:
        await client.reset()
        yield client


@pytest.fixture
def url(db_factory: DatabaseFactory) -> str:
    return db_factory.new_seeded_url()


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    engine = db.make_engine(url)
    yield engine
    engine.dispose()


@asynccontextmanager
async def ptb(server: EmulatorServer) -> AsyncIterator[Bot]:
    request = HTTPXRequest(connection_pool_size=64, read_timeout=5.0)
    async with Bot(server.token, base_url=server.base_url, request=request) as bot:
        yield bot


async def staff(sessions: sessionmaker[Session], tg: AsyncEmulatorClient, count: int) -> list[int]:
    chats = [next(_users) for _ in range(count)]
    with sessions.begin() as session:
        for chat in chats:
            make_employee(session, chat_id=chat)
    await asyncio.gather(*(tg.register_user(chat, first_name="Uji") for chat in chats))
    return chats


def broadcast_with(
    sessions: sessionmaker[Session], content: bytes, name: str, text: str = "Mohon dibaca."
) -> tuple[int, int]:
    """A broadcast to everyone carrying the file; (broadcast id, stored file id)."""
    with sessions.begin() as session:
        attachment = broadcasts.attach(session, content, name)
        now = utcnow()
        created = broadcasts.create(session, text=text, segment={}, now=now, attachment=attachment)
        broadcasts.materialize(session, created.id, now)
        return created.id, attachment.file_id


async def dispatch(
    sessions: sessionmaker[Session], server: EmulatorServer, config: DispatchConfig = FAST
) -> Dispatcher:
    async with ptb(server) as bot:
        dispatcher = Dispatcher(sessions, bot, config, name="test")
        async with asyncio.timeout(120):
            await dispatcher.run(until_idle=True)
    return dispatcher


def uploads(requests: list[dict[str, object]], field: str) -> int:
    """Requests that carried the bytes (multipart) rather than a file_id."""
    return sum(
        1
        for r in requests
        if r["status"] == 200 and isinstance(r["params"][field], dict)  # type: ignore[index]
    )


def per_chat(requests: list[dict[str, object]]) -> Counter[int]:
    return Counter(int(r["params"]["chat_id"]) for r in requests if r["status"] == 200)  # type: ignore[index]


async def test_a_pdf_goes_with_its_caption_uploaded_once_then_by_file_id(
    sessions: sessionmaker[Session], server: EmulatorServer, tg: AsyncEmulatorClient
) -> None:
    chats = await staff(sessions, tg, 12)
    broadcast_id, file_id = broadcast_with(sessions, PDF, "surat-edaran.pdf")
    dispatcher = await dispatch(sessions, server)
    documents = await tg.requests("sendDocument")
    assert per_chat(documents) == Counter(dict.fromkeys(chats, 1))
    assert uploads(documents, "document") == 1
    assert dispatcher.stats.uploads == 1
    assert await tg.requests("sendMessage") == []  # the text went as the caption
    record = (await tg.messages(chats[-1]))[-1]
    message = record["message"]
    assert record["method"] == "sendDocument"
    assert message["document"]["file_name"] == "surat-edaran.pdf"
    assert message["caption"] == "Mohon dibaca."
    assert record["reply_markup"]["inline_keyboard"][0][0]["text"] == broadcasts.READ_BUTTON
    assert await tg.file_content(message["document"]["file_id"]) == PDF
    with sessions() as session:
        stored = session.get(StoredFile, file_id)
        assert stored is not None
        assert stored.telegram_file_id == message["document"]["file_id"]
        assert stored.telegram_file_kind == "document"
        rep = broadcasts.report(session, broadcast_id)
        assert rep.sent == 12
    # The next broadcast of the same file never uploads it again.
    chats += await staff(sessions, tg, 1)
    broadcast_with(sessions, PDF, "surat-edaran.pdf", text="Pengingat.")
    await dispatch(sessions, server)
    assert uploads(await tg.requests("sendDocument"), "document") == 1


async def test_long_text_goes_first_then_the_photo_and_a_failed_file_is_retried_alone(
    sessions: sessionmaker[Session], server: EmulatorServer, tg: AsyncEmulatorClient
) -> None:
    chats = await staff(sessions, tg, 3)
    image = png(40, 30)
    # The first photo fails (server error) after its text went out: the retry sends the photo
    # only, so each chat still has the text once and the photo once.
    await tg.set_fault("sendPhoto", status=500, times=1)
    broadcast_id, _file = broadcast_with(sessions, image, "edaran.png", text=LONG)
    dispatcher = await dispatch(sessions, server)
    assert dispatcher.stats.retried == 1
    texts, photos = await tg.requests("sendMessage"), await tg.requests("sendPhoto")
    assert per_chat(texts) == Counter(dict.fromkeys(chats, 1))
    assert per_chat(photos) == Counter(dict.fromkeys(chats, 1))
    assert uploads(photos, "photo") == 1
    for chat in chats:
        text, photo = await tg.messages(chat)
        assert (text["method"], photo["method"]) == ("sendMessage", "sendPhoto")
        assert text["text"] == LONG.strip()
        assert "caption" not in photo["message"]
        assert photo["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == (
            f"{broadcasts.READ_PREFIX}{broadcast_id}"
        )
    with sessions() as session:
        rows = list(session.scalars(select(OutboxMessage)))
        assert {r.status for r in rows} == {OutboxStatus.SENT}
        assert all(r.text_message_id is not None for r in rows)
        assert all(r.telegram_message_id != r.text_message_id for r in rows)


async def test_a_text_part_recorded_before_a_crash_is_not_sent_again(
    sessions: sessionmaker[Session], server: EmulatorServer, tg: AsyncEmulatorClient
) -> None:
    """A row whose text went out (text_message_id stored) and whose dispatcher then died is
    taken over after the lease: only its file is sent."""
    [chat] = await staff(sessions, tg, 1)
    broadcast_with(sessions, PDF, "surat.pdf", text=LONG)
    with sessions.begin() as session:
        session.execute(update(OutboxMessage).values(text_message_id=424242))
    await dispatch(sessions, server)
    assert await tg.requests("sendMessage") == []
    assert per_chat(await tg.requests("sendDocument")) == Counter({chat: 1})


async def test_a_file_id_telegram_no_longer_knows_is_uploaded_again(
    sessions: sessionmaker[Session], server: EmulatorServer, tg: AsyncEmulatorClient
) -> None:
    [chat] = await staff(sessions, tg, 1)
    _broadcast, file_id = broadcast_with(sessions, PDF, "surat.pdf")
    with sessions.begin() as session:  # e.g. cached under another bot token
        session.execute(
            update(StoredFile)
            .where(StoredFile.id == file_id)
            .values(telegram_file_id="emu-document-999999", telegram_file_kind="document")
        )
    dispatcher = await dispatch(sessions, server)
    documents = await tg.requests("sendDocument")
    assert [r["status"] for r in documents] == [400, 200]
    assert dispatcher.stats.reasons == {"stale_file_id": 1}
    assert uploads(documents, "document") == 1
    with sessions() as session:
        stored = session.get(StoredFile, file_id)
        assert stored is not None
        assert (
            stored.telegram_file_id
            == (await tg.messages(chat))[-1]["message"]["document"]["file_id"]
        )


async def test_two_dispatchers_racing_upload_at_most_once_each_and_send_every_row_once(
    url: str, server: EmulatorServer, tg: AsyncEmulatorClient
) -> None:
    await tg.set_limits(enabled=False)  # both at full speed, to race on the first upload
    engines = [db.make_engine(url), db.make_engine(url)]
    try:
        first, second = (db.make_sessionmaker(e) for e in engines)
        chats = await staff(first, tg, 80)
        _broadcast, file_id = broadcast_with(first, PDF, "surat.pdf")
        config = DispatchConfig(rate_per_second=1000, poll_interval=0.02, batch_size=20)
        async with ptb(server) as bot_a, ptb(server) as bot_b:
            a = Dispatcher(first, bot_a, config, name="a")
            b = Dispatcher(second, bot_b, config, name="b")
            async with asyncio.timeout(120):
                await asyncio.gather(a.run(until_idle=True), b.run(until_idle=True))
        documents = await tg.requests("sendDocument")
        assert all(r["status"] == 200 for r in documents)
        assert per_chat(documents) == Counter(dict.fromkeys(chats, 1))
        assert 1 <= uploads(documents, "document") <= 2
        assert a.stats.uploads <= 1
        assert b.stats.uploads <= 1
        assert a.stats.failed == b.stats.failed == 0
        with first() as session:
            stored = session.get(StoredFile, file_id)
            assert stored is not None
            assert stored.telegram_file_id is not None
    finally:
        for engine in engines:
            engine.dispose()
