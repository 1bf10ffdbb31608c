"""Workshop in the console: create, capacity change promoting the waitlist, cancel with the
registrants told through the outbox; unit operators manage only their own unit's workshops."""

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
    listed = console.client.get("/workshop")
    assert listed.status_code == 200
    assert "ws-konsol-1" not in listed.text  # BKPSDM-wide: not a unit operator's
    assert console.client.get(f"/workshop/{workshop_id}").status_code == 403
    assert (
        console.client.post(
            f"/workshop/{workshop_id}/batal", data={"csrf_token": console.csrf()}
        ).status_code
        == 403
    )


def _workshop_id(location: str) -> int:
    match = re.fullmatch(r"/workshop/(\d+)", location)
    assert match, location
    return int(match.group(1))


def test_unit_operators_manage_their_own_units_workshops_only(console: Console) -> None:
    admin, rsud, dinkes = (
        console.officer(),
        console.officer(unit="RSUD", admin=False),
        console.officer(unit="DINKES", admin=False),
    )
    # hr_admin makes one BKPSDM-wide and one organised by DINKES.
    console.sign_in(admin)
    wide = _workshop_id(
        console.client.post(
            "/workshop", data=_form(console, kode="ws-pemda"), follow_redirects=False
        ).headers["location"]
    )
    theirs = _workshop_id(
        console.client.post(
            "/workshop",
            data=_form(console, kode="ws-dinkes", penyelenggara="DINKES"),
            follow_redirects=False,
        ).headers["location"]
    )
    bad = console.client.post("/workshop", data=_form(console, kode="x", penyelenggara="NOPE"))
    assert bad.status_code == 422
    assert "penyelenggara" in bad.text
    console.client.cookies.clear()

    # The RSUD operator creates one: it is RSUD's whatever the form claims.
    console.sign_in(rsud)
    assert 'href="/workshop"' in console.client.get("/").text
    form = _form(console, kode="ws-rsud", judul="Pelatihan RSUD", penyelenggara="")
    created = console.client.post("/workshop", data=form, follow_redirects=False)
    assert created.status_code == 303, created.text
    own = _workshop_id(created.headers["location"])
    rsud_unit = console.employee(rsud).unit_id
    with console.sessions() as s:
        workshop = s.get(Workshop, own)
        assert workshop is not None
        assert workshop.unit_id == rsud_unit
    listed = console.client.get("/workshop").text
    assert "ws-rsud" in listed
    assert "ws-pemda" not in listed
    assert "ws-dinkes" not in listed
    # Registrants of the unit's own workshop, capacity change, cancel: allowed.
    with console.sessions.begin() as s:
        guest = make_employee(s, unit_code="DINKES", chat_id=7_950_101, name="Peserta Tamu")
        workshops.register(s, guest.id, own)
    page = console.client.get(f"/workshop/{own}")
    assert page.status_code == 200
    assert "Peserta Tamu" in page.text
    grown = console.client.post(
        f"/workshop/{own}",
        data=_form(console, kode="ws-rsud", kapasitas="5"),
        follow_redirects=False,
    )
    assert grown.status_code == 303
    # Someone else's (another unit's, BKPSDM-wide): neither seen nor changed nor cancelled.
    for other in (wide, theirs):
        assert console.client.get(f"/workshop/{other}").status_code == 403
        edit = console.client.post(
            f"/workshop/{other}", data=_form(console, kode=f"ganti-{other}", kapasitas="9")
        )
        assert edit.status_code == 403
        cancel = console.client.post(
            f"/workshop/{other}/batal", data={"csrf_token": console.csrf()}
        )
        assert cancel.status_code == 403
    with console.sessions() as s:
        for other in (wide, theirs):
            workshop = s.get(Workshop, other)
            assert workshop is not None
            assert workshop.capacity == 1
            assert not workshop.is_cancelled
    assert (
        console.client.post(
            f"/workshop/{own}/batal", data={"csrf_token": console.csrf()}, follow_redirects=False
        ).status_code
        == 303
    )
    console.client.cookies.clear()

    # The DINKES operator sees DINKES's workshop, not RSUD's.
    console.sign_in(dinkes)
    listed = console.client.get("/workshop").text
    assert "ws-dinkes" in listed
    assert "ws-rsud" not in listed
    assert console.client.get(f"/workshop/{theirs}").status_code == 200
    assert console.client.get(f"/workshop/{own}").status_code == 403
    # hr_admin moves the DINKES one to BKPSDM-wide: the operator loses it.
    console.client.cookies.clear()
    console.sign_in(admin)
    moved = console.client.post(
        f"/workshop/{theirs}",
        data=_form(console, kode="ws-dinkes", penyelenggara="*"),
        follow_redirects=False,
    )
    assert moved.status_code == 303
    with console.sessions() as s:
        workshop = s.get(Workshop, theirs)
        assert workshop is not None
        assert workshop.unit_id is None
