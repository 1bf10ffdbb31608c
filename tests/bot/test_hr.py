"""HR officers' commands menu and the `require_hr` guard, with the real application over real
HTTP (emulator as Telegram; no Rasa needed: the probe command does not talk to it)."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    CommandHandler,
    ContextTypes,
)

from asnkarier.models import Role
from bot.handlers.hr import HR_COMMANDS, NOT_HR, require_hr
from telegram_emulator import EmulatorServer
from tests.bot.app_support import running_app
from tests.bot.emulator_support import server_fixture
from tests.factories import make_employee

_chats = itertools.count(4_400_001)
HR_NAMES = {c.command for c in HR_COMMANDS}


server = server_fixture(rate_limit=False)


async def probe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An HR-only command as broadcast.py writes them."""
    officer = await require_hr(update, context)
    if officer is not None and update.effective_message is not None:
        await update.effective_message.reply_text(f"ok {officer.name}")
    raise ApplicationHandlerStop  # the app's own unknown-command reply must not follow


def _menu(commands: list[dict[str, Any]], scope: str) -> set[str]:
    return {
        c["command"] for entry in commands if entry["scope"] == scope for c in entry["commands"]
    }


async def test_officers_get_the_hr_menu_and_others_a_polite_no(
    server: EmulatorServer, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    officer_chat, employee_chat = next(_chats), next(_chats)
    with sessions.begin() as s:
        make_employee(s, chat_id=officer_chat, role=Role.HR_ADMIN, name="Petugas Rina")
        make_employee(s, chat_id=employee_chat, name="Pegawai Joko")
    async with server.async_client() as tg:
        await tg.reset()
        for chat in (officer_chat, employee_chat):
            await tg.register_user(chat, first_name="Uji")
        async with running_app(server, engine, (CommandHandler("cobahr", probe), -1_000)):
            # Start-up: linked officers get the HR commands in their own chat only.
            commands = await tg.commands()
            assert _menu(commands, f"chat:{officer_chat}") >= HR_NAMES
            assert not HR_NAMES & _menu(commands, "default")
            assert not HR_NAMES & _menu(commands, f"chat:{employee_chat}")

            await tg.send_command(officer_chat, "cobahr", first_name="Rina")
            [ok] = await tg.wait_for(officer_chat, 1, timeout=10)
            assert ok["text"] == "ok Petugas Rina"

            await tg.send_command(employee_chat, "cobahr", first_name="Joko")
            [no] = await tg.wait_for(employee_chat, 1, timeout=10)
            assert no["text"] == NOT_HR
            # A leftover HR menu in a refused chat is taken away.
            await tg.wait_for_requests("deleteMyCommands", 1, timeout=10)

            # An officer who unlinks loses the HR menu with the link.
            await tg.send_command(officer_chat, "keluar", first_name="Rina")
            [confirm] = await tg.wait_for(officer_chat, 1, timeout=10, after=ok["message_id"])
            since = max(r["seq"] for r in await tg.requests())
            await tg.press(officer_chat, confirm["message_id"], "keluar:ya")
            await tg.wait_for_requests("deleteMyCommands", 1, timeout=10, since=since)
            assert not HR_NAMES & _menu(await tg.commands(), f"chat:{officer_chat}")

            # Officers linked by other tests in this database have no chat in this emulator:
            # Telegram answers "chat not found" there too; anything else breaks the contract.
            refused = [
                r
                for r in await tg.requests()
                if r.get("status") == 400 and "chat not found" not in str(r.get("error"))
            ]
            assert refused == [], [(r["params"], r["error"]) for r in refused[:3]]
