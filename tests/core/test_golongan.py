"""Rank spellings normalise to the canonical 'III/c' form."""

import pytest

from asnkarier.services.golongan import (
    all_codes,
    normalize_golongan,
    normalize_group,
    normalize_rank_or_group,
    spellings,
)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("III/c", "III/c"),
        ("iii/c", "III/c"),
        ("3c", "III/c"),
        ("3C", "III/c"),
        ("III c", "III/c"),
        ("IIIc", "III/c"),
        ("3/c", "III/c"),
        ("3 c", "III/c"),
        ("III-c", "III/c"),
        ("tiga c", "III/c"),
        ("Gol. III/c", "III/c"),
        ("IV/e", "IV/e"),
        ("4a", "IV/a"),
        ("empat b", "IV/b"),
        ("I/a", "I/a"),
        ("II d", "II/d"),
    ],
)
def test_known_spellings(raw: str, code: str) -> None:
    assert normalize_golongan(raw) == code


@pytest.mark.parametrize("raw", ["", "V/a", "III/e", "II/e", "3", "c", "III/cc", "5a", "tiga"])
def test_unknown_spellings(raw: str) -> None:
    assert normalize_golongan(raw) is None


def test_seventeen_ranks_and_every_spelling_round_trips() -> None:
    codes = all_codes()
    assert len(codes) == 17
    assert codes[0] == "I/a"
    assert codes[-1] == "IV/e"
    for code in codes:
        for form in spellings(code):
            assert normalize_golongan(form) == code, form


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("III", "III"),
        ("3", "III"),
        ("tiga", "III"),
        ("Gol. III", "III"),
        ("golongan 4", "IV"),
        ("i", "I"),
        ("III/c", "III/c"),
        ("3c", "III/c"),
        ("V", None),
        ("III/e", None),
        ("", None),
    ],
)
def test_a_whole_golongan_or_a_rank(raw: str, expected: str | None) -> None:
    assert normalize_rank_or_group(raw) == expected
    if expected is not None and "/" not in expected:
        assert normalize_group(raw) == expected
        assert normalize_golongan(raw) is None  # a group is not a rank
