"""Pegawai in the console: search in scope, masked NIP and phone, audited reveal, unit scope."""

from __future__ import annotations

from sqlalchemy import select

from asnkarier.models import AuditLog
from asnkarier.services.nip import mask_nip
from tests.factories import make_employee
from tests.web.conftest import Console


def test_search_mask_reveal_and_unit_scope(console: Console) -> None:
    with console.sessions.begin() as s:
        nurse = make_employee(s, unit_code="RSUD", name="Sari Perawat Uji", phone="081234567890")
        clerk = make_employee(s, unit_code="SETDA", name="Sari Staf Setda")
        nurse_id, nurse_nip, clerk_id = nurse.id, nurse.nip, clerk.id
    console.sign_in(console.officer())
    listing = console.client.get("/pegawai", params={"q": "sari"}).text
    assert "Sari Perawat Uji" in listing
    assert "Sari Staf Setda" in listing
    assert nurse_nip not in listing
    assert mask_nip(nurse_nip) in listing
    only_rsud = console.client.get("/pegawai", params={"q": "sari", "unit": "RSUD"}).text
    assert "Sari Staf Setda" not in only_rsud
    page = console.client.get(f"/pegawai/{nurse_id}").text
    assert nurse_nip not in page
    assert "0812******90" in page
    revealed = console.client.post(
        f"/pegawai/{nurse_id}/buka", data={"csrf_token": console.csrf()}
    ).text
    assert nurse_nip in revealed
    assert "081234567890" in revealed
    with console.sessions() as s:
        entry = s.scalar(
            select(AuditLog)
            .where(AuditLog.action == "employee.reveal")
            .order_by(AuditLog.id.desc())
        )
    assert entry is not None
    assert entry.target == mask_nip(nurse_nip)
    assert console.client.post(f"/pegawai/{nurse_id}/buka").status_code == 403  # no CSRF token

    console.client.cookies.clear()
    console.sign_in(console.officer(unit="RSUD", admin=False))
    assert console.client.get(f"/pegawai/{nurse_id}").status_code == 200
    refused = console.client.get(f"/pegawai/{clerk_id}")
    assert refused.status_code == 403
    assert "bukan dari unit" in refused.text
    own = console.client.get("/pegawai", params={"q": "sari", "unit": "SETDA"}).text
    assert "Sari Perawat Uji" in own
    assert "Sari Staf Setda" not in own
    assert console.client.get("/pegawai/999999999").status_code == 404
