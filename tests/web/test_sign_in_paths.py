"""The two ways to a sign-in link: `/konsol` to the real bot (emulator as Telegram) and
`asnbot admin login-link NIP`; and `asnbot admin grant NIP --unit KODE`."""

from __future__ import annotations

import itertools
import os
import re
import subprocess

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import Employee, Role, UnitOperator
from telegram_emulator import EmulatorServer
from tests.bot.app_support import running_app
from tests.bot.emulator_support import server_fixture
from tests.conftest import ROOT
from tests.factories import make_employee
from tests.web.conftest import console_settings
from web.app import create_app

server = server_fixture(rate_limit=False)
_chats = itertools.count(7_300_001)
LINK = re.compile(r"http://testserver/masuk/(\S+)")


async def test_konsol_sends_a_one_time_link_that_signs_in(
    server: EmulatorServer, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    officer_chat, operator_chat, employee_chat = next(_chats), next(_chats), next(_chats)
    with sessions.begin() as s:
        make_employee(s, chat_id=officer_chat, role=Role.HR_ADMIN, name="Petugas Rina")
        operator = make_employee(s, chat_id=operator_chat, unit_code="DINKES", name="Operator Dewi")
        s.add(UnitOperator(employee_id=operator.id, unit_id=operator.unit_id))
        make_employee(s, chat_id=employee_chat, name="Pegawai Joko")
    client = TestClient(create_app(console_settings(), sessions))
    async with server.async_client() as tg:
        await tg.reset()
        for chat in (officer_chat, operator_chat, employee_chat):
            await tg.register_user(chat, first_name="Uji")
        async with running_app(server, engine, web_base_url="http://testserver"):
            await tg.send_command(officer_chat, "konsol", first_name="Rina")
            [reply] = await tg.wait_for(officer_chat, 1, timeout=10)
            match = LINK.search(reply["text"])
            assert match, reply["text"]
            signed_in = client.post(f"/masuk/{match.group(1)}", follow_redirects=False)
            assert signed_in.status_code == 303
            assert "Petugas Rina" in client.get("/").text
            reused = TestClient(client.app).post(f"/masuk/{match.group(1)}")
            assert reused.status_code == 403

            await tg.send_command(operator_chat, "konsol", first_name="Dewi")
            [op_reply] = await tg.wait_for(operator_chat, 1, timeout=10)
            assert LINK.search(op_reply["text"]), op_reply["text"]

            await tg.send_command(employee_chat, "konsol", first_name="Joko")
            [refused] = await tg.wait_for(employee_chat, 1, timeout=10)
            assert "khusus untuk petugas" in refused["text"]
            assert not LINK.search(refused["text"])
            sent = [r for r in await tg.requests() if r["method"] == "sendMessage"]
            assert any(
                (r["params"].get("link_preview_options") or {}).get("is_disabled") for r in sent
            )


def _asnbot(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "COLUMNS": "300", "WEB_BASE_URL": "http://testserver"}
    return subprocess.run(
        [str(ROOT / ".venv/bin/asnbot"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_cli_grants_a_unit_operator_and_prints_a_link(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with sessions.begin() as s:
        nip = make_employee(s, unit_code="RSUD").nip
    assert _asnbot(url, "admin", "login-link", nip).returncode == 1  # not an officer yet
    granted = _asnbot(url, "admin", "grant", nip, "--unit", "rsud")
    assert granted.returncode == 0, granted.stderr
    assert "unit RSUD" in granted.stdout
    assert _asnbot(url, "admin", "grant", nip, "--unit", "NOPE").returncode == 1
    printed = _asnbot(url, "admin", "login-link", nip)
    assert printed.returncode == 0, printed.stderr
    match = LINK.search(printed.stdout)
    assert match, printed.stdout
    client = TestClient(create_app(console_settings(), sessions))
    assert client.post(f"/masuk/{match.group(1)}", follow_redirects=False).status_code == 303
    page = client.get("/")
    assert "Pengelola RSUD" in page.text
    assert client.get("/audit").status_code == 403  # the audit page is hr_admin's
    revoked = _asnbot(url, "admin", "revoke", nip)
    assert revoked.returncode == 0, revoked.stderr
    with sessions() as s:
        employee = s.scalar(select(Employee).where(Employee.nip == nip))
        assert employee is not None
        assert s.get(UnitOperator, employee.id) is None
    assert client.get("/", follow_redirects=False).status_code == 303
