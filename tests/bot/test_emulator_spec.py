"""The emulator's checks of Bot API calls against bot-api-10.1.json, and Telegram's formatting."""

from __future__ import annotations

import json
from typing import Any

import pytest

from telegram_emulator.formatting import FormatError, format_text, parse_html, utf16_len
from telegram_emulator.spec import (
    CHAT_ACTIONS,
    ApiError,
    BotApiSpec,
    UploadedFile,
    ValidatedCall,
    default_spec,
)

SPEC = default_spec()


def _raw(params: dict[str, Any]) -> dict[str, str | UploadedFile]:
    """Parameters as PTB sends them: strings as they are, everything else JSON-encoded."""
    return {k: v if isinstance(v, str | UploadedFile) else json.dumps(v) for k, v in params.items()}


def call(method: str, **params: Any) -> ValidatedCall:
    spec = SPEC.method(method)
    assert spec is not None
    return SPEC.validate_call(spec, _raw(params))


def error(method: str, **params: Any) -> str:
    with pytest.raises(ApiError) as info:
        call(method, **params)
    assert info.value.error_code == 400
    return info.value.description


def button(**fields: Any) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": "Ya", **fields}]]}


def test_spec_is_the_shared_description() -> None:
    assert SPEC.version == "Bot API 10.1"
    send = SPEC.method("sendmessage")  # method names are case-insensitive
    assert send is not None
    assert send.name == "sendMessage"
    assert send.fields["chat_id"].required
    assert send.fields["chat_id"].types == ("Integer", "String")
    assert SPEC.method("sendTelepathy") is None


def test_form_strings_are_coerced_to_the_declared_types() -> None:
    validated = call(
        "sendMessage",
        chat_id="123",
        text="Halo",
        disable_notification="true",
        reply_markup=json.dumps(button(callback_data="ya")),
    )
    assert validated.params == {
        "chat_id": 123,
        "text": "Halo",
        "disable_notification": True,
        "reply_markup": button(callback_data="ya"),
    }
    assert call("sendMessage", chat_id="@kanal_bkpsdm", text="x").params["chat_id"] == (
        "@kanal_bkpsdm"
    )
    assert call("getUpdates", timeout="10.0", limit="5").params == {"timeout": 10, "limit": 5}


def test_empty_parameters_count_as_absent() -> None:
    assert call("sendMessage", chat_id=1, text="x", parse_mode="").params == {
        "chat_id": 1,
        "text": "x",
    }


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "parse_mod": "HTML"},
            'unknown parameter "parse_mod"',
        ),
        ("sendMessage", {"text": "x"}, "chat_id is empty"),
        ("sendMessage", {"chat_id": 1}, "message text is empty"),
        ("sendMessage", {"chat_id": 1, "text": ""}, "message text is empty"),
        ("answerCallbackQuery", {}, 'parameter "callback_query_id" is required'),
        ("deleteMessage", {"chat_id": 1}, "message identifier is not specified"),
        ("getUpdates", {"limit": "lima"}, 'parameter "limit" must be of type Integer'),
        ("getUpdates", {"timeout": "0.5"}, 'parameter "timeout" must be of type Integer'),
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "disable_notification": "mungkin"},
            'parameter "disable_notification" must be of type Boolean',
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "reply_markup": "{not json"},
            "can't parse reply keyboard markup JSON object",
        ),
        ("sendMessage", {"chat_id": 1, "text": "x", "parse_mode": "XML"}, "unsupported parse_mode"),
    ],
)
def test_parameter_errors_use_telegrams_words(
    method: str, params: dict[str, Any], message: str
) -> None:
    assert error(method, **params) == f"Bad Request: {message}"


def test_a_file_is_only_taken_where_the_spec_allows_input_files() -> None:
    upload = UploadedFile("cv.pdf", "application/pdf", 1234)
    assert call("sendDocument", chat_id=1, document=upload).params["document"] == upload
    assert error("sendMessage", chat_id=1, text=upload) == (
        'Bad Request: parameter "text" can\'t be a file'
    )


IKB = "can't parse InlineKeyboardButton: "
TEXT_BUTTON = IKB + "Text buttons are not allowed in the inline keyboard"


@pytest.mark.parametrize(
    ("markup", "message"),
    [
        (button(), TEXT_BUTTON),
        (button(callback_data=""), TEXT_BUTTON),
        (button(callback_data=7), IKB + 'Field "callback_data" must be of type String'),
        (button(url=None, callback_data="a"), IKB + 'Field "url" must be of type String'),
        (button(callback_data="a", colour="red"), IKB + 'Unknown field "colour"'),
        (button(web_app={}), "can't parse WebAppInfo: Can't find field \"url\""),
        (
            button(callback_data="a", url="https://bkpsdm.go.id"),
            IKB + "exactly one of the optional fields must be used, got url, callback_data",
        ),
        (
            {"inline_keyboard": [{"text": "Ya"}]},
            'can\'t parse InlineKeyboardMarkup: Field "inline_keyboard" must be of type Array',
        ),
        (button(callback_data="é" * 33), "BUTTON_DATA_INVALID"),
        (button(url="javascript:alert(1)"), "BUTTON_URL_INVALID"),
        ({"keyboard": [[{"txt": "Ya"}]]}, 'can\'t parse KeyboardButton: Unknown field "txt"'),
        (
            {"force_reply": "yes"},
            'can\'t parse ForceReply: Field "force_reply" must be of type Boolean',
        ),
    ],
)
def test_reply_markup_is_checked_recursively(markup: Any, message: str) -> None:
    assert error("sendMessage", chat_id=1, text="x", reply_markup=markup) == (
        f"Bad Request: {message}"
    )


def test_valid_markups_of_every_kind_pass() -> None:
    for markup in (
        button(callback_data="é" * 32),  # 64 bytes: the limit is in bytes, not characters
        button(url="https://bkpsdm.go.id/jadwal"),
        button(url="tg://user?id=42"),
        {"keyboard": [[{"text": "Ya"}, {"text": "Tidak"}]], "resize_keyboard": True},
        {"remove_keyboard": True},
        {"force_reply": True, "input_field_placeholder": "NIP"},
    ):
        assert (
            call("sendMessage", chat_id=1, text="x", reply_markup=markup).params["reply_markup"]
            == markup
        )


def test_text_limits_count_utf16_code_units_after_parsing() -> None:
    assert call("sendMessage", chat_id=1, text="a" * 4096)
    assert call("sendMessage", chat_id=1, text="😀" * 2048)  # 4096 UTF-16 code units
    assert call("sendMessage", chat_id=1, text="<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    assert call("sendMessage", chat_id=1, text="&lt;" * 4096, parse_mode="HTML")
    too_long = "Bad Request: message is too long"
    assert error("sendMessage", chat_id=1, text="a" * 4097) == too_long
    assert error("sendMessage", chat_id=1, text="😀" * 2049) == too_long
    assert error("editMessageText", chat_id=1, message_id=1, text="a" * 4097) == too_long
    assert error("sendMessage", chat_id=1, text=" \n ") == "Bad Request: message must be non-empty"
    assert error("sendMessage", chat_id=1, text="<b> </b>", parse_mode="HTML") == (
        "Bad Request: message must be non-empty"
    )
    assert error("sendPhoto", chat_id=1, photo="file-id", caption="a" * 1025) == (
        "Bad Request: message caption is too long"
    )


def test_edit_text_needs_text() -> None:
    assert error("editMessageText", chat_id=1, message_id=2) == "Bad Request: message text is empty"


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("<b>tebal", "Can't find end tag corresponding to start tag b"),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<p>paragraf</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("é<div>", 'Unsupported start tag "div" at byte offset 2'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ('<a href="https://x.id">x', "Can't find end tag corresponding to start tag a"),
        (
            "<a href>x</a>",
            'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0',
        ),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<a href=x!>x</a>", "Unexpected end of name token at byte offset 8"),
    ],
)
def test_bad_html_gets_telegrams_parse_errors(html: str, message: str) -> None:
    with pytest.raises(FormatError) as info:
        parse_html(html)
    assert str(info.value) == message
    assert error("sendMessage", chat_id=1, text=html, parse_mode="HTML") == (
        f"Bad Request: can't parse entities: {message}"
    )


def test_html_yields_the_plain_text_and_entities_telegram_returns() -> None:
    result = format_text(
        '<b>Jadwal <i>diklat</i></b> &amp; <a href="https://bkpsdm.go.id">info</a>\n'
        '<pre><code class="language-python">x = 1</code></pre>'
        '<tg-spoiler>rahasia</tg-spoiler> <span class="tg-spoiler">s</span> '
        "<blockquote expandable>kutipan</blockquote> &lt;3 &#128512; &unknown; "
        '<a href="tg://user?id=42">Budi</a>',
        "HTML",
    )
    assert result.text == ("Jadwal diklat & info\nx = 1rahasia s kutipan <3 😀 &unknown; Budi")
    types = [(e["type"], e["offset"], e["length"]) for e in result.entities]
    assert types == [
        ("bold", 0, 13),
        ("italic", 7, 6),
        ("text_link", 16, 4),
        ("pre", 21, 5),
        ("spoiler", 26, 7),
        ("spoiler", 34, 1),
        ("expandable_blockquote", 36, 7),
        ("text_mention", 60, 4),
    ]
    assert result.entities[2]["url"] == "https://bkpsdm.go.id"
    assert result.entities[3]["language"] == "python"
    assert result.entities[-1]["user"]["id"] == 42


def test_markdown_v2_demands_escaping_and_closed_entities() -> None:
    ok = format_text(
        "*Tebal* _miring_ __garis__ ~coret~ ||spoiler|| `kode` Versi 2\\.0", "MarkdownV2"
    )
    assert ok.text == "Tebal miring garis coret spoiler kode Versi 2.0"
    assert [e["type"] for e in ok.entities] == [
        "bold", "italic", "underline", "strikethrough", "spoiler", "code",
    ]  # fmt: skip
    link = format_text("[BKPSDM](https://bkpsdm.go.id/a\\)b)", "MarkdownV2")
    assert link.text == "BKPSDM"
    assert link.entities[0]["url"] == "https://bkpsdm.go.id/a)b"
    assert error("sendMessage", chat_id=1, text="Selesai.", parse_mode="MarkdownV2") == (
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
        "with the preceding '\\'"
    )
    assert error("sendMessage", chat_id=1, text="a *b", parse_mode="MarkdownV2") == (
        "Bad Request: can't parse entities: Can't find end of Bold entity at byte offset 2"
    )


def test_legacy_markdown() -> None:
    assert format_text("*tebal* _miring_ [x](https://a.id) 1.0", "Markdown").text == (
        "tebal miring x 1.0"
    )
    assert error("sendMessage", chat_id=1, text="snake_case", parse_mode="Markdown") == (
        "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 5"
    )


def test_explicit_entities_must_fit_the_text() -> None:
    entity = {"type": "bold", "offset": 0, "length": 5}
    assert call("sendMessage", chat_id=1, text="Halo!", entities=[entity]).formatted[
        "text"
    ].entities == [entity]
    assert error("sendMessage", chat_id=1, text="Halo", entities=[entity]) == (
        "Bad Request: can't parse entities: Entity beginning at UTF-16 offset 0 ends after the "
        "end of the text at UTF-16 offset 5"
    )
    assert error("sendMessage", chat_id=1, text="Halo", entities=[{"type": "bold"}]) == (
        "Bad Request: can't parse MessageEntity: Can't find field \"offset\""
    )


def test_answer_callback_query_text_is_at_most_200_characters() -> None:
    assert call("answerCallbackQuery", callback_query_id="1", text="a" * 200)
    assert error("answerCallbackQuery", callback_query_id="1", text="a" * 201) == (
        "Bad Request: MESSAGE_TOO_LONG"
    )


def test_bot_commands_follow_the_spec_text() -> None:
    description = (SPEC.types["BotCommand"].fields or {})["description"]
    assert description.limits() == (1, 256, "characters")  # 3-256 in older Bot API versions
    good = {"command": "daftar_diklat", "description": "Daftar diklat"}
    assert call("setMyCommands", commands=[good]).params["commands"] == [good]
    assert call("setMyCommands", commands=[]).params["commands"] == []  # clears the list
    assert call("setMyCommands", commands=[{**good, "description": "x"}])
    for bad in ("Start", "/start", "a" * 33, "mulai-diklat", ""):
        assert error("setMyCommands", commands=[{**good, "command": bad}]) == (
            "Bad Request: BOT_COMMAND_INVALID"
        )
    for bad in ("", " ", "x" * 257):
        assert error("setMyCommands", commands=[{**good, "description": bad}]) == (
            "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"
        )
    commands = [{"command": f"c{i}", "description": "d"} for i in range(101)]
    assert error("setMyCommands", commands=commands) == "Bad Request: BOT_COMMANDS_TOO_MUCH"
    assert error("setMyCommands", commands=[{"command": "a"}]) == (
        "Bad Request: can't parse BotCommand: Can't find field \"description\""
    )


def test_command_scopes_are_checked_per_subtype() -> None:
    scope = {"type": "chat", "chat_id": -100123}
    assert call("setMyCommands", commands=[], scope=scope).params["scope"] == scope
    assert call("getMyCommands", scope={"type": "all_private_chats"})
    assert error("getMyCommands", scope={"type": "chat"}) == (
        "Bad Request: can't parse BotCommandScopeChat: Can't find field \"chat_id\""
    )
    assert error("getMyCommands", scope={"type": "everyone"}) == (
        'Bad Request: can\'t parse BotCommandScope: Unsupported type "everyone" specified'
    )
    assert error("getMyCommands", scope={"type": "chat_member", "chat_id": 1}) == (
        "Bad Request: can't parse BotCommandScopeChatMember: Can't find field \"user_id\""
    )


def test_chat_actions_and_webhook_parameters() -> None:
    description = SPEC.methods["sendChatAction"].fields["action"].description
    assert all(action in description for action in CHAT_ACTIONS)
    assert call("sendChatAction", chat_id=1, action="typing")
    assert error("sendChatAction", chat_id=1, action="dancing") == (
        "Bad Request: wrong parameter action in request"
    )
    assert call("setWebhook", url="http://127.0.0.1:9/hook", secret_token="abc_DEF-123")
    assert error("setWebhook", url="http://x/hook", secret_token="a b") == (
        "Bad Request: secret token contains unallowed characters"
    )
    assert error("setWebhook", url="ftp://x/hook") == (
        "Bad Request: bad webhook: HTTPS url must be provided for webhook"
    )


def test_check_object_validates_the_emulators_own_output() -> None:
    message = {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}, "text": "x"}
    SPEC.check_object("Update", {"update_id": 1, "message": message})
    with pytest.raises(ValueError, match='Can\'t find field "chat"'):
        SPEC.check_object("Message", {"message_id": 1, "date": 1})


def test_a_spec_can_be_loaded_from_another_file(tmp_path: Any) -> None:
    path = tmp_path / "mini.json"
    path.write_text(
        json.dumps(
            {
                "version": "Bot API 0.1",
                "methods": {"getMe": {"name": "getMe", "fields": [], "returns": ["User"]}},
                "types": {},
            }
        )
    )
    mini = BotApiSpec.load(path)
    assert mini.version == "Bot API 0.1"
    assert list(mini.methods) == ["getMe"]


def test_utf16_length() -> None:
    assert utf16_len("Halo") == 4
    assert utf16_len("😀é") == 3
