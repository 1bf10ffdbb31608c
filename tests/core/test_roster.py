"""Roster import: good, bad and XLSX files, re-import, strict mode, header variants, export."""

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asnkarier.models import AuditLog, Employee, PositionKind, Unit
from asnkarier.services.roster import (
    EXPORT_COLUMNS,
    RosterFileError,
    export_rows,
    import_roster,
    read_roster,
)
from tests.conftest import DATA

SAMPLES = DATA / "samples"
TODAY = dt.date(2026, 11, 22)
HEADER = "nip,nama,unit_kerja,jabatan,golongan"


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Employee)) or 0


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_roster_imports_then_reimport_changes_nothing(session: Session) -> None:
    rows = read_roster(SAMPLES / "roster.csv")
    report = import_roster(session, rows, today=TODAY)
    assert (report.total, report.created, report.rejected_lines) == (240, 240, 0)
    assert _count(session) == 240
    assert session.scalar(select(func.count(func.distinct(Employee.unit_id)))) >= 8

    again = import_roster(session, read_roster(SAMPLES / "roster.csv"), today=TODAY)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 240)
    assert _count(session) == 240
    audit = session.scalars(select(AuditLog).where(AuditLog.action == "roster.import")).all()
    assert len(audit) == 2
    assert all("nip" not in repr(a.details).lower() for a in audit)


def test_functional_positions_are_mapped_to_their_ladder(session: Session) -> None:
    import_roster(session, read_roster(SAMPLES / "roster.csv"), today=TODAY)
    fungsional = session.scalars(
        select(Employee).where(Employee.position_kind == PositionKind.FUNGSIONAL)
    ).all()
    assert len(fungsional) > 50
    mapped = [e for e in fungsional if e.level is not None]
    assert len(mapped) == len(fungsional)
    for e in mapped[:20]:
        assert e.ladder is not None
        assert e.level is not None
        assert e.position_title.lower() == f"{e.ladder.name} {e.level.name}".lower()


def test_bad_rows_are_reported_by_line_and_field_and_good_rows_imported(session: Session) -> None:
    expected = {
        (int(line), field)
        for line, field in (
            row.split()
            for row in (SAMPLES / "roster_bad.expected.txt").read_text().splitlines()
            if row
        )
    }
    rows = read_roster(SAMPLES / "roster_bad.csv")
    report = import_roster(session, rows, today=TODAY)
    assert {(e.line, e.field) for e in report.errors} == expected
    assert all(e.reason for e in report.errors)
    assert report.created == len(list(rows)) - len(expected)
    assert _count(session) == report.created


def test_strict_mode_imports_nothing_when_a_row_is_bad(session: Session) -> None:
    report = import_roster(
        session, read_roster(SAMPLES / "roster_bad.csv"), strict=True, today=TODAY
    )
    assert not report.imported
    assert report.errors
    assert _count(session) == 0


def test_reimport_updates_changed_fields_only(session: Session, tmp_path: Path) -> None:
    first = _write(
        tmp_path / "a.csv",
        f"{HEADER},no_hp\n"
        "198703152010011002,Budi Santoso,Dinas Kesehatan,Perawat Ahli Muda,3c,0812345678\n",
    )
    import_roster(session, read_roster(first), today=TODAY)
    # Promotion to III/d and a slimmer file without the phone column.
    second = _write(
        tmp_path / "b.csv",
        f"{HEADER}\n198703152010011002,Budi Santoso,Dinas Kesehatan,Perawat Ahli Muda,III/d\n",
    )
    report = import_roster(session, read_roster(second), today=TODAY)
    assert (report.created, report.updated) == (0, 1)
    employee = session.scalar(select(Employee).where(Employee.nip == "198703152010011002"))
    assert employee is not None
    assert employee.rank.code == "III/d"
    assert employee.phone == "0812345678"  # a missing column never erases data


def test_headers_are_case_insensitive_with_aliases_and_semicolons(
    session: Session, tmp_path: Path
) -> None:
    path = _write(
        tmp_path / "siasn.csv",
        "NIP BARU;Nama;UNOR;Jabatan;GOL AKHIR;TMT GOL;Kolom Lain\n"
        "199001012015032001;Siti Aminah, S.Kom.;Unit Baru Sekali;Pranata Komputer Ahli Pertama;"
        "III a;01-04-2023;abaikan\n",
    )
    report = import_roster(session, read_roster(path), today=TODAY)
    assert report.created == 1, report.errors
    assert report.new_units == ["Unit Baru Sekali"]
    employee = session.scalar(select(Employee).where(Employee.nip == "199001012015032001"))
    assert employee is not None
    assert employee.name == "Siti Aminah, S.Kom."
    assert employee.rank_tmt == dt.date(2023, 4, 1)
    assert employee.sex == "P"
    assert employee.birth_date == dt.date(1990, 1, 1)
    unit = session.scalar(select(Unit).where(Unit.name == "Unit Baru Sekali"))
    assert unit is not None
    assert unit.code == "UNIT-BARU-SEKALI"


def test_missing_required_column_names_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.csv", "nip,nama,jabatan\n198703152010011002,A,B\n")
    with pytest.raises(RosterFileError, match="unit_kerja, golongan"):
        read_roster(path)


@pytest.mark.parametrize("name", ["roster.pdf", "missing.csv"])
def test_unreadable_files_are_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".pdf"):
        path.write_bytes(b"%PDF")
    with pytest.raises(RosterFileError):
        read_roster(path)


def test_optional_fields_are_validated(session: Session, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "opt.csv",
        f"{HEADER},tanggal_lahir,jenis_kelamin,no_hp,email,zona_waktu,tmt_golongan\n"
        "198703152010011002,A,Dinas Kesehatan,Perawat,III/c,1987-03-16,L,0812,x@,Mars,2030-01-01\n",
    )
    report = import_roster(session, read_roster(path), today=TODAY)
    fields = {e.field for e in report.errors}
    assert fields == {"tanggal_lahir", "no_hp", "email", "zona_waktu", "tmt_golongan"}
    assert {e.line for e in report.errors} == {2}
    assert _count(session) == 0


def test_xlsx_import_with_dates_and_a_numeric_nip(session: Session, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Daftar pegawai"])  # a title row above the header, as SIASN exports have
    ws.append([])
    ws.append(["NIP", "NAMA", "UNIT_KERJA", "JABATAN", "GOLONGAN", "TMT_GOLONGAN"])
    ws.append(
        [
            "198703152010011002",
            "Budi",
            "Dinas Kesehatan",
            "Perawat Ahli Muda",
            "III/c",
            dt.datetime(2022, 4, 1),
        ]
    )
    ws.append(
        [" 199001012015032001 ", "Siti", "Dinas Kesehatan", "Perawat Ahli Pertama", "3b", None]
    )
    # A NIP typed into a number cell: Excel (and openpyxl) keep only 15 significant digits.
    ws.append([199001012015032002, "Rusak", "Dinas Kesehatan", "Perawat", "III/a", None])
    path = tmp_path / "roster.xlsx"
    wb.save(path)

    rows = read_roster(path)
    assert [r.line for r in rows] == [4, 5, 6]  # the title row is skipped, lines stay true
    report = import_roster(session, rows, today=TODAY)
    assert report.created == 2
    assert [(e.line, e.field) for e in report.errors] == [(6, "nip")]
    assert "Teks" in report.errors[0].reason
    budi = session.scalar(select(Employee).where(Employee.nip == "198703152010011002"))
    assert budi is not None
    assert budi.rank_tmt == dt.date(2022, 4, 1)


def test_export_lists_required_columns_first_and_round_trips(
    session: Session, tmp_path: Path
) -> None:
    import_roster(session, read_roster(SAMPLES / "roster.csv"), today=TODAY)
    rows = list(export_rows(session))
    assert len(rows) == 240
    assert list(rows[0])[:5] == ["nip", "nama", "unit_kerja", "jabatan", "golongan"]
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(EXPORT_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    path = _write(tmp_path / "export.csv", buffer.getvalue())
    report = import_roster(session, read_roster(path), today=TODAY)
    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, 240, [])


def test_role_column_in_a_file_never_grants_admin(session: Session, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "role.csv",
        f"{HEADER},peran\n198703152010011002,A,Dinas Kesehatan,Perawat,III/c,hr_admin\n",
    )
    import_roster(session, read_roster(path), today=TODAY)
    employee = session.scalar(select(Employee))
    assert employee is not None
    assert employee.role.value == "employee"
