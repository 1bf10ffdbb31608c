"""The public verification page (valid, revoked, unknown, garbage; no sign-in, nothing personal
beyond the name) and the console's feedback page (scores, escaped comments, certificates,
revoking with CSRF and hr_admin rights, unit operators scoped to their unit)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy import select

from asnkarier.models import AuditLog, Registration, RegistrationStatus, utcnow
from asnkarier.services import feedback as fb
from tests.factories import make_employee, make_workshop
from tests.web.conftest import Console


@dataclass
class Done:
    workshop_id: int
    numbers: dict[str, str]  # unit code -> certificate number
    nips: list[str]


def _finished_workshop(console: Console) -> Done:
    """An ended workshop whose two attendees (BKPSDM, DINKES) answered and got certificates."""
    now = utcnow()
    with console.sessions.begin() as s:
        start = now.replace(microsecond=0) - dt.timedelta(hours=5)
        workshop = make_workshop(
            s,
            title="Workshop Manajemen ASN",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=3),
            registration_deadline=start - dt.timedelta(days=1),
            jp=6,
        )
        numbers, nips = {}, []
        for unit, scores, comment in (
            ("BKPSDM", (5, 4), "Sangat jelas <script>alert(1)</script>"),
            ("DINKES", (2, 3), "Ruangan terlalu penuh"),
        ):
            person = make_employee(s, unit_code=unit, name=f"Peserta {unit}")
            s.add(
                Registration(
                    workshop_id=workshop.id, employee_id=person.id,
                    status=RegistrationStatus.ATTENDED, attended_at=now, attended_via="console",
                )
            )  # fmt: skip
            s.flush()
            fb.answer(s, workshop.id, person, fb.OVERALL, scores[0], now)
            fb.answer(s, workshop.id, person, fb.USEFULNESS, scores[1], now)
            done = fb.complete(s, workshop.id, person, comment, now)
            assert done.certificate is not None
            numbers[unit] = done.certificate.number
            nips.append(person.nip)
        return Done(workshop.id, numbers, nips)


def test_the_verification_page_is_public_and_shows_only_what_it_may(console: Console) -> None:
    done = _finished_workshop(console)
    number = done.numbers["DINKES"]
    with TestClient(console.client.app) as anyone:  # no console session at all
        page = anyone.get(f"/verifikasi/{number}", follow_redirects=False)
        assert page.status_code == 200, page.text
        assert 'data-status="valid"' in page.text
        for shown in ("Sertifikat sah", "Peserta DINKES", "Workshop Manajemen ASN", "6 JP"):
            assert shown in page.text, shown
        for hidden in (*done.nips, "Dinas Kesehatan", ">DINKES<", "Konsol BKPSDM</a>", "Keluar"):
            assert hidden not in page.text, hidden
        assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert page.headers["X-Frame-Options"] == "DENY"
        assert "noindex" in page.headers["X-Robots-Tag"]
        assert "set-cookie" not in page.headers

        typed = anyone.get(
            f"/verifikasi/{number.lower().replace('-', ' ')}", follow_redirects=False
        )
        assert (typed.status_code, typed.headers["location"]) == (301, f"/verifikasi/{number}")
        typed_form = {"nomor": f"  {number.lower()} "}
        form = anyone.get("/verifikasi", params=typed_form, follow_redirects=False)
        assert (form.status_code, form.headers["location"]) == (303, f"/verifikasi/{number}")
        empty = anyone.get("/verifikasi")
        assert empty.status_code == 200
        assert 'id="form-verifikasi"' in empty.text

        unknown = anyone.get("/verifikasi/2026-ZZZZ-ZZZZ")
        assert unknown.status_code == 404
        assert "Sertifikat tidak ditemukan" in unknown.text
        assert 'id="nama"' not in unknown.text
        for garbage in ("<script>alert(1)</script>", "x" * 500, "2026-0000-OOOO", "%00"):
            bad = anyone.get("/verifikasi", params={"nomor": garbage})
            assert bad.status_code == 400, garbage
            assert "Nomor tidak dikenali" in bad.text
            assert "<script>alert" not in bad.text
        path = anyone.get("/verifikasi/..%2F..%2Fetc")
        assert path.status_code == 404
        assert "Halaman tidak ditemukan" in path.text


def test_revoking_needs_csrf_and_hr_rights_and_the_page_then_says_revoked(
    console: Console,
) -> None:
    done = _finished_workshop(console)
    number = done.numbers["DINKES"]
    url = f"/umpan-balik/workshop/{done.workshop_id}/cabut"
    form = {"nomor": number, "alasan": "Peserta tidak mengikuti sesi penuh"}

    operator = console.officer(unit="DINKES", admin=False)
    console.sign_in(operator)
    refused = console.client.post(url, data={**form, "csrf_token": console.csrf()})
    assert refused.status_code == 403
    assert "khusus petugas BKPSDM" in refused.text

    console.sign_in(console.officer())
    assert console.client.post(url, data=form).status_code == 403  # no CSRF token
    short = console.client.post(url, data={**form, "alasan": "x", "csrf_token": console.csrf()})
    assert short.status_code == 422
    assert "alasan" in short.text
    revoked = console.client.post(
        url, data={**form, "csrf_token": console.csrf()}, follow_redirects=False
    )
    assert revoked.status_code == 303, revoked.text
    again = console.client.post(url, data={**form, "csrf_token": console.csrf()})
    assert again.status_code == 422
    assert "sudah dicabut" in again.text

    with TestClient(console.client.app) as anyone:
        page = anyone.get(f"/verifikasi/{number}")
    assert page.status_code == 200
    assert 'data-status="revoked"' in page.text
    assert "dicabut pada" in page.text
    assert "tidak mengikuti sesi penuh" not in page.text  # the reason stays in the console
    with console.sessions() as s:
        entry = s.scalar(
            select(AuditLog).where(
                AuditLog.action == "certificate.revoked", AuditLog.target == number
            )
        )
        assert entry is not None
        assert entry.actor.startswith("web:")
    shown = console.client.get(f"/umpan-balik/workshop/{done.workshop_id}").text
    assert "tidak mengikuti sesi penuh" in shown


def test_the_feedback_page_counts_escapes_and_scopes_by_unit(console: Console) -> None:
    done = _finished_workshop(console)
    console.sign_in(console.officer())
    rincian = console.client.get(f"/workshop/{done.workshop_id}").text
    assert f'href="/umpan-balik/workshop/{done.workshop_id}"' in rincian
    page = console.client.get(f"/umpan-balik/workshop/{done.workshop_id}").text
    assert "<b>2</b> dari <b>2</b> peserta hadir" in page
    assert 'id="rata-keseluruhan">3.5<' in page
    assert 'id="grafik-keseluruhan"' in page
    assert 'id="grafik-manfaat"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert all(n in page for n in done.numbers.values())
    assert page.count('name="alasan"') == 2
    listing = console.client.get("/umpan-balik").text
    assert "Workshop Manajemen ASN" in listing

    console.sign_in(console.officer(unit="DINKES", admin=False))
    theirs = console.client.get(f"/umpan-balik/workshop/{done.workshop_id}").text
    assert "<b>1</b> dari <b>1</b> peserta hadir" in theirs
    assert "Ruangan terlalu penuh" in theirs
    assert "Sangat jelas" not in theirs
    assert done.numbers["DINKES"] in theirs
    assert done.numbers["BKPSDM"] not in theirs
    assert 'name="alasan"' not in theirs  # no revoke form for a unit operator
    assert console.client.get("/umpan-balik/workshop/999999").status_code == 404
