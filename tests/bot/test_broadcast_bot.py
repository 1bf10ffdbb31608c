"""HR announcements in Telegram (/umumkan, /laporan, "Sudah dibaca") with the real application
over real HTTP against the emulator."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from telegram import InlineKeyboardMarkup

from asnkarier.models import Broadcast, BroadcastStatus, OutboxMessage, Role, utcnow
from asnkarier.services import broadcasts
from asnkarier.services.formatting import tanggal_jam
from bot.handlers.broadcast import ASK_TEXT, READ_THANKS
from bot.handlers.hr import NOT_HR
from telegram_emulator import EmulatorServer
from telegram_emulator.client import AsyncEmulatorClient
from tests.bot.app_support import running_app
from tests.bot.emulator_support import server_fixture
from tests.factories import make_employee

_chats = itertools.count(4_500_001)


server = server_fixture(rate_limit=False)


async def last_message(tg: AsyncEmulatorClient, chat: int) -> dict[str, Any]:
    return (await tg.messages(chat))[-1]


async def press(tg: AsyncEmulatorClient, chat: int, label: str) -> dict[str, Any]:
    """Press a button of the bot's last message; return that message once it was edited."""
    message = await last_message(tg, chat)
    since = max(r["seq"] for r in await tg.requests())
    await tg.press(chat, message["message_id"], button=label)
    await tg.wait_for_requests("editMessageText", 1, timeout=10, since=since)
    return next(m for m in await tg.messages(chat) if m["message_id"] == message["message_id"])


async def say(tg: AsyncEmulatorClient, chat: int, text: str) -> dict[str, Any]:
    before = await tg.messages(chat)
    after = before[-1]["message_id"] if before else 0
    if text.startswith("/"):
        command, _, args = text[1:].partition(" ")
        await tg.send_command(chat, command, args or None, first_name="Uji")
    else:
        await tg.send_text(chat, text, first_name="Uji")
    [reply] = await tg.wait_for(chat, 1, timeout=10, after=after)
    return reply


def buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_hr_composes_previews_sends_and_reports(
    server: EmulatorServer, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    officer, employee, reader, elsewhere = (next(_chats) for _ in range(4))
    with sessions.begin() as s:
        make_employee(s, chat_id=officer, role=Role.HR_ADMIN, unit_code="BKPSDM")
        make_employee(s, chat_id=employee, unit_code="BKPSDM")
        reader_id = make_employee(s, chat_id=reader, unit_code="DINKES").id
        make_employee(s, chat_id=elsewhere, unit_code="DINKES")
        dinkes = broadcasts.count_recipients(s, {"unit": "DINKES"})
    async with server.async_client() as tg:
        await tg.reset()
        for chat in (officer, employee, reader, elsewhere):
            await tg.register_user(chat, first_name="Uji")
        async with running_app(server, engine) as app:
            assert (await say(tg, employee, "/umumkan"))["text"] == NOT_HR
            assert (await say(tg, employee, "/laporan 1"))["text"] == NOT_HR

            assert (await say(tg, officer, "/umumkan"))["text"] == ASK_TEXT
            question = await say(tg, officer, "Rapat koordinasi kepegawaian Jumat pukul 09.00.")
            assert buttons(question) == [
                "Semua pegawai",
                "Per unit kerja",
                "Per jenis jabatan",
                "Per golongan",
                "Batal",
            ]
            units = await press(tg, officer, "Per unit kerja")
            assert "DINKES" in buttons(units)
            preview = await press(tg, officer, "DINKES")
            assert "Rapat koordinasi kepegawaian" in preview["text"]
            assert f"Penerima: {dinkes} pegawai (unit kerja DINKES)" in preview["text"]
            assert buttons(preview) == ["Kirim sekarang", "Jadwalkan", "Batal"]
            done = await press(tg, officer, "Kirim sekarang")
            assert f"sedang dikirim ke {dinkes} pegawai" in done["text"]

            with sessions() as s:
                sent = s.scalars(select(Broadcast).order_by(Broadcast.id.desc())).first()
                assert sent is not None
                assert sent.segment == {"unit": "DINKES"}
                assert sent.status == BroadcastStatus.SENDING
                row = s.scalars(
                    select(OutboxMessage).where(
                        OutboxMessage.broadcast_id == sent.id, OutboxMessage.chat_id == reader
                    )
                ).one()
            report = await say(tg, officer, f"/laporan {sent.id}")
            assert f"Laporan pengumuman #{sent.id} (unit kerja DINKES)" in report["text"]
            assert f"Penerima: {dinkes}" in report["text"]
            assert buttons(report) == ["Perbarui"]

            # The dispatcher's message reaches the reader, who presses "Sudah dibaca".
            markup = InlineKeyboardMarkup.de_json(row.reply_markup, app.bot)
            message = await app.bot.send_message(reader, row.text, reply_markup=markup)
            since = max(r["seq"] for r in await tg.requests())
            await tg.press(reader, message.message_id, button="Sudah dibaca")
            await tg.wait_for_requests("editMessageReplyMarkup", 1, timeout=10, since=since)
            [answer] = [c for c in await tg.callbacks() if c["user_id"] == reader]
            assert answer["answer"]["text"] == READ_THANKS
            with sessions() as s:
                assert broadcasts.report(s, sent.id).read == 1
                assert s.get(OutboxMessage, row.id).read_at is not None  # type: ignore[union-attr]
            assert reader_id == row.employee_id

            refreshed = await press(tg, officer, "Perbarui")
            assert "Sudah dibaca: 1" in refreshed["text"]


async def test_hr_schedules_in_local_time_and_can_cancel(
    server: EmulatorServer, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    officer = next(_chats)
    with sessions.begin() as s:
        make_employee(s, chat_id=officer, role=Role.HR_ADMIN, unit_code="BKPSDM")
    async with server.async_client() as tg:
        await tg.reset()
        await tg.register_user(officer, first_name="Uji")
        async with running_app(server, engine):
            await say(tg, officer, "/umumkan")
            assert (await say(tg, officer, "/batal"))["text"].startswith(
                "Baik, pengumuman dibatalkan"
            )

            await say(tg, officer, "/umumkan")
            await say(tg, officer, "Libur bersama akhir tahun.")
            await press(tg, officer, "Semua pegawai")
            asked = await press(tg, officer, "Jadwalkan")
            assert "«besok 08.00»" in asked["text"]
            wrong = await say(tg, officer, "besok pagi")
            assert "tidak dapat dibaca" in wrong["text"]
            past = await say(tg, officer, "2020-01-01 08:00")
            assert "sudah lewat" in past["text"]
            day = (utcnow() + dt.timedelta(days=3)).astimezone(dt.timezone(dt.timedelta(hours=7)))
            typed = f"{day:%Y-%m-%d} 08:00"
            scheduled = await say(tg, officer, typed)
            when = dt.datetime.combine(day.date(), dt.time(1, 0))  # 08:00 WIB is 01:00 UTC
            assert f"dijadwalkan pada {tanggal_jam(when, 'Asia/Jakarta')}" in scheduled["text"]
            with sessions() as s:
                latest = s.scalars(select(Broadcast).order_by(Broadcast.id.desc())).first()
                assert latest is not None
                assert latest.status == BroadcastStatus.SCHEDULED
                assert latest.scheduled_at == dt.datetime.fromisoformat(f"{typed}+07:00")
            # (Start-up menus for officers of earlier tests may fail: their chats were reset.)
            refused = [
                r
                for r in await tg.requests()
                if r.get("status") == 400 and r["method"] != "setMyCommands"
            ]
            assert refused == [], refused[:3]
