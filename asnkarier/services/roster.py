"""Employee roster import (CSV/XLSX as exported from SIASN) and export, with per-row validation."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from asnkarier.db import assign_changed
from asnkarier.models import CareerLadder, Employee, PositionKind, Rank, Unit
from asnkarier.services.audit import record
from asnkarier.services.golongan import normalize_golongan
from asnkarier.services.nip import InvalidNip, parse_nip

REQUIRED = ("nip", "nama", "unit_kerja", "jabatan", "golongan")
OPTIONAL = (
    "tmt_golongan",
    "jenis_jabatan",
    "jenis_kelamin",
    "tanggal_lahir",
    "no_hp",
    "email",
    "zona_waktu",
)
EXPORT_COLUMNS = (*REQUIRED, *OPTIONAL, "peran", "pengingat", "aktif", "telegram_terhubung")
# Header spellings seen in SIASN and hand-made exports, after lower-casing and '_' for spaces.
HEADER_ALIASES = {
    "nip_baru": "nip",
    "nama_lengkap": "nama",
    "nama_pegawai": "nama",
    "unor": "unit_kerja",
    "unit": "unit_kerja",
    "satuan_kerja": "unit_kerja",
    "opd": "unit_kerja",
    "nama_jabatan": "jabatan",
    "gol": "golongan",
    "gol_akhir": "golongan",
    "golongan_ruang": "golongan",
    "pangkat_golongan": "golongan",
    "tmt_gol": "tmt_golongan",
    "tmt_pangkat": "tmt_golongan",
    "tgl_lahir": "tanggal_lahir",
    "hp": "no_hp",
    "nomor_hp": "no_hp",
    "telepon": "no_hp",
    "timezone": "zona_waktu",
}
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


class RosterFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, missing columns)."""


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str


@dataclass
class RawRow:
    line: int
    values: dict[str, Any]


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
    new_units: list[str] = field(default_factory=list)
    imported: bool = True  # False when --strict refused the whole file

    @property
    def rejected_lines(self) -> int:
        return len({e.line for e in self.errors})


# --- reading ----------------------------------------------------------------------------------


def _norm_header(name: Any) -> str:
    key = re.sub(r"[\s\-/.]+", "_", str(name or "").strip().lower()).strip("_")
    return HEADER_ALIASES.get(key, key)


def _check_header(header: list[str], source: str) -> None:
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise RosterFileError(
            f"{source}: kolom wajib tidak ada: {', '.join(missing)} "
            f"(kolom wajib: {', '.join(REQUIRED)}; ditemukan: {', '.join(h for h in header if h)})"
        )


def read_roster(path: Path) -> list[RawRow]:
    """Read a CSV or XLSX roster into raw rows with their 1-based line numbers in the file."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise RosterFileError(f"{path}: berkas tidak ditemukan")
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    raise RosterFileError(f"{path}: format tidak didukung (gunakan .csv atau .xlsx)")


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _read_csv(path: Path) -> list[RawRow]:
    text = _decode(path.read_bytes())
    first = text.split("\n", 1)[0]
    # Excel in Indonesian locale writes ';' separated CSV.
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [_norm_header(h) for h in next(reader)]
    except StopIteration:
        raise RosterFileError(f"{path}: berkas kosong") from None
    _check_header(header, str(path))
    rows: list[RawRow] = []
    start = reader.line_num + 1
    for cells in reader:
        if any(c.strip() for c in cells):
            rows.append(RawRow(start, dict(zip(header, cells, strict=False))))
        start = reader.line_num + 1
    return rows


def _read_xlsx(path: Path) -> list[RawRow]:
    from openpyxl import load_workbook  # imported lazily: only XLSX imports pay for it

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise RosterFileError(f"{path}: bukan berkas XLSX yang valid ({exc})") from None
    try:
        sheet = workbook.worksheets[0]
        rows_iter = sheet.iter_rows(values_only=True)
        # SIASN exports often put a title and blank rows above the header: the header is the
        # first row (within the first 20) that has a 'nip' column.
        header: list[str] = []
        first_filled: tuple[int, list[str]] | None = None
        line = 0
        for line, cells in enumerate(rows_iter, start=1):
            names = [_norm_header(c) for c in cells]
            if any(names) and first_filled is None:
                first_filled = (line, names)
            if "nip" in names or line >= 20:
                header = names if "nip" in names else []
                break
        if not header:
            if first_filled is None:
                raise RosterFileError(f"{path}: lembar pertama kosong")
            _check_header(first_filled[1], f"{path} baris {first_filled[0]}")
        _check_header(header, f"{path} baris {line}")
        rows: list[RawRow] = []
        for number, cells in enumerate(rows_iter, start=line + 1):
            if any(c not in (None, "") for c in cells):
                rows.append(RawRow(number, dict(zip(header, cells, strict=False))))
        return rows
    finally:
        workbook.close()


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
    errors: list[RowError] = []

    def fail(field_name: str, reason: str) -> None:
        errors.append(RowError(row.line, field_name, reason))

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


def import_roster(
    session: Session,
    rows: list[RawRow],
    *,
    strict: bool = False,
    actor: str = "cli",
    default_timezone: str = "Asia/Jakarta",
    today: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate every row, then upsert valid ones by NIP (all or nothing with `strict`)."""
    today = today or dt.date.today()
    report = ImportReport(total=len(rows))
    records: list[EmployeeRecord] = []
    first_line: dict[str, int] = {}
    for row in rows:
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
        records.append(result)
    if strict and report.errors:
        report.imported = False
        return report

    ranks = {r.code: r.id for r in session.scalars(select(Rank))}
    if not ranks:
        raise RosterFileError("tabel golongan kosong: jalankan `asnbot seed` lebih dulu")
    units = {u.name.lower(): u for u in session.scalars(select(Unit))}
    unit_codes = {u.code for u in units.values()}
    ladders: dict[str, tuple[int, int]] = {}
    for ladder in session.scalars(select(CareerLadder)):
        for level in ladder.levels:
            ladders[f"{ladder.name} {level.name}".lower()] = (ladder.id, level.id)
    existing: dict[str, Employee] = {}
    nips = [r.nip for r in records]
    for start in range(0, len(nips), 500):
        chunk = nips[start : start + 500]
        existing.update(
            (e.nip, e) for e in session.scalars(select(Employee).where(Employee.nip.in_(chunk)))
        )

    for done, rec in enumerate(records, start=1):
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
        # Optional columns only overwrite when the file has them, so a slim export cannot erase
        # a phone number HR entered earlier.
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
        if progress:
            progress(done)
    session.flush()
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
