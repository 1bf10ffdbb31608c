"""Account actions: linking form (right, wrong, locked, expired codes), profile, reminders."""

from collections.abc import Callable

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from actions.account import (
    ActionAskLinkCode,
    ActionLinkAccount,
    ActionMyProfile,
    ActionRemindersOff,
    ActionRemindersOn,
    ValidateLinkAccountForm,
)
from actions.common import chat_id
from asnkarier import signals
from asnkarier.models import Employee
from asnkarier.services.activation import issue_codes, pretty
from tests.actions.conftest import payloads, run_action, texts, tracker
from tests.factories import make_employee

SLOTS = ["kode_aktivasi"]


def _code_for_new_employee(factory: sessionmaker[Session]) -> tuple[int, str]:
    with factory.begin() as s:
        employee = make_employee(s)
        [issued] = issue_codes(s, [employee], ttl_days=30, actor="test")
        return employee.id, issued.code


async def test_linking_with_the_right_code(factory: sessionmaker[Session]) -> None:
    employee_id, code = _code_for_new_employee(factory)
    user = 810_001
    validate = ValidateLinkAccountForm()
    t = tracker(user, "aktivasi akun", active_loop="link_account_form")
    assert await validate.required_slots(SLOTS, CollectingDispatcher(), t, {}) == SLOTS
    ask, _ = await run_action(ActionAskLinkCode(), t)
    assert "kode aktivasi" in texts(ask)

    # The form asked; the user types the code with a dash and lower case, no entity tagged.
    typed = tracker(user, pretty(code).lower(), slots={"requested_slot": "kode_aktivasi"})
    extracted = await validate.extract_kode_aktivasi(CollectingDispatcher(), typed, {})
    assert extracted == {"kode_aktivasi": code}
    dispatcher = CollectingDispatcher()
    result = await validate.validate_kode_aktivasi(code, dispatcher, typed, {})
    assert result == {"kode_aktivasi": "***", "link_result": "linked"}
    assert "Akun terhubung" in texts(dispatcher.messages)
    assert [m["custom"] for m in dispatcher.messages if m.get("custom")] == [
        signals.signal(signals.ACCOUNT_LINKED)
    ]
    with factory.begin() as s:
        employee = s.get_one(Employee, employee_id)
        assert (employee.telegram_user_id, employee.telegram_chat_id) == (user, user)

    done = tracker(user, "ok", slots={"link_result": "linked", "kode_aktivasi": "***"})
    assert await validate.required_slots(SLOTS, CollectingDispatcher(), done, {}) == []
    messages, events = await run_action(ActionLinkAccount(), done)
    assert messages == []  # validation already spoke
    assert {e["name"] for e in events} == {"kode_aktivasi", "link_result", "konfirmasi"}
    again, _ = await run_action(ActionLinkAccount(), tracker(user, "aktivasi"))
    assert "sudah terhubung sebagai" in texts(again)


async def test_wrong_codes_count_down_then_lock(factory: sessionmaker[Session]) -> None:
    _, code = _code_for_new_employee(factory)
    user = 810_002
    validate = ValidateLinkAccountForm()
    seen = []
    for wrong in ("AAAA2222", "BBBB3333", "CCCC4444", "DDDD5555"):
        dispatcher = CollectingDispatcher()
        result = await validate.validate_kode_aktivasi(wrong, dispatcher, tracker(user, wrong), {})
        seen.append((result, texts(dispatcher.messages)))
    assert seen[0][0] == {"kode_aktivasi": None}
    assert "Sisa percobaan: 4" in seen[0][1]
    assert "Sisa percobaan: 1" in seen[3][1]
    dispatcher = CollectingDispatcher()
    locked = await validate.validate_kode_aktivasi("EEEE6666", dispatcher, tracker(user, "x"), {})
    assert locked == {"kode_aktivasi": "***", "link_result": "locked"}
    assert "Terlalu banyak" in texts(dispatcher.messages)
    # Even the right code is refused while locked.
    dispatcher = CollectingDispatcher()
    still = await validate.validate_kode_aktivasi(code, dispatcher, tracker(user, code), {})
    assert still["link_result"] == "locked"


async def test_replaced_code_and_cancel_and_no_telegram(factory: sessionmaker[Session]) -> None:
    employee_id, old = _code_for_new_employee(factory)
    with factory.begin() as s:
        issue_codes(s, [s.get_one(Employee, employee_id)], ttl_days=30, actor="test")
    dispatcher = CollectingDispatcher()
    result = await ValidateLinkAccountForm().validate_kode_aktivasi(
        old, dispatcher, tracker(810_003, old), {}
    )
    assert result["link_result"] == "expired"
    assert "kode baru" in texts(dispatcher.messages)
    cancelled, _ = await run_action(
        ActionLinkAccount(), tracker(810_004, "batal", slots={"konfirmasi": False})
    )
    assert "dibatalkan" in texts(cancelled)
    shell = tracker("shell-user", "aktivasi")
    assert (
        await ValidateLinkAccountForm().required_slots(SLOTS, CollectingDispatcher(), shell, {})
        == []
    )
    messages, _ = await run_action(ActionLinkAccount(), shell)
    assert "lewat Telegram" in texts(messages)


async def test_profile_masks_the_nip(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    me = linked(rank="III/c")
    messages, _ = await run_action(ActionMyProfile(), tracker(me.telegram_user_id, "profil saya"))
    answer = texts(messages)
    assert me.name in answer
    assert me.nip not in answer
    assert me.nip[-4:] in answer
    assert "III/c" in answer
    assert "/reminder_off" in payloads(messages)
    unlinked, _ = await run_action(ActionMyProfile(), tracker(text="profil"))
    assert "/link_account" in payloads(unlinked)


async def test_reminders_off_and_on(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    me = linked()
    off, _ = await run_action(
        ActionRemindersOff(), tracker(me.telegram_user_id, "matikan pengingat")
    )
    assert "dimatikan" in texts(off)
    with factory.begin() as s:
        assert s.get_one(Employee, me.id).reminders_enabled is False
    twice, _ = await run_action(ActionRemindersOff(), tracker(me.telegram_user_id, "matikan"))
    assert "memang sudah mati" in texts(twice)
    on, _ = await run_action(ActionRemindersOn(), tracker(me.telegram_user_id, "nyalakan"))
    assert "Pengingat aktif" in texts(on)
    with factory.begin() as s:
        assert s.get_one(Employee, me.id).reminders_enabled is True
    unlinked, _ = await run_action(ActionRemindersOn(), tracker(text="nyalakan pengingat"))
    assert "/link_account" in payloads(unlinked)


async def test_a_forged_chat_id_cannot_unlink_the_owner_of_that_chat(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    victim = linked()
    _, code = _code_for_new_employee(factory)
    attacker = 810_099
    forged = tracker(attacker, code)
    forged.latest_message["metadata"] = {"chat_id": victim.telegram_chat_id}
    assert chat_id(forged) == attacker
    result = await ValidateLinkAccountForm().validate_kode_aktivasi(
        code, CollectingDispatcher(), forged, {}
    )
    assert result["link_result"] == "linked"
    with factory.begin() as s:
        still = s.get_one(Employee, victim.id)
        assert (still.telegram_user_id, still.telegram_chat_id) == (
            victim.telegram_user_id,
            victim.telegram_chat_id,
        )
    # A group's id (negative) is the chat the bot was written in; the sender's own is kept.
    group = tracker(attacker, "halo")
    group.latest_message["metadata"] = {"chat_id": -100_123}
    assert chat_id(group) == -100_123
    assert chat_id(tracker(attacker, "halo")) == attacker
