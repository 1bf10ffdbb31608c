"""A surat edaran with a broadcast in the console: upload (type by magic bytes, 10 MB), preview,
outbox rows carrying it, test send with it, delivery to the emulator; the report's chart."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import re

from sqlalchemy import select, update
from telegram import Bot

from asnkarier.models import AuditLog, Broadcast, OutboxMessage, OutboxStatus
from asnkarier.services import broadcasts, files
from scheduler.dispatcher import DispatchConfig, Dispatcher
from telegram_emulator import EmulatorServer
from tests.bot.emulator_support import server_fixture
from tests.bot.test_emulator_files import PDF, png
from tests.factories import make_employee
from tests.web.conftest import Console

server = server_fixture(rate_limit=False)
_chats = itertools.count(7_560_001)
FAST = DispatchConfig(retry_base=0.05, retry_max=0.2, poll_interval=0.05, send_timeout=5.0)
SHA = re.compile(r'name="lampiran" value="([0-9a-f]{64})"')


def _staff(console: Console, unit: str, count: int) -> list[int]:
    chats = [next(_chats) for _ in range(count)]
    with console.sessions.begin() as s:
        for chat in chats:
            make_employee(s, unit_code=unit, chat_id=chat, name=f"Pegawai {chat}")
    return chats


def _upload(console: Console, content: bytes, name: str) -> tuple[int, str, dict[str, str]]:
    response = console.client.post(
        "/pengumuman/lampiran",
        files={"lampiran_berkas": (name, content, "application/octet-stream")},
        headers={"X-CSRF-Token": console.csrf(), "HX-Request": "true"},
    )
    return response.status_code, response.text, dict(response.headers)


def test_upload_checks_the_bytes_and_names_the_file_by_its_hash(console: Console) -> None:
    console.sign_in(console.officer())
    status, text, _ = _upload(console, b"MZ\x90\x00 not a pdf", "surat.pdf")
    assert status == 200
    assert "PDF atau gambar JPEG/PNG" in text
    assert 'name="lampiran"' not in text
    _status, text, _ = _upload(console, b"%PDF-" + b"0" * files.MAX_BYTES, "besar.pdf")
    assert "maksimal 10 MB" in text
    _status, text, headers = _upload(console, PDF, "C:\\Dokumen\\Surat Edaran 12.pdf")
    match = SHA.search(text)
    assert match
    assert match.group(1) == files.digest(PDF)
    assert "Surat Edaran 12.pdf" in text  # the client's folder dropped
    # After the swap: the preview must read the form with the new hidden field in it.
    assert headers["hx-trigger-after-swap"] == "lampiran-berubah"
    served = console.client.get(f"/pengumuman/lampiran/{match.group(1)}")
    assert served.content == PDF
    assert served.headers["content-type"] == "application/pdf"
    assert console.client.get(f"/pengumuman/lampiran/{'0' * 64}").status_code == 404
    assert console.client.get("/pengumuman/lampiran/bukan-hash").status_code == 404
    # Without a CSRF token nothing is stored.
    refused = console.client.post(
        "/pengumuman/lampiran", files={"lampiran_berkas": ("x.png", png(4, 4), "image/png")}
    )
    assert refused.status_code == 403


def test_preview_shows_the_file_and_whether_the_text_is_its_caption(console: Console) -> None:
    console.sign_in(console.officer())
    _staff(console, "DISPUSIP", 1)
    _status, text, _ = _upload(console, png(30, 20), "poster.png")
    digest = SHA.search(text).group(1)  # type: ignore[union-attr]
    base = {"csrf_token": console.csrf(), "kunci": "unit", "nilai": "DISPUSIP"}
    short = console.client.post(
        "/pengumuman/pratinjau", data={**base, "teks": "Yth. {nama}", "lampiran": digest}
    ).text
    assert f'src="/pengumuman/lampiran/{digest}"' in short
    assert 'class="caption" id="contoh-pesan">Yth. Pegawai' in short
    assert "catatan-keterangan" not in short
    long = console.client.post(
        "/pengumuman/pratinjau", data={**base, "teks": "Panjang. " * 150, "lampiran": digest}
    ).text
    assert "catatan-keterangan" in long
    missing = console.client.post(
        "/pengumuman/pratinjau", data={**base, "teks": "Halo", "lampiran": "f" * 64}
    ).text
    assert "unggah ulang" in missing


async def test_a_broadcast_with_a_pdf_reaches_the_emulator_and_its_report_has_a_chart(
    console: Console, server: EmulatorServer
) -> None:
    officer = console.officer()
    chats = _staff(console, "BAPPEDA", 3)
    async with server.async_client() as tg:
        await tg.reset()
        await asyncio.gather(*(tg.register_user(c, first_name="Uji") for c in chats))
        own_chat = console.employee(officer).telegram_chat_id
        assert own_chat is not None
        await tg.register_user(own_chat, first_name="Petugas")
        console.sign_in(officer)
        _status, text, _ = _upload(console, PDF + b"% edaran\n", "edaran.pdf")
        digest = SHA.search(text).group(1)  # type: ignore[union-attr]
        form = {
            "csrf_token": console.csrf(),
            "teks": "Yth. {nama}, mohon baca surat edaran terlampir.",
            "kunci": "unit",
            "nilai": "BAPPEDA",
            "lampiran": digest,
        }
        test = console.client.post("/pengumuman", data={**form, "aksi": "uji"})
        assert "Uji kirim masuk antrean" in test.text
        sent = console.client.post(
            "/pengumuman", data={**form, "aksi": "kirim"}, follow_redirects=False
        )
        assert sent.status_code == 303, sent.text
        broadcast_id = int(sent.headers["location"].rsplit("/", 1)[1])
        with console.sessions() as s:
            broadcast = s.get(Broadcast, broadcast_id)
            assert broadcast is not None
            assert broadcast.attachment_kind == "document"
            rows = list(
                s.scalars(select(OutboxMessage).where(OutboxMessage.employee_id.is_not(None)))
            )
            carried = {(r.attachment_file_id, r.attachment_kind) for r in rows}
            assert carried == {(broadcast.attachment_file_id, "document")}
            details = s.scalar(select(AuditLog.details).where(AuditLog.action == "broadcast.send"))
            assert details["attachment"]["name"] == "edaran.pdf"
        async with Bot(server.token, base_url=server.base_url) as bot:
            async with asyncio.timeout(60):
                await Dispatcher(console.sessions, bot, FAST, name="web").run(until_idle=True)
        documents = [r for r in await tg.requests("sendDocument") if r["status"] == 200]
        assert sorted(int(r["chat_id"]) for r in documents) == sorted([*chats, own_chat])
        assert sum(isinstance(r["params"]["document"], dict) for r in documents) == 1
        test_message = (await tg.messages(own_chat))[-1]
        assert test_message["text"].startswith("[UJI KIRIM]\nYth. ")
        assert test_message["message"]["document"]["file_name"] == "edaran.pdf"

    page = console.client.get(f"/pengumuman/{broadcast_id}").text
    assert 'id="lampiran-pengumuman"' in page
    assert "edaran.pdf" in page
    assert 'id="grafik-waktu"' in page
    assert "Terkirim: 3" in page
    # Duplicating keeps the attachment.
    again = console.client.get(f"/pengumuman/baru?dari={broadcast_id}").text
    assert f'name="lampiran" value="{digest}"' in again


def test_a_file_sent_with_the_form_itself_is_attached_without_htmx(console: Console) -> None:
    console.sign_in(console.officer())
    _staff(console, "DPUPR", 1)
    sent = console.client.post(
        "/pengumuman",
        data={"csrf_token": console.csrf(), "teks": "Edaran", "kunci": "unit", "nilai": "DPUPR"},
        files={"lampiran_berkas": ("foto.png", png(10, 10), "image/png")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    bad = console.client.post(
        "/pengumuman",
        data={"csrf_token": console.csrf(), "teks": "Edaran", "kunci": "unit", "nilai": "DPUPR"},
        files={"lampiran_berkas": ("surat.pdf", b"<html>", "application/pdf")},
    )
    assert bad.status_code == 422
    assert "PDF atau gambar" in bad.text
    with console.sessions() as s:
        kinds = set(s.scalars(select(OutboxMessage.attachment_kind)))
    assert "photo" in kinds


def test_the_timeline_counts_sent_read_and_failed_per_bucket(console: Console) -> None:
    _staff(console, "KEC-SUKAMAJU-UTARA", 4)
    start = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)
    with console.sessions.begin() as s:
        now = dt.datetime.now(dt.UTC)
        created = broadcasts.create(
            s, text="Uji grafik", segment={"unit": "KEC-SUKAMAJU-UTARA"}, now=now
        )
        broadcasts.materialize(s, created.id, now)
        ids = list(
            s.scalars(select(OutboxMessage.id).where(OutboxMessage.broadcast_id == created.id))
        )
        minute = dt.timedelta(minutes=1)
        sent, failed = OutboxStatus.SENT, OutboxStatus.FAILED
        times = [  # sent at minute 0, 0, 2; read at minute 3; one failed at minute 1
            {"status": sent, "sent_at": start, "read_at": start + 3 * minute},
            {"status": sent, "sent_at": start + minute / 2},
            {"status": sent, "sent_at": start + 2 * minute},
            {"status": failed, "failure_reason": "blocked", "failed_at": start + minute},
        ]
        for row_id, values in zip(ids, times, strict=True):
            s.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))
        broadcast_id = created.id
    with console.sessions() as s:
        minutes = broadcasts.timeline(s, broadcast_id)
    assert minutes is not None
    assert minutes.unit == "menit"
    assert minutes.starts[0] == start
    assert len(minutes.starts) == 4
    assert minutes.sent == [2, 0, 1, 0]
    assert minutes.read == [0, 0, 0, 1]
    assert minutes.failed == [0, 1, 0, 0]
    assert minutes.cumulative["sent"] == [2, 2, 3, 3]
    # A read two days later: per hour.
    with console.sessions.begin() as s:
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[1])
            .values(read_at=start + dt.timedelta(days=2, minutes=5))
        )
    with console.sessions() as s:
        hours = broadcasts.timeline(s, broadcast_id)
    assert hours is not None
    assert hours.unit == "jam"
    assert len(hours.starts) == 49
    assert hours.sent[0] == 3
    assert sum(hours.read) == 2
    assert hours.read[-1] == 1
