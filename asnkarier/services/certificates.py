"""PDF certificates with a unique number and a QR code to the public verification page.

`issue` records the certificate, `render_pdf` draws it, `verify` is what the page at
`<WEB_BASE_URL>/verifikasi/<number>` shows (valid, revoked or unknown, and no personal data
beyond the holder's name), `revoke` withdraws it.

fpdf2 draws the PDF (pure Python, maintained, no system libraries); segno builds the QR code
(pure Python, no Pillow): its module matrix is drawn as vector squares, so the code stays sharp
when printed at any size.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

import segno
from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from asnkarier.models import Certificate, Employee, utcnow
from asnkarier.services.audit import record
from asnkarier.services.formatting import tanggal

# No 0/O, 1/I/L: a number read aloud over the phone or typed from paper stays unambiguous.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ISSUER = "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia"


class CertificateError(ValueError):
    """A certificate cannot be issued or revoked; the message is for HR (Indonesian)."""


class Status(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Verification:
    """What the public page may show: status, and for a known number the holder's name, the
    title, the date and the JP (no NIP, no unit, no contact)."""

    number: str
    status: Status
    holder_name: str | None = None
    title: str | None = None
    held_on: dt.date | None = None
    revoked_on: dt.date | None = None
    jp: int | None = None


def new_number(year: int) -> str:
    """'2026-7K3Q-9XPA': the year, then 8 random characters (31^8, about 8.5e11 per year)."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{year}-{chars[:4]}-{chars[4:]}"


def normalize_number(text: str) -> str:
    """As typed: lower case, spaces, a missing dash; O for 0 and I/L for 1 are not guessed."""
    raw = "".join(ch for ch in text.upper() if ch.isalnum())
    if len(raw) != 12 or not raw[:4].isdigit():
        return text.strip().upper()
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def issue(
    session: Session,
    employee: Employee,
    *,
    title: str,
    held_on: dt.date,
    jp: int,
    workshop_id: int | None = None,
    actor: str = "system",
) -> Certificate:
    """Record a certificate under a fresh unique number."""
    if jp < 1:
        raise CertificateError("JP sertifikat minimal 1.")
    for _ in range(5):  # a collision is astronomically rare; the unique constraint is the proof
        number = new_number(held_on.year)
        if session.scalar(select(Certificate.id).where(Certificate.number == number)) is None:
            break
    else:  # pragma: no cover - needs five collisions in a row
        raise CertificateError("Gagal membuat nomor sertifikat; coba lagi.")
    certificate = Certificate(
        number=number,
        employee_id=employee.id,
        workshop_id=workshop_id,
        holder_name=employee.name,
        title=title,
        held_on=held_on,
        jp=jp,
    )
    session.add(certificate)
    session.flush()
    record(session, actor, "certificate.issued", number)
    return certificate


def verify_url(base_url: str, number: str) -> str:
    return f"{base_url.rstrip('/')}/verifikasi/{number}"


def verify(session: Session, number: str) -> Verification:
    """The verification page's answer for a number (unknown numbers reveal nothing)."""
    wanted = normalize_number(number)
    certificate = session.scalar(select(Certificate).where(Certificate.number == wanted))
    if certificate is None:
        return Verification(wanted, Status.UNKNOWN)
    revoked = certificate.revoked_at
    return Verification(
        wanted,
        Status.REVOKED if revoked else Status.VALID,
        certificate.holder_name,
        certificate.title,
        certificate.held_on,
        revoked.date() if revoked else None,
        certificate.jp,
    )


def revoke(session: Session, number: str, reason: str, *, actor: str) -> Certificate:
    """Withdraw a certificate; the verification page then says it was revoked."""
    certificate = session.scalar(
        select(Certificate).where(Certificate.number == normalize_number(number))
    )
    if certificate is None:
        raise CertificateError(f"Sertifikat {number} tidak ditemukan.")
    if certificate.revoked_at is not None:
        raise CertificateError(f"Sertifikat {certificate.number} sudah dicabut.")
    reason = " ".join(reason.split())
    if len(reason) < 5:
        raise CertificateError("Mohon tulis alasan pencabutan (minimal 5 karakter).")
    certificate.revoked_at = utcnow()
    certificate.revoke_reason = reason
    session.flush()
    record(session, actor, "certificate.revoked", certificate.number, {"reason": reason})
    return certificate


def _latin1(text: str) -> str:
    """The PDF core fonts cover Latin-1: keep accents where they fit, transliterate the rest."""
    out = []
    for ch in text:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(plain or "?")
    return "".join(out)


def render_pdf(certificate: Certificate, *, nip: str, base_url: str, issuer: str = ISSUER) -> bytes:
    """The certificate as an A4 landscape PDF: holder, NIP, title, date, JP, number, QR code."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(_latin1(f"Sertifikat {certificate.number}"))
    pdf.set_creator("Asisten Karier ASN")
    pdf.add_page()
    width, height = pdf.w, pdf.h
    pdf.set_draw_color(22, 78, 140)
    pdf.set_line_width(1.5)
    pdf.rect(10, 10, width - 20, height - 20)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, width - 28, height - 28)

    def line(text: str, size: float, style: str = "", gap: float = 4) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.set_x(20)
        pdf.cell(width - 40, size * 0.5, _latin1(text), align="C")
        pdf.ln(size * 0.5 + gap)

    pdf.set_y(28)
    pdf.set_text_color(22, 78, 140)
    line(issuer.upper(), 11, "B", 10)
    line("SERTIFIKAT", 34, "B", 2)
    pdf.set_text_color(60, 60, 60)
    line(f"Nomor: {certificate.number}", 11, "", 10)
    line("diberikan kepada", 12, "I", 4)
    pdf.set_text_color(0, 0, 0)
    line(certificate.holder_name, 24, "B", 2)
    line(f"NIP {nip}", 12, "", 10)
    pdf.set_text_color(60, 60, 60)
    line("atas keikutsertaannya dalam", 12, "I", 4)
    pdf.set_text_color(0, 0, 0)
    line(certificate.title, 18, "B", 4)
    line(
        f"{tanggal(certificate.held_on, with_day=False)} - {certificate.jp} Jam Pelajaran (JP)",
        13,
        "",
        4,
    )

    url = verify_url(base_url, certificate.number)
    qr = segno.make(url, error="m")
    size = 34.0  # mm, the whole code with its quiet zone
    modules = qr.symbol_size(border=2)[0]
    cell = size / modules
    left, top = width - 22 - size, height - 22 - size
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(qr.matrix_iter(border=2)):
        for col_index, dark in enumerate(row):
            if dark:
                pdf.rect(left + col_index * cell, top + row_index * cell, cell, cell, style="F")
    pdf.set_font("Helvetica", "", 8)
    pdf.set_text_color(60, 60, 60)
    pdf.set_xy(22, height - 30)
    pdf.cell(
        width - 70 - size,
        4,
        _latin1(f"Keaslian sertifikat ini dapat diperiksa di {url}"),
        align="L",
    )
    return bytes(pdf.output())
