"""Hostile and odd roster files: sheets, headers, control characters, size, type, encoding."""

from __future__ import annotations

import codecs
import datetime as dt
import re
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from asnkarier import db
from asnkarier.models import Employee
from asnkarier.services.roster import RosterFileError, import_roster, read_roster

TODAY = dt.date(2026, 11, 22)
HEADER = ["nip", "nama", "unit_kerja", "jabatan", "golongan"]
ROW = ["198703152010011002", "Budi Santoso", "Dinas Kesehatan", "Perawat Ahli Muda", "III/c"]
ROW2 = ["199001012015032001", "Siti Aminah", "Dinas Kesehatan", "Perawat Ahli Pertama", "III/b"]


def _csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def _names(session: Session) -> set[str]:
    return set(session.scalars(select(Employee.name)))


# --- workbooks --------------------------------------------------------------------------------


def _workbook(path: Path, sheets: list[tuple[str, list[list[str]], str]], active: int) -> Path:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for title, rows, state in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        ws.sheet_state = state
    wb.active = active
    wb.save(path)
    _set_active_tab(path, active)
    return path


def _set_active_tab(path: Path, index: int) -> None:
    """openpyxl moves the active tab off a hidden sheet when saving; a crafted file does not."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    book = parts["xl/workbook.xml"].decode()
    parts["xl/workbook.xml"] = re.sub(r'activeTab="\d+"', f'activeTab="{index}"', book).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_xlsx_uses_the_active_visible_sheet_not_a_hidden_first_one(
    session: Session, tmp_path: Path
) -> None:
    hidden = [HEADER, [*ROW[:1], "Dari Lembar Tersembunyi", *ROW[2:]]]
    path = _workbook(
        tmp_path / "r.xlsx",
        [("Lama", hidden, "hidden"), ("Pegawai", [HEADER, ROW], "visible")],
        active=1,
    )
    report = import_roster(session, read_roster(path), today=TODAY)
    assert report.created == 1
    assert _names(session) == {"Budi Santoso"}


def test_xlsx_with_a_hidden_active_sheet_is_refused(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "r.xlsx",
        [("Lama", [HEADER, ROW], "hidden"), ("Pegawai", [HEADER, ROW2], "visible")],
        active=0,
    )
    with pytest.raises(RosterFileError, match="lembar aktif 'Lama' tersembunyi"):
        read_roster(path)


def test_xlsx_with_several_visible_data_sheets_is_refused_naming_them(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "r.xlsx",
        [("Pegawai", [HEADER, ROW], "visible"), ("Pegawai 2", [HEADER, ROW2], "visible")],
        active=0,
    )
    with pytest.raises(RosterFileError, match="2 lembar berisi data \\('Pegawai', 'Pegawai 2'\\)"):
        read_roster(path)


def test_an_empty_extra_sheet_is_no_ambiguity(session: Session, tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "r.xlsx", [("Kosong", [], "visible"), ("Data", [HEADER, ROW], "visible")], 0
    )
    assert import_roster(session, read_roster(path), today=TODAY).created == 1


def test_xlsx_without_a_header_near_the_top_is_a_clear_error(tmp_path: Path) -> None:
    rows = [[""]] * 25 + [HEADER, ROW]
    path = _workbook(tmp_path / "r.xlsx", [("Data", rows, "visible")], 0)
    with pytest.raises(RosterFileError, match="tidak ada baris judul kolom"):
        read_roster(path)


def test_a_huge_header_is_a_clear_error(tmp_path: Path) -> None:
    path = _csv(tmp_path / "h.csv", ['"' + "n" * 200_000 + '",nama', ",".join(ROW)])
    with pytest.raises(RosterFileError):
        read_roster(path)


# --- headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "meaning"),
    [("UNIT KERJA", "UNOR", "unit_kerja"), ("NIP BARU", "NIP", "nip"), ("nama", "NAMA", "nama")],
)
def test_duplicate_and_aliased_headers_are_refused_naming_both(
    tmp_path: Path, first: str, second: str, meaning: str
) -> None:
    header = [*HEADER, "x"]
    header[header.index(meaning)] = first
    header[-1] = second
    path = _csv(tmp_path / "h.csv", [",".join(header), ",".join([*ROW, "lain"])])
    with pytest.raises(RosterFileError) as caught:
        read_roster(path)
    assert f"{first!r} dan {second!r} sama-sama berarti {meaning}" in str(caught.value)


def test_duplicate_headers_in_xlsx_are_refused_too(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "h.xlsx", [("D", [[*HEADER, "UNOR"], [*ROW, "X"]], "visible")], 0)
    with pytest.raises(RosterFileError, match="'unit_kerja' dan 'UNOR'"):
        read_roster(path)


# --- cells ------------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b"])
def test_control_characters_are_a_row_error_naming_row_and_field(
    session: Session, tmp_path: Path, char: str
) -> None:
    """Also on PostgreSQL, which would abort the whole import on a NUL."""
    bad = [*ROW2[:1], f"Siti{char}Aminah", *ROW2[2:]]
    path = _csv(tmp_path / "c.csv", [",".join(HEADER), ",".join(ROW), ",".join(bad)])
    report = import_roster(session, read_roster(path), today=TODAY)
    assert [(e.line, e.field) for e in report.errors] == [(3, "nama")]
    assert "karakter kontrol" in report.errors[0].reason
    assert report.created == 1


def test_a_huge_field_is_a_row_error_and_the_rest_imports(session: Session, tmp_path: Path) -> None:
    huge = [*ROW2[:1], "A" * 300_000, *ROW2[2:]]
    third = ["198502022010012003", "Tri", "Dinas Kesehatan", "Perawat", "III/a"]
    lines = [",".join(HEADER), ",".join(huge), ",".join(ROW), ",".join(third)]
    report = import_roster(session, read_roster(_csv(tmp_path / "b.csv", lines)), today=TODAY)
    assert [(e.line, e.field) for e in report.errors] == [(2, "(baris)")]
    assert "lebih dari" in report.errors[0].reason
    assert _names(session) == {"Budi Santoso", "Tri"}


# --- size, type and encoding ------------------------------------------------------------------


def test_size_cap_is_a_clear_error(tmp_path: Path) -> None:
    path = _csv(tmp_path / "big.csv", [",".join(HEADER)] + [",".join(ROW)] * 200)
    with pytest.raises(RosterFileError, match=r"lebih besar dari batas .*ROSTER_MAX_BYTES"):
        read_roster(path, max_bytes=1000)
    assert read_roster(path, max_bytes=1_000_000).header == HEADER


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"PK\x03\x04" + bytes(200), "ZIP"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "Excel lama"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 4, "PDF"),
        (bytes(range(256)) * 8, "biner"),
    ],
)
def test_binary_files_named_as_csv_are_refused_by_kind(
    tmp_path: Path, content: bytes, named: str
) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(content)
    with pytest.raises(RosterFileError, match=named) as caught:
        read_roster(path)
    assert "\x00" not in str(caught.value)  # the message never quotes the junk


def test_a_csv_saved_as_xlsx_is_named(tmp_path: Path) -> None:
    path = _csv(tmp_path / "roster.xlsx", [",".join(HEADER), ",".join(ROW)])
    with pytest.raises(RosterFileError, match="bukan berkas XLSX"):
        read_roster(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "cp1252"])
def test_text_encodings_are_decoded_properly(
    session: Session, tmp_path: Path, encoding: str
) -> None:
    name = "Siti Aminah Façade" if encoding == "cp1252" else "Siti Ñandú Aminah"
    lines = [",".join(HEADER), ",".join([*ROW2[:1], name, *ROW2[2:]])]
    path = _csv(tmp_path / "e.csv", lines, encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        assert not path.read_bytes().startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    report = import_roster(session, read_roster(path), today=TODAY)
    assert (report.created, report.errors) == (1, [])
    assert _names(session) == {name}


# --- delimiter --------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", "\t", "|", ","])
def test_delimiter_is_chosen_from_several_lines(
    session: Session, tmp_path: Path, delimiter: str
) -> None:
    # A header with more commas in one (quoted) column name than separators: counting the
    # first line alone would pick ','.
    header = [*HEADER, '"catatan, a, b, c, d, e, f, g"']
    rows = [[*ROW, "x"], [*ROW2, "y"]]
    lines = [delimiter.join(header)] + [delimiter.join(r) for r in rows]
    report = import_roster(session, read_roster(_csv(tmp_path / "d.csv", lines)), today=TODAY)
    assert (report.created, report.errors) == (2, [])


# --- streaming --------------------------------------------------------------------------------


def test_reading_streams_rows_without_holding_the_file(tmp_path: Path) -> None:
    lines = [",".join(HEADER)]
    lines += [
        ",".join([f"1987031520100110{i % 100:02d}", f"Nama {i}", *ROW[2:]]) for i in range(40_000)
    ]
    path = _csv(tmp_path / "many.csv", lines)
    roster = read_roster(path)
    tracemalloc.start()
    count = sum(1 for _ in roster)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 40_000
    assert sum(1 for _ in roster) == 40_000  # a second pass reads the file again
    # 40,000 rows held as dicts would take tens of MB; streaming stays at a few buffers.
    assert peak < 2_000_000, peak


# --- the database never sees the parameters of a failing statement ----------------------------


def test_failing_statements_never_print_their_parameters(fresh_db_url: str) -> None:
    engine = db.make_engine(fresh_db_url)
    try:
        with engine.connect() as conn, pytest.raises(SQLAlchemyError) as caught:
            conn.execute(
                text("INSERT INTO no_such_table (nip, lahir) VALUES (:nip, :lahir)"),
                {"nip": "198703152010011002", "lahir": "1987-03-15"},
            )
    finally:
        engine.dispose()
    assert "198703152010011002" not in str(caught.value)
    assert "1987-03-15" not in str(caught.value)
