"""Send times as Indonesian HR officers type them, read in their zone, always in the future."""

from __future__ import annotations

import datetime as dt

import pytest

from asnkarier.services.sendtime import SendTimeError, examples, parse_send_time

WIB = dt.timezone(dt.timedelta(hours=7))
WITA = dt.timezone(dt.timedelta(hours=8))
# Tuesday 1 December 2026, 22:00 WIB (23:00 WITA).
NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)

WRITTEN = [
    ("besok 08.00", dt.datetime(2026, 12, 2, 8, 0, tzinfo=WIB)),
    ("besok jam 8 pagi", dt.datetime(2026, 12, 2, 8, 0, tzinfo=WIB)),
    ("Besok pukul 08:30", dt.datetime(2026, 12, 2, 8, 30, tzinfo=WIB)),
    ("lusa jam 2 siang", dt.datetime(2026, 12, 3, 14, 0, tzinfo=WIB)),
    ("Senin jam 9", dt.datetime(2026, 12, 7, 9, 0, tzinfo=WIB)),
    ("hari Kamis pukul 14.30", dt.datetime(2026, 12, 3, 14, 30, tzinfo=WIB)),
    ("selasa jam 9", dt.datetime(2026, 12, 8, 9, 0, tzinfo=WIB)),  # today's 09:00 is past
    ("hari ini jam 23", dt.datetime(2026, 12, 1, 23, 0, tzinfo=WIB)),
    ("2/12/2026 08:00", dt.datetime(2026, 12, 2, 8, 0, tzinfo=WIB)),
    ("02-12-2026 08:00", dt.datetime(2026, 12, 2, 8, 0, tzinfo=WIB)),
    ("02.12.2026 jam 7 malam", dt.datetime(2026, 12, 2, 19, 0, tzinfo=WIB)),
    ("3 Desember 2026 08.00", dt.datetime(2026, 12, 3, 8, 0, tzinfo=WIB)),
    ("5 des 10:00", dt.datetime(2026, 12, 5, 10, 0, tzinfo=WIB)),
    ("2/1 08:00", dt.datetime(2027, 1, 2, 8, 0, tzinfo=WIB)),  # no year, past this year: next
    ("2026-12-02 08:00", dt.datetime(2026, 12, 2, 8, 0, tzinfo=WIB)),
    ("2026-12-02T08:00+08:00", dt.datetime(2026, 12, 2, 8, 0, tzinfo=WITA)),
]


@pytest.mark.parametrize(("text", "meant"), WRITTEN)
def test_the_ways_officers_write_a_time(text: str, meant: dt.datetime) -> None:
    assert parse_send_time(text, "Asia/Jakarta", NOW) == meant


def test_the_officers_zone_decides() -> None:
    assert parse_send_time("besok 08.00", "Asia/Makassar", NOW) == dt.datetime(
        2026, 12, 2, 8, 0, tzinfo=WITA
    )


@pytest.mark.parametrize("text", ["besok pagi", "kapan saja", "besok 25:00", "31/2/2027 08:00", ""])
def test_unreadable_times_say_how_to_write_them(text: str) -> None:
    with pytest.raises(SendTimeError, match="tidak dapat dibaca") as caught:
        parse_send_time(text, "Asia/Jakarta", NOW)
    assert "besok 08.00" in str(caught.value)


@pytest.mark.parametrize("text", ["2020-01-01 08:00", "1/12/2026 21:00", "hari ini jam 8"])
def test_past_times_are_refused(text: str) -> None:
    with pytest.raises(SendTimeError, match="sudah lewat"):
        parse_send_time(text, "Asia/Jakarta", NOW)


@pytest.mark.parametrize("hour", range(24))
@pytest.mark.parametrize("zone", ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"])
def test_every_example_shown_is_in_the_future_and_readable(hour: int, zone: str) -> None:
    now = dt.datetime(2026, 12, 6, hour, 59, tzinfo=dt.UTC)  # a Sunday, every hour of it
    shown = examples(now, zone)
    assert len(shown) == 3
    for text in shown:
        assert parse_send_time(text, zone, now) > now
