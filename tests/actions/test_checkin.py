"""Check-in, report-training and training-history actions through the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from actions.checkin import (
    ActionCheckIn,
    ActionReportTraining,
    ActionTrainingHistory,
    given_code,
    only_a_code,
)
from actions.support import ActionFallbackOptions
from asnkarier.models import Employee, Registration, RegistrationStatus, utcnow
from asnkarier.services import checkin
from asnkarier.settings import get_settings
from tests.actions.conftest import payloads, run_action, texts, tracker
from tests.factories import make_workshop

SECRET = "actions-checkin-secret-0123456789"


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[bytes]:
    monkeypatch.setenv("CHECKIN_SECRET", SECRET)
    get_settings.cache_clear()
    yield SECRET.encode()
    monkeypatch.delenv("CHECKIN_SECRET")
    get_settings.cache_clear()


def test_the_code_is_found_in_what_people_type() -> None:
    assert given_code(tracker(text="kode hadir 482913")) == "482913"
    assert given_code(tracker(text="absen 482 913")) == "482913"
    assert given_code(tracker(text="hadir", entities={"kode_hadir": "105772"})) == "105772"
    token = "hadir-1-abc-0123456789abcdef"
    assert given_code(tracker(text="/check_in", entities={"kode_hadir": token})) == token
    assert given_code(tracker(text="mau absen")) is None
    assert given_code(tracker(text="NIP 198703152010011002")) is None
    assert given_code(tracker(text="ZZZZ-2222")) is None


def _registered_at_running_workshop(
    factory: sessionmaker[Session], employee: Employee, title: str, jp: int = 0
) -> int:
    """A workshop running now with the employee registered; its id."""
    now = utcnow()
    with factory.begin() as s:
        ws = make_workshop(
            s,
            title=title,
            starts_at=now - dt.timedelta(minutes=5),
            ends_at=now + dt.timedelta(hours=1),
            registration_deadline=now - dt.timedelta(days=1),
            jp=jp,
        )
        s.add(
            Registration(
                workshop_id=ws.id, employee_id=employee.id, status=RegistrationStatus.REGISTERED
            )
        )
        return ws.id


async def test_check_in_with_the_code_then_again(
    factory: sessionmaker[Session], linked: Callable[..., Employee], secret: bytes
) -> None:
    employee = linked()
    workshop_id = _registered_at_running_workshop(factory, employee, "Absen Aksi Uji", jp=3)
    sender = employee.telegram_user_id or 0
    code = checkin.display(secret, workshop_id, utcnow()).code
    messages, _ = await run_action(ActionCheckIn(), tracker(sender, f"kode hadir {code}"))
    assert "tercatat" in texts(messages)
    assert "3 JP" in texts(messages)
    messages, _ = await run_action(ActionCheckIn(), tracker(sender, code))
    assert "sudah tercatat hadir" in texts(messages)
    messages, _ = await run_action(ActionCheckIn(), tracker(sender, "kode hadir 000000"))
    assert "tidak cocok" in texts(messages)
    messages, _ = await run_action(ActionCheckIn(), tracker(sender, "mau absen"))
    assert "6 angka" in texts(messages)


async def test_a_bare_code_read_as_fallback_still_checks_in(
    factory: sessionmaker[Session], linked: Callable[..., Employee], secret: bytes
) -> None:
    # The NLU gives a lone "482913" no intent (nlu_fallback): the fallback checks in.
    employee = linked()
    workshop_id = _registered_at_running_workshop(factory, employee, "Absen Kode Polos")
    sender = employee.telegram_user_id or 0
    code = checkin.display(secret, workshop_id, utcnow()).code
    messages, _ = await run_action(ActionFallbackOptions(), tracker(sender, code, "nlu_fallback"))
    assert "tercatat" in texts(messages)
    assert only_a_code(tracker(text=f"kode {code[:3]} {code[3:]}"))
    assert not only_a_code(tracker(text=f"saya lahir tahun 1990 dan kode pos saya {code}"))
    # Nonsense still gets the fallback's options, and nothing is recorded as attendance.
    other, _ = await run_action(ActionFallbackOptions(), tracker(sender, "asdfgh", "nlu_fallback"))
    assert "belum memahami" in texts(other)
    # ... and a first one, not "still not understood", after a code that was answered.
    code_turn = {
        "event": "user",
        "text": code,
        "parse_data": {"intent": {"name": "nlu_fallback"}, "entities": []},
    }
    after, _ = await run_action(
        ActionFallbackOptions(), tracker(sender, "asdfgh", "nlu_fallback", events=[code_turn])
    )
    assert "masih belum" not in texts(after)
    assert "belum memahami pesan itu" in texts(after)


async def test_unlinked_are_invited_to_link(factory: sessionmaker[Session]) -> None:
    messages, _ = await run_action(ActionCheckIn(), tracker(123_456_001, "kode hadir 482913"))
    assert "aktivasi" in texts(messages)
    assert "/link_account" in payloads(messages)
    messages, _ = await run_action(ActionTrainingHistory(), tracker(123_456_001, "riwayat"))
    assert "/link_account" in payloads(messages)


async def test_report_training_explains_the_photo_flow_and_history_lists(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    employee = linked()
    sender = employee.telegram_user_id or 0
    messages, _ = await run_action(ActionReportTraining(), tracker(sender, "mau lapor pelatihan"))
    assert "caption" in texts(messages)
    assert "/riwayat" in texts(messages)
    assert "/ask_training_history" in payloads(messages)
    messages, _ = await run_action(ActionTrainingHistory(), tracker(sender, "riwayat pelatihan"))
    assert texts(messages)
