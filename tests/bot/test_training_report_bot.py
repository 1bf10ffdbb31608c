"""The training report form in the real application over real HTTP (emulator as Telegram, no
Rasa): the certificate fetched through getFile, the draft in the database, the buttons."""

from __future__ import annotations

import itertools

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import ConversationDraft, StoredFile, TrainingReport
from telegram_emulator import EmulatorServer
from tests.bot.app_support import running_app
from tests.bot.emulator_support import server_fixture
from tests.factories import make_employee

_chats = itertools.count(4_700_001)
server = server_fixture(rate_limit=False)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


async def test_a_png_document_becomes_a_report_after_the_form(
    server: EmulatorServer, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    chat = next(_chats)
    with sessions.begin() as s:
        employee_id = make_employee(s, chat_id=chat).id
    async with server.async_client() as tg:
        await tg.reset()
        async with running_app(server, engine):
            sent = await tg.send_file(
                chat, "document", PNG, media={"file_name": "foto.png"},
                caption="Bimtek SKP, BKN, 2 JP",
            )  # fmt: skip
            [asked] = await tg.wait_for(chat, 1, after=sent.message_id or 0)
            assert "Kapan pelatihannya" in asked["text"]
            with sessions.begin() as s:
                draft = s.scalar(select(ConversationDraft).where(ConversationDraft.chat_id == chat))
                assert draft is not None
                assert draft.step == "dates"
                assert draft.data["title"] == "Bimtek SKP"
                assert draft.data["provider"] == "BKN"
            answer = await tg.send_text(chat, "7 Des 2026")
            [form] = await tg.wait_for(chat, 1, after=answer.message_id or 0)
            assert "JP: 2" in form["text"]
            data = form["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            await tg.press(chat, form["message_id"], data)
            await tg.wait_for_requests("editMessageText", 1)
    with sessions.begin() as s:
        report = s.scalar(select(TrainingReport).where(TrainingReport.employee_id == employee_id))
        assert report is not None
        assert report.jp_claimed == 2
        stored = s.get_one(StoredFile, report.file_id)
        assert stored.content == PNG
        assert s.scalar(select(ConversationDraft).where(ConversationDraft.chat_id == chat)) is None


async def test_a_question_inside_the_form_is_not_taken_as_a_field_and_ga_jadi_ends_it(
    server: EmulatorServer, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    chat = next(_chats)
    with sessions.begin() as s:
        make_employee(s, chat_id=chat)

    def draft_step() -> str | None:
        with sessions.begin() as s:
            draft = s.scalar(select(ConversationDraft).where(ConversationDraft.chat_id == chat))
            return draft.step if draft is not None else None

    async with server.async_client() as tg:
        await tg.reset()
        async with running_app(server, engine):
            other_png = PNG + b"another certificate"  # the first test's file is already reported
            sent = await tg.send_file(
                chat,
                "document",
                other_png,
                media={"file_name": "foto.png"},
                caption="Bimtek SKP, BKN",
            )
            [asked] = await tg.wait_for(chat, 1, after=sent.message_id or 0)
            assert "Kapan pelatihannya" in asked["text"]
            # A question goes to the assistant (down here: the polite busy reply), not the field.
            question = await tg.send_text(chat, "kapan deadline skp tahunan?")
            [reply] = await tg.wait_for(chat, 1, after=question.message_id or 0)
            assert "Kapan pelatihannya" not in reply["text"]
            assert draft_step() == "dates"
            # The next plain answer still fills the field the form asked for.
            answer = await tg.send_text(chat, "7 Des 2026")
            [nxt] = await tg.wait_for(chat, 1, after=answer.message_id or 0)
            assert draft_step() != "dates"
            # "ga jadi" ends the form, whatever step it is at.
            stop = await tg.send_text(chat, "ga jadi deh")
            [done] = await tg.wait_for(chat, 1, after=stop.message_id or 0)
            assert done["text"] == "Baik, laporan pelatihan dibatalkan. Tidak ada yang dikirim."
            assert draft_step() is None
            assert nxt["message_id"] < done["message_id"]
