"""Rendering the assistant's replies as valid Telegram messages."""

import re

from sqlalchemy.orm import Session

from asnkarier.services import callbacks
from asnkarier.telegram_limits import MAX_MESSAGE, split_text
from bot.rasa_client import BotReply, Button
from bot.render import OutgoingMessage, render
from telegram_emulator.formatting import format_text


def shown(message: OutgoingMessage) -> str:
    """The text as Telegram stores it, parsed as HTML by the emulator (which plays Telegram)."""
    return format_text(message.text, "html").text


def telegram_length(message: OutgoingMessage) -> int:
    """The length Telegram checks against 4096, computed by the emulator."""
    return format_text(message.text, "html").length


async def _no_tokens(payload: str) -> str:
    raise AssertionError(f"unexpected tokenization of {payload!r}")


async def test_html_is_escaped_and_buttons_become_keyboards() -> None:
    reply = BotReply(
        "Nilai <b> & skor",
        [
            Button("Daftar", '/register_workshop{"workshop":"ws-a"}'),
            Button("e-Kinerja", "https://kinerja.bkn.go.id"),
        ],
    )
    [message] = await render([reply], _no_tokens)
    assert message.text == "Nilai &lt;b&gt; &amp; skor"
    assert message.keyboard is not None
    rows = message.keyboard.inline_keyboard
    assert rows[0][0].callback_data == '/register_workshop{"workshop":"ws-a"}'
    assert rows[1][0].url == "https://kinerja.bkn.go.id"
    assert rows[1][0].callback_data is None


async def test_long_text_is_split_and_keyboard_goes_last() -> None:
    paragraph = "Kalimat panjang tentang SKP dan e-Kinerja. " * 40
    text = "\n\n".join([paragraph] * 8)
    messages = await render([BotReply(text, [Button("OK", "/affirm")])], _no_tokens)
    assert len(messages) >= 3
    assert all(0 < telegram_length(m) <= MAX_MESSAGE for m in messages)
    assert [m.keyboard is not None for m in messages] == [False] * (len(messages) - 1) + [True]
    assert "".join(m.text for m in messages).replace(" ", "").replace("\n", "") == text.replace(
        " ", ""
    ).replace("\n", "")


async def test_escaping_never_pushes_a_part_over_the_limit() -> None:
    messages = await render([BotReply("<" * 5000, [])], _no_tokens)
    assert all(telegram_length(m) <= MAX_MESSAGE for m in messages)
    assert "".join(shown(m) for m in messages) == "<" * 5000


async def test_a_split_never_cuts_inside_an_entity() -> None:
    # Escaped, 3000 "&" are 15000 characters of "&amp;": a split of the escaped text falls
    # inside an entity ("&a" | "mp;"), which the recipient sees as junk.
    messages = await render([BotReply("&" * 3000, [])], _no_tokens)
    assert all(re.fullmatch(r"(&amp;)+", m.text) for m in messages)
    assert "".join(shown(m) for m in messages) == "&" * 3000


async def test_emoji_count_twice_towards_the_limit() -> None:
    # 2100 emoji are 2100 code points but 4200 UTF-16 units: Telegram refuses them in one message.
    text = " ".join(["😀"] * 2100)
    messages = await render([BotReply(text, [])], _no_tokens)
    assert len(messages) == 2
    assert all(telegram_length(m) <= MAX_MESSAGE for m in messages)
    assert "".join(shown(m) for m in messages).count("😀") == 2100


def test_split_without_spaces_hard_cuts() -> None:
    parts = split_text("x" * 9000)
    assert [len(p) for p in parts] == [4096, 4096, 808]


async def test_long_payloads_are_tokenized_and_resolved(session: Session) -> None:
    long_payload = '/register_workshop{"workshop":"ws-sangat-panjang-sekali-kode-workshopnya-2026"}'
    assert len(long_payload.encode()) > 64

    async def tokenize(payload: str) -> str:
        return callbacks.store(session, payload)

    [message] = await render([BotReply("Pilih", [Button("Daftar", long_payload)])], tokenize)
    assert message.keyboard is not None
    data = message.keyboard.inline_keyboard[0][0].callback_data
    assert isinstance(data, str)
    assert len(data.encode()) <= 64
    assert callbacks.resolve(session, data) == long_payload
    assert callbacks.store(session, long_payload) == data  # same payload, same token
    assert callbacks.resolve(session, "t:forged") is None
    assert callbacks.resolve(session, "/greet") == "/greet"


async def test_buttons_without_text_still_get_a_prompt() -> None:
    [message] = await render([BotReply("", [Button("Ya", "/affirm")])], _no_tokens)
    assert message.text == "Silakan pilih:"
    assert await render([BotReply("   ", [])], _no_tokens) == []


async def test_bubbles_of_one_answer_arrive_as_one_message_where_they_fit() -> None:
    replies = [
        BotReply("Tenggat SKP tahunan: 31 Januari."),
        BotReply("Isi di e-Kinerja."),
        BotReply("Mau diingatkan?", [Button("Ya", "/affirm")]),
        BotReply("Ada lagi?"),
    ]
    messages = await render(replies, _no_tokens)
    assert [m.text for m in messages] == [
        "Tenggat SKP tahunan: 31 Januari.\n\nIsi di e-Kinerja.\n\nMau diingatkan?",
        "Ada lagi?",  # never merged under the buttons above
    ]
    assert messages[0].keyboard is not None
    assert messages[1].keyboard is None


async def test_bubbles_that_do_not_fit_together_stay_apart() -> None:
    long = "kata " * 500  # 2500 characters
    messages = await render([BotReply(long), BotReply(long), BotReply("akhir")], _no_tokens)
    assert len(messages) == 2
    assert all(len(m.text) <= MAX_MESSAGE for m in messages)
    assert messages[1].text.endswith("akhir")


async def test_long_button_labels_are_cut_between_words() -> None:
    title = "Pelatihan Kepemimpinan Administrator Angkatan Kedua Tahun Anggaran Dua Ribu Dua Puluh"
    [message] = await render([BotReply("Pilih", [Button(title, "/affirm")])], _no_tokens)
    assert message.keyboard is not None
    label = message.keyboard.inline_keyboard[0][0].text
    assert label.endswith("…")
    assert len(label) <= 60
    kept = label.removesuffix("…").split()
    assert kept == title.split()[: len(kept)], label  # whole words only
    short = "Jadwal workshop"
    [message] = await render([BotReply("Pilih", [Button(short, "/x")])], _no_tokens)
    assert message.keyboard is not None
    assert message.keyboard.inline_keyboard[0][0].text == short
