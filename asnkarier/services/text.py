"""Word matching shared by the search services (workshops, trainings, ladders, how-to)."""

from __future__ import annotations

import re

# Words too common in questions to say anything about what is asked.
STOPWORDS = frozenset(
    {
        "yang", "dan", "untuk", "apa", "ada", "dong", "min", "kak", "pak", "saya", "aku",
        "mau", "ingin", "tolong", "mohon", "info", "gimana", "bagaimana", "cara", "tentang",
        "dengan", "dari", "atau", "bisa", "kah", "nya", "the",
    }
)  # fmt: skip


def words(text: str) -> set[str]:
    """Lower-case words of three letters or more, without stop words."""
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2} - STOPWORDS


def overlap(query: str | set[str], text: str) -> int:
    """How many words of the query occur in the text."""
    wanted = words(query) if isinstance(query, str) else query
    return len(wanted & words(text))
