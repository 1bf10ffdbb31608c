"""Telegram-side state that must survive restarts and be shared by bot replicas."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, String, Text
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


class ConversationDraft(Base):
    """A multi-step flow in progress (e.g. an HR officer's `/umumkan` draft), in the database so
    that the next step works on any bot replica and after a restart; it lapses at `expires_at`.
    """

    __tablename__ = "conversation_drafts"

    flow: Mapped[str] = mapped_column(String(30), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    step: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)

    def __repr__(self) -> str:
        return f"ConversationDraft({self.flow!r}, chat_id={self.chat_id!r}, step={self.step!r})"
