"""Workshop check-in through the real bot, Rasa and action server: the deep link of the QR on
the console's projector page checks in, a forged token is refused politely, the typed 6-digit
code works, and the same again says "already"."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import CompetencyHours, Registration, RegistrationStatus, utcnow
from asnkarier.services import checkin
from telegram_emulator.client import EmulatorClient
from tests.e2e.chatter import ask, texts
from tests.e2e.stack import CHECKIN_SECRET
from tests.factories import make_employee, make_workshop
from tests.web.conftest import Console, console_settings
from web.app import create_app

QR_USER, CODE_USER, STRANGER, UNLINKED = 971_001, 971_002, 971_003, 971_004


@pytest.fixture
def console(sessions: sessionmaker[Session]) -> Iterator[Console]:
    """The console on the e2e database, with the action server's check-in key."""
    settings = console_settings(
        checkin_secret=CHECKIN_SECRET, telegram_bot_username="asn_karier_bot"
    )
    with TestClient(create_app(settings, sessions)) as client:
        yield Console(client, sessions, settings)


def _running_workshop(
    sessions: sessionmaker[Session], registered: tuple[int, ...], others: tuple[int, ...] = ()
) -> tuple[int, str, dict[int, int]]:
    now = utcnow().replace(microsecond=0)
    with sessions.begin() as s:
        ws = make_workshop(
            s,
            capacity=5,
            title="Klinik Absen QR Telegram",
            starts_at=now - dt.timedelta(minutes=5),
            ends_at=now + dt.timedelta(hours=2),
            registration_deadline=now - dt.timedelta(days=1),
            jp=6,
        )
        people = {}
        for user in (*registered, *others):
            e = make_employee(s, chat_id=user)
            people[user] = e.id
            if user in registered:
                s.add(
                    Registration(
                        workshop_id=ws.id, employee_id=e.id, status=RegistrationStatus.REGISTERED
                    )
                )
        ws.seats_taken = len(registered)
        return ws.id, ws.title, people


def _screen(console: Console, workshop_id: int) -> tuple[str, str]:
    """(deep link, code) as the projector page shows them now."""
    page = console.client.get(f"/hadir/{workshop_id}/layar")
    assert page.status_code == 200, page.text
    link = re.search(r'data-tautan="([^"]+)"', page.text)
    code = re.search(r'id="kode-hadir"[^>]*>(\d{6})<', page.text)
    assert link
    assert code
    return link.group(1), code.group(1)


def _fresh(console: Console, workshop_id: int) -> tuple[str, str]:
    """Read the screen early in a window, so a slow turn still falls in the accepted two."""
    left = checkin.WINDOW_SECONDS - int(utcnow().timestamp()) % checkin.WINDOW_SECONDS
    if left < 8:
        time.sleep(left + 0.5)
    return _screen(console, workshop_id)


def _jp(sessions: sessionmaker[Session], employee_id: int, workshop_id: int) -> int | None:
    with sessions() as s:
        return s.scalar(
            select(func.count())
            .select_from(CompetencyHours)
            .where(
                CompetencyHours.employee_id == employee_id,
                CompetencyHours.workshop_id == workshop_id,
            )
        )


def test_qr_deep_link_forged_token_typed_code_and_twice(
    bot: EmulatorClient, console: Console, sessions: sessionmaker[Session]
) -> None:
    console.sign_in(console.officer())
    workshop_id, title, people = _running_workshop(sessions, (QR_USER, CODE_USER))

    link, _ = _fresh(console, workshop_id)
    assert link.startswith("https://t.me/asn_karier_bot?start=hadir-")
    token = link.split("?start=", 1)[1]
    scanned = ask(bot, QR_USER, f"/start {token}", until="tercatat")
    assert title in texts(scanned)
    assert "6 JP" in texts(scanned)
    assert _jp(sessions, people[QR_USER], workshop_id) == 1

    # a token with its signature changed is refused without an error
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    refused = ask(bot, CODE_USER, f"/start {forged}", until="tidak cocok")
    assert "gangguan" not in texts(refused)
    with sessions() as s:
        status = s.scalar(
            select(Registration.status).where(Registration.employee_id == people[CODE_USER])
        )
    assert status == RegistrationStatus.REGISTERED

    # typing the code from the screen
    _, code = _fresh(console, workshop_id)
    typed = ask(bot, CODE_USER, f"kode hadir {code}", until="tercatat")
    assert title in texts(typed)
    with sessions() as s:
        via = s.scalar(
            select(Registration.attended_via).where(Registration.employee_id == people[CODE_USER])
        )
    assert via == "code"

    # the same again: already attended, JP not credited twice
    _, code = _fresh(console, workshop_id)
    again = ask(bot, CODE_USER, f"hadir {code}", until="sudah tercatat hadir")
    assert title in texts(again)
    assert _jp(sessions, people[CODE_USER], workshop_id) == 1
    page = console.client.get(f"/hadir/{workshop_id}/layar").text
    assert re.search(r"hadir <b>2</b> dari <b>2</b>", page)


def test_not_registered_unlinked_and_how_to(
    bot: EmulatorClient, console: Console, sessions: sessionmaker[Session]
) -> None:
    console.sign_in(console.officer())
    workshop_id, title, _ = _running_workshop(sessions, (), (STRANGER,))
    link, _ = _fresh(console, workshop_id)
    token = link.split("?start=", 1)[1]
    stranger = ask(bot, STRANGER, f"/start {token}", until="tidak terdaftar")
    assert title in texts(stranger)
    unlinked = ask(bot, UNLINKED, f"/start {token}", until="aktivasi")
    assert "terhubung" in texts(unlinked)
    how = ask(bot, STRANGER, "mau absen workshop", until="6 angka")
    assert "QR" in texts(how)
