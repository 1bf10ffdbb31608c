"""Workshop in the console: create, capacity change promoting the waitlist, cancel with the
registrants told through the outbox; hr_admin only."""

from __future__ import annotations

import re

from sqlalchemy import select

from asnkarier.models import OutboxMessage, Registration, RegistrationStatus, Workshop
from asnkarier.services import workshops
from tests.factories import make_employee
from tests.web.conftest import Console


def _form(console: Console, **values: str) -> dict[str, str]:
    return {
        "csrf_token": console.csrf(),
        "kode": "ws-konsol-1",
        "judul": "Penyusunan SKP dari Konsol",
        "mulai": "2099-03-04T09:00",
        "durasi": "3",
        "kapasitas": "1",
        "lokasi": "Aula BKPSDM",
        "jp": "3",
        **values,
    }


def test_create_grow_capacity_and_cancel(console: Console) -> None:
    console.sign_in(console.officer())
    created = console.client.post("/workshop", data=_form(console), follow_redirects=False)
    assert created.status_code == 303, created.text
    match = re.fullmatch(r"/workshop/(\d+)", created.headers["location"])
    assert match
    workshop_id = int(match.group(1))
    again = console.client.post("/workshop", data=_form(console))
    assert again.status_code == 422
    assert "sudah dipakai" in again.text
    with console.sessions.begin() as s:
        first = make_employee(s, chat_id=7_950_001, name="Peserta Pertama")
        second = make_employee(s, chat_id=7_950_002, name="Peserta Antre")
        workshops.register(s, first.id, workshop_id)
        workshops.register(s, second.id, workshop_id)
        second_id = second.id
    page = console.client.get(f"/workshop/{workshop_id}").text
    assert "antre #1" in page
    assert 'value="2099-03-04T09:00"' in page
    shrink = console.client.post(f"/workshop/{workshop_id}", data=_form(console, kapasitas="0"))
    assert shrink.status_code == 422
    grown = console.client.post(
        f"/workshop/{workshop_id}", data=_form(console, kapasitas="2"), follow_redirects=False
    )
    assert grown.status_code == 303
    with console.sessions() as s:
        status = s.scalar(select(Registration.status).where(Registration.employee_id == second_id))
        promoted = s.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.chat_id == 7_950_002)
        ).all()
    assert status == RegistrationStatus.REGISTERED
    assert promoted == ["waitlist"]
    console.client.post(f"/workshop/{workshop_id}/batal", data={"csrf_token": console.csrf()})
    with console.sessions() as s:
        workshop = s.get(Workshop, workshop_id)
        assert workshop is not None
        assert workshop.is_cancelled
        told = s.scalars(
            select(OutboxMessage.chat_id).where(
                OutboxMessage.idempotency_key.startswith(f"workshop-cancelled:{workshop_id}:")
            )
        ).all()
    assert sorted(told) == [7_950_001, 7_950_002]
    assert "dibatalkan" in console.client.get("/workshop").text

    console.client.cookies.clear()
    console.sign_in(console.officer(unit="RSUD", admin=False))
    assert console.client.get("/workshop").status_code == 403
    assert (
        console.client.post(
            f"/workshop/{workshop_id}/batal", data={"csrf_token": console.csrf()}
        ).status_code
        == 403
    )
