"""The broadcast composer in a real browser when the network is slow: the preview shows the
attachment chosen, however the upload and the preview requests interleave."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from playwright.async_api import Route, async_playwright, expect
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import Role, utcnow
from asnkarier.services import console_auth
from tests.factories import make_employee
from tests.web.browser_support import chromium, free_port, served
from tests.web.conftest import console_settings

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n% Surat Edaran Nomor 800/12/BKPSDM\ntrailer<<>>\n%%EOF\n"
_chats = itertools.count(7_760_001)


async def test_the_preview_shows_an_attachment_whose_upload_is_slower_than_the_preview(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    # On a slow line the preview of the form's `change` returns before the upload does; the
    # preview that follows the upload must then read the form with the attachment in it.
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with sessions.begin() as s:
        officer = make_employee(s, chat_id=next(_chats), role=Role.HR_ADMIN, name="Rina").id
        for n in range(2):
            make_employee(s, chat_id=next(_chats), unit_code="DPUPR", name=f"Staf DPUPR {n}")
        token = console_auth.issue_link(
            s, officer, utcnow(), valid_minutes=10, per_hour=5, via="test"
        )
    pdf = tmp_path / "Surat Edaran 800-12.pdf"
    pdf.write_bytes(PDF)

    async def slow_upload(route: Route) -> None:
        await asyncio.sleep(1.5)
        await route.continue_()

    settings = console_settings(web_port=port, web_base_url=base)
    async with served(settings, sessions), async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = await (await browser.new_context(locale="id-ID")).new_page()
            await page.goto(console_auth.link_url(base, token))
            await page.click("#tombol-masuk")
            await page.route("**/pengumuman/lampiran", slow_upload)
            await page.goto(f"{base}/pengumuman/baru")
            await page.fill("#teks", "Yth. {nama}, mohon pelajari surat edaran terlampir.")
            await page.select_option("#kunci", "unit")
            await page.select_option("#nilai", "DPUPR")
            await page.set_input_files("#lampiran-berkas", str(pdf))
            await expect(page.locator("#lampiran-terpilih")).to_contain_text("Surat Edaran")
            await expect(page.locator("#contoh-lampiran")).to_contain_text("Surat Edaran 800-12")
            # Removing it takes it out of the preview again.
            await page.click("#hapus-lampiran")
            await expect(page.locator("#lampiran-berkas")).to_be_visible()
            await expect(page.locator("#contoh-lampiran")).to_have_count(0)
            await expect(page.locator("#contoh-pesan")).to_contain_text("Staf DPUPR")
        finally:
            await browser.close()
