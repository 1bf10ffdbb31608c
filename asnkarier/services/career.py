"""Career paths of functional positions: where an employee stands and what comes next."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from asnkarier.models import CareerLadder, CareerLevel, Employee
from asnkarier.services.text import overlap

SKILL_LEVELS = ("pemula", "terampil", "mahir", "penyelia")


@dataclass(frozen=True)
class CareerPath:
    ladder: CareerLadder
    current: CareerLevel | None
    next: CareerLevel | None


def ladders(session: Session) -> list[CareerLadder]:
    return list(
        session.scalars(select(CareerLadder).order_by(CareerLadder.name, CareerLadder.track))
    )


def find_ladder(session: Session, text: str, jenjang: str | None = None) -> CareerLadder | None:
    """The ladder named in free text ('pranata komputer', 'analis kepegawaian ahli muda')."""
    wanted = text.strip().lower()
    hint = (jenjang or wanted).lower()
    track = "keterampilan" if any(level in hint for level in SKILL_LEVELS) else "keahlian"
    candidates = [
        ladder
        for ladder in ladders(session)
        if ladder.code == wanted or ladder.name.lower() in wanted or wanted in ladder.name.lower()
    ]
    if not candidates:
        scored = [(overlap(wanted, ladder.name), ladder) for ladder in ladders(session)]
        best = max((s for s, _ in scored), default=0)
        candidates = [ladder for s, ladder in scored if s and s == best]
    if not candidates:
        return None
    same_track = [ladder for ladder in candidates if ladder.track == track]
    return (same_track or candidates)[0]


def ladder_spelled_in(session: Session, text: str) -> str | None:
    """The name of a ladder written out in full in a message, for when the NLU tagged no
    `jabatan` entity ("jenjang karier analis kepegawaian gimana?")."""
    words = f" {' '.join(re.findall(r'[a-z]+', text.lower()))} "
    names = sorted({ladder.name for ladder in ladders(session)}, key=len, reverse=True)
    return next((name for name in names if f" {name.lower()} " in words), None)


LEVEL_WORDS = ("ahli pertama", "ahli muda", "ahli madya", "ahli utama", *SKILL_LEVELS)


def level_spelled_in(text: str) -> str | None:
    """A ladder level written in a message ("... ahli muda"), for a missing `jenjang` entity."""
    words = f" {' '.join(re.findall(r'[a-z]+', text.lower()))} "
    return next((lvl.title() for lvl in LEVEL_WORDS if f" {lvl} " in words), None)


def level_named(ladder: CareerLadder, name: str | None) -> CareerLevel | None:
    if not name:
        return None
    wanted = name.strip().lower()
    return next((lvl for lvl in ladder.levels if lvl.name.lower() == wanted), None)


def next_level(ladder: CareerLadder, level: CareerLevel | None) -> CareerLevel | None:
    if level is None:
        return ladder.levels[0] if ladder.levels else None
    later = [lvl for lvl in ladder.levels if lvl.position > level.position]
    return later[0] if later else None


def path_for(ladder: CareerLadder, current: CareerLevel | None) -> CareerPath:
    return CareerPath(ladder, current, next_level(ladder, current))


def path_for_employee(employee: Employee) -> CareerPath | None:
    """The employee's own ladder and level (None for pelaksana/struktural positions)."""
    if employee.ladder is None:
        return None
    return path_for(employee.ladder, employee.level)
