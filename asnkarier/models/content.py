"""Editable how-to answers (SKP, e-Kinerja, SIASN, ...)."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from asnkarier.models.base import Base, TimestampMixin


class HowtoArticle(TimestampMixin, Base):
    """A short how-to answer HR maintains in data/howto.yml."""

    __tablename__ = "howto_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    topic: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"HowtoArticle({self.key!r})"
