"""Accounts through the real bot: linking with wrong then right codes, and HR officers' menu."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import Employee, Role
from asnkarier.services.activation import issue_codes, pretty
from telegram_emulator.client import EmulatorClient
from tests.e2e.chatter import ask, settle, texts
from tests.factories import make_employee

HR_ONLY = {"umumkan", "laporan"}


def _issue(sessions: sessionmaker[Session], **values: Any) -> tuple[int, str]:
    with sessions.begin() as s:
        employee = make_employee(s, **values)
        [issued] = issue_codes(s, [employee], ttl_days=30, actor="test")
        return employee.id, issued.code


def _menu(bot: EmulatorClient, scope: str) -> set[str]:
    return {c["command"] for e in bot.commands() if e["scope"] == scope for c in e["commands"]}


def test_linking_wrong_then_right_code(
    bot: EmulatorClient, sessions: sessionmaker[Session]
) -> None:
    employee_id, code = _issue(sessions)
    user = 966_001
    assert "kode aktivasi" in texts(ask(bot, user, "saya mau aktivasi akun", until="kode aktivasi"))
    wrong = ask(bot, user, "ZZZZ-2222", until="Sisa percobaan")
    assert "Kode tidak dikenali" in texts(wrong)
    with sessions.begin() as s:
        assert s.get_one(Employee, employee_id).telegram_user_id is None
    ask(bot, user, pretty(code), until="Akun terhubung")
    with sessions.begin() as s:
        employee = s.get_one(Employee, employee_id)
        assert (employee.telegram_user_id, employee.telegram_chat_id) == (user, user)
    assert "Profil" in texts(ask(bot, user, "lihat profil saya", until="Profil"))
    assert not _menu(bot, f"chat:{user}") & HR_ONLY  # an employee gets no HR menu
    assert "khusus untuk petugas" in texts(ask(bot, user, "/umumkan", until="khusus"))


def test_an_officer_who_links_sees_the_hr_commands_in_that_chat_only(
    bot: EmulatorClient, sessions: sessionmaker[Session]
) -> None:
    _, code = _issue(sessions, role=Role.HR_ADMIN)
    user = 966_011
    bot.send_command(user, "start", code, first_name="Rina")
    replies = settle(bot, user, 0, until="/umumkan")
    assert "Akun terhubung" in texts(replies)
    menu = _menu(bot, f"chat:{user}")
    assert menu >= HR_ONLY | {"menu", "petugas", "keluar"}
    assert not _menu(bot, "default") & HR_ONLY


def test_no_request_broke_the_bot_api_contract(bot: EmulatorClient) -> None:
    refused = [r for r in bot.requests() if r.get("status") == 400]
    assert refused == [], refused[:3]
