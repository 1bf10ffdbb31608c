"""`asnbot broadcast send/report/cancel` as HR runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from asnkarier import db
from asnkarier.models import Broadcast, BroadcastStatus, OutboxMessage, utcnow
from asnkarier.services import broadcasts, outbox
from asnkarier.services.seed import migrate_and_seed
from tests.cli.test_cli import ASNBOT
from tests.conftest import DATA, ROOT
from tests.factories import make_employee

_chats = itertools.count(820_000_001)


def run(url: str, *args: str, answer: str = "") -> subprocess.CompletedProcess[str]:
    """The real `asnbot`, with `answer` typed at its prompts (never the test's own stdin)."""
    env = {**os.environ, "DATABASE_URL": url, "COLUMNS": "200", "DEFAULT_TIMEZONE": "Asia/Jakarta"}
    return subprocess.run(
        [str(ASNBOT), *args],
        input=answer,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


@pytest.fixture
def url(fresh_db_url: str) -> str:
    """A seeded database with three linked employees in BKPSDM and one in DINKES."""
    migrate_and_seed(fresh_db_url, DATA)
    engine = db.make_engine(fresh_db_url)
    with db.make_sessionmaker(engine).begin() as session:
        for unit in ("BKPSDM", "BKPSDM", "BKPSDM", "DINKES"):
            chat = next(_chats)
            make_employee(
                session, unit_code=unit, chat_id=chat, nip=f"19850505201001{chat % 10_000:04d}"
            )
    engine.dispose()
    return fresh_db_url


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    path = tmp_path / "pengumuman.txt"
    path.write_text("Yth. Bapak/Ibu, apel pagi Senin pukul 07.30 di halaman kantor.\n")
    return path


def outbox_count(url: str) -> int:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
    finally:
        engine.dispose()


def test_send_now_enqueues_one_message_per_recipient(url: str, text_file: Path) -> None:
    sent = run(
        url, "broadcast", "send", "--text-file", str(text_file), "--segment", "unit=bkpsdm", "--yes"
    )
    assert sent.returncode == 0, sent.stderr
    assert "Penerima: 3 pegawai (unit kerja BKPSDM)" in sent.stdout
    assert "Pengumuman #1: 3 pesan masuk antrean" in sent.stdout
    assert outbox_count(url) == 3

    report = run(url, "broadcast", "report", "1")
    assert report.returncode == 0, report.stderr
    rows = [line.replace("│", " ").split() for line in report.stdout.splitlines()]
    assert ["penerima", "3"] in rows
    assert ["terkirim", "0"] in rows
    assert ["status", "sending"] in rows


def test_report_watch_follows_until_done(url: str, text_file: Path) -> None:
    assert run(url, "broadcast", "send", "--text-file", str(text_file), "--yes").returncode == 0
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine).begin() as session:  # a dispatcher's work, done at once
        now = utcnow()
        claimed = outbox.claim(session, "test", now, 100)
        outbox.record(
            session,
            [outbox.SendOutcome(c.id, sent_message_id=i + 1) for i, c in enumerate(claimed[1:])]
            + [outbox.SendOutcome(claimed[0].id, reason="blocked", error="Forbidden")],
            now,
        )
        broadcasts.finish_done(session, now)
    engine.dispose()
    watched = run(url, "broadcast", "report", "1", "--watch", "--interval", "0.2")
    assert watched.returncode == 0, watched.stderr
    assert "4/4 diproses" in watched.stdout
    assert "blocked" in watched.stdout


def test_schedule_in_local_time(url: str, text_file: Path) -> None:
    when = (utcnow() + dt.timedelta(days=2)).astimezone(dt.timezone(dt.timedelta(hours=7)))
    local = when.strftime("%Y-%m-%d 08:00")
    result = run(url, "broadcast", "send", "--text-file", str(text_file), "--at", local, "--yes")
    assert result.returncode == 0, result.stderr
    assert "dijadwalkan pada" in result.stdout
    assert outbox_count(url) == 0  # the scheduler materializes it when due
    engine = db.make_engine(url)
    with engine.connect() as conn:
        status, at = conn.execute(select(Broadcast.status, Broadcast.scheduled_at)).one()
    engine.dispose()
    assert status == BroadcastStatus.SCHEDULED
    assert at == dt.datetime.fromisoformat(f"{local}+07:00")  # DEFAULT_TIMEZONE is WIB

    cancelled = run(url, "broadcast", "cancel", "1")
    assert cancelled.returncode == 0
    assert "dibatalkan" in cancelled.stdout


BAD_INPUT = [
    (["--segment", "unit=TIDAKADA"], "Unit kerja «TIDAKADA» tidak ditemukan"),
    (["--segment", "golongan=V/z"], "Golongan «V/z» tidak dikenal"),
    (["--segment", "eselon=2"], "tidak dikenal"),
    (["--at", "besok pagi"], "Waktu «besok pagi» tidak dapat dibaca"),
    (["--at", "2020-01-01 08:00"], "sudah lewat"),
]


def test_bad_input_is_a_clear_error(url: str, text_file: Path, tmp_path: Path) -> None:
    for args, message in BAD_INPUT:
        result = run(url, "broadcast", "send", "--text-file", str(text_file), *args, "--yes")
        assert result.returncode == 2, args
        assert message in result.stderr, args
    empty = tmp_path / "kosong.txt"
    empty.write_text("  \n")
    result = run(url, "broadcast", "send", "--text-file", str(empty), "--yes")
    assert result.returncode == 2
    assert "Teks pengumuman kosong" in result.stderr
    missing = run(url, "broadcast", "send", "--text-file", str(tmp_path / "nope.txt"), "--yes")
    assert missing.returncode == 2
    assert "tidak dapat dibaca" in missing.stderr
    unknown = run(url, "broadcast", "report", "99")
    assert unknown.returncode == 1
    assert "Pengumuman #99 tidak ditemukan" in unknown.stderr
    assert outbox_count(url) == 0


def test_without_yes_it_asks_and_a_no_sends_nothing(url: str, text_file: Path) -> None:
    result = run(url, "broadcast", "send", "--text-file", str(text_file), answer="n\n")
    assert result.returncode == 1
    assert "tidak ada yang dikirim" in result.stderr
    assert "Penerima: 4 pegawai (semua pegawai)" in result.stdout
    assert outbox_count(url) == 0


def test_schedule_as_officers_write_it_and_a_unit_by_name(url: str, text_file: Path) -> None:
    result = run(
        url,
        "broadcast",
        "send",
        "--text-file",
        str(text_file),
        "--segment",
        "unit=Dinas Kesehatan",
        "--at",
        "besok jam 8 pagi",
        "--yes",
    )
    assert result.returncode == 0, result.stderr
    assert "Penerima: 1 pegawai (unit kerja DINKES)" in result.stdout
    tomorrow = (
        utcnow().astimezone(dt.timezone(dt.timedelta(hours=7))) + dt.timedelta(days=1)
    ).date()
    engine = db.make_engine(url)
    with engine.connect() as conn:
        at = conn.execute(select(Broadcast.scheduled_at)).scalar_one()
    engine.dispose()
    assert at == dt.datetime.combine(tomorrow, dt.time(8), dt.timezone(dt.timedelta(hours=7)))


def test_scheduling_to_nobody_warns_and_asks_first(url: str, text_file: Path) -> None:
    args = ["--text-file", str(text_file), "--segment", "unit=SETWAN", "--at", "besok 08.00"]
    refused = run(url, "broadcast", "send", *args, answer="n\n")
    assert refused.returncode == 1
    assert "Peringatan" in refused.stderr
    assert "belum punya penerima" in refused.stderr
    assert "Tetap jadwalkan?" in refused.stdout
    engine = db.make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Broadcast)).scalar_one() == 0
    engine.dispose()
    kept = run(url, "broadcast", "send", *args, answer="y\n")
    assert kept.returncode == 0, kept.stderr
    assert "dijadwalkan pada" in kept.stdout


def test_send_with_an_attachment_puts_the_file_on_every_message(
    url: str, text_file: Path, tmp_path: Path
) -> None:
    pdf = tmp_path / "surat-edaran.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% surat edaran\n%%EOF\n")
    sent = run(
        url, "broadcast", "send", "--text-file", str(text_file), "--attachment", str(pdf), "--yes"
    )
    assert sent.returncode == 0, sent.stderr
    assert "Lampiran: surat-edaran.pdf" in sent.stdout
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            kinds = conn.execute(select(OutboxMessage.attachment_kind)).scalars().all()
            broadcast = conn.execute(select(Broadcast.attachment_file_id)).scalar_one()
        assert kinds == ["document"] * 4
        assert broadcast is not None
    finally:
        engine.dispose()
    html = tmp_path / "surat.pdf"
    html.write_text("<html>bukan pdf</html>")
    refused = run(
        url, "broadcast", "send", "--text-file", str(text_file), "--attachment", str(html), "--yes"
    )
    assert refused.returncode != 0
    assert "PDF atau gambar" in refused.stderr
    assert outbox_count(url) == 4
