"""Indonesian renderings of dates, times and durations: the one home of time formats and of
the names of Indonesia's time zones (WIB, WITA, WIT)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def tanggal(day: dt.date, *, with_day: bool = True) -> str:
    """'Senin, 7 Desember 2026' (or '7 Desember 2026')."""
    text = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    return f"{DAYS[day.weekday()]}, {text}" if with_day else text


def zone_name(tz: str) -> str:
    """'WIB' for Asia/Jakarta; other zones by their IANA name."""
    return ZONE_NAMES.get(tz, tz)


def local(moment: dt.datetime, tz: str) -> dt.datetime:
    return moment.astimezone(ZoneInfo(tz))


def jam(moment: dt.datetime, tz: str) -> str:
    """'09.00 WIB': the time of day in the given time zone."""
    return f"{local(moment, tz):%H.%M} {zone_name(tz)}"


def tanggal_jam(moment: dt.datetime, tz: str) -> str:
    """'Senin, 7 Desember 2026 pukul 09.00 WIB' in the given time zone."""
    return f"{tanggal(local(moment, tz).date())} pukul {jam(moment, tz)}"


def local_time(moment: dt.datetime | None, tz: str) -> str:
    """A stored UTC time as HR reads and types it: '2026-12-01 08:00 WIB' ('-' for none)."""
    if moment is None:
        return "-"
    return f"{local(moment, tz):%Y-%m-%d %H:%M} {zone_name(tz)}"


def today_in(tz: str, now: dt.datetime | None = None) -> dt.date:
    """The calendar date right now in a time zone (deadlines are days, people live in zones)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(tz)).date()


def sisa_hari(days: int) -> str:
    """'hari ini', 'besok', '5 hari lagi', 'sudah lewat 2 hari'."""
    if days == 0:
        return "hari ini"
    if days == 1:
        return "besok"
    if days > 1:
        return f"{days} hari lagi"
    return f"sudah lewat {-days} hari"
