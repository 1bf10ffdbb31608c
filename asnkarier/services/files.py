"""The file store: evidence files (certificates) kept in the database, checked and deduplicated.

Files live in `stored_files` (bytes in the row), so every replica, the CLI and the console read
the same store on SQLite and PostgreSQL with no shared disk. Only JPEG, PNG and PDF are taken,
recognised by their first bytes (never by the name or the MIME type a client claims).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from asnkarier.db import insert_ignore
from asnkarier.models import StoredFile, utcnow

MAX_BYTES = 10 * 1024 * 1024
MAX_MB = MAX_BYTES // (1024 * 1024)
# Magic bytes -> (MIME type, what an employee calls it).
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
    (b"%PDF-", "application/pdf", "PDF"),
)


class FileRejected(ValueError):
    """A file the store does not take; the message is for the employee (Indonesian)."""


TOO_LARGE = (
    f"Maaf, berkasnya terlalu besar. Ukuran maksimal {MAX_MB} MB; mohon kirim foto atau PDF "
    "yang lebih kecil."
)
WRONG_TYPE = (
    "Maaf, berkas ini tidak bisa kami terima. Mohon kirim sertifikat sebagai foto (JPEG/PNG) "
    "atau berkas PDF."
)
EMPTY = "Maaf, berkasnya kosong atau tidak terbaca. Mohon kirim ulang."


def sniff(content: bytes) -> str | None:
    """The MIME type the bytes really are (JPEG, PNG, PDF), or None."""
    for magic, mime, _ in SIGNATURES:
        if content.startswith(magic):
            return mime
    return None


def check_size(size: int | None) -> None:
    """Refuse before downloading when Telegram already says the file is too large."""
    if size is not None and size > MAX_BYTES:
        raise FileRejected(TOO_LARGE)


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class Checked:
    """Bytes that passed the checks, with what they are."""

    content: bytes
    mime_type: str
    sha256: str


def check(content: bytes) -> Checked:
    """Size, then type by magic bytes; raises FileRejected with the reason for the employee."""
    if not content:
        raise FileRejected(EMPTY)
    check_size(len(content))
    mime = sniff(content)
    if mime is None:
        raise FileRejected(WRONG_TYPE)
    return Checked(content, mime, digest(content))


def by_sha256(session: Session, sha256: str) -> StoredFile | None:
    return session.scalar(select(StoredFile).where(StoredFile.sha256 == sha256))


def store(session: Session, checked: Checked, file_name: str = "") -> StoredFile:
    """Keep the file (once per content: the same bytes again give the existing row)."""
    values = {
        "sha256": checked.sha256,
        "size": len(checked.content),
        "mime_type": checked.mime_type,
        "file_name": file_name[:255],
        "content": checked.content,
        "created_at": utcnow(),
    }
    insert_ignore(session, StoredFile, values, ["sha256"])  # two replicas racing: one row
    stored = by_sha256(session, checked.sha256)
    assert stored is not None
    return stored


def content_of(session: Session, file_id: int) -> bytes | None:
    """The bytes of a stored file (for HR to view, for the console to serve)."""
    return session.scalar(select(StoredFile.content).where(StoredFile.id == file_id))


def extension(mime_type: str) -> str:
    return {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}.get(mime_type, "")


# --- Sent to Telegram (broadcast attachments) -------------------------------------------------

DOCUMENT, PHOTO = "document", "photo"


def telegram_kind(mime_type: str) -> str:
    """How a stored file goes to Telegram: images as a photo, a PDF as a document."""
    return PHOTO if mime_type.startswith("image/") else DOCUMENT


def telegram_ref(session: Session, file_id: int, kind: str) -> str | None:
    """The Telegram `file_id` these bytes already have as `kind`, or None (upload them)."""
    ref, cached_kind = session.execute(
        select(StoredFile.telegram_file_id, StoredFile.telegram_file_kind).where(
            StoredFile.id == file_id
        )
    ).one()
    return ref if ref and cached_kind == kind else None


def for_upload(session: Session, file_id: int) -> tuple[bytes, str, str]:
    """Bytes, file name and MIME type of a stored file, for a multipart upload."""
    content, name, mime = session.execute(
        select(StoredFile.content, StoredFile.file_name, StoredFile.mime_type).where(
            StoredFile.id == file_id
        )
    ).one()
    return content, name or f"lampiran{extension(mime)}", mime


def remember_telegram_file(session: Session, file_id: int, kind: str, ref: str) -> bool:
    """Cache the `file_id` Telegram gave an upload. The first one stays (several dispatchers
    may each have uploaded once; any of their ids works); True if this one was stored."""
    result = session.execute(
        update(StoredFile)
        .where(
            StoredFile.id == file_id,
            (StoredFile.telegram_file_id.is_(None)) | (StoredFile.telegram_file_kind != kind),
        )
        .values(telegram_file_id=ref[:200], telegram_file_kind=kind)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def forget_telegram_file(session: Session, file_id: int, ref: str) -> None:
    """Telegram no longer knows `ref` (another bot token): the next send uploads again."""
    session.execute(
        update(StoredFile)
        .where(StoredFile.id == file_id, StoredFile.telegram_file_id == ref)
        .values(telegram_file_id=None, telegram_file_kind=None)
        .execution_options(synchronize_session=False)
    )
