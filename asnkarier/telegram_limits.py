"""Telegram's limits on what the bot sends, and the one way to measure text against them.

Telegram counts a message's length in UTF-16 code units of its text after entity parsing: a
letter or most symbols count 1, a character outside the Basic Multilingual Plane (most emoji,
e.g. 😀) counts 2, and HTML markup or `&amp;` count as what they show. Callback data is limited
in bytes of UTF-8. Every check and every split of outgoing text goes through `text_length`, so
"fits" here means what Telegram accepts.
"""

from __future__ import annotations

MAX_MESSAGE = 4096  # UTF-16 code units of a message's text (after entity parsing)
MAX_CAPTION = 1024  # UTF-16 code units of a photo or document caption (after entity parsing)
MAX_CALLBACK_DATA = 64  # bytes of an inline button's callback_data


def text_length(text: str) -> int:
    """The length Telegram sees: UTF-16 code units (a character above U+FFFF counts 2)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def callback_data_fits(data: str) -> bool:
    return len(data.encode("utf-8")) <= MAX_CALLBACK_DATA


def _fitting_prefix(text: str, limit: int) -> int:
    """How many characters (code points) of `text` fit in `limit` UTF-16 units."""
    units = 0
    for index, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split plain text on paragraph, line or word boundaries so each part fits `limit` units.

    Split before escaping or formatting: Telegram measures the text after entity parsing, so
    escaped parts fit as well and no split can fall inside an entity (`&a` | `mp;`). Parts are
    stripped as Telegram strips them; a part with no sensible boundary is cut hard.
    """
    parts: list[str] = []
    rest = text.strip()
    while text_length(rest) > limit:
        end = max(1, _fitting_prefix(rest, limit))  # one character at least: progress
        cut = max(rest.rfind("\n\n", 0, end), rest.rfind("\n", 0, end), rest.rfind(" ", 0, end))
        if cut <= end // 4:  # no sensible boundary: hard cut
            cut = end
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts
