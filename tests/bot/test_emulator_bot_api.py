"""The emulator driven by a real python-telegram-bot `Bot`: what PTB sends, Telegram's answers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    ChatFullInfo,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonCommands,
    MenuButtonWebApp,
    Message,
    ReplyParameters,
    Update,
    WebAppInfo,
)
from telegram.error import BadRequest, Conflict, EndPointNotFound, Forbidden, InvalidToken
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from telegram_emulator import AsyncEmulatorClient, ControlApiError, EmulatorServer
from telegram_emulator.spec import default_spec
from tests.bot.emulator_support import ptb_bot, server_fixture

USER = 5_001
OTHER = 5_002
# Sending limits are tested in test_emulator_faults.py; here they would only slow PTB down.
server = server_fixture(rate_limit=False)


@pytest.fixture(autouse=True)
def _fresh(server: EmulatorServer) -> None:
    with server.client() as client:
        client.reset()


@pytest.fixture
async def control(server: EmulatorServer) -> AsyncIterator[AsyncEmulatorClient]:
    async with server.async_client() as client:
        yield client


@pytest.fixture
async def bot(server: EmulatorServer) -> AsyncIterator[Bot]:
    async with ptb_bot(server) as ptb:
        yield ptb


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.title(), callback_data=d)] for d in data])


async def test_get_me_is_the_configured_bot(bot: Bot, control: AsyncEmulatorClient) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (1_000_000_001, "asn_karier_bot", True)
    assert me.can_join_groups is True
    logged = await control.requests("getMe")
    default_spec().check_object("User", logged[-1]["result"])


async def test_wrong_token_and_unknown_method(server: EmulatorServer) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("1000000001:wrong-token", base_url=server.base_url):
            pass
    async with httpx.AsyncClient() as http:
        wrong = await http.post(f"{server.base_url}123:nope/getMe")
        unknown = await http.post(f"{server.api_url}/sendTelepathy")
    assert (wrong.status_code, wrong.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    async with ptb_bot(server) as bot:
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendTelepathy")


async def test_get_updates_long_polls_until_an_update_arrives(
    bot: Bot, control: AsyncEmulatorClient
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.3)
    assert not poll.done()
    await control.send_text(USER, "Selamat pagi", first_name="Budi")
    updates = await asyncio.wait_for(poll, timeout=5)
    assert time.monotonic() - started < 3  # answered at once, not after the 10 s timeout
    assert [u.message.text for u in updates if u.message] == ["Selamat pagi"]
    assert updates[0].message.from_user.first_name == "Budi"

    started = time.monotonic()
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1) == ()
    assert 0.8 < time.monotonic() - started < 3


async def test_offset_confirms_updates_and_limit_caps_them(
    bot: Bot, control: AsyncEmulatorClient
) -> None:
    for text in ("satu", "dua", "tiga"):
        await control.send_text(USER, text)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first if u.message] == ["satu", "dua"]
    again = await bot.get_updates()  # nothing confirmed yet: the same updates come back
    assert [u.update_id for u in again][:2] == [u.update_id for u in first]
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["tiga"]
    await bot.get_updates(offset=rest[-1].update_id + 1)
    assert await control.updates() == []


async def test_allowed_updates_filter_what_is_queued(
    bot: Bot, control: AsyncEmulatorClient
) -> None:
    await control.register_user(USER, "Budi")
    message = await bot.send_message(USER, "Pilih", reply_markup=keyboard("ya"))
    assert await bot.get_updates(allowed_updates=["callback_query"]) == ()
    await control.send_text(USER, "tidak diteruskan")
    await control.press(USER, message.message_id, "ya")
    updates = await bot.get_updates()
    assert [u.callback_query.data for u in updates if u.callback_query] == ["ya"]
    assert all(u.message is None for u in updates)


async def test_a_second_poller_terminates_the_first(bot: Bot, server: EmulatorServer) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    async with ptb_bot(server) as second:
        assert await second.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match=r"terminated by other getUpdates request"):
        await asyncio.wait_for(first, timeout=3)


async def test_send_message_returns_a_full_message(bot: Bot, control: AsyncEmulatorClient) -> None:
    start = await control.send_command(USER, "start", first_name="Budi", username="budi_asn")
    message = await bot.send_message(
        USER, "<b>Halo</b> Bapak <i>Budi</i>", parse_mode="HTML", reply_markup=keyboard("menu")
    )
    assert isinstance(message, Message)
    assert message.message_id == start.message_id + 1  # ids are per chat and increasing
    assert message.text == "Halo Bapak Budi"
    assert message.text_html == "<b>Halo</b> Bapak <i>Budi</i>"
    assert message.chat.id == USER
    assert message.chat.username == "budi_asn"
    assert message.from_user.id == bot.id
    assert message.reply_markup == keyboard("menu")
    await control.register_user(OTHER)
    assert (await bot.send_message(OTHER, "Halo")).message_id == 1

    [stored] = await control.messages(USER)
    assert stored["raw_text"] == "<b>Halo</b> Bapak <i>Budi</i>"
    assert stored["parse_mode"] == "HTML"
    assert stored["reply_markup"] == keyboard("menu").to_dict()
    default_spec().check_object("Message", stored["message"])
    request = (await control.requests("sendMessage"))[0]
    assert request["params"]["parse_mode"] == "HTML"
    assert request["params"]["chat_id"] == USER


@pytest.fixture
async def known_user(control: AsyncEmulatorClient) -> int:
    await control.register_user(USER, "Budi")
    return USER


@pytest.mark.filterwarnings("ignore:Please use 'Bot.sendMessage'")
async def test_validation_errors_reach_ptb_as_bad_request(bot: Bot, known_user: int) -> None:
    cases = [
        ({"text": "x" * 4097}, "Message is too long"),
        ({"text": ""}, "Message text is empty"),
        ({"text": "   "}, "Message must be non-empty"),
        (
            {"text": "x", "reply_markup": keyboard("x" * 65)},
            "Button_data_invalid",  # PTB capitalises "BUTTON_DATA_INVALID"
        ),
        (
            {"text": "<b>tebal", "parse_mode": "HTML"},
            "Can't parse entities: can't find end tag corresponding to start tag b",
        ),
        ({"text": "x", "api_kwargs": {"parse_mod": "HTML"}}, 'Unknown parameter "parse_mod"'),
    ]
    for kwargs, message in cases:
        with pytest.raises(BadRequest) as info:
            await bot.send_message(known_user, **kwargs)  # type: ignore[arg-type]
        assert info.value.message == message
    with pytest.raises(BadRequest, match=r"^Chat_id is empty$"):
        await bot.do_api_request("sendMessage", api_kwargs={"text": "x"})
    with pytest.raises(BadRequest, match=r'^Parameter "disable_notification" must be of type'):
        await bot.do_api_request(
            "sendMessage",
            api_kwargs={"chat_id": known_user, "text": "x", "disable_notification": "maybe"},
        )


async def test_unknown_chats_and_users_who_never_started_the_bot(
    bot: Bot, control: AsyncEmulatorClient
) -> None:
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(999_999, "Halo")
    group = await control.create_group(title="BKPSDM")
    await control.send_text(OTHER, "/daftar", chat_id=group["id"], chat_type="group")
    with pytest.raises(Forbidden, match=r"bot can't initiate conversation with a user"):
        await bot.send_message(OTHER, "Halo")


async def test_replies_name_an_existing_message(bot: Bot, control: AsyncEmulatorClient) -> None:
    question = await control.send_text(USER, "Kapan batas SKP?")
    answer = await bot.send_message(
        USER, "Tanggal 31 Januari", reply_to_message_id=question.message_id
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "Kapan batas SKP?"
    with pytest.raises(BadRequest, match=r"^Message to be replied not found$"):
        await bot.send_message(USER, "x", reply_parameters=ReplyParameters(message_id=9_999))
    loose = ReplyParameters(message_id=9_999, allow_sending_without_reply=True)
    assert (await bot.send_message(USER, "x", reply_parameters=loose)).reply_to_message is None


async def test_edit_message_text(bot: Bot, control: AsyncEmulatorClient) -> None:
    await control.register_user(USER)
    sent = await bot.send_message(USER, "Memproses…", reply_markup=keyboard("batal"))
    edited = await bot.edit_message_text("<b>Selesai</b>", USER, sent.message_id, parse_mode="HTML")
    assert isinstance(edited, Message)
    assert edited.text == "Selesai"
    assert edited.edit_date is not None
    assert edited.reply_markup is None  # an edit without reply_markup removes the keyboard
    with pytest.raises(BadRequest, match=r"^Message is not modified: specified new message"):
        await bot.edit_message_text("<b>Selesai</b>", USER, sent.message_id, parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
        await bot.edit_message_text("x", USER, 9_999)
    user_message = await control.send_text(USER, "punya saya")
    with pytest.raises(BadRequest, match=r"^Message can't be edited$"):
        await bot.edit_message_text("x", USER, user_message.message_id)
    [stored] = await control.messages(USER)
    assert stored["text"] == "Selesai"
    assert [e["before"]["text"] for e in stored["edits"]] == ["Memproses…"]


async def test_buttons_callbacks_and_markup_edits(bot: Bot, control: AsyncEmulatorClient) -> None:
    await control.register_user(USER, "Budi")
    sent = await bot.send_message(USER, "Daftar diklat?", reply_markup=keyboard("ya", "tidak"))
    pressed = await control.press(USER, sent.message_id, "ya")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query is not None
    assert (query.id, query.data) == (pressed.callback_query_id, "ya")
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    assert await query.answer("Terdaftar")
    with pytest.raises(BadRequest, match=r"^Query is too old and response timeout expired"):
        await query.answer()
    [answered] = await control.callbacks(answered=True)
    assert answered["answer"] == {"text": "Terdaftar"}

    new = await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=keyboard("batal"))
    assert isinstance(new, Message)
    assert new.reply_markup == keyboard("batal")
    with pytest.raises(BadRequest, match=r"^Message is not modified"):
        await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=keyboard("batal"))
    with pytest.raises(ControlApiError, match=r"no button with callback_data 'ya'"):
        await control.press(USER, sent.message_id, "ya")
    forged = await control.press(USER, sent.message_id, "admin:hapus", forged=True)
    assert forged.update is not None
    assert forged.update["callback_query"]["data"] == "admin:hapus"

    await control.press(USER, sent.message_id, button="Batal")
    await control.advance_clock(15 * 60 + 1)  # Telegram forgets unanswered queries
    updates = await bot.get_updates(offset=update.update_id + 1)
    late = updates[-1].callback_query
    assert late is not None
    assert late.data == "batal"
    with pytest.raises(BadRequest, match=r"^Query is too old"):
        await late.answer()


async def test_delete_message(bot: Bot, control: AsyncEmulatorClient) -> None:
    await control.register_user(USER)
    sent = await bot.send_message(USER, "Sementara")
    assert await bot.delete_message(USER, sent.message_id)
    with pytest.raises(BadRequest, match=r"^Message to delete not found$"):
        await bot.delete_message(USER, sent.message_id)
    [stored] = await control.messages(USER)
    assert stored["deleted"] is True
    own = await control.send_text(USER, "hapus saja")
    assert await bot.delete_message(USER, own.message_id)  # private chats allow it
    group = await control.create_group(title="HR")
    other = await control.send_text(OTHER, "/halo", chat_id=group["id"], chat_type="group")
    with pytest.raises(BadRequest, match=r"^Message can't be deleted$"):
        await bot.delete_message(group["id"], other.message_id)


async def test_forward_to_the_hr_group_and_an_officers_reply(
    bot: Bot, control: AsyncEmulatorClient
) -> None:
    group = await control.create_group(-100_777, "Petugas BKPSDM", chat_type="supergroup")
    question = await control.send_text(USER, "Saya butuh bantuan petugas", first_name="Budi")
    forwarded = await bot.forward_message(group["id"], USER, question.message_id)
    assert forwarded.forward_origin is not None
    assert forwarded.forward_origin.sender_user.id == USER  # type: ignore[attr-defined]
    assert forwarded.text == "Saya butuh bantuan petugas"
    copy = await bot.copy_message(group["id"], USER, question.message_id)
    assert copy.message_id == forwarded.message_id + 1
    with pytest.raises(BadRequest, match=r"^Message to forward not found$"):
        await bot.forward_message(group["id"], USER, 9_999)

    chatter = await control.send_text(77, "siapa yang piket?", chat_id=group["id"])
    assert chatter.delivered is False  # privacy mode: plain group talk stays with the group
    reply = await control.reply_to(77, group["id"], forwarded.message_id, "Baik, saya bantu")
    assert reply.delivered is True
    updates = await bot.get_updates()
    officer = updates[-1].message
    assert officer is not None
    assert officer.chat.type == "supergroup"
    assert officer.reply_to_message is not None
    assert officer.reply_to_message.message_id == forwarded.message_id
    methods = [m["method"] for m in await control.messages(group["id"])]
    assert methods == ["forwardMessage", "copyMessage"]


async def test_commands_per_scope_and_language(bot: Bot, control: AsyncEmulatorClient) -> None:
    await control.register_user(USER)
    menu = [BotCommand("start", "Mulai"), BotCommand("diklat", "Daftar diklat")]
    assert await bot.set_my_commands(menu)
    assert await bot.set_my_commands(menu[:1], scope=BotCommandScopeAllPrivateChats())
    assert await bot.set_my_commands(menu[1:], scope=BotCommandScopeChat(USER), language_code="id")
    assert await bot.get_my_commands() == tuple(menu)
    assert await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == tuple(menu[:1])
    assert await bot.get_my_commands(scope=BotCommandScopeChat(USER)) == ()
    chat_scope = await bot.get_my_commands(scope=BotCommandScopeChat(USER), language_code="id")
    assert chat_scope == tuple(menu[1:])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.set_my_commands(menu, scope=BotCommandScopeChat(424242))
    stored = {(c["scope"], c["language_code"]) for c in await control.commands()}
    assert stored == {("all_private_chats", ""), (f"chat:{USER}", "id")}


async def test_chat_action_menu_button_and_get_chat(bot: Bot, control: AsyncEmulatorClient) -> None:
    await control.register_user(USER, "Budi")
    assert await bot.send_chat_action(USER, "typing")
    assert [a["action"] for a in (await control.chat(USER))["actions"]] == ["typing"]
    assert await bot.get_chat_menu_button() == MenuButtonCommands()
    web = MenuButtonWebApp("Portal", WebAppInfo("https://siasn.bkn.go.id"))
    assert await bot.set_chat_menu_button(USER, web)
    assert await bot.get_chat_menu_button(USER) == web
    info = await bot.get_chat(USER)
    assert isinstance(info, ChatFullInfo)
    assert (info.id, info.type, info.first_name) == (USER, "private", "Budi")
    logged = await control.requests("getChat")
    default_spec().check_object("ChatFullInfo", logged[-1]["result"])


async def test_leave_chat(bot: Bot, control: AsyncEmulatorClient) -> None:
    group = await control.create_group(title="Lama")
    assert await bot.leave_chat(group["id"])
    with pytest.raises(Forbidden, match=r"bot is not a member of the group chat"):
        await bot.send_message(group["id"], "Halo")
    await control.register_user(USER)
    with pytest.raises(BadRequest, match=r"^Chat member status can't be changed in private chats$"):
        await bot.leave_chat(USER)


async def test_other_spec_methods_are_validated_then_refused(
    bot: Bot, control: AsyncEmulatorClient
) -> None:
    await control.register_user(USER)
    with pytest.raises(BadRequest, match=r"^Method not supported by the emulator$"):
        await bot.send_video(USER, "BAACAgIAAxkBAAI", caption="Video")
    with pytest.raises(BadRequest, match=r"^Message caption is too long$"):
        await bot.send_video(USER, "BAACAgIAAxkBAAI", caption="x" * 1025)
    [refused, too_long] = await control.requests("sendVideo")
    assert refused["params"] == {"chat_id": USER, "video": "BAACAgIAAxkBAAI", "caption": "Video"}
    assert refused["status"] == too_long["status"] == 400


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the command's arguments, or ask with a button."""
    assert update.effective_message is not None
    if context.args:
        await update.effective_message.reply_text(f"Kode: {' '.join(context.args)}")
    else:
        await update.effective_message.reply_text("Lanjut?", reply_markup=keyboard("lanjut"))


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button press and edit the message."""
    query = update.callback_query
    assert query is not None
    await query.answer("Oke")
    await query.edit_message_text(f"Dipilih: {query.data}")


async def test_a_ptb_application_polls_and_replies(
    server: EmulatorServer, control: AsyncEmulatorClient
) -> None:
    application: Application = (  # type: ignore[type-arg]
        ApplicationBuilder().token(server.token).base_url(server.base_url).build()
    )
    application.add_handler(CommandHandler("start", echo))
    application.add_handler(CallbackQueryHandler(answer))
    application.add_handler(MessageHandler(filters.TEXT, echo))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            await control.send_command(USER, "start", "KODE-123")
            [reply] = await control.wait_for(USER, 1, timeout=10)
            assert reply["text"] == "Kode: KODE-123"
            await control.send_text(USER, "halo")
            [question] = await control.wait_for(USER, 1, timeout=10, after=reply["message_id"])
            await control.press(USER, question["message_id"], "lanjut")
            await control.wait_for_requests("answerCallbackQuery", 1, timeout=10)
            await control.wait_for_requests("editMessageText", 1, timeout=10)
        finally:
            await application.updater.stop()
            await application.stop()
    [edited] = [m for m in await control.messages(USER) if m["edits"]]
    assert edited["text"] == "Dipilih: lanjut"
    [callback] = await control.callbacks()
    assert callback["answer"] == {"text": "Oke"}
    assert await control.updates() == []  # the application confirmed everything it got
