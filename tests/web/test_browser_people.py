"""Pegawai pages in a real browser (Playwright on Debian's Chromium): a roster upload with bad
rows (strict mode imports nothing; the good rows import after the preview), the activation sheet
of a unit with its QR cards, and a training report approved from its page. Screenshots of each
page (office PC and phone width) go to docs/console/ with CONSOLE_SCREENSHOTS=1."""

from __future__ import annotations

import io
import os
from typing import Any

import pytest
from PIL import Image, ImageDraw
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import Employee, OutboxMessage, Role, utcnow
from asnkarier.services import console_auth, files, training_reports
from tests.factories import make_employee
from tests.web.browser_support import SCREENSHOTS, chromium, free_port, served
from tests.web.conftest import console_settings

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
HEADER = "nip,nama,unit_kerja,jabatan,golongan,no_hp"
GOOD = [
    "198604042011012001,Ani Lestari,Dinas Uji Peramban,Analis Kepegawaian,III/b,081234567001",
    "198604042011011002,Bayu Pratama,Dinas Uji Peramban,Pengadministrasi Umum,II/c,",
]
BAD = [
    "198604042011011002,Bayu Ganda,Dinas Uji Peramban,Pengadministrasi Umum,II/c,",  # twice
    "19860404201101,Cici Salah NIP,Dinas Uji Peramban,Pengadministrasi Umum,II/c,",
    "198604042011012004,Dedi <b>Tebal</b>,Dinas Uji Peramban,Pengadministrasi Umum,IX/z,",
    '198604042011012005,"=HYPERLINK(""http://contoh.invalid"")",Dinas Uji Peramban,Staf,II/a,',
]


async def shot(page: Page, name: str, request: pytest.FixtureRequest) -> None:
    if os.environ.get("CONSOLE_SCREENSHOTS") == "1" and "sqlite" in request.node.name:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def signed_in(browser: Browser, link: str, **context: Any) -> Page:
    options = {"viewport": DESKTOP, "locale": "id-ID", "accept_downloads": True, **context}
    page = await (await browser.new_context(**options)).new_page()
    await page.goto(link)
    await page.click("#tombol-masuk")
    await expect(page.locator("h1")).to_have_text("Beranda")
    return page


def certificate() -> bytes:
    image = Image.new("RGB", (900, 620), (250, 247, 236))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 880, 600), outline=(140, 110, 40), width=6)
    for y, text in (
        (90, "SERTIFIKAT"),
        (170, "diberikan kepada"),
        (230, "Rahma Wulandari"),
        (320, "Pelatihan Analisis Beban Kerja"),
        (380, "5-7 Oktober 2026, 24 JP"),
        (520, "BPSDM Provinsi"),
    ):
        draw.text((360, y), text, fill=(40, 40, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def test_roster_upload_with_bad_rows_activation_sheet_and_report(
    sessions: sessionmaker[Session], request: pytest.FixtureRequest, tmp_path: Any
) -> None:
    executable = chromium()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = console_settings(
        web_port=port, web_base_url=base, telegram_bot_username="AsistenKarierASN_bot"
    )
    with sessions.begin() as s:
        admin = make_employee(s, chat_id=974_901, role=Role.HR_ADMIN, name="Rina Kusuma").id
        reporter = make_employee(s, unit_code="DINKES", chat_id=974_902, name="Rahma Wulandari")
        for name in ("Agus Salim", "Bunga Citra", "Candra Wijaya"):
            make_employee(s, unit_code="DINKES", name=name)
        stored = files.store(s, files.check(certificate()), "sertifikat.png")
        report_id = training_reports.create(
            s,
            reporter,
            stored.id,
            {
                "title": "Pelatihan Analisis Beban Kerja",
                "provider": "BPSDM Provinsi",
                "start": "2026-10-05",
                "end": "2026-10-07",
                "jp": 24,
            },
        ).id
        reporter_id = reporter.id

    def link() -> str:
        with sessions.begin() as s:
            token = console_auth.issue_link(
                s, admin, utcnow(), valid_minutes=10, per_hour=50, via="test"
            )
        return console_auth.link_url(base, token)

    roster = tmp_path / "roster-dinas-uji.csv"
    roster.write_text("\n".join([HEADER, *GOOD, *BAD]) + "\n", encoding="utf-8")

    def imported() -> int:
        with sessions() as s:
            return (
                s.scalar(
                    select(func.count()).where(Employee.name.in_(["Ani Lestari", "Bayu Pratama"]))
                )
                or 0
            )

    async with served(settings, sessions), async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = await signed_in(browser, link())
            # 1. Roster upload with bad rows, strict: the rows are listed, nothing imported.
            await page.goto(f"{base}/pegawai")
            await page.click("#ke-impor")
            await expect(page.locator("h1")).to_have_text("Impor pegawai")
            await page.set_input_files("#berkas", str(roster))
            await page.check("#ketat")
            await page.click("#tombol-periksa")
            await expect(page.locator("#status-impor")).to_contain_text("Mode ketat")
            errors = page.locator("#tabel-galat tbody tr")
            await expect(errors).to_have_count(3)
            await expect(errors.nth(0)).to_contain_text("NIP ganda: sudah ada di baris 3")
            await expect(page.locator("#tabel-galat")).to_contain_text("NIP harus 18 digit")
            await expect(page.locator("#tabel-galat")).to_contain_text("IX/z")
            await expect(page.locator("#tabel-peringatan")).to_contain_text("rumus spreadsheet")
            await expect(page.locator("#tombol-impor")).to_have_count(0)
            await expect(page.locator("#tabel-galat b")).to_have_count(0)  # "<b>" stays text
            await shot(page, "pegawai-impor-ditolak", request)
            assert imported() == 0

            # 2. Not strict: the preview offers the good rows, "Impor" writes them.
            await page.set_input_files("#berkas", str(roster))
            await page.uncheck("#ketat")
            await page.click("#tombol-periksa")
            await expect(page.locator("#jumlah-baru")).to_have_text("3")
            assert imported() == 0
            await page.click("#tombol-impor")
            await expect(page.locator("#status-impor")).to_contain_text("Impor selesai")
            await shot(page, "pegawai-impor-selesai", request)
            assert imported() == 2

            # 3. Activation: who has linked in DINKES, then the printable sheet (new tab).
            await page.goto(f"{base}/pegawai/aktivasi?unit=DINKES")
            await expect(page.locator("#jumlah-belum")).to_have_text("3")
            await shot(page, "aktivasi-unit", request)
            async with page.context.expect_page() as opened:
                await page.click("#tombol-lembar")
            sheet = await opened.value
            await expect(sheet.locator(".code-card")).to_have_count(3)
            await expect(sheet.locator("svg.qr")).to_have_count(3)
            await shot(sheet, "aktivasi-lembar", request)
            await sheet.emulate_media(media="print")
            await expect(sheet.locator("header.top")).to_be_hidden()
            await shot(sheet, "aktivasi-lembar-cetak", request)

            # 4. A training report: the certificate inline, approved with fewer JP.
            await page.goto(f"{base}/laporan-pelatihan")
            await shot(page, "laporan-pelatihan-daftar", request)
            await page.click(f"text=#{report_id}")
            image = page.locator("#gambar-sertifikat")
            await expect(image).to_be_visible()
            assert await image.evaluate("img => img.naturalWidth") == 900
            await shot(page, "laporan-pelatihan-rincian", request)
            await page.fill("#jp", "20")
            await page.click("#tombol-setujui")
            await expect(page.locator("#pesan-berhasil")).to_contain_text("diberi tahu")
            await expect(page.locator("#status-laporan")).to_contain_text("disetujui")
            with sessions() as s:
                notice = s.scalar(
                    select(OutboxMessage.text).where(OutboxMessage.employee_id == reporter_id)
                )
            assert notice is not None
            assert "20 JP" in notice

            # 5. Phone width: the upload report and the sheet stay readable.
            phone = await signed_in(browser, link(), viewport=PHONE, is_mobile=True)
            await phone.goto(f"{base}/pegawai/impor")
            await phone.set_input_files("#berkas", str(roster))
            await phone.check("#ketat")
            await phone.click("#tombol-periksa")
            await expect(phone.locator("#tabel-galat tbody tr")).to_have_count(3)
            await shot(phone, "ponsel-impor", request)
            await phone.goto(f"{base}/pegawai/aktivasi?unit=DINKES")
            await shot(phone, "ponsel-aktivasi", request)
        finally:
            await browser.close()
