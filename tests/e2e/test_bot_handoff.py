"""Human handoff over real HTTP: employee → bot → Rasa → actions (ask for the question) → the
employee's answer (ticket) → HR group → officer's reply → outbox → dispatcher → employee; the
close button; an unanswered question carried over; no group configured; a restart."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import HandoffTicket, OutboxMessage, OutboxStatus, TicketStatus
from asnkarier.services.nip import mask_nip
from asnkarier.services.outbox_keys import HANDOFF_REPLY
from telegram_emulator.client import EmulatorClient
from telegram_emulator.runner import EmulatorServer
from tests.e2e.bot_process import bot_env, running_bot
from tests.e2e.chatter import (
    ask,
    buttons,
    contract_breaches,
    eventually,
    last_id,
    settle,
    texts,
)
from tests.e2e.conftest import HR_GROUP
from tests.e2e.stack import Stack
from tests.factories import make_employee

OFFICER = 965_900


def _ticket(sessions: sessionmaker[Session], user: int) -> HandoffTicket:
    with sessions.begin() as s:
        ticket = s.scalar(
            select(HandoffTicket)
            .where(HandoffTicket.telegram_user_id == user)
            .order_by(HandoffTicket.id.desc())
        )
        assert ticket is not None
        return ticket


def _seq(bot: EmulatorClient) -> int:
    return max((r["seq"] for r in bot.requests()), default=0)


def _officer_says(bot: EmulatorClient, card_id: int, text: str) -> tuple[int, list[dict]]:  # type: ignore[type-arg]
    """An officer replies to `card_id` in the HR group; returns their message id and the bot's
    answer in the group."""
    seen = last_id(bot, HR_GROUP)
    sent = bot.reply_to(OFFICER, HR_GROUP, card_id, text, chat_type="supergroup", first_name="Andi")
    assert sent.delivered
    assert sent.message_id is not None
    return sent.message_id, settle(bot, HR_GROUP, seen)


def test_round_trip_reply_and_close(
    bot: EmulatorClient, dispatcher: None, sessions: sessionmaker[Session]
) -> None:
    user = 965_001
    with sessions.begin() as s:
        employee = make_employee(s, chat_id=user, name="Siti Rahmawati")
        nip, unit = employee.nip, employee.unit.name
    # An answered question, then a request for a human: the bot asks what the question is
    # (it does not file the answered one), and the answer to that becomes the ticket.
    ask(bot, user, "kapan tenggat SKP tahunan?")
    seen = last_id(bot, user)
    bot.send_command(user, "petugas", first_name="Siti")
    [asked] = settle(bot, user, seen, until="Apa pertanyaan")
    assert (asked.get("reply_markup") or {}).get("force_reply") is True
    with sessions.begin() as s:
        assert s.scalar(select(HandoffTicket).where(HandoffTicket.telegram_user_id == user)) is None
    assert "tiket" not in asked["text"].lower()
    seen_group, seen = last_id(bot, HR_GROUP), last_id(bot, user)
    question = "SK kenaikan pangkat saya belum terbit padahal sudah tiga bulan"
    bot.reply_to(user, user, asked["message_id"], question, first_name="Siti")
    told = settle(bot, user, seen, until="membalas di percakapan ini")
    ticket = _ticket(sessions, user)
    assert ticket.question == question
    assert f"tiket #{ticket.id}" in texts(told)
    assert len(told) == 1  # one message: forwarded, and how and when the answer comes

    # The HR group sees who asked (NIP masked), what, and a close button.
    [card] = settle(bot, HR_GROUP, seen_group, until=f"Tiket #{ticket.id}")
    assert "Siti Rahmawati" in card["text"]
    assert unit in card["text"]
    assert mask_nip(nip) in card["text"]
    assert nip not in card["text"]
    assert "SK kenaikan pangkat" in card["text"]
    assert [b["text"] for b in buttons(card)] == ["✅ Tutup tiket"]
    assert _ticket(sessions, user).hr_message_id == card["message_id"]

    # An officer's reply reaches the employee once, through the outbox and the dispatcher.
    answer = "Sudah kami cek: SK Ibu terbit minggu depan."
    seen = last_id(bot, user)
    officer_message, confirmation = _officer_says(bot, card["message_id"], answer)
    assert f"Diteruskan ke pegawai (tiket #{ticket.id})" in texts(confirmation)
    delivered = settle(bot, user, seen, until=answer)
    assert f"Balasan petugas BKPSDM (tiket #{ticket.id})" in texts(delivered)
    key = HANDOFF_REPLY(ticket.id, officer_message)

    def sent() -> bool:  # the dispatcher records the send right after Telegram's answer
        with sessions.begin() as s:
            row = s.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
            assert row is not None
            assert (row.kind, row.chat_id) == ("handoff", user)
            return row.status == OutboxStatus.SENT

    assert eventually(sent)
    assert texts(bot.messages(user)).count(answer) == 1

    # Replies that cannot be passed on are explained to the officers.
    _, wrong_target = _officer_says(bot, confirmation[-1]["message_id"], "tes")
    assert "balas (reply) pesan tiketnya" in texts(wrong_target)

    # The close button does nothing outside the HR group (a forged press in a private chat).
    since = _seq(bot)
    bot.press(user, told[-1]["message_id"], f"handoff:close:{ticket.id}", forged=True)
    answered = bot.wait_for_requests("answerCallbackQuery", 1, since=since)
    assert "hanya untuk petugas" in answered[0]["params"]["text"]
    assert _ticket(sessions, user).status == TicketStatus.OPEN

    # An officer closes it: the card says so, the employee is told, later replies stay put.
    since, seen = _seq(bot), last_id(bot, user)
    bot.press(OFFICER, card["message_id"], button="✅ Tutup tiket", chat_id=HR_GROUP)
    bot.wait_for_requests("editMessageText", 1, since=since)
    closed_card = next(m for m in bot.messages(HR_GROUP) if m["message_id"] == card["message_id"])
    assert "Ditutup oleh Andi" in closed_card["text"]
    assert not buttons(closed_card)
    closed = _ticket(sessions, user)
    assert (closed.status, closed.closed_by) == (TicketStatus.CLOSED, f"telegram:{OFFICER}")
    notice = settle(bot, user, seen, until="sudah ditutup")
    assert f"Tiket #{ticket.id} sudah ditutup" in texts(notice)
    late, refused = _officer_says(bot, card["message_id"], "Satu lagi, Bu.")
    assert "sudah ditutup" in texts(refused)
    with sessions.begin() as s:
        key = HANDOFF_REPLY(ticket.id, late)
        assert s.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)) is None


def test_an_unanswered_question_is_carried_and_nothing_false_is_claimed(
    bot: EmulatorClient, sessions: sessionmaker[Session]
) -> None:
    user = 965_051
    out_of_scope = ask(bot, user, "cuaca besok cerah nggak ya?")
    assert "catat untuk petugas" not in texts(out_of_scope)  # no ticket exists
    with sessions.begin() as s:
        assert s.scalar(select(HandoffTicket).where(HandoffTicket.telegram_user_id == user)) is None
    seen = last_id(bot, user)
    bot.send_command(user, "petugas", first_name="Tamu")
    told = settle(bot, user, seen, until="membalas di percakapan ini")
    ticket = _ticket(sessions, user)
    assert "cuaca" in ticket.question  # the question that went unanswered
    assert f"tiket #{ticket.id}" in texts(told)
    again = last_id(bot, user)
    bot.send_command(user, "petugas", first_name="Tamu")
    assert "masih ditangani" in texts(settle(bot, user, again, until="masih ditangani"))
    # "batal" to the question prompt files nothing.
    other = 965_052
    seen = last_id(bot, other)
    bot.send_command(other, "petugas", first_name="Tamu")
    [asked] = settle(bot, other, seen, until="Apa pertanyaan")
    seen = last_id(bot, other)
    bot.reply_to(other, other, asked["message_id"], "batal", first_name="Tamu")
    assert "tidak jadi" in texts(settle(bot, other, seen, until="tidak jadi"))
    with sessions.begin() as s:
        assert (
            s.scalar(select(HandoffTicket).where(HandoffTicket.telegram_user_id == other)) is None
        )


def test_no_group_tickets_are_still_answered_and_a_restart_posts_them(
    stack: Stack, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    user = 965_101
    with sessions.begin() as s:
        make_employee(s, chat_id=user, name="Budi Hartono")
    with (
        EmulatorServer(rate_limit=False, token="3000000003:handoff") as other,
        other.client() as control,
    ):
        control.create_group(HR_GROUP, "Petugas BKPSDM", chat_type="supergroup")
        env = bot_env(
            other, stack.rasa_url, stack.database_url, stack.action_url
        )  # no HR_GROUP_CHAT_ID
        with running_bot(other, env, tmp_path, "bot-no-group") as client:
            client.send_command(user, "petugas", first_name="Budi")
            [asked] = settle(client, user, 0, until="Apa pertanyaan")
            seen = last_id(client, user)
            client.reply_to(user, user, asked["message_id"], "Kapan SK saya terbit?")
            # Officers work it with `asnbot ticket`: the answer still comes in this chat.
            told = settle(client, user, seen, until="membalas di percakapan ini")
        ticket = _ticket(sessions, user)
        assert f"tiket #{ticket.id}" in texts(told)
        log = (tmp_path / "bot-no-group.log").read_text()
        assert "HR_GROUP_CHAT_ID is not set" in log
        assert "asnbot ticket" in log
        assert control.messages(HR_GROUP) == []
        assert ticket.hr_message_id is None

        # Tickets live in the database: a bot started with the group posts the waiting one.
        grouped = {**env, "HR_GROUP_CHAT_ID": str(HR_GROUP)}
        with running_bot(other, grouped, tmp_path, "bot-group") as client:
            cards = settle(client, HR_GROUP, 0, until="Budi Hartono")
            card = next(m for m in cards if "Budi Hartono" in m["text"])
            assert f"Tiket #{ticket.id}" in card["text"]
            assert _ticket(sessions, user).hr_message_id == card["message_id"]
            assert contract_breaches(client) == []


def test_no_request_broke_the_bot_api_contract(bot: EmulatorClient) -> None:
    refused = [r for r in bot.requests() if r.get("status") == 400]
    assert refused == [], refused[:3]
