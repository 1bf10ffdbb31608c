"""/start and /help as users expect them, over real HTTP with the real Rasa model."""

from __future__ import annotations

from telegram_emulator.client import EmulatorClient
from tests.e2e.chatter import buttons, last_id, settle, texts


def test_start_greets_once_with_the_menu_in_one_message(bot: EmulatorClient) -> None:
    user = 968_101  # its own user: the e2e stack is shared with other modules' chats
    seen = last_id(bot, user)
    bot.send_command(user, "start", first_name="Rina")
    [welcome] = settle(bot, user, seen)  # one message: the greeting and what the bot offers
    assert welcome["text"].startswith("Selamat datang di Asisten Karier ASN")
    assert welcome["text"].count("Halo") == 0  # not a second greeting (utter_greet)
    assert "Jadwal workshop" in [b["text"] for b in buttons(welcome)]


def test_help_works_as_users_type_it(bot: EmulatorClient) -> None:
    user = 968_102
    for command in ("help", "menu", "bantuan"):
        seen = last_id(bot, user)
        bot.send_command(user, command, first_name="Rina")
        answer = settle(bot, user, seen)
        assert "tidak dikenal" not in texts(answer), command
        assert any(buttons(m) for m in answer), command
