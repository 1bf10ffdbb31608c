"""Employee roster import (CSV/XLSX as exported from SIASN) and export, with per-row validation.

Reading the file itself (size, encoding, sheet, header) is asnkarier.services.roster_file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from asnkarier.db import assign_changed
from asnkarier.models import CareerLadder, Employee, PositionKind, Rank, Unit
from asnkarier.services.audit import record
from asnkarier.services.golongan import normalize_golongan
from asnkarier.services.nip import InvalidNip, parse_nip
from asnkarier.services.roster_file import (
    OPTIONAL,
    REQUIRED,
    RawRow,
    RosterFile,
    RosterFileError,
    RowError,
    read_roster,
)
from asnkarier.services.spreadsheet import formula_fields

__all__ = [
    "EXPORT_COLUMNS",
    "ImportReport",
    "RawRow",
    "RosterFile",
    "RosterFileError",
    "RowError",
    "export_rows",
    "import_roster",
    "read_roster",
    "validate_row",
]

EXPORT_COLUMNS = (*REQUIRED, *OPTIONAL, "peran", "pengingat", "aktif", "telegram_terhubung")
ZONES = {"wib": "Asia/Jakarta", "wita": "Asia/Makassar", "wit": "Asia/Jayapura"}
KIND_ALIASES = {
    "fungsional": PositionKind.FUNGSIONAL,
    "jf": PositionKind.FUNGSIONAL,
    "jft": PositionKind.FUNGSIONAL,
    "pelaksana": PositionKind.PELAKSANA,
    "jfu": PositionKind.PELAKSANA,
    "struktural": PositionKind.STRUKTURAL,
}
STRUCTURAL_PREFIXES = ("kepala ", "sekretaris ", "camat", "lurah", "direktur", "inspektur")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Rows written per flush: the session forgets each batch, so memory does not grow with the file.
BATCH_ROWS = 1000


@dataclass
class EmployeeRecord:
    line: int
    nip: str
    name: str
    unit_name: str
    position_title: str
    rank_code: str
    sex: str
    birth_date: dt.date
    rank_tmt: dt.date | None = None
    position_kind: PositionKind | None = None
    phone: str | None = None
    email: str | None = None
    timezone: str | None = None


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    # Imported, but worth a look: e.g. text a spreadsheet would run as a formula.
    warnings: list[RowError] = field(default_factory=list)
    new_units: list[str] = field(default_factory=list)
    imported: bool = True  # False when --strict refused the whole file

    @property
    def rejected_lines(self) -> int:
        return len({e.line for e in self.errors})


# --- validation -------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError("tanggal tidak dikenali (gunakan YYYY-MM-DD atau DD-MM-YYYY)")


def validate_row(row: RawRow, *, today: dt.date) -> EmployeeRecord | list[RowError]:
    """Check one row; return the clean record or every problem found in it."""
    v = row.values
    if row.errors:  # the reader could not even split the row into fields
        return list(row.errors)
    errors: list[RowError] = []

    def fail(field_name: str, reason: str) -> None:
        errors.append(RowError(row.line, field_name, reason))

    # NUL and other control characters: PostgreSQL refuses NUL outright (a whole import would
    # abort), and the rest have no place in names or codes. Tab and line breaks are spacing.
    for name, value in v.items():
        if isinstance(value, str) and CONTROL.search(value):
            char = CONTROL.search(value)
            assert char is not None
            fail(name, f"berisi karakter kontrol (kode {ord(char.group()):#04x}); hapus dari sel")
    if errors:
        return errors

    info = None
    raw_nip = v.get("nip")
    if isinstance(raw_nip, float):
        fail("nip", "NIP tersimpan sebagai angka di Excel dan digitnya hilang; format kolom Teks")
    else:
        try:
            info = parse_nip(_text(raw_nip), today=today)
        except InvalidNip as exc:
            fail("nip", str(exc))
    name = _text(v.get("nama"))
    if not name:
        fail("nama", "nama kosong")
    elif len(name) > 200:
        fail("nama", "nama lebih dari 200 karakter")
    unit = re.sub(r"\s+", " ", _text(v.get("unit_kerja")))
    if not unit:
        fail("unit_kerja", "unit kerja kosong")
    title = re.sub(r"\s+", " ", _text(v.get("jabatan")))
    if not title:
        fail("jabatan", "jabatan kosong")
    rank = normalize_golongan(_text(v.get("golongan")))
    if rank is None:
        fail("golongan", f"golongan {_text(v.get('golongan'))!r} tidak dikenal (contoh: III/c)")

    record = EmployeeRecord(
        line=row.line,
        nip=info.nip if info else "",
        name=name,
        unit_name=unit,
        position_title=title,
        rank_code=rank or "",
        sex=info.sex if info else "",
        birth_date=info.birth_date if info else dt.date.min,
    )
    if _text(v.get("tmt_golongan")):
        try:
            record.rank_tmt = _parse_date(v["tmt_golongan"])
            if record.rank_tmt > today:
                fail("tmt_golongan", "TMT golongan ada di masa depan")
        except ValueError as exc:
            fail("tmt_golongan", str(exc))
    if _text(v.get("tanggal_lahir")) and info:
        try:
            if _parse_date(v["tanggal_lahir"]) != info.birth_date:
                fail("tanggal_lahir", "tidak sama dengan tanggal lahir pada NIP")
        except ValueError as exc:
            fail("tanggal_lahir", str(exc))
    sex = _text(v.get("jenis_kelamin")).lower()
    if sex and info:
        given = {"l": "L", "laki-laki": "L", "pria": "L", "p": "P", "perempuan": "P", "wanita": "P"}
        if given.get(sex) is None:
            fail("jenis_kelamin", "isi L atau P")
        elif given[sex] != info.sex:
            fail("jenis_kelamin", "tidak sama dengan digit jenis kelamin pada NIP")
    kind = _text(v.get("jenis_jabatan")).lower()
    if kind:
        if kind not in KIND_ALIASES:
            fail("jenis_jabatan", "isi fungsional, pelaksana atau struktural")
        else:
            record.position_kind = KIND_ALIASES[kind]
    phone = re.sub(r"[\s\-().]", "", _text(v.get("no_hp")))
    if phone:
        phone = "0" + phone[3:] if phone.startswith("+62") else phone
        if not (phone.isdigit() and 9 <= len(phone) <= 15):
            fail("no_hp", "nomor HP harus 9-15 digit")
        else:
            record.phone = phone
    email = _text(v.get("email"))
    if email:
        if not EMAIL.match(email) or len(email) > 200:
            fail("email", "alamat email tidak valid")
        else:
            record.email = email.lower()
    zone = _text(v.get("zona_waktu"))
    if zone:
        tz = ZONES.get(zone.lower(), zone)
        try:
            ZoneInfo(tz)
            record.timezone = tz
        except (ZoneInfoNotFoundError, ValueError):
            fail("zona_waktu", "isi WIB, WITA atau WIT")
    return errors or record


def formula_warnings(row: RawRow) -> list[RowError]:
    """One warning per field whose text a spreadsheet would run as a formula.

    Such values are imported as they are (exports neutralise them, asnkarier.services.spreadsheet)
    but HR should know: a unit called '=1+1' is most likely an attack or a broken file.
    """
    return [
        RowError(row.line, name, "diawali =, +, -, @, tab atau CR (rumus spreadsheet?)")
        for name in formula_fields(row.values)
    ]


# --- import -----------------------------------------------------------------------------------


def _slug(name: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", name.upper())
    return "-".join(words)[:40] or "UNIT"


def _position(
    title: str, given: PositionKind | None, ladders: dict[str, tuple[int, int]]
) -> tuple[PositionKind, int | None, int | None]:
    match = ladders.get(title.lower())
    if match:
        return given or PositionKind.FUNGSIONAL, match[0], match[1]
    if given:
        return given, None, None
    if title.lower().startswith(STRUCTURAL_PREFIXES):
        return PositionKind.STRUKTURAL, None, None
    return PositionKind.PELAKSANA, None, None


def _valid_records(
    rows: Iterable[RawRow], report: ImportReport, today: dt.date
) -> Iterator[EmployeeRecord]:
    """The valid rows, first occurrence of each NIP; every problem goes into `report`."""
    first_line: dict[str, int] = {}
    for row in rows:
        report.total += 1
        report.warnings.extend(formula_warnings(row))
        result = validate_row(row, today=today)
        if isinstance(result, list):
            report.errors.extend(result)
            continue
        if result.nip in first_line:
            report.errors.append(
                RowError(row.line, "nip", f"NIP ganda: sudah ada di baris {first_line[result.nip]}")
            )
            continue
        first_line[result.nip] = row.line
        yield result


def _batches(records: Iterator[EmployeeRecord], size: int) -> Iterator[list[EmployeeRecord]]:
    batch: list[EmployeeRecord] = []
    for rec in records:
        batch.append(rec)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def import_roster(
    session: Session,
    rows: Iterable[RawRow],
    *,
    strict: bool = False,
    actor: str = "cli",
    default_timezone: str = "Asia/Jakarta",
    today: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate every row and upsert the valid ones by NIP (all or nothing with `strict`).

    One pass over `rows` (a RosterFile streams the file), written in batches that the session
    then forgets, so memory does not grow with the file. With `strict` the rows are written in
    a SAVEPOINT that is rolled back if any row was invalid. `progress` gets the rows written.
    """
    today = today or dt.date.today()
    report = ImportReport()
    ranks = {r.code: r.id for r in session.scalars(select(Rank))}
    if not ranks:
        raise RosterFileError("tabel golongan kosong: jalankan `asnbot seed` lebih dulu")
    units = {u.name.lower(): u for u in session.scalars(select(Unit))}
    unit_codes = {u.code for u in units.values()}
    ladders: dict[str, tuple[int, int]] = {}
    for ladder in session.scalars(select(CareerLadder)):
        for level in ladder.levels:
            ladders[f"{ladder.name} {level.name}".lower()] = (ladder.id, level.id)
    savepoint = session.begin_nested() if strict else None
    done = 0
    for records in _batches(_valid_records(rows, report, today), BATCH_ROWS):
        existing: dict[str, Employee] = {}
        nips = [r.nip for r in records]
        for start in range(0, len(nips), 500):
            chunk = nips[start : start + 500]
            existing.update(
                (e.nip, e) for e in session.scalars(select(Employee).where(Employee.nip.in_(chunk)))
            )
        for rec in records:
            unit = units.get(rec.unit_name.lower())
            if unit is None:
                code = _slug(rec.unit_name)
                suffix = 2
                while code in unit_codes:
                    code, suffix = f"{_slug(rec.unit_name)[:36]}-{suffix}", suffix + 1
                unit = Unit(code=code, name=rec.unit_name, timezone=default_timezone)
                session.add(unit)
                session.flush()
                units[rec.unit_name.lower()] = unit
                unit_codes.add(code)
                report.new_units.append(rec.unit_name)
            kind, ladder_id, level_id = _position(rec.position_title, rec.position_kind, ladders)
            values: dict[str, Any] = {
                "name": rec.name,
                "sex": rec.sex,
                "birth_date": rec.birth_date,
                "unit_id": unit.id,
                "position_title": rec.position_title,
                "position_kind": kind,
                "ladder_id": ladder_id,
                "level_id": level_id,
                "rank_id": ranks[rec.rank_code],
            }
            # Optional columns only overwrite when the file has them, so a slim export cannot
            # erase a phone number HR entered earlier.
            for attr, value in (
                ("rank_tmt", rec.rank_tmt),
                ("phone", rec.phone),
                ("email", rec.email),
                ("timezone", rec.timezone),
            ):
                if value is not None:
                    values[attr] = value
            employee = existing.get(rec.nip)
            if employee is None:
                session.add(Employee(nip=rec.nip, **values))
                report.created += 1
            elif assign_changed(employee, values):
                report.updated += 1
            else:
                report.unchanged += 1
        done += len(records)
        if progress:
            progress(done)
        session.flush()
        # Forget the batch's employees: otherwise the session would hold every row of the file.
        written = set(nips)
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Employee) and obj.nip in written:
                session.expunge(obj)
    if savepoint is not None:
        if report.errors:
            savepoint.rollback()
            report.imported = False
            report.created = report.updated = report.unchanged = 0
            report.new_units = []
            return report
        savepoint.commit()
    record(
        session,
        actor,
        "roster.import",
        details={
            "rows": report.total,
            "created": report.created,
            "updated": report.updated,
            "rejected_rows": report.rejected_lines,
            "new_units": len(report.new_units),
        },
    )
    return report


# --- export -----------------------------------------------------------------------------------


def export_rows(session: Session) -> Iterator[dict[str, str]]:
    """All employees as roster rows (required columns first), ordered by unit then name."""
    query = select(Employee).join(Employee.unit).order_by(Unit.name, Employee.name, Employee.nip)
    for e in session.scalars(query.execution_options(yield_per=500)):
        yield {
            "nip": e.nip,
            "nama": e.name,
            "unit_kerja": e.unit.name,
            "jabatan": e.position_title,
            "golongan": e.rank.code,
            "tmt_golongan": e.rank_tmt.isoformat() if e.rank_tmt else "",
            "jenis_jabatan": e.position_kind.value,
            "jenis_kelamin": e.sex,
            "tanggal_lahir": e.birth_date.isoformat(),
            "no_hp": e.phone or "",
            "email": e.email or "",
            "zona_waktu": e.timezone or "",
            "peran": e.role.value,
            "pengingat": "ya" if e.reminders_enabled else "tidak",
            "aktif": "ya" if e.is_active else "tidak",
            "telegram_terhubung": "ya" if e.telegram_user_id else "tidak",
        }
