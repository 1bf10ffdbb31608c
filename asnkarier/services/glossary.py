"""The glossary of ASN terms (data/glossary.yml): what JP, TMT, RHK, angka kredit ... mean."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from asnkarier.services.seed import GlossaryItem, load_glossary
from asnkarier.settings import get_settings


def _key(text: str) -> str:
    """'e-Kinerja', 'e kinerja', 'EKINERJA' -> 'ekinerja'; 'III/c' -> 'iiic'."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def spellings(item: GlossaryItem) -> list[str]:
    """Every way the term is written: the term, its long form and the aliases."""
    found = [item.term, *([item.expansion] if item.expansion else []), *item.aliases]
    return list(dict.fromkeys(s.strip() for s in found if s.strip()))


@lru_cache(maxsize=4)
def _load(path: Path, mtime_ns: int) -> tuple[GlossaryItem, ...]:
    return tuple(load_glossary(path.parent))


def terms(content_dir: Path | None = None) -> tuple[GlossaryItem, ...]:
    """The glossary, re-read when HR edits the file."""
    path = Path(content_dir or get_settings().content_dir) / "glossary.yml"
    return _load(path, path.stat().st_mtime_ns)


def lookup(
    asked: str | None, text: str = "", *, content_dir: Path | None = None
) -> GlossaryItem | None:
    """The term named by the NLU entity `asked`, else the longest term spelled in `text`."""
    items = terms(content_dir)
    if asked:
        wanted = _key(asked)
        for item in items:
            if wanted in {_key(s) for s in spellings(item)}:
                return item
    lowered = f" {re.sub(r'[^a-z0-9/-]+', ' ', text.lower())} "
    best: tuple[int, GlossaryItem] | None = None
    for item in items:
        for spelling in spellings(item):
            needle = f" {re.sub(r'[^a-z0-9/-]+', ' ', spelling.lower()).strip()} "
            if needle.strip() and needle in lowered and (best is None or len(needle) > best[0]):
                best = (len(needle), item)
    return best[1] if best else None


def describe(item: GlossaryItem) -> str:
    """'JP (Jam Pelajaran): ...' for a reply."""
    name = f"{item.term} ({item.expansion})" if item.expansion else item.term
    return f"{name}\n{item.meaning.strip()}"
