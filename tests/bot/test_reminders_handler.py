"""The "Sudah selesai" button under a reminder, pressed over real HTTP through the emulator."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler

from asnkarier import db
from asnkarier.models import AppraisalEvent, Employee, ReminderDismissal
from asnkarier.services import reminders
from asnkarier.settings import Settings
from bot.app import build_application
from bot.handlers import buttons
from bot.handlers import reminders as handler
from telegram_emulator import EmulatorServer
from tests.bot.emulator_support import server_fixture
from tests.factories import make_employee

server = server_fixture()


@pytest.fixture
async def app(server: EmulatorServer, engine: Engine) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Only the reminders feature, polling the emulator, with the test database."""
    application = ApplicationBuilder().token(server.token).base_url(server.base_url).build()
    application.bot_data["sessions"] = db.make_sessionmaker(engine)
    handler.register(application)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0)
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()


@pytest.fixture
def employee(engine: Engine) -> Iterator[tuple[int, int]]:
    """(employee id, Telegram user id) of a linked employee; removed afterwards."""
    sessions = db.make_sessionmaker(engine)
    user_id = 9_000_000_000 + uuid.uuid4().int % 1_000_000_000
    with sessions.begin() as session:
        employee_id = make_employee(session, chat_id=user_id).id
    yield employee_id, user_id
    with sessions.begin() as session:
        session.execute(
            delete(ReminderDismissal).where(ReminderDismissal.employee_id == employee_id)
        )
        session.execute(delete(Employee).where(Employee.id == employee_id))


def _event_id(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        event_id = session.scalar(select(AppraisalEvent.id).limit(1))
    assert event_id is not None
    return event_id


async def _reminder(app: Application, user_id: int, data: str) -> int:  # type: ignore[type-arg]
    button = InlineKeyboardButton("Sudah selesai", callback_data=data)
    message = await app.bot.send_message(
        user_id, "Pengingat uji", reply_markup=InlineKeyboardMarkup([[button]])
    )
    return message.message_id


async def test_sudah_selesai_records_the_dismissal_and_removes_the_keyboard(
    server: EmulatorServer,
    app: Application,
    employee: tuple[int, int],
    engine: Engine,  # type: ignore[type-arg]
) -> None:
    employee_id, user_id = employee
    sessions = db.make_sessionmaker(engine)
    subject = f"appraisal:{_event_id(sessions)}"
    async with server.async_client() as client:
        await client.register_user(user_id, "Uji")
        since = len(await client.requests())
        message_id = await _reminder(app, user_id, reminders.done_data(subject))
        await client.press(user_id, message_id, reminders.done_data(subject))
        [answer] = await client.wait_for_requests("answerCallbackQuery", since=since)
        await client.wait_for_requests("editMessageReplyMarkup", since=since)
        assert answer["params"].get("text") == handler.DONE
        [shown] = [m for m in await client.messages(user_id) if m["message_id"] == message_id]
        assert not shown.get("reply_markup")
    with sessions.begin() as session:
        subjects = session.scalars(
            select(ReminderDismissal.subject).where(ReminderDismissal.employee_id == employee_id)
        ).all()
    assert subjects == [subject]


async def test_forged_or_unlinked_presses_change_nothing(
    server: EmulatorServer,
    app: Application,
    employee: tuple[int, int],
    engine: Engine,  # type: ignore[type-arg]
) -> None:
    employee_id, user_id = employee
    stranger = user_id + 1
    sessions = db.make_sessionmaker(engine)
    real = reminders.done_data(f"appraisal:{_event_id(sessions)}")
    async with server.async_client() as client:
        await client.register_user(user_id, "Uji")
        await client.register_user(stranger, "Orang Lain")
        since = len(await client.requests())
        message_id = await _reminder(app, user_id, real)
        await client.press(user_id, message_id, "rem:done:workshop:1", forged=True)
        [stale] = await client.wait_for_requests("answerCallbackQuery", since=since)
        assert stale["params"].get("text") == handler.STALE
        other = await _reminder(app, stranger, real)
        await client.press(stranger, other, real)
        answers = await client.wait_for_requests("answerCallbackQuery", 2, since=since)
        assert answers[1]["params"].get("text") == handler.NOT_LINKED
        [shown] = [m for m in await client.messages(user_id) if m["message_id"] == message_id]
        assert shown.get("reply_markup")  # left alone: the press was refused
    with sessions.begin() as session:
        count = session.scalars(
            select(ReminderDismissal.id).where(ReminderDismissal.employee_id == employee_id)
        ).all()
    assert count == []


def test_registered_before_the_catch_all_button_handler() -> None:
    application = build_application(
        ApplicationBuilder().token("1:x").base_url("http://127.0.0.1:9/bot"),
        Settings(_env_file=None),  # type: ignore[call-arg]
    )
    callbacks = [h.callback for h in application.handlers[0] if isinstance(h, CallbackQueryHandler)]
    assert callbacks.index(handler.done_pressed) < callbacks.index(buttons.button_pressed)
