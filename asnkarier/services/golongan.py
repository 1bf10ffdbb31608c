"""Normalise rank (golongan/ruang) spellings: 'III/c', '3c', 'III c', 'tiga c', '3-C' -> 'III/c'."""

from __future__ import annotations

import re

ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
WORDS = {"satu": 1, "dua": 2, "tiga": 3, "empat": 4}
TO_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
# Letters each golongan has: I, II, III have a-d; IV has a-e.
MAX_RUANG = {1: "d", 2: "d", 3: "d", 4: "e"}

_PATTERN = re.compile(
    r"^\s*(?:gol(?:ongan)?\.?\s*)?(?P<gol>iv|iii|ii|i|[1-4]|satu|dua|tiga|empat)"
    r"\s*[/\-.\s]?\s*(?P<ruang>[a-e])\s*$",
    re.IGNORECASE,
)


def normalize_golongan(raw: str) -> str | None:
    """Return the canonical 'III/c' form, or None when the text is not a known rank."""
    match = _PATTERN.match(raw or "")
    if not match:
        return None
    gol_text = match["gol"].lower()
    gol = ROMAN.get(gol_text) or WORDS.get(gol_text) or int(gol_text)
    ruang = match["ruang"].lower()
    if ruang > MAX_RUANG[gol]:
        return None
    return f"{TO_ROMAN[gol]}/{ruang}"


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
