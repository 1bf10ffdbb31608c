"""Feedback after a workshop, then the certificate, over real HTTP: the real bot process and the
outbox dispatcher against the Bot API emulator; the feedback scan is the scheduler job's core
call (`feedback.scan`).

No Rasa here (the bot's Rasa URL answers every message with an error): the flow is buttons and
a typed comment; a question typed at the comment prompt must go on to the assistant (which then
apologises) instead of becoming the comment. Chat users 972_001-972_099.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from asnkarier import db
from asnkarier.models import (
    Certificate,
    Registration,
    RegistrationStatus,
    WorkshopFeedback,
    utcnow,
)
from asnkarier.services import feedback
from asnkarier.services.seed import migrate_and_seed
from telegram_emulator.client import EmulatorClient
from telegram_emulator.runner import EmulatorServer
from tests.conftest import DATA
from tests.e2e.bot_process import bot_and_dispatcher_without_nlu
from tests.e2e.chatter import buttons, contract_breaches, eventually, last_id, settle, texts
from tests.factories import make_employee, make_workshop

BASE = "https://konsol.bkpsdm.example.go.id"
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")


@pytest.fixture(scope="module")
def database(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, sessionmaker[Session]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('umpan') / 'umpan.db'}"
    migrate_and_seed(url, DATA)
    engine = db.make_engine(url)
    yield url, db.make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def sessions(database: tuple[str, sessionmaker[Session]]) -> sessionmaker[Session]:
    return database[1]


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(rate_limit=False) as server:
        yield server


@pytest.fixture(scope="module")
def bot(
    emulator: EmulatorServer,
    database: tuple[str, sessionmaker[Session]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[EmulatorClient]:
    """The real bot process and the real dispatcher; the control client plays the users."""
    logs = tmp_path_factory.mktemp("umpan-logs")
    with bot_and_dispatcher_without_nlu(emulator, database[0], logs, WEB_BASE_URL=BASE) as client:
        yield client


def _attendee(
    sessions: sessionmaker[Session], bot: EmulatorClient, user: int, title: str
) -> tuple[int, int]:
    """An employee linked to `user` who attended a workshop that ended an hour ago; the
    feedback scan runs (twice, as two schedulers would). (employee id, workshop id)."""
    bot.register_user(user, first_name="Uji")
    with sessions.begin() as s:
        start = utcnow().replace(microsecond=0) - dt.timedelta(hours=4)
        workshop = make_workshop(
            s, title=title, starts_at=start, ends_at=start + dt.timedelta(hours=3),
            registration_deadline=start - dt.timedelta(days=1), jp=5,
        )  # fmt: skip
        employee = make_employee(s, chat_id=user, name=f"Dewi Lestari {user}", sex="P")
        s.add(
            Registration(
                workshop_id=workshop.id, employee_id=employee.id,
                status=RegistrationStatus.ATTENDED, attended_at=utcnow(), attended_via="qr",
            )
        )  # fmt: skip
        ids = employee.id, workshop.id
    for _ in range(2):
        with sessions.begin() as s:
            feedback.scan(s, utcnow(), dt.timedelta(days=7))
    return ids


def _question(bot: EmulatorClient, user: int) -> dict[str, Any]:
    [first] = settle(bot, user, 0, until="1/3")
    return first


def _seq(bot: EmulatorClient) -> int:
    return max((r["seq"] for r in bot.requests()), default=0)


def _press(
    bot: EmulatorClient, user: int, message_id: int, label: str, *, stale: bool = False
) -> dict[str, Any]:
    """Press a button of the bot's message (`stale`: a copy whose keyboard is gone); returns
    the message afterwards (edited in place)."""
    [current] = [m for m in bot.messages(user) if m["message_id"] == message_id]
    if stale:
        data = label
    else:
        data = next(b["callback_data"] for b in buttons(current) if b["text"] == label)
    since = _seq(bot)
    bot.press(user, message_id, data, forged=stale)
    bot.wait_for_requests("answerCallbackQuery", 1, since=since, timeout=20)
    time.sleep(0.3)
    [after] = [m for m in bot.messages(user) if m["message_id"] == message_id]
    return after


def _answers(bot: EmulatorClient, since: int) -> list[str]:
    answered = bot.requests("answerCallbackQuery", since=since)
    return [str(r["params"].get("text", "")) for r in answered]


def _documents(bot: EmulatorClient, user: int) -> list[dict[str, Any]]:
    return [f for f in bot.files(by="bot") if f["chat_id"] == user]


def _pdf_text(bot: EmulatorClient, file_id: str, tmp_path: Path) -> str:
    content = bot.file_content(file_id)
    assert content.startswith(b"%PDF-")
    path = tmp_path / f"{file_id}.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _row(sessions: sessionmaker[Session], workshop_id: int) -> WorkshopFeedback:
    with sessions() as s:
        [row] = s.scalars(
            select(WorkshopFeedback).where(WorkshopFeedback.workshop_id == workshop_id)
        )
        s.expunge(row)
        return row


def _feedback_rows(sessions: sessionmaker[Session], workshop_id: int) -> int:
    with sessions() as s:
        query = select(func.count()).select_from(WorkshopFeedback)
        return int(s.scalar(query.where(WorkshopFeedback.workshop_id == workshop_id)) or 0)


def _certificates(sessions: sessionmaker[Session], workshop_id: int) -> list[str]:
    with sessions() as s:
        return list(
            s.scalars(select(Certificate.number).where(Certificate.workshop_id == workshop_id))
        )


def test_three_answers_then_the_certificate_once_even_when_pressed_again(
    bot: EmulatorClient, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    user = 972_001
    _, workshop_id = _attendee(sessions, bot, user, "Workshop Penyusunan SKP 2027")
    first = _question(bot, user)
    assert "Workshop Penyusunan SKP 2027" in first["text"]
    assert "penilaian Ibu tentang" in first["text"]  # the roster says she is a woman
    assert [b["text"] for b in buttons(first)] == ["1", "2", "3", "4", "5"]
    assert len([m for m in bot.messages(user) if "1/3" in (m["text"] or "")]) == 1  # scanned twice

    second = _press(bot, user, first["message_id"], "4")
    assert "Penilaian keseluruhan: 4 dari 5" in second["text"]
    assert "2/3" in second["text"]
    third = _press(bot, user, first["message_id"], "5")
    assert "Manfaat untuk pekerjaan: 5 dari 5" in third["text"]
    assert "3/3" in third["text"]
    assert [b["text"] for b in buttons(third)] == ["Lewati"]

    seen = last_id(bot, user)
    bot.send_text(user, "Materinya sangat membantu, contohnya dekat dengan pekerjaan.")
    thanked = settle(bot, user, seen, until="komentar Ibu sudah kami catat")
    assert "sertifikat" in texts(thanked).lower()
    assert eventually(lambda: len(_documents(bot, user)) == 1)
    [document] = _documents(bot, user)
    [number] = _certificates(sessions, workshop_id)
    assert document["file_name"] == f"sertifikat-{number}.pdf"
    [sent] = [m for m in bot.messages(user) if m["message_id"] == document["message_id"]]
    caption = sent["message"]["caption"]
    assert number in caption
    assert f"{BASE}/verifikasi/{number}" in caption
    text = _pdf_text(bot, document["file_id"], tmp_path)
    assert f"Dewi Lestari {user}" in text
    assert number in text
    assert "Workshop Penyusunan SKP 2027" in text
    row = _row(sessions, workshop_id)
    assert (row.overall, row.usefulness) == (4, 5)
    assert row.comment == "Materinya sangat membantu, contohnya dekat dengan pekerjaan."
    assert row.certificate_sent_at is not None
    # The prompt's "Lewati" button went when the comment came.
    [prompt] = [m for m in bot.messages(user) if m["message_id"] == first["message_id"]]
    assert buttons(prompt) == []

    # Pressed again, old keyboards: politely "already recorded", nothing new.
    since = _seq(bot)
    _press(bot, user, first["message_id"], feedback.button_data(workshop_id, None), stale=True)
    _press(bot, user, first["message_id"], feedback.button_data(workshop_id, "o", 1), stale=True)
    assert all("sudah tercatat" in a for a in _answers(bot, since)), _answers(bot, since)
    time.sleep(1)
    assert len(_documents(bot, user)) == 1
    assert _certificates(sessions, workshop_id) == [number]
    assert _row(sessions, workshop_id).overall == 4
    assert not contract_breaches(bot)


def test_a_question_at_the_comment_prompt_reaches_the_assistant_and_lewati_still_works(
    bot: EmulatorClient, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    user = 972_002
    _, workshop_id = _attendee(sessions, bot, user, "Bimtek Pengelolaan Arsip")
    first = _question(bot, user)
    _press(bot, user, first["message_id"], "3")
    _press(bot, user, first["message_id"], "2")
    seen = last_id(bot, user)
    bot.send_text(user, "kapan deadline skp?")
    reply = texts(settle(bot, user, seen))
    assert "komentar" not in reply.lower()  # the assistant's answer (here: its apology)
    row = _row(sessions, workshop_id)
    assert (row.comment, row.completed_at) == (None, None)
    assert _documents(bot, user) == []

    # "sertifikat saya" shows the unfinished feedback; its button asks the comment again.
    seen = last_id(bot, user)
    bot.send_text(user, "sertifikat saya")
    [listing] = settle(bot, user, seen, until="belum selesai")
    assert "Bimtek Pengelolaan Arsip" in listing["text"]
    seen = last_id(bot, user)
    bot.press(user, listing["message_id"], buttons(listing)[0]["callback_data"])
    [prompt] = settle(bot, user, seen, until="3/3")
    assert "Penilaian keseluruhan: 3 dari 5" in prompt["text"]
    done = _press(bot, user, prompt["message_id"], "Lewati")
    assert "Terima kasih atas umpan balik" in done["text"]
    assert eventually(lambda: len(_documents(bot, user)) == 1)
    [number] = _certificates(sessions, workshop_id)
    assert _row(sessions, workshop_id).comment is None

    # /sertifikat lists it and sends the same certificate again on request.
    seen = last_id(bot, user)
    bot.send_command(user, "sertifikat")
    [listing] = settle(bot, user, seen, until=number)
    assert "Bimtek Pengelolaan Arsip" in listing["text"]
    seen = last_id(bot, user)
    bot.press(user, listing["message_id"], buttons(listing)[0]["callback_data"])
    assert eventually(lambda: len(_documents(bot, user)) == 2)
    again = _documents(bot, user)[-1]
    assert again["file_name"] == f"sertifikat-{number}.pdf"
    assert number in _pdf_text(bot, again["file_id"], tmp_path)
    assert _certificates(sessions, workshop_id) == [number]


def test_a_failed_send_is_repeated_with_the_same_number(
    bot: EmulatorClient, sessions: sessionmaker[Session]
) -> None:
    user = 972_003
    _, workshop_id = _attendee(sessions, bot, user, "Pelatihan Pelayanan Publik")
    first = _question(bot, user)
    _press(bot, user, first["message_id"], "5")
    _press(bot, user, first["message_id"], "5")
    bot.set_fault(
        "sendDocument", chat_id=user, status=400, description="Bad Request: test", times=1
    )
    seen = last_id(bot, user)
    _press(bot, user, first["message_id"], "Lewati")
    assert "gagal terkirim" in texts(settle(bot, user, seen, until="gagal terkirim"))
    assert _documents(bot, user) == []
    [number] = _certificates(sessions, workshop_id)
    assert _row(sessions, workshop_id).certificate_sent_at is None

    # Pressing an old button again sends the certificate it already has.
    _press(bot, user, first["message_id"], feedback.button_data(workshop_id, None), stale=True)
    assert eventually(lambda: len(_documents(bot, user)) == 1)
    assert _documents(bot, user)[0]["file_name"] == f"sertifikat-{number}.pdf"
    assert _certificates(sessions, workshop_id) == [number]
    assert eventually(lambda: _row(sessions, workshop_id).certificate_sent_at is not None)
    time.sleep(0.5)
    assert _feedback_rows(sessions, workshop_id) == 1


def test_someone_who_did_not_attend_cannot_answer(
    bot: EmulatorClient, sessions: sessionmaker[Session]
) -> None:
    user = 972_004
    _, workshop_id = _attendee(sessions, bot, user, "Workshop Etika ASN")
    first = _question(bot, user)
    stranger = 972_005
    bot.register_user(stranger, first_name="Lain")
    with sessions.begin() as s:
        make_employee(s, chat_id=stranger, name="Bukan Peserta")
    # A forwarded copy of the button pressed by someone else: recorded for nobody.
    since = _seq(bot)
    forwarded = feedback.button_data(workshop_id, "o", 1)
    bot.press(stranger, first["message_id"], forwarded, chat_id=user, forged=True)
    bot.wait_for_requests("answerCallbackQuery", 1, since=since, timeout=20)
    assert any(re.search("tercatat hadir|tidak berlaku", a) for a in _answers(bot, since))
    assert _feedback_rows(sessions, workshop_id) == 0
