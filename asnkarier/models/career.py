"""Career ladders of functional positions (jenjang jabatan) and promotion kinds (jenis KP)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from asnkarier.models.base import Base, TimestampMixin
from asnkarier.models.org import Rank


class CareerLadder(TimestampMixin, Base):
    """A functional position (e.g. Analis Kepegawaian) with its ordered levels."""

    __tablename__ = "career_ladders"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    track: Mapped[str] = mapped_column(String(20))  # keahlian | keterampilan
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")

    levels: Mapped[list[CareerLevel]] = relationship(
        back_populates="ladder", order_by="CareerLevel.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"CareerLadder({self.code!r})"


class CareerLevel(Base):
    """One level (jenjang) of a ladder, its typical rank range and what moving up requires."""

    __tablename__ = "career_levels"
    __table_args__ = (
        UniqueConstraint("ladder_id", "position"),
        UniqueConstraint("ladder_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ladder_id: Mapped[int] = mapped_column(ForeignKey("career_ladders.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(40))
    min_rank_id: Mapped[int | None] = mapped_column(ForeignKey("ranks.id"))
    max_rank_id: Mapped[int | None] = mapped_column(ForeignKey("ranks.id"))
    requirements: Mapped[str] = mapped_column(Text, default="")

    ladder: Mapped[CareerLadder] = relationship(back_populates="levels")
    min_rank: Mapped[Rank | None] = relationship(foreign_keys=[min_rank_id])
    max_rank: Mapped[Rank | None] = relationship(foreign_keys=[max_rank_id])

    def __repr__(self) -> str:
        return f"CareerLevel(ladder_id={self.ladder_id!r}, name={self.name!r})"


class PromotionKind(TimestampMixin, Base):
    """A kind of rank promotion (reguler, pilihan, anumerta, pengabdian) and its requirements."""

    __tablename__ = "promotion_kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    min_years_in_rank: Mapped[int | None]
    requirements: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"PromotionKind({self.code!r})"
