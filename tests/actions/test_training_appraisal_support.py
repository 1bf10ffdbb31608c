"""Training, competency hours, appraisal, handoff and unanswered-message actions."""

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.appraisal import ActionAppraisalDeadlines, ActionAppraisalHowto
from actions.support import ActionRequestHuman, ActionStoreUnanswered
from actions.training import ActionCompetencyHours, ActionTrainingSearch
from asnkarier import signals
from asnkarier.models import CompetencyHours, Employee, HandoffTicket, UnansweredMessage
from tests.actions.conftest import payloads, run_action, texts, tracker


async def test_training_search_by_topic_and_unknown_topic(factory: sessionmaker[Session]) -> None:
    messages, _ = await run_action(
        ActionTrainingSearch(), tracker(text="pelatihan excel dong", entities={"topik": "excel"})
    )
    answer = texts(messages)
    assert "Pelatihan tentang «excel»" in answer
    assert " JP, " in answer
    assert "/list_workshops" in payloads(messages)
    odd, _ = await run_action(
        ActionTrainingSearch(), tracker(text="pelatihan menyelam", entities={"topik": "menyelam"})
    )
    assert "Belum ada pelatihan tentang «menyelam»" in texts(odd)
    assert texts(odd).count("• ") >= 1


async def test_competency_hours_for_linked_and_unlinked(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    me = linked()
    year = dt.date.today().year
    with factory.begin() as s:
        s.add(
            CompetencyHours(
                employee_id=me.id,
                year=year,
                jp=12,
                activity="Webinar SIASN",
                completed_on=dt.date.today(),
            )
        )
    messages, _ = await run_action(
        ActionCompetencyHours(), tracker(me.telegram_user_id, "JP saya berapa")
    )
    answer = texts(messages)
    assert f"tahun {year}: 12 dari 20 JP" in answer
    assert "kurang 8 JP" in answer
    assert "Webinar SIASN" in answer
    general, _ = await run_action(ActionCompetencyHours(), tracker(text="berapa JP wajib"))
    assert "minimal 20 JP" in texts(general)
    assert "/link_account" in payloads(general)


async def test_appraisal_deadlines_and_howto(factory: sessionmaker[Session]) -> None:
    messages, _ = await run_action(ActionAppraisalDeadlines(), tracker(text="kapan deadline SKP"))
    answer = texts(messages)
    assert "(WIB)" in answer
    assert answer.count("• ") == 3
    assert "https://kinerja.bkn.go.id" in payloads(messages)
    howto, _ = await run_action(
        ActionAppraisalHowto(), tracker(text="cara upload bukti dukung e-kinerja gimana")
    )
    assert "Bukti Dukung" in texts(howto) or "bukti dukung" in texts(howto)
    assert "/ask_appraisal_deadline" in payloads(howto)


async def test_handoff_takes_the_question_before_only_when_it_went_unanswered(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    me = linked()
    earlier = {
        "event": "user",
        "text": "SK kenaikan pangkat saya belum keluar padahal sudah 3 bulan",
        "parse_data": {"intent": {"name": "nlu_fallback"}},
    }
    t = tracker(
        me.telegram_user_id, "mau bicara dengan petugas", intent="request_human", events=[earlier]
    )
    messages, _ = await run_action(ActionRequestHuman(), t)
    assert "diteruskan ke petugas BKPSDM (tiket #" in texts(messages)
    opened = [m["custom"] for m in messages if m.get("custom")]
    again, _ = await run_action(ActionRequestHuman(), t)
    assert "masih ditangani" in texts(again)
    assert not [m for m in again if m.get("custom")]  # nothing more to forward or ask
    with factory.begin() as s:
        tickets = s.scalars(
            select(HandoffTicket).where(HandoffTicket.telegram_user_id == me.telegram_user_id)
        ).all()
        assert len(tickets) == 1
        assert opened == [signals.signal(signals.HANDOFF_OPENED, ticket_id=tickets[0].id)]
        assert "SK kenaikan pangkat" in tickets[0].question
        assert "(lalu: mau bicara dengan petugas)" in tickets[0].question
        assert tickets[0].employee_id == me.id


async def test_handoff_after_an_answered_question_asks_for_the_question(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    me = linked()
    answered = {
        "event": "user",
        "text": "kapan tenggat SKP tahunan?",
        "parse_data": {"intent": {"name": "ask_appraisal_deadline"}},
    }
    for events in ([answered], []):
        t = tracker(me.telegram_user_id, "/request_human", intent="request_human", events=events)
        messages, _ = await run_action(ActionRequestHuman(), t)
        # No ticket, and nothing claims one: the bot asks for the question (HANDOFF_ASK).
        assert texts(messages) == ""
        assert [m.get("custom") for m in messages] == [signals.signal(signals.HANDOFF_ASK)]
    with factory.begin() as s:
        mine = select(HandoffTicket).where(HandoffTicket.telegram_user_id == me.telegram_user_id)
        assert s.scalars(mine).all() == []


async def test_unanswered_messages_are_stored_without_identity(
    factory: sessionmaker[Session],
) -> None:
    t = tracker(820_001, "berapa tunjangan kinerja saya 198703152010011002?", intent="nlu_fallback")
    messages, events = await run_action(ActionStoreUnanswered(), t)
    # Nothing for the user to read (utter_out_of_scope spoke); only the bot's metrics signal.
    assert (texts(messages), events) == ("", [])
    assert [m.get("custom") for m in messages] == [signals.signal(signals.FALLBACK)]
    await run_action(ActionStoreUnanswered(), tracker(820_001, "/deny", intent="deny"))
    with factory.begin() as s:
        rows = s.scalars(select(UnansweredMessage)).all()
    assert len(rows) == 1
    assert rows[0].reason == "fallback"
    assert "198703152010011002" not in rows[0].text
    assert "820001" not in repr(rows[0].__dict__)


async def test_fallback_offers_likely_intents_then_menu_and_human(
    factory: sessionmaker[Session],
) -> None:
    from actions.support import ActionFallbackOptions

    ranking = [
        {"name": "nlu_fallback", "confidence": 0.6},
        {"name": "ask_appraisal_deadline", "confidence": 0.3},
        {"name": "list_workshops", "confidence": 0.1},
    ]
    first = tracker(830_001, "skp kpn ya", intent="nlu_fallback")
    first.latest_message["intent_ranking"] = ranking
    messages, _ = await run_action(ActionFallbackOptions(), first)
    assert payloads(messages) == ["/ask_appraisal_deadline", "/list_workshops", "/help"]
    earlier = {
        "event": "user",
        "text": "skp kpn ya",
        "parse_data": {"intent": {"name": "nlu_fallback"}},
    }
    second = tracker(830_001, "itu lho", intent="nlu_fallback", events=[earlier])
    messages, _ = await run_action(ActionFallbackOptions(), second)
    assert payloads(messages) == ["/help", "/request_human"]
    with factory.begin() as s:
        texts_logged = [m.text for m in s.scalars(select(UnansweredMessage))]
    assert {"skp kpn ya", "itu lho"} <= set(texts_logged)
