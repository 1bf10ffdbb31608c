"""Laporan pelatihan in the console: the queue, a report with its file (signed-in officers of the
right unit only), approve with the JP and reject with a reason through the core service, the
employee told through the outbox; CSRF and audit."""

from __future__ import annotations

import datetime as dt
import io
import itertools

from PIL import Image
from sqlalchemy import select

from asnkarier.models import AuditLog, CompetencyHours, OutboxMessage, TrainingReport
from asnkarier.services import files, training_reports
from tests.factories import make_employee
from tests.web.conftest import Console

_chats = itertools.count(974_500)
_colour = itertools.count(1)


def certificate_png() -> bytes:
    """A small PNG of its own (the store keeps one row per content)."""
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (240, next(_colour) % 256, 200)).save(out, format="PNG")
    return out.getvalue()


def make_report(
    console: Console, *, unit: str = "DINKES", linked: bool = True, content: bytes | None = None
) -> tuple[int, int]:
    """A pending report of a new employee; (report id, employee id)."""
    with console.sessions.begin() as s:
        employee = make_employee(
            s, unit_code=unit, chat_id=next(_chats) if linked else None, name="Pelapor Uji"
        )
        stored = files.store(s, files.check(content or certificate_png()), "sertifikat.png")
        report = training_reports.create(
            s,
            employee,
            stored.id,
            {
                "title": "Pelatihan Analisis <Jabatan>",
                "provider": "BPSDM Provinsi",
                "start": "2026-10-05",
                "end": "2026-10-07",
                "jp": 24,
            },
        )
        return report.id, employee.id


def _csrf(console: Console, report_id: int) -> str:
    page = console.client.get(f"/laporan-pelatihan/{report_id}").text
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def test_approve_reaches_the_employee_through_the_outbox(console: Console) -> None:
    report_id, employee_id = make_report(console)
    content = certificate_png()
    pdf_id, _ = make_report(console, content=b"%PDF-1.4\n% sertifikat\n%%EOF\n" + content)
    console.sign_in(console.officer())
    queue = console.client.get("/laporan-pelatihan").text
    assert f'href="/laporan-pelatihan/{report_id}"' in queue
    assert "Pelatihan Analisis &lt;Jabatan&gt;" in queue
    page = console.client.get(f"/laporan-pelatihan/{report_id}").text
    assert f'<img src="/laporan-pelatihan/{report_id}/berkas"' in page
    assert 'value="24"' in page
    image = console.client.get(f"/laporan-pelatihan/{report_id}/berkas")
    assert image.headers["content-type"] == "image/png"
    assert image.headers["content-disposition"] == f'inline; filename="laporan-{report_id}.png"'
    assert image.content.startswith(b"\x89PNG")
    pdf = console.client.get(f"/laporan-pelatihan/{pdf_id}/berkas", params={"unduh": 1})
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert "<img" not in console.client.get(f"/laporan-pelatihan/{pdf_id}").text

    csrf = _csrf(console, report_id)
    assert (
        console.client.post(
            f"/laporan-pelatihan/{report_id}/setujui", data={"jp": "20"}
        ).status_code
        == 403
    )
    bad = console.client.post(
        f"/laporan-pelatihan/{report_id}/setujui", data={"csrf_token": csrf, "jp": "999"}
    )
    assert bad.status_code == 422
    assert "JP harus 1 sampai 200" in bad.text
    done = console.client.post(
        f"/laporan-pelatihan/{report_id}/setujui", data={"csrf_token": csrf, "jp": "20"}
    )
    assert done.status_code == 200
    assert 'id="pesan-berhasil"' in done.text
    assert "diberi tahu lewat bot" in done.text
    with console.sessions() as s:
        [message] = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.employee_id == employee_id,
                OutboxMessage.kind == training_reports.OUTBOX_KIND,
            )
        ).all()
        hours = s.scalar(
            select(CompetencyHours.jp).where(CompetencyHours.training_report_id == report_id)
        )
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "training_report.approved"))
    assert "disetujui BKPSDM" in message.text
    assert "20 JP" in message.text
    assert "(Diajukan 24 JP.)" in message.text
    assert hours == 20
    assert entry is not None
    assert entry.actor.startswith("web:")
    assert entry.target == f"#{report_id}"
    # Decided: no second decision, the list of approved ones shows it.
    again = console.client.post(
        f"/laporan-pelatihan/{report_id}/tolak", data={"csrf_token": csrf, "alasan": "Salah kirim"}
    )
    assert again.status_code == 422
    assert "sudah diputuskan" in again.text
    assert f"#{report_id}<" in console.client.get("/laporan-pelatihan?status=disetujui").text
    assert f"#{report_id}<" not in console.client.get("/laporan-pelatihan").text


def test_reject_needs_a_reason(console: Console) -> None:
    report_id, employee_id = make_report(console)
    console.sign_in(console.officer())
    csrf = _csrf(console, report_id)
    empty = console.client.post(
        f"/laporan-pelatihan/{report_id}/tolak", data={"csrf_token": csrf, "alasan": "  "}
    )
    assert empty.status_code == 422
    assert "alasan penolakan" in empty.text
    done = console.client.post(
        f"/laporan-pelatihan/{report_id}/tolak",
        data={"csrf_token": csrf, "alasan": "Sertifikat tidak terbaca, mohon kirim ulang."},
    )
    assert done.status_code == 200
    with console.sessions() as s:
        report = s.get(TrainingReport, report_id)
        message = s.scalar(select(OutboxMessage).where(OutboxMessage.employee_id == employee_id))
    assert report is not None
    assert report.status.value == "rejected"
    assert message is not None
    assert "Alasan: Sertifikat tidak terbaca" in message.text


def test_file_needs_sign_in_and_the_right_unit(console: Console) -> None:
    report_id, _ = make_report(console, unit="SETDA")
    anonymous = console.client.get(f"/laporan-pelatihan/{report_id}/berkas", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/masuk"
    assert not anonymous.content.startswith(b"\x89PNG")
    console.sign_in(console.officer(unit="RSUD", admin=False))
    assert console.client.get(f"/laporan-pelatihan/{report_id}/berkas").status_code == 403
    assert console.client.get(f"/laporan-pelatihan/{report_id}").status_code == 403
    assert (
        f'/laporan-pelatihan/{report_id}"'
        not in console.client.get("/laporan-pelatihan?status=semua").text
    )
    assert console.client.get("/laporan-pelatihan/999999/berkas").status_code == 404
    console.client.cookies.clear()
    console.sign_in(console.officer(unit="SETDA", admin=False))
    assert console.client.get(f"/laporan-pelatihan/{report_id}/berkas").status_code == 200
    assert (
        dt.date(2026, 10, 7).strftime("%d-%m-%Y") in console.client.get("/laporan-pelatihan").text
    )
