"""Telegram-side state that must survive restarts and be shared by bot replicas."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from asnkarier.models.base import Base, utcnow


class CallbackToken(Base):
    """A button payload too long for Telegram's 64-byte callback_data, under a short token."""

    __tablename__ = "callback_tokens"

    token: Mapped[str] = mapped_column(String(24), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"CallbackToken({self.token!r})"
