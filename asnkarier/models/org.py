"""Organisation reference data: units (unit kerja) and the 17 ranks (pangkat/golongan)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from asnkarier.models.base import Base, TimestampMixin


class Unit(TimestampMixin, Base):
    """A work unit (unit kerja / OPD) with the time zone its employees live in."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Jakarta")

    def __repr__(self) -> str:
        return f"Unit(id={self.id!r}, code={self.code!r})"


class Rank(Base):
    """A rank such as III/c Penata; `seniority` orders them from I/a (1) to IV/e (17)."""

    __tablename__ = "ranks"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    seniority: Mapped[int] = mapped_column(unique=True)

    def __repr__(self) -> str:
        return f"Rank({self.code!r})"
