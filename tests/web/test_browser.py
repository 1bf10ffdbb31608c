"""The console in a real browser (Playwright on Debian's Chromium), with the real bot on the
emulator and the real dispatcher: sign-in through the link the bot sent, expired and reused
links refused, a broadcast composed, refused approval by its author, approved by a second
officer, delivered, its report and export; a unit operator refused another unit's broadcast.
Screenshots of each page go to docs/console/."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import re
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot

from asnkarier.models import CompetencyHours, Role, UnitOperator, utcnow
from asnkarier.services import console_auth, support
from scheduler.dispatcher import DispatchConfig, Dispatcher
from telegram_emulator import EmulatorServer
from tests.bot.app_support import running_app
from tests.bot.emulator_support import server_fixture
from tests.factories import make_employee
from tests.web.browser_support import SCREENSHOTS, chromium, free_port, served
from tests.web.conftest import console_settings

server = server_fixture(rate_limit=False)
_chats = itertools.count(7_700_001)
FAST = DispatchConfig(retry_base=0.05, retry_max=0.2, poll_interval=0.05, send_timeout=5.0)
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


async def shot(page: Page, name: str, request: pytest.FixtureRequest) -> None:
    # Written only when asked (CONSOLE_SCREENSHOTS=1), so a test run leaves the checkout clean;
    # one set (the SQLite run): the pages are the same on PostgreSQL.
    if os.environ.get("CONSOLE_SCREENSHOTS") == "1" and "sqlite" in request.node.name:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def signed_in_page(browser: Browser, link: str, **context: Any) -> Page:
    options = {"viewport": DESKTOP, "locale": "id-ID", "accept_downloads": True, **context}
    page = await (await browser.new_context(**options)).new_page()
    await page.goto(link)
    await page.click("#tombol-masuk")
    await expect(page.locator("h1")).to_have_text("Beranda")
    return page


async def test_from_konsol_to_a_delivered_broadcast(
    server: EmulatorServer,
    engine: Engine,
    sessions: sessionmaker[Session],
    request: pytest.FixtureRequest,
) -> None:
    executable = chromium()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = console_settings(web_port=port, web_base_url=base)
    author_chat, second_chat, operator_chat = next(_chats), next(_chats), next(_chats)
    staff = [next(_chats) for _ in range(4)]  # over the test threshold of 3: four eyes
    with sessions.begin() as s:
        make_employee(s, chat_id=author_chat, role=Role.HR_ADMIN, name="Rina Kusuma")
        second = make_employee(s, chat_id=second_chat, role=Role.HR_ADMIN, name="Budi Santoso").id
        operator = make_employee(s, chat_id=operator_chat, unit_code="DINKES", name="Dewi Lestari")
        s.add(UnitOperator(employee_id=operator.id, unit_id=operator.unit_id))
        operator_id = operator.id
        for n, chat in enumerate(staff):
            done = make_employee(s, chat_id=chat, unit_code="BAPENDA", name=f"Staf Bapenda {n + 1}")
        s.add(  # the Beranda's JP chart shows one who has met the 20 JP
            CompetencyHours(
                employee_id=done.id,
                year=utcnow().year,
                jp=24,
                activity="Pelatihan Kepemimpinan",
                completed_on=utcnow().date(),
            )
        )
        for n in range(3):  # not linked yet: the bot cannot reach them
            make_employee(s, unit_code="BAPENDA" if n else "DINKES", name=f"Belum Tertaut {n}")
        bapenda_id = done.id
        ticket_id = support.open_ticket(
            s,
            telegram_user_id=staff[1],
            chat_id=staff[1],
            question="Apakah diklat daring dihitung untuk 20 JP?",
            employee_id=done.id - 2,
        )[0].id

    def link_for(employee_id: int, now: dt.datetime | None = None) -> str:
        with sessions.begin() as s:
            token = console_auth.issue_link(
                s, employee_id, now or utcnow(), valid_minutes=10, per_hour=5, via="test"
            )
        return console_auth.link_url(base, token)

    async with (
        server.async_client() as tg,
        served(settings, sessions),
        running_app(server, engine, web_base_url=base),
        async_playwright() as pw,
    ):
        await tg.reset()
        for chat in (author_chat, second_chat, operator_chat, *staff):
            await tg.register_user(chat, first_name="Uji")
        browser = await pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            # 1. The officer asks the bot for a link and opens it.
            await tg.send_command(author_chat, "konsol", first_name="Rina")
            [reply] = await tg.wait_for(author_chat, 1, timeout=15)
            match = re.search(rf"{re.escape(base)}/masuk/\S+", reply["text"])
            assert match, reply["text"]
            link = match.group(0)
            login = await (await browser.new_context(viewport=DESKTOP, locale="id-ID")).new_page()
            await login.goto(f"{base}/masuk")
            await shot(login, "masuk", request)
            author = await signed_in_page(browser, link)
            await shot(author, "beranda", request)

            # 2. The same link again, and an expired one, are refused.
            reused = await (await browser.new_context(viewport=DESKTOP, locale="id-ID")).new_page()
            await reused.goto(link)
            await shot(reused, "masuk-konfirmasi", request)
            await reused.click("#tombol-masuk")
            await expect(reused.locator("#pesan-galat")).to_contain_text("tidak berlaku")
            await shot(reused, "masuk-ditolak", request)
            expired = link_for(second, utcnow() - dt.timedelta(minutes=11))
            await reused.goto(expired)
            await reused.click("#tombol-masuk")
            await expect(reused.locator("#pesan-galat")).to_contain_text("tidak berlaku")

            # 3. Compose: the live count and preview come from htmx.
            await author.goto(f"{base}/pengumuman/baru")
            await author.fill("#teks", "Yth. {nama}, rapat koordinasi Senin pukul 09.00 di aula.")
            await author.select_option("#kunci", "unit")
            await author.select_option("#nilai", "BAPENDA")
            await expect(author.locator("#jumlah-penerima")).to_have_text("4")
            await expect(author.locator("#contoh-pesan")).to_contain_text("Yth. Staf Bapenda 1,")
            await shot(author, "pengumuman-tulis", request)
            await author.click("#tombol-kirim")
            await expect(author.locator("#menunggu")).to_be_visible()
            detail = author.url
            await author.click("#tombol-setujui")
            await expect(author.locator("#pesan-galat")).to_contain_text("empat mata")
            await shot(author, "pengumuman-tolak-setuju-sendiri", request)

            # 4. A second officer approves; the real dispatcher delivers to the emulator.
            approver = await signed_in_page(browser, link_for(second))
            await approver.goto(detail)
            await shot(approver, "pengumuman-menunggu", request)
            await approver.click("#tombol-setujui")
            await expect(approver.locator("#status")).to_have_text("sedang dikirim")
            async with Bot(server.token, base_url=server.base_url) as bot:
                async with asyncio.timeout(60):
                    await Dispatcher(sessions, bot, FAST, name="browser").run(until_idle=True)
            delivered = {
                int(r["chat_id"]): r["params"]["text"]
                for r in await tg.requests("sendMessage")
                if r["status"] == 200 and int(r["chat_id"]) in staff
            }
            assert delivered[staff[0]].startswith("Yth. Staf Bapenda 1, rapat")
            assert set(delivered) == set(staff)
            # The progress part polls every 2 s and shows the delivery without a reload.
            await expect(approver.locator("#n-terkirim")).to_have_text("4", timeout=15_000)
            await expect(approver.locator("#status")).to_have_text("selesai", timeout=20_000)
            await shot(approver, "pengumuman-laporan", request)
            async with approver.expect_download() as download_info:
                await approver.click("#unduh-csv")
            download = await download_info.value
            exported = (await download.path()).read_text(encoding="utf-8-sig")
            assert exported.splitlines()[0].startswith("NIP,Nama,Unit,Status")
            assert exported.count(",sent,") == 4
            await approver.goto(f"{base}/pengumuman")
            await shot(approver, "pengumuman-daftar", request)
            await approver.goto(f"{base}/audit")
            await expect(approver.locator("body")).to_contain_text("broadcast.approve")
            await shot(approver, "audit", request)

            # 5. Pegawai: masked until asked (audited).
            await approver.goto(f"{base}/pegawai?q=Staf")
            await expect(approver.locator("#baris-pegawai tr")).to_have_count(4)
            await shot(approver, "pegawai-daftar", request)
            await approver.goto(f"{base}/pegawai/{bapenda_id}")
            nip = (await approver.locator("#nip").inner_text()).strip()
            assert nip.startswith("*" * 14)
            await approver.click("#tombol-buka")
            await expect(approver.locator("#nip")).not_to_contain_text("*")
            await shot(approver, "pegawai-rincian", request)

            # 5b. Tiket: answered from the console.
            await approver.goto(f"{base}/tiket")
            await shot(approver, "tiket-daftar", request)
            await approver.click(f"text=#{ticket_id}")
            await approver.fill(
                "#jawaban-baru", "Ya, diklat daring dari katalog dihitung sesuai JP-nya."
            )
            await approver.click("#tombol-jawab")
            await expect(approver.locator("#jawaban")).to_contain_text("Balasan petugas BKPSDM")
            await shot(approver, "tiket-rincian", request)

            # 5c. Workshop: created in the console.
            await approver.goto(f"{base}/workshop/baru")
            await approver.fill("#kode", "ws-konsol-skp")
            await approver.fill("#judul", "Menyusun SKP yang Terukur")
            await approver.fill("#mulai", "2099-03-04T09:00")
            await approver.fill("#kapasitas", "25")
            await approver.fill("#lokasi", "Aula BKPSDM")
            await approver.fill("#jp", "4")
            await approver.click("#tombol-simpan")
            await expect(approver.locator("#kursi")).to_have_text("0/25")
            await shot(approver, "workshop-rincian", request)
            await approver.goto(f"{base}/workshop")
            await expect(approver.locator("body")).to_contain_text("ws-konsol-skp")
            await shot(approver, "workshop-daftar", request)

            # 6. A unit operator may open neither another unit's broadcast nor employee.
            operator_page = await signed_in_page(browser, link_for(operator_id))
            await operator_page.goto(detail)
            await expect(operator_page.locator("#pesan-galat")).to_contain_text("bukan milik unit")
            await shot(operator_page, "operator-ditolak", request)
            await operator_page.goto(f"{base}/pegawai/{bapenda_id}")
            await expect(operator_page.locator("#pesan-galat")).to_contain_text("bukan dari unit")

            # 7. On a phone.
            phone = await signed_in_page(browser, link_for(second), is_mobile=True)
            await phone.set_viewport_size(PHONE)
            await phone.goto(f"{base}/pengumuman/baru")
            await phone.fill("#teks", "Yth. {nama} di {unit}: mohon lengkapi SKP.")
            await expect(phone.locator("#contoh-pesan")).to_contain_text("mohon lengkapi SKP")
            await shot(phone, "ponsel-tulis", request)
        finally:
            await browser.close()
