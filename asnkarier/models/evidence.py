"""Files kept in the database (certificates sent as evidence) and employees' training reports."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from asnkarier.models.base import Base, str_enum, utcnow
from asnkarier.models.employee import Employee


class StoredFile(Base):
    """One file's bytes and what was checked about it; the same bytes are stored once (SHA-256).

    In the database so that every bot replica and the console read the same files, on SQLite
    and PostgreSQL alike, with no shared disk.
    """

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mime_type: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(255), default="")
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # loaded when asked
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # What Telegram returned the first time the bot uploaded these bytes: later sends reuse it.
    telegram_file_id: Mapped[str | None] = mapped_column(String(200))
    telegram_file_kind: Mapped[str | None] = mapped_column(String(10))  # document | photo

    def __repr__(self) -> str:
        return f"StoredFile(id={self.id!r}, {self.mime_type!r}, size={self.size!r})"


class ReportStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class TrainingReport(Base):
    """Training an employee did elsewhere, with the certificate as evidence, until HR decides.

    Its JP count toward the year only once approved (then a `CompetencyHours` row exists).
    """

    __tablename__ = "training_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    jp_claimed: Mapped[int]
    status: Mapped[ReportStatus] = mapped_column(
        str_enum(ReportStatus, "report_status"), default=ReportStatus.PENDING, index=True
    )
    jp_approved: Mapped[int | None]
    reviewer: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    employee: Mapped[Employee] = relationship()
    file: Mapped[StoredFile] = relationship()

    def __repr__(self) -> str:
        return f"TrainingReport(id={self.id!r}, status={self.status.value!r})"


class Certificate(Base):
    """A certificate the BKPSDM issued (e.g. for a workshop attended), checkable by its number
    on the public verification page; revoking it keeps the row and says so there."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshops.id"))
    holder_name: Mapped[str] = mapped_column(String(200))  # as printed, even if renamed later
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[dt.date]
    jp: Mapped[int]
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    employee: Mapped[Employee] = relationship()

    def __repr__(self) -> str:
        return f"Certificate({self.number!r})"
