"""Word matching shared by the search services (workshops, trainings, ladders, how-to), and the
words that leave a form or a multi-step flow wherever it is kept (Rasa forms, bot drafts)."""

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


# "batal", "cancel", "stop", "ga jadi", "udah" ... (with fillers such as "aja", "deh"): leave it.
_STOP = re.compile(
    r"^(batal|batalkan|batalin|cancel|stop|berhenti|ga\s*jadi|gak\s*jadi|nggak\s*jadi|"
    r"ngga\s*jadi|enggak\s*jadi|tidak\s*jadi|gajadi|gk\s*jadi|ga\s*jd|gak\s*jd|gk\s*jd|"
    r"udah|udahan|sudah|sudahi|keluar|exit|quit|nanti\s*saja|nanti\s*aja)"
    r"(\s+(aja|saja|deh|dulu|ya|yah|dong|min|kak|pak|bu|lah))*[\s.!]*$",
    re.IGNORECASE,
)


def wants_to_stop(text: str) -> bool:
    """Whether a message typed inside a form or flow says to leave it."""
    return bool(_STOP.match(text.strip()))


# First words that make a typed message a question rather than a value ("kapan deadline skp?").
QUESTION_WORDS = frozenset(
    {
        "apa", "apakah", "kapan", "bagaimana", "gimana", "berapa", "siapa", "dimana", "mengapa",
        "kenapa", "bisakah", "bolehkah", "mana", "bgmn", "gmn", "kpn", "brp", "tolong",
        "mohon info",
    }
)  # fmt: skip


def looks_like_question(text: str) -> bool:
    """A message that asks something (ends with '?' or starts with a question word): inside a
    bot-side flow it goes to the assistant instead of being taken as the awaited value."""
    plain = " ".join(text.lower().split()).strip(" .!")
    words = plain.split()
    if not words:
        return False
    return (
        text.strip().endswith("?")
        or words[0] in QUESTION_WORDS
        or " ".join(words[:2]) in QUESTION_WORDS
    )
