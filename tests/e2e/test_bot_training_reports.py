"""Lapor pelatihan over real HTTP: the real bot process and the outbox dispatcher against the
Bot API emulator, HR deciding with the real `asnbot training` CLI.

No Rasa here: reporting by photo or PDF needs no NLU (the bot's Rasa URL is a closed port), so
this module runs its own emulator, database, bot and dispatcher, apart from the shared stack.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from asnkarier import db
from asnkarier.models import Employee, ReportStatus, StoredFile, TrainingReport
from asnkarier.services import training
from asnkarier.services.seed import migrate_and_seed
from telegram_emulator.client import EmulatorClient
from telegram_emulator.runner import EmulatorServer
from tests.cli.test_cli import ASNBOT
from tests.conftest import DATA, ROOT
from tests.e2e.bot_process import bot_and_dispatcher_without_nlu
from tests.e2e.chatter import buttons, contract_breaches, last_id, settle, texts
from tests.factories import make_employee

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8
PDF = b"%PDF-1.4\n%sertifikat\n" + b"1 0 obj<<>>endobj\n" * 50 + b"%%EOF\n"
CAPTION = "Pelatihan Analisis Data, BPSDM Jateng, 3-5 Nov 2026, 24 JP"


@pytest.fixture(scope="module")
def database(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, sessionmaker[Session]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('lapor') / 'lapor.db'}"
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
    logs = tmp_path_factory.mktemp("lapor-logs")
    with bot_and_dispatcher_without_nlu(emulator, database[0], logs) as client:
        yield client


def _linked(sessions: sessionmaker[Session], user: int) -> int:
    with sessions.begin() as s:
        return make_employee(s, chat_id=user, name=f"Pegawai {user}").id


def _send(bot: EmulatorClient, user: int, kind: str, content: bytes | None, **media: object) -> int:
    seen = last_id(bot, user)
    if content is not None:
        media["content_base64"] = base64.b64encode(content).decode()
    caption = media.pop("caption", None)
    bot.send_media(user, kind, media=media, caption=caption, first_name="Uji")  # type: ignore[arg-type]
    return seen


def _asnbot(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "COLUMNS": "200"}
    return subprocess.run(
        [str(ASNBOT), *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
        check=False,
    )  # fmt: skip


def _get_files(bot: EmulatorClient, since: int) -> list[dict[str, object]]:
    return bot.requests("getFile", since=since)


def _confirm(
    bot: EmulatorClient, user: int, form: dict[str, Any], label: str, *, stale: bool = False
) -> str:
    """Press a button of the form; the bot edits the form message into its answer. `stale`:
    the button is pressed on an old copy of the form (its keyboard already gone)."""
    since = _seq(bot)
    button = next(b for b in buttons(form) if label in b["text"])
    bot.press(user, int(form["message_id"]), button["callback_data"], forged=stale)
    bot.wait_for_requests("editMessageText", 1, since=since, timeout=20)
    [edited] = [m for m in bot.messages(user) if m["message_id"] == form["message_id"]]
    return str(edited["text"])


def _number(text: str) -> int:
    found = re.search(r"Laporan #(\d+) terkirim", text)
    assert found is not None, text
    return int(found.group(1))


def _seq(bot: EmulatorClient) -> int:
    return max((r["seq"] for r in bot.requests()), default=0)


def test_a_photo_reported_then_approved_counts_and_the_employee_is_told(
    bot: EmulatorClient,
    sessions: sessionmaker[Session],
    database: tuple[str, sessionmaker[Session]],
    tmp_path: Path,
) -> None:
    user = 971_001
    employee_id = _linked(sessions, user)
    seen = _send(bot, user, "photo", JPEG, caption=CAPTION)
    [form] = settle(bot, user, seen, until="Kirim ke BKPSDM")
    assert "sertifikat sudah kami terima" in form["text"]
    assert "Judul: Pelatihan Analisis Data" in form["text"]
    assert "Penyelenggara: BPSDM Jateng" in form["text"]
    assert "Tanggal: 3 November 2026 s.d. 5 November 2026" in form["text"]
    assert "JP: 24" in form["text"]
    number = _number(_confirm(bot, user, form, "Kirim"))
    with sessions.begin() as s:
        report = s.get_one(TrainingReport, number)
        assert (report.employee_id, report.status) == (employee_id, ReportStatus.PENDING)
        stored = s.get_one(StoredFile, report.file_id)
        assert (stored.content, stored.mime_type) == (JPEG, "image/jpeg")
        assert training.hours(s, employee_id, 2026).total == 0  # not before HR approves

    url = database[0]
    listed = _asnbot(url, "training", "pending")
    assert listed.returncode == 0, listed.stderr
    assert "Pelatihan Analisis Data" in listed.stdout
    assert f"Pegawai {user}" in listed.stdout
    shown = _asnbot(url, "training", "show", str(number), "--save", str(tmp_path / "bukti"))
    assert shown.returncode == 0, shown.stderr
    assert "JP diajukan: 24" in shown.stdout
    assert (tmp_path / "bukti.jpg").read_bytes() == JPEG  # HR opens the very file sent
    seen = last_id(bot, user)
    approved = _asnbot(url, "training", "approve", str(number), "--jp", "20")
    assert approved.returncode == 0, approved.stderr
    assert "diberi tahu" in approved.stdout
    told = settle(bot, user, seen, until="disetujui")
    assert "20 JP dicatat untuk tahun 2026" in texts(told)
    with sessions.begin() as s:
        assert training.hours(s, employee_id, 2026).total == 20
    again = _asnbot(url, "training", "approve", str(number), "--jp", "24")
    assert again.returncode == 1
    assert "sudah diputuskan" in again.stderr

    seen = last_id(bot, user)
    bot.send_command(user, "riwayat")
    history = texts(settle(bot, user, seen, until="Riwayat"))
    assert f"#{number} Pelatihan Analisis Data" in history
    assert "20 JP: ✅ disetujui" in history


def test_a_pdf_without_caption_asks_each_field_and_can_be_rejected(
    bot: EmulatorClient,
    sessions: sessionmaker[Session],
    database: tuple[str, sessionmaker[Session]],
) -> None:
    user = 971_011
    _linked(sessions, user)
    seen = _send(bot, user, "document", PDF, file_name="sertifikat.pdf")
    assert "judul pelatihannya" in texts(settle(bot, user, seen, until="judul"))
    answers = [
        ("Diklat Kepemimpinan Pengawas", "penyelenggaranya"),
        ("BPSDM Provinsi Jawa Tengah", "Kapan"),
        ("kemarin", "belum saya kenali"),  # refused, the question comes again
        ("10/08/2026 - 14/08/2026", "Berapa JP"),
        ("empat puluh", "angka"),
        ("40", "Kirim ke BKPSDM"),
    ]
    replies: list[dict[str, object]] = []
    for answer, expected in answers:
        seen = last_id(bot, user)
        bot.send_text(user, answer)
        replies = settle(bot, user, seen, until=expected)
    form = replies[-1]
    assert "Tanggal: 10 Agustus 2026 s.d. 14 Agustus 2026" in str(form["text"])
    number = _number(_confirm(bot, user, form, "Kirim"))
    # Pressed again (a slow phone, a stale copy of the form): still one report.
    assert "sudah berakhir" in _confirm(bot, user, form, "Kirim", stale=True)
    seen = last_id(bot, user)
    result = _asnbot(
        database[0], "training", "reject", str(number), "--reason", "Tanggal tidak sesuai"
    )
    assert result.returncode == 0, result.stderr
    told = texts(settle(bot, user, seen, until="Alasan"))
    assert "Tanggal tidak sesuai" in told
    with sessions.begin() as s:
        reports = s.scalars(
            select(TrainingReport).join(Employee).where(Employee.telegram_user_id == user)
        )
        assert [r.status for r in reports] == [ReportStatus.REJECTED]


def test_a_file_too_large_is_refused_before_downloading(
    bot: EmulatorClient, sessions: sessionmaker[Session]
) -> None:
    user = 971_021
    _linked(sessions, user)
    since = _seq(bot)
    seen = _send(bot, user, "document", None, file_size=12 * 1024 * 1024, file_name="scan.pdf")
    assert "terlalu besar" in texts(settle(bot, user, seen, until="terlalu besar"))
    assert _get_files(bot, since) == []


def test_a_file_that_is_not_jpeg_png_or_pdf_is_refused(
    bot: EmulatorClient, sessions: sessionmaker[Session]
) -> None:
    user = 971_031
    _linked(sessions, user)
    zipped = b"PK\x03\x04" + b"\x00" * 300  # named and typed as a PDF, but it is not one
    seen = _send(
        bot, user, "document", zipped, file_name="sertifikat.pdf", mime_type="application/pdf"
    )
    assert "tidak bisa kami terima" in texts(settle(bot, user, seen, until="tidak bisa"))
    with sessions.begin() as s:
        assert s.scalar(select(StoredFile.id).where(StoredFile.size == len(zipped))) is None


def test_a_duplicate_file_is_recognised(
    bot: EmulatorClient, sessions: sessionmaker[Session]
) -> None:
    user, colleague = 971_041, 971_042
    _linked(sessions, user)
    _linked(sessions, colleague)
    certificate = PDF + b"% duplicate test\n"
    seen = _send(bot, user, "document", certificate, caption=CAPTION)
    [form] = settle(bot, user, seen, until="Kirim ke BKPSDM")
    number = _number(_confirm(bot, user, form, "Kirim"))
    seen = _send(bot, user, "document", certificate, file_name="lagi.pdf")
    again = texts(settle(bot, user, seen, until="sudah pernah"))
    assert f"laporan #{number}" in again
    seen = _send(bot, colleague, "document", certificate)
    other = texts(settle(bot, colleague, seen, until="sudah pernah"))
    assert "sudah pernah dilaporkan sebelumnya" in other
    assert f"#{number}" not in other  # nothing about a colleague's report


def test_an_unlinked_sender_is_invited_to_link(bot: EmulatorClient) -> None:
    user = 971_051
    since = _seq(bot)
    seen = _send(bot, user, "photo", JPEG, caption=CAPTION)
    assert "kode aktivasi" in texts(settle(bot, user, seen, until="aktivasi"))
    assert _get_files(bot, since) == []  # nothing downloaded for a stranger
    seen = last_id(bot, user)
    bot.send_command(user, "riwayat")
    assert "aktivasi" in texts(settle(bot, user, seen, until="aktivasi"))


def test_no_request_broke_the_bot_api_contract(bot: EmulatorClient) -> None:
    assert contract_breaches(bot) == []
