"""NIP (Nomor Induk Pegawai) validation, parsing and masking for logs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


class InvalidNip(ValueError):
    """The NIP is malformed; the message says why, in Indonesian (shown to HR)."""


@dataclass(frozen=True)
class NipInfo:
    nip: str
    birth_date: dt.date
    appointed: tuple[int, int]  # (year, month) of appointment as CPNS
    sex: str  # "L" or "P"
    serial: int


def parse_nip(raw: str, *, today: dt.date | None = None) -> NipInfo:
    """Validate an 18-digit NIP: birth date, appointment month, sex digit and serial."""
    today = today or dt.date.today()
    nip = raw.strip().replace(" ", "")
    if nip.endswith(".0"):  # spreadsheets turn long numbers into floats
        nip = nip[:-2]
    if not nip.isdigit():
        raise InvalidNip("NIP hanya boleh berisi angka")
    if len(nip) != 18:
        raise InvalidNip(f"NIP harus 18 digit, bukan {len(nip)}")
    try:
        birth = dt.date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        raise InvalidNip("8 digit pertama NIP bukan tanggal lahir yang valid") from None
    age = (today - birth).days // 365
    if not 17 <= age <= 80:
        raise InvalidNip("tanggal lahir pada NIP tidak masuk akal")
    year, month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= month <= 12:
        raise InvalidNip("bulan pengangkatan pada NIP (digit 13-14) tidak valid")
    if (year, month) < (birth.year + 17, birth.month) or (year, month) > (today.year, today.month):
        raise InvalidNip("tahun/bulan pengangkatan pada NIP (digit 9-14) tidak masuk akal")
    sex_digit = nip[14]
    if sex_digit not in "12":
        raise InvalidNip("digit ke-15 NIP (jenis kelamin) harus 1 atau 2")
    serial = int(nip[15:18])
    if serial == 0:
        raise InvalidNip("nomor urut pada NIP (3 digit terakhir) tidak boleh 000")
    return NipInfo(nip, birth, (year, month), "L" if sex_digit == "1" else "P", serial)


def mask_nip(nip: str) -> str:
    """Keep only the last 4 digits: enough to tell records apart in logs, not to identify."""
    return "*" * max(len(nip) - 4, 0) + nip[-4:]


def mask_phone(phone: str) -> str:
    """Keep the first 4 and last 2 digits of a phone number."""
    if len(phone) <= 6:
        return "*" * len(phone)
    return phone[:4] + "*" * (len(phone) - 6) + phone[-2:]
