"""Pengumuman in the console: live count and preview, placeholders, four eyes, unit scope,
delivery by the real dispatcher to the emulator, report and CSV/XLSX export, cancel, duplicate."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import itertools
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import Bot

from asnkarier.models import (
    Broadcast,
    BroadcastStatus,
    CompetencyHours,
    Employee,
    OutboxMessage,
    Unit,
)
from asnkarier.services import broadcasts, employees, promotion, workshops
from scheduler.dispatcher import DispatchConfig, Dispatcher
from telegram_emulator import EmulatorServer
from tests.bot.emulator_support import server_fixture
from tests.factories import make_employee, make_workshop
from tests.web.conftest import Console

server = server_fixture(rate_limit=False)
_chats = itertools.count(7_500_001)
FAST = DispatchConfig(retry_base=0.05, retry_max=0.2, poll_interval=0.05, send_timeout=5.0)


def _staff(console: Console, unit: str, count: int) -> list[int]:
    chats = [next(_chats) for _ in range(count)]
    with console.sessions.begin() as s:
        for chat in chats:
            make_employee(s, unit_code=unit, chat_id=chat, name=f"Pegawai {chat}")
    return chats


def _form(console: Console, **values: str) -> dict[str, str]:
    return {"csrf_token": console.csrf(), "kunci": "semua", "nilai": "", "aksi": "kirim", **values}


def _id(location: str) -> int:
    match = re.fullmatch(r"/pengumuman/(\d+)", location)
    assert match, location
    return int(match.group(1))


def test_live_count_preview_and_placeholders(console: Console) -> None:
    console.sign_in(console.officer())
    _staff(console, "DISPUSIP", 2)
    with console.sessions() as s:
        expected = broadcasts.count_recipients(s, {"unit": "DISPUSIP"})
    form = _form(console, teks="Yth. {nama} di {unit}", kunci="unit", nilai="DISPUSIP")
    part = console.client.post("/pratinjau".join(["/pengumuman", ""]), data=form)
    assert part.status_code == 200
    assert f'id="jumlah-penerima">{expected}<' in part.text
    assert "Yth. Pegawai " in part.text
    assert "Dinas Perpustakaan" in part.text or "di " in part.text
    bad = console.client.post("/pengumuman/pratinjau", data={**form, "teks": "Halo {nip}"})
    assert "{nip}" in bad.text
    assert "tidak dikenal" in bad.text
    refused = console.client.post("/pengumuman", data={**form, "teks": "Halo {nama"})
    assert refused.status_code == 422
    assert "tidak berpasangan" in refused.text


async def test_four_eyes_then_the_dispatcher_delivers_and_the_report_exports(
    console: Console, server: EmulatorServer
) -> None:
    author, second = console.officer(), console.officer()
    chats = _staff(console, "BAPENDA", 4)  # over the test threshold of 3
    async with server.async_client() as tg:
        await tg.reset()
        await asyncio.gather(*(tg.register_user(c, first_name="Uji") for c in chats))
        console.sign_in(author)
        form = _form(console, teks="Yth. {nama}, rapat pukul 09.00.", kunci="unit", nilai="BAPENDA")
        sent = console.client.post("/pengumuman", data=form, follow_redirects=False)
        assert sent.status_code == 303
        broadcast_id = _id(sent.headers["location"])
        page = console.client.get(f"/pengumuman/{broadcast_id}")
        assert "Menunggu persetujuan" in page.text
        own = console.client.post(
            f"/pengumuman/{broadcast_id}/setujui", data={"csrf_token": console.csrf()}
        )
        assert own.status_code == 403
        assert "empat mata" in own.text
        with console.sessions() as s:
            assert (
                s.scalar(select(OutboxMessage.id).where(OutboxMessage.broadcast_id == broadcast_id))
                is None
            )

        console.client.cookies.clear()
        console.sign_in(second)
        approved = console.client.post(
            f"/pengumuman/{broadcast_id}/setujui",
            data={"csrf_token": console.csrf()},
            follow_redirects=False,
        )
        assert approved.status_code == 303
        async with Bot(server.token, base_url=server.base_url) as bot:
            async with asyncio.timeout(60):
                await Dispatcher(console.sessions, bot, FAST, name="web-test").run(until_idle=True)
        received = {
            int(r["chat_id"]): r["params"]["text"]
            for r in await tg.requests("sendMessage")
            if r["status"] == 200
        }
        assert set(chats) <= set(received)
        assert received[chats[0]] == f"Yth. Pegawai {chats[0]}, rapat pukul 09.00."

    progress = console.client.get(f"/pengumuman/{broadcast_id}/progres").text
    assert 'id="n-terkirim">4<' in progress
    exported = console.client.get(f"/pengumuman/{broadcast_id}/laporan.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][0] == "NIP"
    assert len(rows) == 5
    assert all("*" in row[0] for row in rows[1:])  # NIPs masked
    assert {row[3] for row in rows[1:]} == {"sent"}
    book = load_workbook(
        io.BytesIO(console.client.get(f"/pengumuman/{broadcast_id}/laporan.xlsx").content)
    )
    sheet = book.active
    assert sheet is not None
    assert sheet.max_row == 5
    audit = console.client.get("/audit?aksi=broadcast.").text
    assert "broadcast.request_approval" in audit
    assert "broadcast.approve" in audit


def test_a_unit_operator_sees_and_sends_to_their_unit_only(console: Console) -> None:
    admin = console.officer()
    console.sign_in(admin)
    _staff(console, "BPKAD", 1)
    other = console.client.post(
        "/pengumuman",
        data=_form(console, teks="Untuk BPKAD", kunci="unit", nilai="BPKAD"),
        follow_redirects=False,
    )
    other_id = _id(other.headers["location"])
    console.client.cookies.clear()
    console.sign_in(console.officer(unit="DINKES", admin=False))
    assert console.client.get(f"/pengumuman/{other_id}").status_code == 403
    assert console.client.get(f"/pengumuman/{other_id}/laporan.csv").status_code == 403
    assert f"#{other_id}<" not in console.client.get("/pengumuman").text
    refused = console.client.post(
        "/pengumuman", data=_form(console, teks="Halo", kunci="unit", nilai="BPKAD")
    )
    assert refused.status_code == 422
    assert "hanya dapat mengirim ke unit DINKES" in refused.text
    everyone = console.client.post("/pengumuman", data=_form(console, teks="Halo"))
    assert everyone.status_code == 422
    own = console.client.post(
        "/pengumuman",
        data=_form(console, teks="Untuk DINKES", kunci="unit", nilai="DINKES"),
        follow_redirects=False,
    )
    assert own.status_code == 303
    assert console.client.get(own.headers["location"]).status_code == 200
    assert f"#{_id(own.headers['location'])}<" in console.client.get("/pengumuman").text
    assert (
        console.client.post(
            f"/pengumuman/{other_id}/batal", data={"csrf_token": console.csrf()}
        ).status_code
        == 403
    )


def test_schedule_cancel_duplicate_and_test_send(console: Console) -> None:
    officer = console.officer()
    console.sign_in(officer)
    form = _form(
        console, teks="Terjadwal {nama}", kunci="unit", nilai="SETWAN", waktu="2099-01-02T08:00"
    )
    scheduled = console.client.post("/pengumuman", data=form, follow_redirects=False)
    broadcast_id = _id(scheduled.headers["location"])
    with console.sessions() as s:
        row = s.get(Broadcast, broadcast_id)
        assert row is not None
        assert row.status == BroadcastStatus.SCHEDULED
    console.client.post(f"/pengumuman/{broadcast_id}/batal", data={"csrf_token": console.csrf()})
    with console.sessions() as s:
        row = s.get(Broadcast, broadcast_id)
        assert row is not None
        assert row.status == BroadcastStatus.CANCELLED
    copy = console.client.get(f"/pengumuman/baru?dari={broadcast_id}").text
    assert "Terjadwal {nama}</textarea>" in copy
    assert 'value="SETWAN" selected' in copy
    tested = console.client.post("/pengumuman", data={**form, "aksi": "uji"})
    assert "Uji kirim masuk antrean" in tested.text
    with console.sessions() as s:
        employee = console.employee(officer)
        unit = s.get(Unit, employee.unit_id)
        texts = s.scalars(
            select(OutboxMessage.text).where(OutboxMessage.chat_id == employee.telegram_chat_id)
        ).all()
    assert unit is not None
    assert f"[UJI KIRIM]\nTerjadwal {employee.name}" in texts
    past = console.client.post("/pengumuman", data={**form, "waktu": "2001-01-01T08:00"})
    assert past.status_code == 422


def test_dynamic_segments_count_through_their_own_rules(session: Session) -> None:
    year = 2026
    short, done = next(_chats), next(_chats)
    lacking = make_employee(session, chat_id=short)
    met = make_employee(session, chat_id=done)
    session.add(
        CompetencyHours(
            employee_id=met.id,
            year=year,
            jp=20,
            activity="Diklat",
            completed_on=dt.date(year, 3, 1),
        )
    )
    workshop = make_workshop(session, capacity=1)
    workshops.register(session, lacking.id, workshop.id)
    workshops.register(session, met.id, workshop.id)  # waitlisted: still registered for it
    session.flush()

    def ids(segment: dict[str, str]) -> set[int]:
        found = session.execute(broadcasts._recipients(session, segment))
        return {row[0] for row in found}

    under = ids(broadcasts.normalize_segment(session, {"jp_kurang": str(year)}))
    assert lacking.id in under
    assert met.id not in under
    assert ids({"workshop": workshop.code}) >= {lacking.id, met.id}
    assert ids({"workshop": workshop.code}) == {lacking.id, met.id}
    period = promotion.upcoming_periods(session, dt.date(year, 1, 1))[0]
    eligible = ids(broadcasts.normalize_segment(session, {"naik_pangkat": str(period.id)}))
    expected = set(
        session.scalars(
            select(Employee.id).where(
                promotion.eligible_for_period(session, period), employees.reachable()
            )
        )
    )
    assert eligible == expected
    with pytest.raises(broadcasts.BroadcastError):
        broadcasts.normalize_segment(session, {"workshop": "tidak-ada"})
    with pytest.raises(broadcasts.BroadcastError):
        broadcasts.normalize_segment(session, {"jp_kurang": "20x6"})


def test_sending_never_fails_on_braces_the_console_would_refuse(session: Session) -> None:
    chat = next(_chats)
    employee = make_employee(session, chat_id=chat, name="Ibu Kurawal")
    now = dt.datetime.now(dt.UTC)
    made = broadcasts.create(
        session, text="Hai {nama}, kode {X} tetap.", segment={"unit": employee.unit.code}, now=now
    )
    broadcasts.materialize(session, made.id, now)
    text = session.scalar(
        select(OutboxMessage.text).where(
            OutboxMessage.broadcast_id == made.id, OutboxMessage.chat_id == chat
        )
    )
    assert text == "Hai Ibu Kurawal, kode {X} tetap."
