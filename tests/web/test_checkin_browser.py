"""The check-in projector page in a real browser (Playwright on Debian's Chromium): the code
shown is the current window's, the QR is drawn, and htmx swaps in the next code when the window
changes. The screenshot goes to docs/console/absen-layar.png with CONSOLE_SCREENSHOTS=1."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from playwright.async_api import async_playwright, expect
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import Registration, RegistrationStatus, Role, utcnow
from asnkarier.services import checkin, console_auth
from tests.factories import make_employee, make_workshop
from tests.web.browser_support import SCREENSHOTS, chromium, free_port, served
from tests.web.conftest import console_settings

KEY = "browser-checkin-secret-0123456789"


async def test_projector_page_shows_the_current_code_and_refreshes_it(
    sessions: sessionmaker[Session], request: pytest.FixtureRequest
) -> None:
    executable = chromium()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = console_settings(
        web_port=port,
        web_base_url=base,
        checkin_secret=KEY,
        telegram_bot_username="asn_karier_bot",
    )
    now = utcnow().replace(microsecond=0)
    with sessions.begin() as s:
        officer = make_employee(s, role=Role.HR_ADMIN, name="Rina Layar").id
        ws = make_workshop(
            s,
            capacity=40,
            title="Bimtek Penyusunan SKP 2027",
            starts_at=now - dt.timedelta(minutes=15),
            ends_at=now + dt.timedelta(hours=3),
            registration_deadline=now - dt.timedelta(days=1),
            location="Aula Lt. 3 BKPSDM",
            jp=6,
        )
        for n in range(3):
            e = make_employee(s, name=f"Peserta Layar {n}")
            s.add(
                Registration(
                    workshop_id=ws.id,
                    employee_id=e.id,
                    status=RegistrationStatus.ATTENDED if n == 0 else RegistrationStatus.REGISTERED,
                    attended_at=now if n == 0 else None,
                    attended_via="qr" if n == 0 else None,
                )
            )
        workshop_id = ws.id
        token = console_auth.issue_link(s, officer, now, valid_minutes=10, per_hour=5, via="test")
    key = KEY.encode()

    def codes_now() -> set[str]:
        window = checkin.window_of(utcnow())
        return {checkin.code_for(key, workshop_id, n) for n in (window - 1, window, window + 1)}

    async with served(settings, sessions), async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            context = await browser.new_context(
                viewport={"width": 1366, "height": 768}, locale="id-ID"
            )
            page = await context.new_page()
            await page.goto(console_auth.link_url(base, token))
            await page.click("#tombol-masuk")
            await expect(page.locator("h1")).to_have_text("Beranda")
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            await page.goto(f"{base}/hadir/{workshop_id}/layar")
            code = page.locator("#kode-hadir")
            first = (await code.inner_text()).strip()
            assert first in codes_now()
            await expect(page.locator("svg.qr")).to_be_visible()
            await expect(page.locator("#hitung-hadir")).to_have_text("hadir 1 dari 3")
            if os.environ.get("CONSOLE_SCREENSHOTS") == "1" and "sqlite" in request.node.name:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(SCREENSHOTS / "absen-layar.png"))
            # htmx asks for the fragment again just after the window changes
            await expect(code).not_to_have_text(first, timeout=40_000)
            assert (await code.inner_text()).strip() in codes_now()
            assert page.url.endswith("/layar")  # swapped in place, no reload
            assert errors == [], errors  # no CSP violation or script error
        finally:
            await browser.close()
