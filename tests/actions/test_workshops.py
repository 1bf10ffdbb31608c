"""Workshop actions and the registration/cancellation forms, end to end through the database."""

from collections.abc import Callable

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.workshops import (
    ActionAskCancellationConfirm,
    ActionAskCancellationWorkshop,
    ActionAskRegistrationConfirm,
    ActionAskRegistrationWorkshop,
    ActionCancelRegistration,
    ActionListWorkshops,
    ActionMyRegistrations,
    ActionRegisterWorkshop,
    ValidateCancellationForm,
    ValidateWorkshopRegistrationForm,
)
from asnkarier.models import Employee, OutboxMessage, Registration, RegistrationStatus
from tests.actions.conftest import payloads, run_action, texts, tracker
from tests.factories import make_workshop

SLOTS = ["workshop", "konfirmasi"]


def _workshop(factory: sessionmaker[Session], **values: object) -> tuple[int, str, str]:
    with factory.begin() as s:
        w = make_workshop(s, **values)
        return w.id, w.code, w.title


async def test_list_shows_upcoming_with_register_buttons(factory: sessionmaker[Session]) -> None:
    messages, events = await run_action(ActionListWorkshops(), tracker(text="ada workshop apa?"))
    assert "Workshop terdekat" in texts(messages)
    assert sum(p.startswith("/register_workshop{") for p in payloads(messages)) == 5
    assert "/link_account" in payloads(messages)
    assert events == [{"event": "slot", "timestamp": None, "name": "workshop", "value": None}]


async def test_registration_form_from_pick_to_seat_then_waitlist(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    ws_id, code, title = _workshop(factory, capacity=1, title="Menulis Naskah Dinas Elektronik")
    first, second = linked(), linked()
    validate = ValidateWorkshopRegistrationForm()
    dispatcher = CollectingDispatcher()
    t = tracker(first.telegram_user_id, "daftar workshop", active_loop="workshop_registration_form")
    assert await validate.required_slots(SLOTS, dispatcher, t, {}) == SLOTS

    ask, _ = await run_action(ActionAskRegistrationWorkshop(), t)
    assert "/deny" in payloads(ask)
    assert sum(p.startswith("/register_workshop{") for p in payloads(ask)) == 6

    # Named loosely instead of tapping a button.
    assert await validate.validate_workshop("naskah dinas", dispatcher, t, {}) == {"workshop": code}
    missing = await validate.validate_workshop("yoga pagi", dispatcher, t, {})
    assert missing == {"workshop": None}
    assert "tidak ditemukan" in texts(dispatcher.messages)

    confirm, _ = await run_action(
        ActionAskRegistrationConfirm(), tracker(first.telegram_user_id, slots={"workshop": code})
    )
    assert title in texts(confirm)
    assert payloads(confirm) == ["/affirm", "/deny"]

    done, events = await run_action(
        ActionRegisterWorkshop(),
        tracker(first.telegram_user_id, "ya", slots={"workshop": code, "konfirmasi": True}),
    )
    assert "Terdaftar" in texts(done)
    assert {e["name"]: e["value"] for e in events} == {"workshop": None, "konfirmasi": None}
    again, _ = await run_action(
        ActionRegisterWorkshop(),
        tracker(first.telegram_user_id, "ya", slots={"workshop": code, "konfirmasi": True}),
    )
    assert "sudah terdaftar" in texts(again)
    waiting, _ = await run_action(
        ActionRegisterWorkshop(),
        tracker(second.telegram_user_id, "ya", slots={"workshop": code, "konfirmasi": True}),
    )
    assert "daftar tunggu nomor 1" in texts(waiting)
    with factory.begin() as s:
        rows = s.scalars(select(Registration).where(Registration.workshop_id == ws_id)).all()
        assert sorted(r.status for r in rows) == [
            RegistrationStatus.REGISTERED,
            RegistrationStatus.WAITLISTED,
        ]


async def test_registration_form_ends_for_unlinked_or_declined(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    _, code, _ = _workshop(factory)
    validate = ValidateWorkshopRegistrationForm()
    unlinked = tracker(text="daftar workshop")
    assert await validate.required_slots(SLOTS, CollectingDispatcher(), unlinked, {}) == []
    messages, _ = await run_action(ActionRegisterWorkshop(), unlinked)
    assert "/link_account" in payloads(messages)
    me = linked()
    declined = tracker(me.telegram_user_id, "batal", slots={"workshop": code, "konfirmasi": False})
    assert await validate.required_slots(SLOTS, CollectingDispatcher(), declined, {}) == []
    messages, _ = await run_action(ActionRegisterWorkshop(), declined)
    assert "tidak dilanjutkan" in texts(messages)
    with factory.begin() as s:
        assert s.scalar(select(Registration).where(Registration.employee_id == me.id)) is None


async def test_closed_registration_is_refused_with_the_deadline(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    import datetime as dt

    from asnkarier.models import utcnow

    _, code, _ = _workshop(factory, registration_deadline=utcnow() - dt.timedelta(hours=2))
    me = linked()
    messages, _ = await run_action(
        ActionRegisterWorkshop(),
        tracker(me.telegram_user_id, "ya", slots={"workshop": code, "konfirmasi": True}),
    )
    assert "sudah ditutup pada" in texts(messages)


async def test_cancellation_form_promotes_the_waitlist(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    _ws_id, code, title = _workshop(factory, capacity=1, title="Kelas Arsip Digital Dinamis")
    holder, waiting = linked(), linked()
    for person in (holder, waiting):
        await run_action(
            ActionRegisterWorkshop(),
            tracker(person.telegram_user_id, "ya", slots={"workshop": code, "konfirmasi": True}),
        )
    mine, _ = await run_action(
        ActionMyRegistrations(), tracker(holder.telegram_user_id, "pendaftaran saya")
    )
    assert title in texts(mine)
    assert f'/cancel_registration{{"workshop":"{code}"}}' in payloads(mine)

    validate = ValidateCancellationForm()
    t = tracker(holder.telegram_user_id, "batalkan workshop", active_loop="cancellation_form")
    assert await validate.required_slots(SLOTS, CollectingDispatcher(), t, {}) == SLOTS
    ask, _ = await run_action(ActionAskCancellationWorkshop(), t)
    assert any(code in p for p in payloads(ask))
    assert await validate.validate_workshop("arsip digital", CollectingDispatcher(), t, {}) == {
        "workshop": code
    }
    not_mine = CollectingDispatcher()
    assert await validate.validate_workshop("policy brief", not_mine, t, {}) == {"workshop": None}
    assert "tidak ada di pendaftaran" in texts(not_mine.messages)
    confirm, _ = await run_action(
        ActionAskCancellationConfirm(), tracker(holder.telegram_user_id, slots={"workshop": code})
    )
    assert title in texts(confirm)

    done, _ = await run_action(
        ActionCancelRegistration(),
        tracker(holder.telegram_user_id, "ya", slots={"workshop": code, "konfirmasi": True}),
    )
    assert "sudah dibatalkan" in texts(done)
    with factory.begin() as s:
        promoted = s.scalar(select(Registration).where(Registration.employee_id == waiting.id))
        assert promoted is not None
        assert promoted.status == RegistrationStatus.REGISTERED
        note = s.scalar(
            select(OutboxMessage).where(OutboxMessage.chat_id == waiting.telegram_chat_id)
        )
        assert note is not None
        assert title in note.text


async def test_cancellation_with_nothing_to_cancel(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    me = linked()
    t = tracker(me.telegram_user_id, "batalkan pendaftaran")
    assert (
        await ValidateCancellationForm().required_slots(SLOTS, CollectingDispatcher(), t, {}) == []
    )
    messages, _ = await run_action(ActionCancelRegistration(), t)
    assert "tidak punya pendaftaran" in texts(messages)
    mine, _ = await run_action(ActionMyRegistrations(), t)
    assert "belum terdaftar" in texts(mine)


async def test_typed_workshop_names_are_taken_only_when_asked(
    factory: sessionmaker[Session],
) -> None:
    validate = ValidateWorkshopRegistrationForm()
    asked = tracker(
        text="yang excel pivot", intent="ask_training", slots={"requested_slot": "workshop"}
    )
    # A question intent, but the words name a workshop: taken as the answer ("yang" dropped).
    assert await validate.extract_workshop(CollectingDispatcher(), asked, {}) == {
        "workshop": "excel pivot"
    }
    not_asked = tracker(text="yang excel pivot", slots={"requested_slot": "konfirmasi"})
    assert await validate.extract_workshop(CollectingDispatcher(), not_asked, {}) == {}
    declined = tracker(text="gak jadi", intent="deny", slots={"requested_slot": "workshop"})
    assert await validate.extract_workshop(CollectingDispatcher(), declined, {}) == {
        "konfirmasi": False
    }
    button = tracker(
        text='/register_workshop{"workshop":"x"}', slots={"requested_slot": "workshop"}
    )
    assert await validate.extract_workshop(CollectingDispatcher(), button, {}) == {}
