"""Which words the NLU has seen: the rule behind components/unseen_words.py, in plain Python
(no Rasa import) so the app's tests can check it."""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[a-z]+")
# Shortest part of a word that may carry it: "nya" or "kan" alone must not make a word known.
_STEM = 4


def words(text: str) -> list[str]:
    """The words of a text as this component compares them: lower-case runs of letters."""
    return _WORD.findall(text.lower())


def _within(a: str, b: str, limit: int) -> bool:
    """Whether the edit distance of a and b is at most `limit` (banded, early exit)."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


class Vocabulary:
    """The words of the training data, by length for the typo check."""

    def __init__(self, known: Iterable[str]) -> None:
        self.known = frozenset(known)
        self._by_length: dict[int, list[str]] = {}
        for word in self.known:
            self._by_length.setdefault(len(word), []).append(word)

    def seen(self, word: str) -> bool:
        if word in self.known:
            return True
        n = len(word)
        # A seen word with affixes around it ("pelatihannya", "diikutkan").
        if any(
            word[i:j] in self.known
            for i in range(max(n - _STEM, 0) + 1)
            for j in range(i + _STEM, min(n, i + 30) + 1)
        ):
            return True
        limit = 1 if n <= 5 else 2
        return any(
            _within(word, other, limit)
            for length in range(n - limit, n + limit + 1)
            for other in self._by_length.get(length, ())
        )

    def understood(self, text: str) -> bool:
        """False only when the text has words and none of them was ever seen."""
        found = words(text)
        return not found or any(self.seen(word) for word in found)
