"""Roster files uploaded in the console, kept between the preview and "Impor".

They wait in the file store (`stored_files`, asnkarier.services.files), so the import works on
whichever console replica the officer's next request reaches; only for TTL, and removed once
imported. The store's own types (JPEG, PNG, PDF) never meet these: a roster row carries a roster
type (CSV/XLSX), which no training report accepts.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from asnkarier.models import StoredFile, utcnow
from asnkarier.services import files

TTL = dt.timedelta(hours=1)
TYPES = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def keep(
    session: Session, content: bytes, suffix: str, now: dt.datetime | None = None
) -> StoredFile:
    """Store an uploaded roster until it is imported (older waiting ones are removed)."""
    sweep(session, now)
    checked = files.Checked(content, TYPES[suffix], files.digest(content))
    stored = files.store(session, checked, f"roster{suffix}")
    stored.created_at = now or utcnow()  # the same bytes again: its hour starts afresh
    session.flush()
    return stored


def waiting(
    session: Session, file_id: int, sha256: str, now: dt.datetime | None = None
) -> StoredFile | None:
    """The kept roster with this id and content hash, if it is still waiting."""
    cutoff = (now or utcnow()) - TTL
    return session.scalar(
        select(StoredFile).where(
            StoredFile.id == file_id,
            StoredFile.sha256 == sha256,
            StoredFile.mime_type.in_(TYPES.values()),
            StoredFile.created_at >= cutoff,
        )
    )


def discard(session: Session, file_id: int) -> None:
    session.execute(
        delete(StoredFile).where(StoredFile.id == file_id, StoredFile.mime_type.in_(TYPES.values()))
    )


def sweep(session: Session, now: dt.datetime | None = None) -> None:
    """Remove rosters that waited longer than TTL (previews never imported)."""
    cutoff = (now or utcnow()) - TTL
    session.execute(
        delete(StoredFile).where(
            StoredFile.mime_type.in_(TYPES.values()), StoredFile.created_at < cutoff
        )
    )
