"""Reading roster files (CSV/XLSX as exported from SIASN) safely, row by row.

Everything about the file as a file lives here: size cap, type and encoding detection, the
delimiter, the sheet of a workbook, the header and its aliases. `read_roster` checks all of that
up front and returns a `RosterFile` that streams its rows on each iteration (memory does not grow
with the file); row-level problems of the file itself (an unreadable CSV record) come with the
row as `RowError`s, to be reported with the validation errors (asnkarier.services.roster).
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 64 * 1024
SAMPLE_RECORDS = 20
# SIASN exports often put a title and blank rows above the header.
HEADER_SEARCH_ROWS = 20
# Rows of a worksheet looked at to tell a sheet with data from an empty one.
DATA_PROBE_ROWS = 50
# An XLSX is a ZIP: its content may unpack to far more than the file (a "zip bomb").
XLSX_UNPACK_FACTOR = 20


class RosterFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, size, sheet, header)."""


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str


@dataclass
class RawRow:
    line: int
    values: dict[str, Any]
    # Problems found while reading the row itself (e.g. a CSV field too long to parse).
    errors: list[RowError] = field(default_factory=list)


def _norm_header(name: Any) -> str:
    key = re.sub(r"[\s\-/.]+", "_", str(name or "").strip().lower()).strip("_")
    return HEADER_ALIASES.get(key, key)


def _header(cells: list[Any], source: str) -> list[str]:
    """Column keys of a header row; two columns meaning the same field are refused by name."""
    keys = [_norm_header(c) for c in cells]
    seen: dict[str, str] = {}
    for raw, key in zip(cells, keys, strict=True):
        if key not in REQUIRED and key not in OPTIONAL:
            continue  # unknown and empty columns are ignored, so repeats of them do not matter
        shown = str(raw).strip()
        if key in seen:
            raise RosterFileError(
                f"{source}: kolom {seen[key]!r} dan {shown!r} sama-sama berarti {key}; "
                "hapus salah satunya agar jelas kolom mana yang dipakai"
            )
        seen[key] = shown
    missing = [c for c in REQUIRED if c not in keys]
    if missing:
        raise RosterFileError(
            f"{source}: kolom wajib tidak ada: {', '.join(missing)} "
            f"(kolom wajib: {', '.join(REQUIRED)}; ditemukan: {', '.join(k for k in keys if k)})"
        )
    return keys


@dataclass
class RosterFile:
    """A roster file whose format, encoding, sheet and header were checked; iterate for rows.

    Each iteration reads the file again from disk, so a caller may pass over it twice
    (validate everything, then import) without holding the rows in memory.
    """

    path: Path
    header: list[str]
    kind: str  # "csv" or "xlsx"
    header_line: int = 1
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    sheet: str = ""

    def __iter__(self) -> Iterator[RawRow]:
        return self._csv_rows() if self.kind == "csv" else self._xlsx_rows()

    def _csv_rows(self) -> Iterator[RawRow]:
        with self.path.open(encoding=self.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            try:
                next(reader)  # the header, checked by read_roster
                while True:
                    start = reader.line_num + 1
                    try:
                        cells = next(reader)
                    except StopIteration:
                        return
                    except csv.Error as exc:
                        limit = f"{csv.field_size_limit():,}".replace(",", ".")
                        reason = (
                            f"ada isian lebih dari {limit} karakter"
                            if "field larger" in str(exc)
                            else f"baris CSV rusak ({exc})"
                        )
                        yield RawRow(start, {}, [RowError(start, "(baris)", reason)])
                        continue
                    if any(c.strip() for c in cells):
                        yield RawRow(start, dict(zip(self.header, cells, strict=False)))
            except UnicodeDecodeError:
                raise RosterFileError(
                    f"{self.path}: setelah baris {reader.line_num} ada teks yang bukan "
                    f"{_ENCODING_NAMES.get(self.encoding, self.encoding)}; simpan ulang sebagai "
                    "CSV UTF-8"
                ) from None

    def _xlsx_rows(self) -> Iterator[RawRow]:
        workbook = _open_workbook(self.path)
        try:
            rows = workbook[self.sheet].iter_rows(min_row=self.header_line + 1, values_only=True)
            for number, cells in enumerate(rows, start=self.header_line + 1):
                if any(c not in (None, "") for c in cells):
                    yield RawRow(number, dict(zip(self.header, cells, strict=False)))
        finally:
            workbook.close()


def read_roster(path: Path, *, max_bytes: int | None = None) -> RosterFile:
    """Check a CSV or XLSX roster (size, type, encoding, sheet, header) for reading row by row.

    `max_bytes` is the size cap (ROSTER_MAX_BYTES for the CLI); None means no cap.
    """
    if not path.is_file():
        raise RosterFileError(f"{path}: berkas tidak ditemukan")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise RosterFileError(
            f"{path}: berkas {_mb(size)} lebih besar dari batas {_mb(max_bytes)} "
            "(ROSTER_MAX_BYTES); bagi berkasnya per unit kerja atau naikkan batasnya"
        )
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _check_xlsx(path, head, max_bytes)
    if suffix in (".csv", ".txt"):
        return _check_csv(path, head, truncated=size > len(head))
    raise RosterFileError(f"{path}: format tidak didukung (gunakan .csv atau .xlsx)")


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB".replace(".", ",")


_ENCODING_NAMES = {
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}


def _kind_of_binary(head: bytes) -> str | None:
    """A name for a non-text file someone saved as .csv, or None when it looks like text."""
    if head.startswith(b"PK\x03\x04"):
        return "berkas ZIP (mungkin XLSX): ganti akhirannya menjadi .xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "berkas Excel lama (.xls): simpan sebagai .xlsx atau CSV UTF-8"
    if head.startswith(b"%PDF"):
        return "berkas PDF, bukan tabel"
    return None


def _text_encoding(head: bytes) -> str:
    """The encoding of a CSV from its first bytes; refuses binary files by name."""
    named = _kind_of_binary(head)
    if named:
        raise RosterFileError(named)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text": decoded properly, BOM tells the byte order
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if len(head) >= 4:
        even, odd = head[0::2], head[1::2]
        # UTF-16 without a BOM: nearly every other byte is NUL for Latin text.
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
    controls = sum(b < 32 and b not in (9, 10, 13) for b in head)
    if controls > 0.02 * len(head) + 2:
        raise RosterFileError("berkas biner, bukan teks CSV (simpan dari Excel sebagai CSV UTF-8)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"


def _check_csv(path: Path, head: bytes, *, truncated: bool) -> RosterFile:
    try:
        encoding = _text_encoding(head)
        sample = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    except RosterFileError as exc:
        raise RosterFileError(f"{path}: {exc}") from None
    if truncated:  # the last line of the sample may be cut anywhere
        sample = sample[: sample.rfind("\n") + 1] or sample
    if not sample.strip():
        raise RosterFileError(f"{path}: berkas kosong")
    delimiter = _delimiter(sample)
    try:
        first = next(csv.reader(sample.splitlines(), delimiter=delimiter), [])
    except csv.Error:
        raise RosterFileError(f"{path}: baris judul kolom tidak dapat dibaca") from None
    header = _header(first, str(path))
    return RosterFile(path, header, "csv", encoding=encoding, delimiter=delimiter)


def _delimiter(sample: str) -> str:
    """The separator that splits the first records into the same number (>1) of fields.

    Judged on several lines, not the header alone: a header with a comma in one name and
    Excel's ';' (Indonesian locale) in between would fool a count on one line.
    """
    best, best_score = ",", (-1, 0)
    for candidate in DELIMITERS:
        counts: list[int] = []
        reader = csv.reader(sample.splitlines(), delimiter=candidate)
        try:
            for record in reader:
                if any(c.strip() for c in record):
                    counts.append(len(record))
                if len(counts) >= SAMPLE_RECORDS:
                    break
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        score = (sum(c == counts[0] for c in counts), counts[0])
        if score > best_score:
            best, best_score = candidate, score
    return best


def _open_workbook(path: Path) -> Any:
    from openpyxl import load_workbook  # imported lazily: only XLSX imports pay for it

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise RosterFileError(
            f"{path}: bukan berkas XLSX yang valid ({exc.__class__.__name__})"
        ) from None


def _has_data(sheet: Any) -> bool:
    rows = sheet.iter_rows(max_row=DATA_PROBE_ROWS, values_only=True)
    return any(any(c not in (None, "") for c in row) for row in rows)


def _check_xlsx(path: Path, head: bytes, max_bytes: int | None) -> RosterFile:
    if not head.startswith(b"PK\x03\x04"):
        named = _kind_of_binary(head)
        raise RosterFileError(f"{path}: bukan berkas XLSX ({named or 'isinya bukan ZIP'})")
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise RosterFileError(f"{path}: bukan berkas XLSX yang valid (ZIP rusak)") from None
    if max_bytes is not None and unpacked > XLSX_UNPACK_FACTOR * max_bytes:
        raise RosterFileError(
            f"{path}: isi XLSX {_mb(unpacked)} setelah dibuka, lebih dari batas "
            f"{_mb(XLSX_UNPACK_FACTOR * max_bytes)}"
        )
    workbook = _open_workbook(path)
    try:
        sheet = _data_sheet(workbook, path)
        # The header is the first row (within the first 20) that has a 'nip' column.
        first_filled: tuple[int, list[Any]] | None = None
        rows = sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
        for line, cells in enumerate(rows, start=1):
            names = [_norm_header(c) for c in cells]
            if "nip" in names:
                header = _header(list(cells), f"{path} lembar {sheet.title!r} baris {line}")
                return RosterFile(path, header, "xlsx", header_line=line, sheet=sheet.title)
            if any(names) and first_filled is None:
                first_filled = (line, list(cells))
        if first_filled is None:
            raise RosterFileError(
                f"{path} lembar {sheet.title!r}: tidak ada baris judul kolom (nip, nama, ...) "
                f"dalam {HEADER_SEARCH_ROWS} baris pertama"
            )
        line, cells = first_filled
        _header(cells, f"{path} lembar {sheet.title!r} baris {line}")  # names what is missing
        raise RosterFileError(f"{path}: kolom nip tidak ditemukan")
    finally:
        workbook.close()


def _data_sheet(workbook: Any, path: Path) -> Any:
    """The one visible sheet with data (the active one); refuse when it is not clear which."""
    active = workbook.active
    if active is not None and active.sheet_state != "visible":
        raise RosterFileError(
            f"{path}: lembar aktif {active.title!r} tersembunyi; tampilkan lembar data pegawai, "
            "hapus lembar lain, lalu simpan ulang"
        )
    visible = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
    with_data = [ws for ws in visible if _has_data(ws)]
    if not with_data:
        raise RosterFileError(f"{path}: tidak ada lembar terlihat yang berisi data")
    if len(with_data) > 1:
        names = ", ".join(repr(ws.title) for ws in with_data)
        raise RosterFileError(
            f"{path}: ada {len(with_data)} lembar berisi data ({names}); tidak jelas mana data "
            "pegawai. Sisakan satu lembar data, lalu simpan ulang"
        )
    return with_data[0]
