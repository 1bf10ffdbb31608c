"""Dates and times as users and HR read them, in their own time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from asnkarier.services.formatting import jam, local_time, tanggal_jam, zone_name

MOMENT = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)  # 09.00 in Jakarta


@pytest.mark.parametrize(
    ("tz", "short", "long"),
    [
        ("Asia/Jakarta", "2026-12-07 09:00 WIB", "Senin, 7 Desember 2026 pukul 09.00 WIB"),
        ("Asia/Makassar", "2026-12-07 10:00 WITA", "Senin, 7 Desember 2026 pukul 10.00 WITA"),
        ("Asia/Jayapura", "2026-12-07 11:00 WIT", "Senin, 7 Desember 2026 pukul 11.00 WIT"),
        ("Europe/Amsterdam", "2026-12-07 03:00 Europe/Amsterdam", None),
    ],
)
def test_one_zone_table_for_every_format(tz: str, short: str, long: str | None) -> None:
    assert local_time(MOMENT, tz) == short
    assert jam(MOMENT, tz) == short.split(" ", 1)[1].replace(":", ".")
    if long:
        assert tanggal_jam(MOMENT, tz) == long
        assert zone_name(tz) in {"WIB", "WITA", "WIT"}


def test_no_time_is_a_dash() -> None:
    assert local_time(None, "Asia/Jakarta") == "-"


def test_the_local_date_can_differ_from_utc() -> None:
    late = dt.datetime(2026, 12, 6, 20, 0, tzinfo=dt.UTC)  # 03.00 on the 7th in Jayapura
    assert tanggal_jam(late, "Asia/Jayapura").startswith("Senin, 7 Desember 2026")
