"""Normalise rank (golongan/ruang) spellings: 'III/c', '3c', 'III c', 'tiga c', '3-C' -> 'III/c'.

The only place that parses how people write a golongan: everything else calls these functions.
"""

from __future__ import annotations

import re

ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
WORDS = {"satu": 1, "dua": 2, "tiga": 3, "empat": 4}
TO_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
# Letters each golongan has: I, II, III have a-d; IV has a-e.
MAX_RUANG = {1: "d", 2: "d", 3: "d", 4: "e"}

_GOL = r"^\s*(?:gol(?:ongan)?\.?\s*)?(?P<gol>iv|iii|ii|i|[1-4]|satu|dua|tiga|empat)"
_PATTERN = re.compile(_GOL + r"\s*[/\-.\s]?\s*(?P<ruang>[a-e])\s*$", re.IGNORECASE)
_GROUP_PATTERN = re.compile(_GOL + r"\s*$", re.IGNORECASE)


def _gol_number(text: str) -> int:
    text = text.lower()
    return ROMAN.get(text) or WORDS.get(text) or int(text)


def normalize_golongan(raw: str) -> str | None:
    """Return the canonical 'III/c' form, or None when the text is not a known rank."""
    match = _PATTERN.match(raw or "")
    if not match:
        return None
    gol = _gol_number(match["gol"])
    ruang = match["ruang"].lower()
    if ruang > MAX_RUANG[gol]:
        return None
    return f"{TO_ROMAN[gol]}/{ruang}"


def normalize_group(raw: str) -> str | None:
    """A whole golongan without ruang ('III', '3', 'tiga', 'gol. III') as 'III', else None."""
    match = _GROUP_PATTERN.match(raw or "")
    return TO_ROMAN[_gol_number(match["gol"])] if match else None


def normalize_rank_or_group(raw: str) -> str | None:
    """'III/c' for a rank, 'III' for a whole golongan, None for neither."""
    return normalize_group(raw) or normalize_golongan(raw)


def all_codes() -> list[str]:
    """The 17 canonical rank codes in seniority order."""
    return [f"{TO_ROMAN[g]}/{r}" for g in range(1, 5) for r in "abcde" if r <= MAX_RUANG[g]]


def spellings(code: str) -> list[str]:
    """Common ways people write a canonical code (for NLU synonyms and lookup tables)."""
    roman, ruang = code.split("/")
    gol = {v: k for k, v in TO_ROMAN.items()}[roman]
    word = {v: k for k, v in WORDS.items()}[gol]
    forms = {
        code,
        f"{roman} {ruang}",
        f"{roman}{ruang}",
        f"{roman}-{ruang}",
        f"{gol}{ruang}",
        f"{gol}/{ruang}",
        f"{gol} {ruang}",
        f"{word} {ruang}",
    }
    return sorted(forms)
