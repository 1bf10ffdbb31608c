"""Career-path and promotion actions, for linked and unlinked users."""

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.career import ActionCareerPath
from actions.promotion import ActionPromotionRequirements, ActionPromotionSchedule
from asnkarier.models import CareerLadder, Employee
from asnkarier.services import career
from tests.actions.conftest import payloads, run_action, texts, tracker


def _muda_analis(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory.begin() as s:
        ladder = s.scalar(select(CareerLadder).where(CareerLadder.code == "analis-kepegawaian"))
        assert ladder is not None
        level = career.level_named(ladder, "Ahli Muda")
        assert level is not None
        return ladder.id, level.id


async def test_career_path_of_the_linked_employee(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    ladder_id, level_id = _muda_analis(factory)
    me = linked(ladder_id=ladder_id, level_id=level_id, rank="III/c", position_kind="fungsional")
    messages, _ = await run_action(
        ActionCareerPath(), tracker(me.telegram_user_id, "jenjang karier saya")
    )
    answer = texts(messages)
    assert "saat ini Analis Kepegawaian Ahli Muda" in answer
    assert "berikutnya: Ahli Madya" in answer
    assert "Ahli Pertama (III/a–III/b) → Ahli Muda" in answer


async def test_career_path_of_a_named_position_and_unknown_one(
    factory: sessionmaker[Session],
) -> None:
    messages, _ = await run_action(
        ActionCareerPath(),
        tracker(
            text="jenjang pranata komputer mahir",
            entities={"jabatan": "Pranata Komputer", "jenjang": "Mahir"},
        ),
    )
    assert "Pranata Komputer (keterampilan)" in texts(messages)
    assert "berikutnya: Penyelia" in texts(messages)
    unknown, _ = await run_action(
        ActionCareerPath(), tracker(text="jenjang astronot", entities={"jabatan": "Astronot"})
    )
    assert "belum ada" in texts(unknown)
    assert any(p.startswith("/ask_career_path{") for p in payloads(unknown))


async def test_a_position_spelled_in_the_message_is_answered_without_an_entity(
    factory: sessionmaker[Session],
) -> None:
    # The NLU tagged nothing: the ladder and level written in the message still decide.
    messages, _ = await run_action(
        ActionCareerPath(), tracker(text="jenjang karier analis kepegawaian gimana?")
    )
    assert "Jenjang Analis Kepegawaian (keahlian)" in texts(messages)
    assert "Ahli Pertama" in texts(messages)
    # Only part of the name tagged: the whole name in the message decides.
    part, _ = await run_action(
        ActionCareerPath(),
        tracker(text="jenjang karier analis kepegawaian gimana?", entities={"jabatan": "analis"}),
    )
    assert "Jenjang Analis Kepegawaian (keahlian)" in texts(part)
    skilled, _ = await run_action(
        ActionCareerPath(), tracker(text="kalo pranata komputer terampil naiknya ke mana")
    )
    assert "Pranata Komputer (keterampilan)" in texts(skilled)
    assert "berikutnya: Mahir" in texts(skilled)
    # A word inside another word is not a position ("komputerisasi" is no Pranata Komputer).
    assert career.level_spelled_in("ahli mudanya") is None


async def test_career_path_unlinked_and_pelaksana(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    messages, _ = await run_action(ActionCareerPath(), tracker(text="jenjang karier"))
    assert "hubungkan akun" in texts(messages).lower()
    assert "/link_account" in payloads(messages)
    pelaksana = linked()
    messages, _ = await run_action(
        ActionCareerPath(), tracker(pelaksana.telegram_user_id, "jenjang saya")
    )
    assert "Pengolah Data" in texts(messages)
    assert "fungsional" in texts(messages)


async def test_promotion_requirements_with_own_outlook(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    today = dt.date.today()
    me = linked(rank="III/b", rank_tmt=today.replace(year=today.year - 5))
    messages, _ = await run_action(
        ActionPromotionRequirements(),
        tracker(me.telegram_user_id, "syarat KP reguler", entities={"jenis_kp": "reguler"}),
    )
    answer = texts(messages)
    assert "Syarat Kenaikan Pangkat Reguler" in answer
    assert "III/b" in answer
    assert "ke III/c dapat diusulkan untuk periode" in answer
    assert "/ask_promotion_schedule" in payloads(messages)


async def test_promotion_requirements_other_kind_and_unlinked(
    factory: sessionmaker[Session],
) -> None:
    messages, _ = await run_action(
        ActionPromotionRequirements(),
        tracker(text="syarat kp pilihan", entities={"jenis_kp": "pilihan"}),
    )
    assert "Pilihan" in texts(messages)
    assert "hubungkan akun" in texts(messages).lower()


async def test_promotion_requirements_take_the_higher_of_two_ranks_as_the_target(
    factory: sessionmaker[Session],
) -> None:
    messages, _ = await run_action(
        ActionPromotionRequirements(),
        tracker(
            text="syarat naik pangkat dari 3b ke III/c",
            entities=[("golongan", "3b"), ("golongan", "III/c")],
        ),
    )
    assert "naik ke golongan III/c" in texts(messages)


async def test_promotion_schedule_lists_windows(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    messages, _ = await run_action(ActionPromotionSchedule(), tracker(text="kapan periode KP?"))
    answer = texts(messages)
    assert answer.count("• ") == 3
    assert "usul" in answer
    assert "SIASN" in answer
    me = linked(rank="II/c")  # no TMT recorded
    messages, _ = await run_action(
        ActionPromotionSchedule(), tracker(me.telegram_user_id, "jadwal KP")
    )
    assert "TMT golongannya belum tercatat" in texts(messages)
