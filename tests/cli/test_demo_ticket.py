"""`asnbot demo` (a newcomer's try-out in one command) and `asnbot ticket` (handoff tickets
worked without the HR group), run as processes on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess

from sqlalchemy import func, select

from asnkarier import db
from asnkarier.cli.demo import DEMO_USERS
from asnkarier.models import (
    AuditLog,
    Employee,
    HandoffTicket,
    OutboxMessage,
    Role,
    TicketStatus,
)
from asnkarier.services import support
from tests.cli.test_cli import ASNBOT
from tests.conftest import ROOT


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "COLUMNS": "200", "DEFAULT_TIMEZONE": "Asia/Jakarta"}
    return subprocess.run(
        [str(ASNBOT), *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=180
    )


def test_demo_gives_a_roster_a_linked_employee_and_a_linked_officer(fresh_db_url: str) -> None:
    first = run(fresh_db_url, "demo")  # an empty, unmigrated database
    assert first.returncode == 0, first.stderr
    assert "Roster contoh diimpor" in first.stdout
    assert "asnbot chat --as pegawai" in first.stdout
    assert "asnbot chat --as petugas" in first.stdout
    again = run(fresh_db_url, "demo")  # safe to run again: nothing imported or linked twice
    assert again.returncode == 0, again.stderr
    assert "Roster contoh diimpor" not in again.stdout
    engine = db.make_engine(fresh_db_url)
    try:
        with engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(Employee)).scalar_one()
            linked = conn.execute(
                select(Employee.telegram_user_id, Employee.telegram_chat_id, Employee.role).where(
                    Employee.telegram_user_id.is_not(None)
                )
            ).all()
            links = conn.execute(
                select(func.count()).select_from(AuditLog).where(AuditLog.action == "account.link")
            ).scalar_one()
    finally:
        engine.dispose()
    assert total == 240  # data/samples/roster.csv
    assert sorted(linked) == [
        (
            DEMO_USERS["pegawai"].telegram_user_id,
            DEMO_USERS["pegawai"].telegram_user_id,
            Role.EMPLOYEE,
        ),
        (
            DEMO_USERS["petugas"].telegram_user_id,
            DEMO_USERS["petugas"].telegram_user_id,
            Role.HR_ADMIN,
        ),
    ]
    assert links == 2  # through real one-time codes, once


def test_tickets_are_listed_answered_through_the_outbox_and_closed(fresh_db_url: str) -> None:
    assert run(fresh_db_url, "demo").returncode == 0
    engine = db.make_engine(fresh_db_url)
    sessions = db.make_sessionmaker(engine)
    employee = DEMO_USERS["pegawai"].telegram_user_id
    with sessions.begin() as s:
        me = s.scalar(select(Employee).where(Employee.telegram_user_id == employee))
        assert me is not None
        mine, _ = support.open_ticket(
            s,
            telegram_user_id=employee,
            chat_id=employee,
            question="SK kenaikan pangkat saya belum terbit, bagaimana?",
            employee_id=me.id,
        )
        guest, _ = support.open_ticket(
            s, telegram_user_id=5_550_003, chat_id=5_550_003, question="Halo?", employee_id=None
        )
        mine_id, guest_id, nip = mine.id, guest.id, me.nip
    try:
        listed = run(fresh_db_url, "ticket", "list")
        assert listed.returncode == 0, listed.stderr
        assert "SK kenaikan pangkat" in listed.stdout
        assert "belum terhubung" in listed.stdout
        assert nip not in listed.stdout  # NIP masked, as in the HR group

        shown = run(fresh_db_url, "ticket", "show", str(mine_id))
        assert shown.returncode == 0, shown.stderr
        assert "SK kenaikan pangkat saya belum terbit, bagaimana?" in shown.stdout
        assert "Status: terbuka" in shown.stdout

        answer = "SK Bapak terbit minggu depan."
        sent = run(fresh_db_url, "ticket", "answer", str(mine_id), answer)
        assert sent.returncode == 0, sent.stderr
        assert "masuk antrean" in sent.stdout
        repeated = run(fresh_db_url, "ticket", "answer", str(mine_id), answer)
        assert "sudah dikirim; tidak diulang" in repeated.stdout

        closed = run(fresh_db_url, "ticket", "close", str(mine_id))
        assert closed.returncode == 0, closed.stderr
        assert run(fresh_db_url, "ticket", "close", str(mine_id)).returncode == 1
        late = run(fresh_db_url, "ticket", "answer", str(mine_id), "Satu lagi.")
        assert late.returncode == 1
        assert "sudah ditutup" in late.stderr
        assert run(fresh_db_url, "ticket", "show", "999").returncode == 1

        with sessions.begin() as s:
            queued = s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.chat_id == employee)
                .order_by(OutboxMessage.id)
            ).all()
            assert [(m.kind, m.text) for m in queued] == [
                ("handoff", support.REPLY_PREFIX.format(ticket=mine_id) + answer),
                ("handoff", support.CLOSED_NOTICE.format(ticket=mine_id)),
            ]
            ticket = s.get_one(HandoffTicket, mine_id)
            assert ticket.status == TicketStatus.CLOSED
            assert (ticket.closed_by or "").startswith("cli")
        still_open = run(fresh_db_url, "ticket", "list")
        assert "Halo?" in still_open.stdout
        assert "SK kenaikan" not in still_open.stdout
        assert "SK kenaikan" in run(fresh_db_url, "ticket", "list", "--all").stdout
        assert guest_id != mine_id
    finally:
        engine.dispose()
