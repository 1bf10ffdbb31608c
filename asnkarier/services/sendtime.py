"""Send times as HR officers type them ("besok 08.00", "Senin jam 9", "2/12/2026 08:00").

One parser for every place HR schedules something (`/umumkan` in Telegram, `asnbot broadcast
send --at`): a local time in the officer's zone, returned in UTC, always in the future; and
examples to show them, computed from now so they are never already past.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from asnkarier.services.formatting import DAYS, MONTHS, tanggal_jam


class SendTimeError(ValueError):
    """A time HR typed that cannot be used; the message is polite Indonesian, for HR to read."""


_MONTHS = {name.lower(): n for n, name in enumerate(MONTHS, 1)}
_MONTHS.update({name.lower()[:3]: n for n, name in enumerate(MONTHS, 1)})
_MONTHS.update({"agt": 8, "ags": 8, "okt": 10, "nop": 11, "des": 12, "sept": 9})
_DAYS = {name.lower(): n for n, name in enumerate(DAYS)}
_DAYS.update({"jum'at": 4, "jumat": 4, "ahad": 6, "minggu": 6})
_RELATIVE = {"hari ini": 0, "nanti": 0, "besok": 1, "esok": 1, "lusa": 2}
# Part of the day after an hour on a 12-hour reading ("8 pagi", "2 siang", "7 malam").
_PERIODS = {"pagi": 0, "siang": 12, "sore": 12, "petang": 12, "malam": 12}

_TIME = re.compile(
    r"(?:\b(?:jam|pukul|pkl\.?)\s*)?\b(?P<hour>\d{1,2})(?:[.:](?P<minute>\d{2}))?"
    r"(?:\s*(?P<period>pagi|siang|sore|petang|malam))?\s*(?:wib|wita|wit)?\s*$"
)
_NUMERIC_DATE = re.compile(r"^(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})(?:[/.-](?P<y>\d{2,4}))?\b")
_ISO_DATE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")
_NAMED_DATE = re.compile(r"^(?P<d>\d{1,2})\s+(?P<month>[a-z]+)\.?(?:\s+(?P<y>\d{4}))?\b")


def _unreadable(raw: str, now: dt.datetime, timezone: str) -> SendTimeError:
    return SendTimeError(
        f"Waktu «{raw}» tidak dapat dibaca. Tulis tanggal (atau hari) dan jamnya, misalnya "
        f"{', '.join(examples(now, timezone))}."
    )


def _clock(text: str) -> tuple[int, int] | None:
    """Hour and minute from the end of `text` ("08.00", "jam 8 pagi", "pukul 14:30")."""
    match = _TIME.search(text)
    if match is None:
        return None
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    period = match["period"]
    if period is not None:
        if hour > 12:
            return None
        if period == "pagi":
            hour = 0 if hour == 12 else hour
        elif hour != 12 and not (period == "siang" and hour >= 10):
            hour += _PERIODS[period]  # "2 siang" is 14, "11 siang" stays 11
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def _date_part(text: str, today: dt.date) -> tuple[dt.date, bool, str] | None:
    """The day named at the start of `text`, whether its year was given, and what follows."""
    for word, days in _RELATIVE.items():
        if text.startswith(word):
            return today + dt.timedelta(days=days), True, text[len(word) :]
    words = text.split(maxsplit=1)
    if words and words[0].rstrip(",") in _DAYS:
        weekday = _DAYS[words[0].rstrip(",")]
        ahead = (weekday - today.weekday()) % 7
        return today + dt.timedelta(days=ahead), True, words[1] if len(words) > 1 else ""
    for pattern in (_ISO_DATE, _NUMERIC_DATE, _NAMED_DATE):
        match = pattern.match(text)
        if match is None:
            continue
        groups = match.groupdict()
        if "month" in groups:
            month = _MONTHS.get(groups["month"])
            if month is None:
                return None
        else:
            month = int(groups["m"])
        year = int(groups["y"]) if groups["y"] else today.year
        year += 2000 if year < 100 else 0
        try:
            day = dt.date(year, month, int(groups["d"]))
        except ValueError:
            return None
        return day, bool(groups["y"]), text[match.end() :]
    return None


def parse_send_time(text: str, timezone: str, now: dt.datetime) -> dt.datetime:
    """The UTC moment HR meant by `text`, read in `timezone`; raises SendTimeError when it
    cannot be read or is not in the future. Also takes ISO 8601 with an offset."""
    raw = " ".join((text or "").split())
    zone = ZoneInfo(timezone)
    try:
        iso = dt.datetime.fromisoformat(raw.replace("T", " ", 1)) if raw else None
    except ValueError:
        iso = None
    if iso is not None and (iso.tzinfo is not None or ":" in raw):
        when = iso if iso.tzinfo is not None else iso.replace(tzinfo=zone)
    else:
        local_now = now.astimezone(zone)
        lowered = raw.lower().replace(",", " ")
        lowered = " ".join(lowered.split())
        if lowered.startswith("hari ") and not lowered.startswith("hari ini"):
            lowered = lowered.removeprefix("hari ")  # "hari Senin jam 9"
        dated = _date_part(lowered, local_now.date())
        clock = _clock(dated[2]) if dated is not None else None
        if dated is None or clock is None:
            raise _unreadable(raw, now, timezone)
        day, year_given, _ = dated
        when = dt.datetime.combine(day, dt.time(*clock), tzinfo=zone)
        if when <= now and not year_given:  # "2/1 08:00" typed in December means next year
            when = when.replace(year=when.year + 1)
        if when <= now and lowered.split()[0] in _DAYS:  # "Senin jam 9" on Monday at 10
            when += dt.timedelta(days=7)
    when = when.astimezone(dt.UTC)
    if when <= now:
        raise SendTimeError(
            f"Waktu {tanggal_jam(when, timezone)} sudah lewat. Pilih waktu yang akan datang, "
            f"misalnya {examples(now, timezone)[0]}."
        )
    return when


def examples(now: dt.datetime, timezone: str) -> list[str]:
    """Ways to write a time that are in the future in `timezone` now (for prompts, errors)."""
    local = now.astimezone(ZoneInfo(timezone))
    tomorrow = local.date() + dt.timedelta(days=1)
    monday = local.date() + dt.timedelta(days=(7 - local.weekday()) % 7 or 7)
    return [
        "besok 08.00",
        f"{DAYS[monday.weekday()]} jam 9",
        f"{tomorrow.day}/{tomorrow.month}/{tomorrow.year} 13:30",
    ]
