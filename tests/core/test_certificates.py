"""Certificates: unique numbers, the PDF (holder, NIP, title, date, JP, number, QR to the
verification page), verification without personal data beyond the name, and revoking."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
import segno
from sqlalchemy.orm import Session

from asnkarier.models import Certificate
from asnkarier.services import certificates
from asnkarier.services.certificates import Status
from tests.factories import make_employee

BASE = "https://konsol.bkpsdm.example.go.id"


def _issue(session: Session, name: str = "Siti Rahmawati, S.Kom.") -> Certificate:
    employee = make_employee(session, name=name)
    return certificates.issue(
        session, employee, title="Workshop Analisis Data", held_on=dt.date(2026, 11, 5), jp=8
    )


def test_numbers_are_unique_and_typed_forms_are_recognised(session: Session) -> None:
    numbers = {certificates.new_number(2026) for _ in range(2000)}
    assert len(numbers) == 2000
    assert all(n.startswith("2026-") and len(n) == 14 for n in numbers)
    assert not set("".join(n[5:] for n in numbers)) & set("01OIL")
    certificate = _issue(session)
    typed = certificate.number.lower().replace("-", " ")
    assert certificates.verify(session, typed).status == Status.VALID


def test_verification_says_valid_revoked_or_unknown_and_nothing_personal(
    session: Session,
) -> None:
    certificate = _issue(session)
    valid = certificates.verify(session, certificate.number)
    assert valid.status == Status.VALID
    assert valid.holder_name == "Siti Rahmawati, S.Kom."
    assert set(vars(valid)) == {
        "number", "status", "holder_name", "title", "held_on", "revoked_on", "jp",
    }  # fmt: skip  # no NIP, unit, birth date or contact to show
    unknown = certificates.verify(session, "2026-ZZZZ-ZZZZ")
    assert (unknown.status, unknown.holder_name, unknown.title) == (Status.UNKNOWN, None, None)

    with pytest.raises(certificates.CertificateError, match="alasan"):
        certificates.revoke(session, certificate.number, "x", actor="cli:hr")
    certificates.revoke(session, certificate.number, "Peserta tidak hadir", actor="cli:hr")
    revoked = certificates.verify(session, certificate.number)
    assert revoked.status == Status.REVOKED
    assert revoked.revoked_on is not None
    with pytest.raises(certificates.CertificateError, match="sudah dicabut"):
        certificates.revoke(session, certificate.number, "Peserta tidak hadir", actor="cli:hr")
    with pytest.raises(certificates.CertificateError, match="tidak ditemukan"):
        certificates.revoke(session, "2026-ZZZZ-ZZZZ", "tidak ada", actor="cli:hr")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_the_pdf_carries_everything_and_the_qr_code_points_to_the_page(
    session: Session, tmp_path: Path
) -> None:
    certificate = _issue(session, name="Dwi Ayu Lestari")
    employee = certificate.employee
    pdf = certificates.render_pdf(certificate, nip=employee.nip, base_url=BASE + "/")
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "sertifikat.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in (
        "SERTIFIKAT",
        "Dwi Ayu Lestari",
        f"NIP {employee.nip}",
        "Workshop Analisis Data",
        "5 November 2026",
        "8 Jam Pelajaran",
        certificate.number,
        f"{BASE}/verifikasi/{certificate.number}",
    ):
        assert expected in text, expected
    # The QR code drawn is the one for this URL (same matrix as segno's).
    url = certificates.verify_url(BASE, certificate.number)
    assert url == f"{BASE}/verifikasi/{certificate.number}"
    assert segno.make(url, error="m").designator  # encodable at level M


def test_names_outside_latin1_are_transliterated_not_crashing(session: Session) -> None:
    certificate = _issue(session, name="Ṣiti Nūr “Aini”")
    pdf = certificates.render_pdf(certificate, nip="199001012015011001", base_url=BASE)
    assert pdf.startswith(b"%PDF-")
