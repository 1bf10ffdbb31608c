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


# Words around a plain "what is X" question that carry no meaning of their own.
_FILLERS = frozenset(
    re.split(
        r"\s+",
        "eh ehh e bentar sebentar min mimin kak pak bu mas mbak gan bang admin ya yah sih dong "
        "deh nih maaf permisi oh ooh oke ok btw tanya nanya mau boleh halo hai hi "
        "ngomong-ngomong kalau kalo klo trus terus lalu jadi jd",
    )
)
# What stands before the term ("apa itu X", "kepanjangan X") or after it ("X itu apa").
_BEFORE = re.compile(
    r"(apa|apaan|apakah)( (itu|tuh|tu|yang dimaksud|yg dimaksud|yang disebut|yg disebut))?"
    r"|(apa )?(arti|artinya|kepanjangan|singkatan|maksud|maksudnya|definisi|pengertian|penjelasan)"
    r"( (dari|dr|istilah|kata))?( (itu|tuh))?"
    r"|(yang|yg) (dimaksud|disebut)( (dengan|dgn))?"
)
_AFTER = re.compile(
    r"((itu|tuh|tu|ini) )?(apa|apaan|apa an|artinya|arti|maksudnya|kepanjangannya|singkatannya"
    r"|singkatan|kepanjangan)( (dari|dr))?( (apa|apaan))?"
    r"|((itu|tuh|tu) )?(singkatan|kepanjangan) (dari|dr) apa"
    r"|(nya|itu|tuh) apa|nya|itu|tuh"
)


def plainly_asked(text: str, *, content_dir: Path | None = None) -> GlossaryItem | None:
    """The glossary term a message plainly asks the meaning of ("eh bentar, JP itu apa?",
    "apa itu TMT", "kepanjangan RHK apa"), whatever intent the NLU gave it. A question about
    the term's rules ("syarat KP itu apa saja") is not a definition question."""
    said = f" {' '.join(re.sub(r'[^a-z0-9/-]+', ' ', text.lower()).split())} "
    for item in terms(content_dir):
        for spelling in spellings(item):
            needle = " ".join(re.sub(r"[^a-z0-9/-]+", " ", spelling.lower()).split())
            at = said.find(f" {needle} ") if needle else -1
            if at < 0:
                continue
            before = [w for w in said[:at].split() if w not in _FILLERS]
            after = [w for w in said[at + len(needle) + 2 :].split() if w not in _FILLERS]
            head, tail = " ".join(before), " ".join(after)
            if (head or tail) and (
                (not head or _BEFORE.fullmatch(head)) and (not tail or _AFTER.fullmatch(tail))
            ):
                return item
    return None


def describe(item: GlossaryItem) -> str:
    """'JP (Jam Pelajaran): ...' for a reply."""
    name = f"{item.term} ({item.expansion})" if item.expansion else item.term
    return f"{name}\n{item.meaning.strip()}"
