"""Whole conversations through the real Rasa model, dialogue policies, action server and DB."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import (
    Employee,
    HandoffTicket,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    UnansweredMessage,
)
from asnkarier.services.activation import issue_codes, pretty
from tests.e2e.stack import Stack
from tests.factories import make_employee, make_workshop


def text(replies: list[dict]) -> str:  # type: ignore[type-arg]
    return "\n".join(r.get("text") or "" for r in replies)


def payloads(replies: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [b["payload"] for r in replies for b in r.get("buttons") or []]


def linked_employee(sessions: sessionmaker[Session], user: int) -> int:
    with sessions.begin() as s:
        return make_employee(s, chat_id=user).id


def test_greeting_and_help_menu(stack: Stack, sender: int) -> None:
    assert text(stack.say(sender, "selamat pagi min"))
    menu = stack.say(sender, "bisa bantu apa aja?")
    assert "/list_workshops" in payloads(menu)


def test_workshop_list_and_registration_form_with_buttons(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    employee_id = linked_employee(sessions, sender)
    listed = stack.say(sender, "ada workshop apa aja bulan ini?")
    register = [p for p in payloads(listed) if p.startswith("/register_workshop{")]
    assert register, listed
    confirm = stack.say(sender, register[0])
    assert "/affirm" in payloads(confirm), confirm
    done = stack.say(sender, "/affirm")
    assert "Terdaftar" in text(done) or "daftar tunggu" in text(done), done
    code = json.loads(register[0][register[0].index("{") :])["workshop"]
    with sessions.begin() as s:
        reg = s.scalar(select(Registration).where(Registration.employee_id == employee_id))
        assert reg is not None
        assert reg.workshop.code == code


def test_registration_by_name_then_decline(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    employee_id = linked_employee(sessions, sender)
    with sessions.begin() as s:
        make_workshop(s, title="Kelas Penulisan Naskah Dinas Elektronik", topics=["tata naskah"])
    asked = stack.say(sender, "saya mau daftar workshop")
    assert "/deny" in payloads(asked), asked
    confirm = stack.say(sender, "naskah dinas elektronik")
    assert "Naskah Dinas" in text(confirm), confirm
    declined = stack.say(sender, "/deny")
    assert "tidak dilanjutkan" in text(declined), declined
    with sessions.begin() as s:
        assert s.scalar(select(Registration).where(Registration.employee_id == employee_id)) is None


def test_cancellation_promotes_the_waitlist(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    waiting_user = sender + 50_000
    holder_id = linked_employee(sessions, sender)
    waiting_id = linked_employee(sessions, waiting_user)
    with sessions.begin() as s:
        code = make_workshop(s, capacity=1, title="Klinik Arsip Digital Terpadu").code
    for user in (sender, waiting_user):
        stack.say(user, f'/register_workshop{{"workshop":"{code}"}}')
        stack.say(user, "/affirm")
    asked = stack.say(sender, "batalkan pendaftaran workshop saya")
    assert any(code in p for p in payloads(asked)), asked
    confirm = stack.say(sender, f'/cancel_registration{{"workshop":"{code}"}}')
    assert "Yakin" in text(confirm), confirm
    done = stack.say(sender, "/affirm")
    assert "sudah dibatalkan" in text(done), done
    with sessions.begin() as s:
        mine = s.scalar(select(Registration).where(Registration.employee_id == holder_id))
        theirs = s.scalar(select(Registration).where(Registration.employee_id == waiting_id))
        assert mine is not None
        assert mine.status == RegistrationStatus.CANCELLED
        assert theirs is not None
        assert theirs.status == RegistrationStatus.REGISTERED
        assert (
            s.scalar(select(OutboxMessage).where(OutboxMessage.employee_id == waiting_id))
            is not None
        )


def test_linking_wrong_then_right_code(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    with sessions.begin() as s:
        employee = make_employee(s)
        [issued] = issue_codes(s, [employee], ttl_days=30, actor="test")
        employee_id = employee.id
    asked = stack.say(sender, "saya mau aktivasi akun")
    assert "kode aktivasi" in text(asked).lower(), asked
    wrong = stack.say(sender, "ZZZZ-2222")
    assert "Sisa percobaan" in text(wrong), wrong
    right = stack.say(sender, pretty(issued.code))
    assert "Akun terhubung" in text(right), right
    with sessions.begin() as s:
        assert s.get_one(Employee, employee_id).telegram_user_id == sender
    profile = stack.say(sender, "lihat profil saya")
    assert "Profil" in text(profile), profile


def test_deep_link_payload_links_in_one_step(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    with sessions.begin() as s:
        [issued] = issue_codes(s, [make_employee(s)], ttl_days=30, actor="test")
    linked = stack.say(sender, "/link_account" + json.dumps({"kode_aktivasi": issued.code}))
    assert "Akun terhubung" in text(linked), linked


def test_questions_answered_from_the_database(stack: Stack, sender: int) -> None:
    deadlines = stack.say(sender, "kapan deadline pengisian SKP?")
    assert "Tenggat" in text(deadlines), deadlines
    schedule = stack.say(sender, "periode kenaikan pangkat berikutnya kapan ya")
    assert "Periode kenaikan pangkat" in text(schedule), schedule
    career = stack.say(sender, "jenjang karier analis kepegawaian gimana?")
    assert "Ahli Pertama" in text(career), career


def test_fallback_and_out_of_scope_are_logged_anonymously(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    with sessions.begin() as s:
        before = len(s.scalars(select(UnansweredMessage)).all())
    odd = stack.say(sender, "resep rendang padang yang enak gimana")
    assert text(odd), odd
    with sessions.begin() as s:
        rows = s.scalars(select(UnansweredMessage)).all()
    assert len(rows) == before + 1
    assert "rendang" in rows[-1].text


def test_request_human_opens_a_ticket(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    linked_employee(sessions, sender)
    stack.say(sender, "SK kenaikan pangkat saya belum terbit sudah tiga bulan")
    reply = stack.say(sender, "saya mau bicara dengan petugas BKPSDM")
    assert "tiket #" in text(reply), reply
    with sessions.begin() as s:
        ticket = s.scalar(select(HandoffTicket).where(HandoffTicket.telegram_user_id == sender))
        assert ticket is not None
