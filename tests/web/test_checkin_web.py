"""Check-in in the console: the projector page and its fragment, marking by hand (CSRF, audit,
JP once, undo), unit operators limited to their unit, the attendance sheet as XLSX and CSV."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import (
    AuditLog,
    CompetencyHours,
    Employee,
    Registration,
    RegistrationStatus,
    utcnow,
)
from asnkarier.services import checkin
from asnkarier.services.nip import mask_nip
from tests.factories import make_employee, make_workshop
from tests.web.conftest import Console, console_settings
from web.app import create_app

KEY = "web-test-checkin-secret-0123456789"


@pytest.fixture
def console(sessions: sessionmaker[Session]) -> Iterator[Console]:
    settings = console_settings(checkin_secret=KEY, telegram_bot_username="asn_karier_bot")
    with TestClient(create_app(settings, sessions)) as client:
        yield Console(client, sessions, settings)


def _workshop(console: Console, **values: object) -> tuple[int, dict[str, int]]:
    """A workshop running now with registrants in BKPSDM and DINKES (name -> employee id)."""
    now = utcnow().replace(microsecond=0)
    with console.sessions.begin() as s:
        fields: dict[str, object] = {
            "starts_at": now - dt.timedelta(minutes=20),
            "ends_at": now + dt.timedelta(hours=2),
            "registration_deadline": now - dt.timedelta(days=1),
            "jp": 5,
            **values,
        }
        ws = make_workshop(s, capacity=10, **fields)  # type: ignore[arg-type]
        people = {}
        for name, unit in (
            ("Andi =1+1 Bkpsdm", "BKPSDM"),
            ("Budi Bkpsdm", "BKPSDM"),
            ("Citra Dinkes", "DINKES"),
        ):
            e = make_employee(s, unit_code=unit, name=name)
            s.add(
                Registration(
                    workshop_id=ws.id, employee_id=e.id, status=RegistrationStatus.REGISTERED
                )
            )
            people[name.split()[0]] = e.id
        ws.seats_taken = 3
        return ws.id, people


def _code_on(page: str) -> str:
    match = re.search(r'id="kode-hadir"[^>]*>(\d{6})<', page)
    assert match, page
    return match.group(1)


def test_projector_page_and_fragment_show_the_current_qr_and_code(console: Console) -> None:
    console.sign_in(console.officer())
    workshop_id, _ = _workshop(console)
    page = console.client.get(f"/hadir/{workshop_id}/layar")
    assert page.status_code == 200, page.text
    code = _code_on(page.text)
    now = utcnow()
    key = KEY.encode()
    # the code and token of this window (or the one before, if it changed meanwhile)
    windows = {checkin.window_of(now), checkin.window_of(now) - 1}
    assert code in {checkin.code_for(key, workshop_id, n) for n in windows}
    assert re.search(r'<svg viewBox="[0-9 ]+" class="qr"', page.text)
    assert f'hx-get="/hadir/{workshop_id}/kode"' in page.text
    link = re.search(r'data-tautan="([^"]+)"', page.text)
    assert link
    token = link.group(1).removeprefix("https://t.me/asn_karier_bot?start=")
    assert token in {checkin.token_for(key, workshop_id, n) for n in windows}
    assert '<meta http-equiv="refresh"' in page.text  # no-JavaScript fallback
    assert "/static/checkin.js" in page.text
    assert re.search(r"hadir <b>0</b> dari <b>3</b>", page.text)
    # no inline style anywhere (the CSP forbids it) in the QR
    assert "style=" not in page.text
    fragment = console.client.get(f"/hadir/{workshop_id}/kode")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert _code_on(fragment.text) in {checkin.code_for(key, workshop_id, n) for n in windows}
    assert console.client.get("/static/checkin.js").status_code == 200
    # the rincian page links here
    rincian = console.client.get(f"/workshop/{workshop_id}").text
    assert f'href="/hadir/{workshop_id}/layar"' in rincian


def test_projector_page_outside_the_running_time_shows_no_code(console: Console) -> None:
    console.sign_in(console.officer())
    later = utcnow() + dt.timedelta(days=3)
    workshop_id, _ = _workshop(console, starts_at=later, ends_at=later + dt.timedelta(hours=2))
    page = console.client.get(f"/hadir/{workshop_id}/layar").text
    assert 'id="kode-hadir"' not in page
    assert "Absen dibuka" in page


def test_projector_is_for_hr_admins_only(console: Console) -> None:
    workshop_id, _ = _workshop(console)
    console.sign_in(console.officer(unit="DINKES", admin=False))
    assert console.client.get(f"/hadir/{workshop_id}/layar").status_code == 403
    assert console.client.get(f"/hadir/{workshop_id}/kode").status_code == 403


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


def test_marking_needs_csrf_is_audited_credits_once_and_can_be_undone(console: Console) -> None:
    console.sign_in(console.officer())
    workshop_id, people = _workshop(console)
    url = f"/hadir/{workshop_id}/pegawai/{people['Budi']}/hadir"
    assert console.client.post(url).status_code == 403
    assert console.client.post(url, data={"csrf_token": "wrong"}).status_code == 403
    assert _jp(console.sessions, people["Budi"], workshop_id) == 0
    done = console.client.post(url, data={"csrf_token": console.csrf()}, follow_redirects=False)
    assert done.status_code == 303
    assert parse_qs(urlparse(done.headers["location"]).query)["pesan"] == ["tercatat"]
    again = console.client.post(url, data={"csrf_token": console.csrf()}, follow_redirects=False)
    assert parse_qs(urlparse(again.headers["location"]).query)["pesan"] == ["sudah"]
    assert _jp(console.sessions, people["Budi"], workshop_id) == 1
    with console.sessions() as s:
        reg = s.scalar(select(Registration).where(Registration.employee_id == people["Budi"]))
        assert reg is not None
        assert (reg.status, reg.attended_via) == (RegistrationStatus.ATTENDED, "console")
        audit = s.scalars(
            select(AuditLog.action).where(AuditLog.target == f"workshop:{workshop_id}")
        ).all()
    assert audit == ["checkin.marked"]
    page = console.client.get(f"/hadir/{workshop_id}").text
    assert re.search(r"hadir <b>1</b> dari <b>3</b>", page)
    undo = f"/hadir/{workshop_id}/pegawai/{people['Budi']}/batal"
    assert console.client.post(undo).status_code == 403
    undone = console.client.post(undo, data={"csrf_token": console.csrf()}, follow_redirects=False)
    assert undone.status_code == 303
    assert _jp(console.sessions, people["Budi"], workshop_id) == 0
    assert console.client.post(undo, data={"csrf_token": console.csrf()}).status_code == 409


def test_unit_operator_sees_and_marks_only_their_units_employees(console: Console) -> None:
    workshop_id, people = _workshop(console)
    console.sign_in(console.officer(unit="DINKES", admin=False))
    page = console.client.get(f"/hadir/{workshop_id}")
    assert page.status_code == 200
    assert "Citra Dinkes" in page.text
    assert "Budi Bkpsdm" not in page.text
    assert re.search(r"hadir <b>0</b> dari <b>1</b>", page.text)
    token = console.csrf()
    other = console.client.post(
        f"/hadir/{workshop_id}/pegawai/{people['Budi']}/hadir", data={"csrf_token": token}
    )
    assert other.status_code == 404
    assert _jp(console.sessions, people["Budi"], workshop_id) == 0
    own = console.client.post(
        f"/hadir/{workshop_id}/pegawai/{people['Citra']}/hadir",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert own.status_code == 303
    sheet = console.client.get(f"/hadir/{workshop_id}/daftar-hadir.csv").content.decode("utf-8-sig")
    assert "Citra Dinkes" in sheet
    assert "Bkpsdm" not in sheet


def test_attendance_sheet_xlsx_and_csv(console: Console) -> None:
    console.sign_in(console.officer())
    workshop_id, people = _workshop(console)
    with console.sessions.begin() as s:
        employee = s.get_one(Employee, people["Andi"])
        at = utcnow().replace(microsecond=0)
        result = checkin.check_in(
            s, employee, checkin.display(KEY.encode(), workshop_id, at).code, at, key=KEY.encode()
        )
        assert result.outcome == checkin.Outcome.ATTENDED
        nip = employee.nip
    response = console.client.get(f"/hadir/{workshop_id}/daftar-hadir.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = [[c.value for c in row] for row in book.active.iter_rows()]
    assert rows[0] == ["Nama", "NIP", "Unit", "Status", "Waktu hadir", "Cara"]
    body = {r[0]: r for r in rows[1:]}
    assert len(body) == 3
    andi = next(r for name, r in body.items() if "Andi" in str(name))
    assert not str(andi[0]).startswith("=")  # formula-safe
    assert andi[1] == mask_nip(nip)
    assert andi[1] != nip
    assert andi[2] == "BKPSDM"
    assert andi[3] == "hadir"
    assert str(andi[4]).endswith("WIB")
    assert andi[5] == "kode"
    budi = body["Budi Bkpsdm"]
    assert (budi[3], budi[4]) == ("terdaftar", None)
    csv_text = console.client.get(f"/hadir/{workshop_id}/daftar-hadir.csv").content.decode(
        "utf-8-sig"
    )
    assert csv_text.splitlines()[0] == "Nama,NIP,Unit,Status,Waktu hadir,Cara"
    assert nip not in csv_text
    assert console.client.get(f"/hadir/{workshop_id}/daftar-hadir.pdf").status_code == 404
