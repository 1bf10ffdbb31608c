"""Aktivasi in the console: who has linked per unit, a sheet of fresh codes with QR codes that
really link, the CSV, a new code for one employee, lifting a wrong-code lock; CSRF, unit scope
and audit."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re

from sqlalchemy import select

from asnkarier.models import AuditLog, LinkAttempt, utcnow
from asnkarier.services import activation
from asnkarier.services.activation import LinkLimits, LinkStatus
from asnkarier.services.nip import mask_nip
from tests.factories import make_employee
from tests.web.conftest import Console, console_settings

BOT = "AsistenKarierASN_bot"
_users = itertools.count(974_100)


def _with_bot(console: Console) -> None:
    settings = console_settings(telegram_bot_username=BOT)
    console.client.app.state.settings = settings  # type: ignore[attr-defined]
    console.settings = settings


def _csrf(console: Console, unit: str) -> str:
    page = console.client.get("/pegawai/aktivasi", params={"unit": unit}).text
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def _redeem(console: Console, code: str, user: int) -> LinkStatus:
    with console.sessions.begin() as s:
        result = activation.redeem(
            s,
            telegram_user_id=user,
            chat_id=user,
            code=code,
            limits=LinkLimits.from_settings(console.settings),
        )
        return result.status


def test_sheet_codes_link_and_old_codes_stop(console: Console) -> None:
    _with_bot(console)
    with console.sessions.begin() as s:
        linked = make_employee(s, unit_code="BPKAD", chat_id=next(_users), name="Sudah Tertaut")
        waiting = [make_employee(s, unit_code="BPKAD", name=f"Belum Tertaut {n}") for n in (1, 2)]
        old = activation.issue_codes(s, [waiting[0]], ttl_days=30, actor="test")[0].code
        waiting_ids, waiting_nips = [e.id for e in waiting], [e.nip for e in waiting]
        linked_name = linked.name
    console.sign_in(console.officer())
    listing = console.client.get("/pegawai/aktivasi", params={"unit": "BPKAD"}).text
    assert 'id="jumlah-belum">2<' in listing
    assert linked_name in listing
    assert waiting_nips[0] not in listing
    assert mask_nip(waiting_nips[0]) in listing

    sheet = console.client.post(
        "/pegawai/aktivasi/BPKAD/lembar", data={"csrf_token": _csrf(console, "BPKAD")}
    )
    assert sheet.status_code == 200
    codes = re.findall(r'data-kode="([A-Z0-9]{4}-[A-Z0-9]{4})"', sheet.text)
    assert len(codes) == 2  # one card per not-yet-linked employee, none for the linked one
    assert sheet.text.count('<svg class="qr"') == 2
    assert "kode lama mereka tidak berlaku lagi" in sheet.text
    assert all(n not in sheet.text for n in waiting_nips)
    assert "Sudah Tertaut" not in sheet.text.split('id="kartu-kode"')[1]
    # The earlier code was replaced; a printed one links its employee.
    assert _redeem(console, old, next(_users)) == LinkStatus.EXPIRED
    assert _redeem(console, codes[0], next(_users)) == LinkStatus.LINKED
    assert console.employee(waiting_ids[0]).telegram_chat_id is not None
    with console.sessions() as s:
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "activation.sheet"))
    assert entry is not None
    assert entry.target == "BPKAD"
    assert entry.details == {"codes": 2}

    # The CSV: fresh codes again (the sheet's unused one stops), formula-safe, masked NIP.
    export = console.client.post(
        "/pegawai/aktivasi/BPKAD/csv", data={"csrf_token": _csrf(console, "BPKAD")}
    )
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["nama", "nip", "unit_kerja", "kode_aktivasi"]
    assert len(rows) == 2  # only the one still not linked
    assert rows[1][1] == mask_nip(waiting_nips[1])
    assert rows[1][4] == f"https://t.me/{BOT}?start={rows[1][3].replace('-', '')}"
    assert _redeem(console, codes[1], next(_users)) == LinkStatus.EXPIRED
    assert _redeem(console, rows[1][3], next(_users)) == LinkStatus.LINKED


def test_new_code_and_lifted_lock(console: Console) -> None:
    _with_bot(console)
    with console.sessions.begin() as s:
        employee = make_employee(s, unit_code="DINKES", name="Terkunci Uji")
        employee_id, nip = employee.id, employee.nip
    console.sign_in(console.officer(unit="DINKES", admin=False))
    card = console.client.post(
        f"/pegawai/{employee_id}/kode-baru", data={"csrf_token": _csrf(console, "DINKES")}
    )
    assert card.status_code == 200
    [code] = re.findall(r'data-kode="([A-Z0-9-]{9})"', card.text)
    assert f"https://t.me/{BOT}?start=" not in card.text  # the link is only in the QR
    assert card.text.count('<svg class="qr"') == 1
    # Someone hammers the code from several accounts until the code itself is locked.
    limit = console.settings.link_code_max_attempts
    with console.sessions.begin() as s:
        s.add(
            LinkAttempt(
                scope=f"code:{activation.hash_code(code)}",
                attempts=limit,
                window_started_at=utcnow(),
                locked_until=utcnow() + dt.timedelta(minutes=30),
            )
        )
    user = next(_users)
    assert _redeem(console, code, user) == LinkStatus.LOCKED
    listing = console.client.get("/pegawai/aktivasi", params={"unit": "DINKES"}).text
    assert f'id="buka-kunci-{employee_id}"' in listing
    assert console.client.post(f"/pegawai/{employee_id}/buka-kunci").status_code == 403  # CSRF
    lifted = console.client.post(
        f"/pegawai/{employee_id}/buka-kunci", data={"csrf_token": _csrf(console, "DINKES")}
    )
    assert 'id="kunci-dibuka"' in lifted.text
    assert f'id="buka-kunci-{employee_id}"' not in lifted.text
    assert _redeem(console, code, user) == LinkStatus.LINKED
    with console.sessions() as s:
        actions = s.scalars(
            select(AuditLog.action).where(AuditLog.target == mask_nip(nip)).order_by(AuditLog.id)
        ).all()
    assert actions == ["activation.reissue", "activation.unlock", "account.link"]


def test_operator_refused_another_unit(console: Console) -> None:
    with console.sessions.begin() as s:
        other = make_employee(s, unit_code="SETDA", name="Pegawai Setda").id
    console.sign_in(console.officer(unit="RSUD", admin=False))
    csrf = _csrf(console, "RSUD")
    own = console.client.get("/pegawai/aktivasi", params={"unit": "SETDA"}).text
    assert "Pegawai Setda" not in own  # an operator always sees their own unit
    for path in (
        "/pegawai/aktivasi/SETDA/lembar",
        "/pegawai/aktivasi/SETDA/csv",
        f"/pegawai/{other}/kode-baru",
        f"/pegawai/{other}/buka-kunci",
    ):
        assert console.client.post(path, data={"csrf_token": csrf}).status_code == 403, path
    assert console.client.post("/pegawai/aktivasi/RSUD/lembar").status_code == 403  # no CSRF
