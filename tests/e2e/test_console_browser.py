"""The console in a real browser (Playwright on Debian's Chromium) with the real bot, Rasa model
and action server: a workshop created in the console and registered for through the bot shows
its registrant; a broadcast with a PDF (surat edaran) composed in the browser is delivered to
the emulator, which records the document. Screenshots go to docs/console/ when asked."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot

from asnkarier.models import OutboxMessage, Role, StoredFile, utcnow
from asnkarier.services import console_auth
from asnkarier.services.formatting import local
from scheduler.dispatcher import DispatchConfig, Dispatcher
from telegram_emulator.client import EmulatorClient
from telegram_emulator.runner import EmulatorServer
from tests.e2e.chatter import ask, buttons, press
from tests.e2e.stack import Stack, running_stack
from tests.factories import make_employee
from tests.web.browser_support import SCREENSHOTS, chromium, free_port, served
from tests.web.conftest import console_settings

OFFICER, EMPLOYEE, STAFF = 975_001, 975_002, (975_003, 975_004)  # this module's chat users
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
FAST = DispatchConfig(retry_base=0.05, retry_max=0.2, poll_interval=0.05, send_timeout=5.0)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n% Surat Edaran Nomor 800/12/BKPSDM\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="session")
def stack(
    e2e_db: tuple[str, sessionmaker[Session]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The shared stack, with more time for Rasa to load on a busy machine."""
    logs: Path = tmp_path_factory.mktemp("e2e-logs")
    with running_stack(e2e_db[0], logs, rasa_ready_seconds=900) as running:
        yield running


async def shot(page: Page, name: str) -> None:
    if os.environ.get("CONSOLE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _with_button(messages: list[dict[str, Any]], label: str) -> dict[str, Any] | None:
    """The latest message with a button whose label contains `label`."""
    return next(
        (m for m in reversed(messages) if any(label in b["text"] for b in buttons(m))), None
    )


def _link(sessions: sessionmaker[Session], base: str, employee_id: int) -> str:
    with sessions.begin() as s:
        token = console_auth.issue_link(
            s, employee_id, utcnow(), valid_minutes=10, per_hour=5, via="test"
        )
    return console_auth.link_url(base, token)


async def test_a_workshop_made_in_the_console_is_registered_for_through_the_bot(
    bot: EmulatorClient,
    emulator: EmulatorServer,
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    executable = chromium()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = console_settings(web_port=port, web_base_url=base)
    with sessions.begin() as s:
        officer = make_employee(s, chat_id=OFFICER, role=Role.HR_ADMIN, name="Rina Kusuma").id
        employee = make_employee(s, chat_id=EMPLOYEE, unit_code="DINKES", name="Sari Wulandari")
        employee_name = employee.name
        for n, chat in enumerate(STAFF):
            make_employee(s, chat_id=chat, unit_code="DPUPR", name=f"Staf DPUPR {n + 1}")
    for chat in (OFFICER, EMPLOYEE, *STAFF):
        bot.register_user(chat, first_name="Uji")
    title = "Klinik Nota Dinas Elektronik"
    starts = local(utcnow() + dt.timedelta(days=3), settings.default_timezone)
    async with served(settings, sessions), async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            context = await browser.new_context(viewport=DESKTOP, locale="id-ID")
            page = await context.new_page()
            await page.goto(_link(sessions, base, officer))
            await page.click("#tombol-masuk")
            await expect(page.locator("h1")).to_have_text("Beranda")

            # 1. The HR officer creates the workshop in the console.
            await page.goto(f"{base}/workshop/baru")
            await page.fill("#kode", "ws-nota-dinas")
            await page.fill("#judul", title)
            await page.fill("#mulai", f"{starts:%Y-%m-%dT09:00}")
            await page.fill("#kapasitas", "20")
            await page.fill("#lokasi", "Aula BKPSDM")
            await page.fill("#jp", "3")
            await page.select_option("#penyelenggara", "*")
            await shot(page, "workshop-baru")
            await page.click("#tombol-simpan")
            await expect(page.locator("#kursi")).to_have_text("0/20")
            workshop_url = page.url

            # 2. An employee asks the real bot (Rasa, actions) and registers.
            asked = await asyncio.to_thread(
                ask, bot, EMPLOYEE, "saya mau daftar workshop nota dinas", until=title
            )
            offer = _with_button(asked, title[:20])
            if offer is not None:  # a list to pick from (else the bot asks to confirm at once)
                asked = await asyncio.to_thread(press, bot, EMPLOYEE, offer, title[:20], until="Ya")
            confirm = _with_button(asked, "Ya")
            assert confirm is not None, [m.get("text") for m in asked]
            done = await asyncio.to_thread(press, bot, EMPLOYEE, confirm, "Ya", until="Terdaftar")
            assert any(title in (m.get("text") or "") for m in done)

            # 3. The console's registrant list shows them.
            await page.goto(workshop_url)
            await expect(page.locator("#pendaftar")).to_contain_text(employee_name)
            await expect(page.locator("#pendaftar")).to_contain_text("terdaftar")
            await expect(page.locator("#kursi")).to_have_text("1/20")
            await shot(page, "workshop-rincian")
            await page.goto(f"{base}/workshop")
            await shot(page, "workshop-daftar")

            # 4. A broadcast with a PDF composed in the browser, previewed, test-sent, sent.
            pdf = tmp_path / "Surat Edaran 800-12.pdf"
            pdf.write_bytes(PDF)
            await page.goto(f"{base}/pengumuman/baru")
            await page.fill("#teks", "Yth. {nama}, mohon pelajari surat edaran terlampir.")
            await page.select_option("#kunci", "unit")
            await page.select_option("#nilai", "DPUPR")
            await page.set_input_files("#lampiran-berkas", str(pdf))
            await expect(page.locator("#lampiran-terpilih")).to_contain_text("Surat Edaran 800-12")
            await expect(page.locator("#contoh-lampiran")).to_contain_text("Surat Edaran 800-12")
            await expect(page.locator("#contoh-pesan")).to_contain_text("Yth. Staf DPUPR 1,")
            await expect(page.locator("#jumlah-penerima")).to_have_text("2")
            await shot(page, "pengumuman-tulis-lampiran")
            await page.click("#tombol-uji")
            await expect(page.locator("#hasil-uji")).to_contain_text("Uji kirim masuk antrean")
            await page.click("#tombol-kirim")
            await expect(page.locator("#lampiran-pengumuman")).to_be_visible()
            with sessions() as s:
                broadcast_id = s.scalar(
                    select(OutboxMessage.broadcast_id).where(OutboxMessage.chat_id == STAFF[0])
                )
            async with Bot(emulator.token, base_url=emulator.base_url) as telegram:
                dispatcher = Dispatcher(sessions, telegram, FAST, name="browser-campaigns")
                async with asyncio.timeout(60):
                    await dispatcher.run(until_idle=True)
            assert dispatcher.stats.uploads == 1
            for chat in (*STAFF, OFFICER):
                [message] = [
                    m for m in bot.messages(chat) if m["method"] == "sendDocument"
                ]  # the emulator recorded the document, with the text as its caption
                assert message["message"]["document"]["file_name"] == "Surat Edaran 800-12.pdf"
                assert bot.file_content(message["message"]["document"]["file_id"]) == PDF
            assert bot.messages(OFFICER)[-1]["text"].startswith("[UJI KIRIM]")
            assert bot.messages(STAFF[0])[-1]["text"].startswith("Yth. Staf DPUPR 1, mohon")
            with sessions() as s:
                cached = s.scalar(
                    select(StoredFile.telegram_file_id).where(StoredFile.size == len(PDF))
                )
            assert cached is not None
            await page.goto(f"{base}/pengumuman/{broadcast_id}")
            await expect(page.locator("#status")).to_have_text("selesai", timeout=20_000)
            await expect(page.locator("#grafik-waktu")).to_contain_text("Terkirim: 2")
            await shot(page, "pengumuman-laporan-lampiran")
            phone = await (
                await browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True)
            ).new_page()
            await phone.goto(_link(sessions, base, officer))
            await phone.click("#tombol-masuk")
            await phone.goto(f"{base}/pengumuman/{broadcast_id}")
            await expect(phone.locator("#grafik-waktu")).to_be_visible()
            await shot(phone, "ponsel-laporan")
        finally:
            await browser.close()
