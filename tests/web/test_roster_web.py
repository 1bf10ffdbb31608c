"""Impor pegawai in the console: preview then import through the core's validator, strict mode
imports nothing, bad files named, CSRF and hr_admin only, audited."""

from __future__ import annotations

import io
import itertools
import tempfile

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select

from asnkarier.models import AuditLog, Employee
from tests.web.conftest import Console, console_settings
from web.app import create_app

HEADER = "nip,nama,unit_kerja,jabatan,golongan"
_serial = itertools.count(1)


def nip() -> str:
    """A valid NIP of its own (born 1985-03-03, appointed 2010-01) per call."""
    n = next(_serial)
    return f"1985030320100{1 + n // 999 % 9}1{1 + n % 999:03d}"


def _csrf(console: Console) -> str:
    page = console.client.get("/pegawai/impor").text
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def _upload(console: Console, name: str, content: bytes, *, strict: bool = False) -> str:
    response = console.client.post(
        "/pegawai/impor/pratinjau",
        data={"csrf_token": _csrf(console), **({"ketat": "ya"} if strict else {})},
        files={"berkas": (name, content, "text/csv")},
    )
    return response.text


def _token(page: str) -> str:
    marker = 'name="token" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def _count(console: Console, nips: list[str]) -> int:
    with console.sessions() as s:
        return s.scalar(select(func.count()).where(Employee.nip.in_(nips))) or 0


def test_bad_rows_are_listed_and_strict_imports_nothing(console: Console) -> None:
    console.sign_in(console.officer())
    good, twice = nip(), nip()
    lines = [
        HEADER,
        f"{good},Ani Lestari,Dinas Uji Impor,Analis Kepegawaian,III/b",
        f"{twice},Budi <script>alert(1)</script>,Dinas Uji Impor,Pengadministrasi,II/c",
        f"{twice},Budi Ganda,Dinas Uji Impor,Pengadministrasi,II/c",
        "12345,Cici Salah,Dinas Uji Impor,Pengadministrasi,II/c",
        f"{nip()},Dedi,Dinas Uji Impor,Pengadministrasi,IX/z",
        f'{nip()},=HYPERLINK("http://x"),Dinas Uji Impor,Pengadministrasi,II/a',
    ]
    body = "\n".join(lines).encode()
    page = _upload(console, "roster.csv", body, strict=True)
    assert "Mode ketat: tidak ada yang akan diimpor" in page
    assert "NIP ganda: sudah ada di baris 3" in page
    assert "NIP harus 18 digit" in page
    assert "golongan &#39;IX/z&#39; tidak dikenal" in page
    assert "rumus spreadsheet" in page  # the formula-looking name is a warning
    assert "<script>alert(1)</script>" not in page
    assert 'id="tombol-impor"' not in page  # nothing to import in strict mode
    assert _count(console, [good, twice]) == 0  # the preview wrote nothing

    # Not strict: the preview offers the good rows, "Impor" writes them, the bad stay out.
    page = _upload(console, "roster.csv", body)
    assert 'id="tombol-impor"' in page
    assert _count(console, [good, twice]) == 0
    done = console.client.post(
        "/pegawai/impor",
        data={"csrf_token": _csrf(console), "token": _token(page), "nama_berkas": "roster.csv"},
    )
    assert done.status_code == 200, done.text
    assert "Impor selesai: 3 pegawai baru" in done.text
    assert _count(console, [good, twice]) == 2
    with console.sessions() as s:
        entry = s.scalar(
            select(AuditLog).where(AuditLog.action == "roster.import").order_by(AuditLog.id.desc())
        )
    assert entry is not None
    assert entry.actor.startswith("web:")
    assert entry.details["created"] == 3
    # The previewed file is used once.
    again = console.client.post(
        "/pegawai/impor", data={"csrf_token": _csrf(console), "token": _token(page)}
    )
    assert again.status_code == 410


def test_strict_good_file_and_xlsx_import(console: Console) -> None:
    console.sign_in(console.officer())
    nips = [nip(), nip()]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    for n, value in enumerate(nips):
        sheet.append([value, f"Pegawai Xlsx {n}", "Dinas Uji Xlsx", "Pengadministrasi", "II/b"])
    out = io.BytesIO()
    book.save(out)
    page = _upload(console, "roster.xlsx", out.getvalue(), strict=True)
    assert 'id="tombol-impor"' in page, page
    # Another officer cannot use this preview's token.
    other = TestClient(create_app(console.settings, console.sessions))
    Console(other, console.sessions, console.settings).sign_in(console.officer())
    page_other = other.get("/pegawai/impor").text
    marker = 'name="csrf_token" value="'
    start = page_other.index(marker) + len(marker)
    csrf_other = page_other[start : page_other.index('"', start)]
    refused = other.post("/pegawai/impor", data={"csrf_token": csrf_other, "token": _token(page)})
    assert refused.status_code == 400
    # The same officer on another console replica (another app on the same DB) imports it.
    replica = TestClient(create_app(console.settings, console.sessions))
    replica.cookies = console.client.cookies
    done = replica.post(
        "/pegawai/impor",
        data={"csrf_token": _csrf(console), "token": _token(page), "ketat": "ya"},
    )
    assert "Impor selesai: 2 pegawai baru" in done.text
    assert _count(console, nips) == 2


def test_bad_files_are_named(console: Console) -> None:
    console.sign_in(console.officer())
    empty = _upload(console, "kosong.csv", b"")
    assert "kosong.csv: berkas kosong" in empty
    assert tempfile.gettempdir() not in empty  # the server's temporary path never shows
    assert "format tidak didukung" in _upload(console, "foto.png", b"\x89PNG\r\n\x1a\n")
    assert "bukan berkas XLSX" in _upload(console, "palsu.xlsx", b"nip,nama\n1,2\n")
    assert "kolom" in _upload(console, "tanpa-judul.csv", b"a,b,c\n1,2,3\n")


def test_huge_file_refused_before_reading_it_all(console: Console) -> None:
    console.sign_in(console.officer())
    app = console.client.app
    app.state.settings = console_settings(roster_max_bytes=2_000)  # type: ignore[attr-defined]
    try:
        body = (HEADER + "\n" + f"{nip()},Nama,Unit,Jabatan,II/a\n" * 100).encode()
        page = _upload(console, "besar.csv", body)
    finally:
        app.state.settings = console.settings  # type: ignore[attr-defined]
    assert "besar.csv: berkas lebih besar dari batas" in page
    assert "(ROSTER_MAX_BYTES)" in page


def test_csrf_and_role(console: Console) -> None:
    console.sign_in(console.officer())
    refused = console.client.post(
        "/pegawai/impor/pratinjau", files={"berkas": ("r.csv", b"x", "text/csv")}
    )
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    console.client.cookies.clear()
    console.sign_in(console.officer(unit="RSUD", admin=False))
    assert console.client.get("/pegawai/impor").status_code == 403


def test_nothing_to_import_is_said_so(console: Console) -> None:
    console.sign_in(console.officer())
    only_bad = _upload(console, "salah.csv", f"{HEADER}\n123,Nama,Unit,Jabatan,II/a\n".encode())
    assert "Tidak ada baris yang valid untuk diimpor." in only_bad
    assert 'id="tombol-impor"' not in only_bad
    header_only = _upload(console, "judul.csv", f"{HEADER}\n".encode())
    assert "Berkas tidak berisi baris data pegawai." in header_only
