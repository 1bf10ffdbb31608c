"""'Apa yang kurang untuk naik?' and cari mentor through the real bot, Rasa, actions and the
outbox dispatcher, over real HTTP against the Telegram emulator (chat users 973_xxx)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import CareerLadder, MentorRequest, MentorRequestStatus, PositionKind
from asnkarier.services import career
from telegram_emulator.client import EmulatorClient
from tests.e2e.chatter import ask, buttons, last_id, press, settle, shown, texts
from tests.factories import make_employee, make_workshop

PLANNER, MENTOR, ASKER = 973_001, 973_002, 973_003


def test_linked_employee_gets_the_development_card(
    bot: EmulatorClient, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as s:
        ladder = s.scalar(select(CareerLadder).where(CareerLadder.code == "analis-kepegawaian"))
        assert ladder is not None
        level = career.level_named(ladder, "ahli pertama")
        assert level is not None
        make_employee(
            s,
            chat_id=PLANNER,
            rank="III/a",
            sex="P",
            name="Dewi Anggraini",
            position_title="Analis Kepegawaian Ahli Pertama",
            position_kind=PositionKind.FUNGSIONAL,
            ladder_id=ladder.id,
            level_id=level.id,
            rank_tmt=dt.date.today() - dt.timedelta(days=365 * 5),
        )
        # Its title shares no naming word with the seeded "Bimtek Usul Kenaikan Pangkat melalui
        # SIASN" (test_conversations names that one on the same e2e stack); found by topic.
        make_workshop(s, title="Klinik Berkas KP Telegram", topics=["siasn", "kenaikan pangkat"])
    card = ask(bot, PLANNER, "apa yg kurang buat naik pangkat?", until="Yang perlu disiapkan")
    text = texts(card)
    assert "Ibu Dewi" in text
    assert "III/a → III/b" in text
    assert "Ahli Pertama → Ahli Muda" in text
    assert "/20" in text
    message = next(m for m in card if buttons(m))
    labels = [b["text"] for b in buttons(message)]
    assert any("Klinik Berkas KP Telegram" in label for label in labels)
    assert "📋 Rincian kenaikan pangkat" in labels
    # The details button answers with the promotion rule and the personal outlook.
    details = press(bot, PLANNER, message, "Rincian kenaikan pangkat", until="angka kredit")
    assert "Ibu" in texts(details)


def test_mentor_request_accepted_shares_contacts_once(
    bot: EmulatorClient, dispatcher: None, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as s:
        make_employee(s, chat_id=MENTOR, name="Bagus Prakoso", position_title="Pranata Komputer")
        make_employee(s, chat_id=ASKER, name="Lestari Wulan", sex="P")
    seen = last_id(bot, MENTOR)
    bot.send_text(MENTOR, "saya mau jadi mentor excel", first_name="Bagus", username="bagus_xl")
    offered = settle(bot, MENTOR, seen, until="terdaftar sebagai mentor")
    assert "«excel»" in texts(offered)

    found = ask(bot, ASKER, "cari mentor excel", until="Kirim permintaan")
    assert "Bagus Prakoso" in shown(found)
    assert "bagus_xl" not in shown(found)  # no contact before acceptance
    listing = next(m for m in found if buttons(m))
    mentor_seen = last_id(bot, MENTOR)
    sent = press(bot, ASKER, listing, "Kirim permintaan", until="sudah dikirim")
    assert "Bagus Prakoso" in texts(sent)
    # Asking the same mentor again: nothing new is sent.
    again = ask(bot, ASKER, "cari mentor excel", until="Kirim permintaan")
    repeat = press(bot, ASKER, next(m for m in again if buttons(m)), "Kirim", until="menunggu")
    assert "menunggu jawaban" in texts(repeat)

    # The mentor hears it from the outbox dispatcher, with Terima/Tolak, and accepts.
    request = settle(bot, MENTOR, mentor_seen, until="Permintaan mentoring")
    incoming = next(m for m in request if "Permintaan mentoring" in (m.get("text") or ""))
    assert "Lestari Wulan" in incoming["text"]
    asker_seen = last_id(bot, ASKER)
    mentor_seen = last_id(bot, MENTOR)
    accepted = press(bot, MENTOR, incoming, "Terima", until="Terima kasih")
    assert "kedua pihak" in texts(accepted)

    told = settle(bot, ASKER, asker_seen, until="Kabar baik")
    assert "@bagus_xl" in texts(told)
    contact = settle(bot, MENTOR, mentor_seen, until="Kontak")
    assert "Lestari Wulan" in texts(contact)
    with sessions.begin() as s:
        rows = list(s.scalars(select(MentorRequest)))
        mine = [r for r in rows if r.asker.telegram_user_id == ASKER]
        assert [r.status for r in mine] == [MentorRequestStatus.ACCEPTED]

    # The mentor types a second answer: already decided, nothing changes.
    late = ask(bot, MENTOR, "saya tolak permintaan mentoringnya", until="permintaan")
    assert "Tidak ada permintaan" in texts(late)
    final = [m for m in bot.messages(ASKER) if "Kabar baik" in (m.get("text") or "")]
    assert len(final) == 1
