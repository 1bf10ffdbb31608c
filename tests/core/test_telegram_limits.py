"""Telegram's limits: lengths in UTF-16 code units, splits that respect them."""

from __future__ import annotations

import pytest

from asnkarier.telegram_limits import (
    MAX_MESSAGE,
    callback_data_fits,
    split_text,
    text_length,
)
from telegram_emulator.formatting import utf16_len


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("", 0),
        ("Selamat pagi", 12),
        ("é", 1),  # BMP: one unit
        ("☀", 1),  # an emoji inside the BMP
        ("😀", 2),  # outside the BMP: a surrogate pair
        ("👍🏽", 4),  # emoji and skin-tone modifier, both outside the BMP
        ("👨‍👩‍👧", 8),  # three people joined by two zero-width joiners
    ],
)
def test_text_length_counts_utf16_units(text: str, units: int) -> None:
    assert text_length(text) == units
    assert text_length(text) == len(text.encode("utf-16-le")) // 2
    assert text_length(text) == utf16_len(text)  # as the emulator (Telegram) counts


def test_200_emoji_and_3800_letters_do_not_fit() -> None:
    text = "😀" * 200 + "a" * 3800
    assert len(text) == 4000  # code points: it looked as if it fitted
    assert text_length(text) == 4200 > MAX_MESSAGE


def test_split_fits_every_part_and_loses_nothing() -> None:
    words = ["😀" * 3, "pengumuman", "BKPSDM", "🎉", "kenaikan", "pangkat"] * 500
    text = " ".join(words)
    parts = split_text(text)
    assert len(parts) > 1
    assert all(0 < text_length(p) <= MAX_MESSAGE for p in parts)
    assert " ".join(parts).split() == words  # only boundaries were cut


def test_split_prefers_a_boundary_and_never_halves_a_character() -> None:
    parts = split_text("😀" * 3000)  # no boundary: a hard cut, between two emoji
    assert [text_length(p) for p in parts] == [4096, 1904]
    assert "".join(parts) == "😀" * 3000
    parts = split_text("a" * 4000 + " " + "b" * 200)
    assert parts == ["a" * 4000, "b" * 200]


def test_callback_data_limit_is_in_bytes() -> None:
    assert callback_data_fits("x" * 64)
    assert not callback_data_fits("x" * 65)
    assert not callback_data_fits("é" * 33)  # 66 bytes in UTF-8
