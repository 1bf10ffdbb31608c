"""Workshop cancellation through the real bot: the freed seat goes to the waitlist, and the
promoted employee hears it from the outbox dispatcher."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import Registration, RegistrationStatus
from telegram_emulator.client import EmulatorClient
from tests.e2e.chatter import ask, last_id, press, settle, texts
from tests.factories import make_employee, make_workshop


def test_cancellation_promotes_the_waitlist_and_tells_them(
    bot: EmulatorClient, dispatcher: None, sessions: sessionmaker[Session]
) -> None:
    holder, waiting = 967_001, 967_002
    with sessions.begin() as s:
        workshop = make_workshop(s, capacity=1, title="Klinik Arsip Digital Telegram")
        title, workshop_id = workshop.title, workshop.id
        employees = {user: make_employee(s, chat_id=user).id for user in (holder, waiting)}
    for user, expected in ((holder, "Terdaftar"), (waiting, "daftar tunggu")):
        asked = ask(bot, user, "saya mau daftar workshop", until=title)
        offer = next(m for m in asked if title in str(m.get("reply_markup")))
        picked = press(bot, user, offer, title[:20], until="Daftarkan")
        press(bot, user, picked[-1], "Ya", until=expected)

    asked = ask(bot, holder, "batalkan pendaftaran workshop saya", until="dibatalkan")
    offer = next(m for m in asked if title in str(m.get("reply_markup")))
    confirm = press(bot, holder, offer, title[:20], until="Yakin")
    seen = last_id(bot, waiting)
    done = press(bot, holder, confirm[-1], "Ya, batalkan", until="sudah dibatalkan")
    assert title in texts(done)

    told = settle(bot, waiting, seen, until="Kabar baik")
    assert title in texts(told)
    with sessions.begin() as s:
        status = {
            r.employee_id: r.status
            for r in s.scalars(select(Registration).where(Registration.workshop_id == workshop_id))
        }
    assert status == {
        employees[holder]: RegistrationStatus.CANCELLED,
        employees[waiting]: RegistrationStatus.REGISTERED,
    }


def test_no_request_broke_the_bot_api_contract(bot: EmulatorClient) -> None:
    refused = [r for r in bot.requests() if r.get("status") == 400]
    assert refused == [], [(r["method"], r.get("error"), r["params"]) for r in refused[:3]]
