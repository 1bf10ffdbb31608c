"""Development plan card and mentoring actions, through a real (committed) database."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.development import (
    MAX_CARD,
    ActionDevelopmentPlan,
    ActionFindMentor,
    ActionOfferMentor,
    ActionRespondMentorRequest,
    ActionStopMentor,
)
from asnkarier.models import (
    CareerLadder,
    Employee,
    MentorOffer,
    MentorRequest,
    OutboxMessage,
    PositionKind,
)
from asnkarier.services import career, mentors
from asnkarier.telegram_limits import text_length
from tests.actions.conftest import payloads, run_action, texts, tracker
from tests.factories import make_workshop

TODAY = dt.date.today()


def _functional(factory: sessionmaker[Session], linked: Callable[..., Employee]) -> Employee:
    with factory.begin() as s:
        ladder = s.scalar(select(CareerLadder).where(CareerLadder.code == "analis-kepegawaian"))
        assert ladder is not None
        level = career.level_named(ladder, "ahli pertama")
        assert level is not None
        ladder_id, level_id = ladder.id, level.id
        make_workshop(
            s, title="Usul KP di SIASN untuk pengelola", topics=["siasn", "kenaikan pangkat"]
        )
    return linked(
        rank="III/a",
        sex="P",
        name="Sri Wahyuni",
        position_title="Analis Kepegawaian Ahli Pertama",
        position_kind=PositionKind.FUNGSIONAL,
        ladder_id=ladder_id,
        level_id=level_id,
        rank_tmt=TODAY - dt.timedelta(days=365 * 5),
    )


async def test_card_for_a_linked_functional_employee(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    employee = _functional(factory, linked)
    messages, _ = await run_action(
        ActionDevelopmentPlan(), tracker(employee.telegram_user_id, "apa yg kurang buat naik?")
    )
    assert len(messages) == 1
    text = texts(messages)
    assert text.startswith("📈 Yang perlu disiapkan Ibu Sri")
    assert "III/a → III/b" in text
    assert "sudah lewat" in text  # 5 years against the usual 4 at 'Baik'
    assert "Ahli Pertama → Ahli Muda" in text
    assert f"JP {TODAY.year}: 0/20 (kurang 20 JP)" in text
    assert "❌ Belum:" in text
    assert text_length(text) <= MAX_CARD
    ps = payloads(messages)
    assert any(p.startswith("/register_workshop{") for p in ps)
    assert "/ask_promotion_requirements" in ps
    assert "/ask_career_path" in ps


async def test_card_for_pelaksana_has_no_ladder_lines(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    employee = linked(rank="II/b", rank_tmt=TODAY - dt.timedelta(days=365))
    messages, _ = await run_action(ActionDevelopmentPlan(), tracker(employee.telegram_user_id))
    text = texts(messages)
    assert "II/b → II/c" in text
    assert "dari 4 tahun" in text
    assert "Memenuhi masa kerja pada" in text or "Bisa diusulkan periode" in text
    assert "🪜" not in text
    assert "/ask_career_path" not in payloads(messages)


async def test_unlinked_gets_the_general_rule_and_the_invitation(
    factory: sessionmaker[Session],
) -> None:
    messages, _ = await run_action(ActionDevelopmentPlan(), tracker(555_001, "apa yg kurang"))
    text = texts(messages)
    assert "paling singkat 4 tahun" in text
    assert "aktivasi" in text
    assert "/link_account" in payloads(messages)


async def test_mentor_flow_between_two_employees(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    mentor, asker = linked(name="Budi Santoso"), linked(name="Rina Lestari", sex="P")
    # Opt in, with the topic typed loosely and the @username from the bot's metadata.
    t = tracker(mentor.telegram_user_id, "saya mau jadi mentor MS Excel", "offer_mentor",
                entities={"topik": "MS Excel"})  # fmt: skip
    t.latest_message["metadata"]["username"] = "budi_excel"
    messages, _ = await run_action(ActionOfferMentor(), t)
    assert "mentor «excel»" in texts(messages)
    again, _ = await run_action(ActionOfferMentor(), t)
    assert "sudah terdaftar" in texts(again)

    # The asker searches: the mentor shows (name, position, unit), the asker never themself.
    found, _ = await run_action(
        ActionFindMentor(), tracker(asker.telegram_user_id, "cari mentor exel", "find_mentor")
    )
    assert "Budi Santoso" in texts(found)
    assert "budi_excel" not in texts(found)
    [request_payload] = [p for p in payloads(found) if p.startswith("/find_mentor{")]
    offer_id = json.loads(request_payload[len("/find_mentor") :])["mentor_offer"]
    own, _ = await run_action(
        ActionFindMentor(), tracker(mentor.telegram_user_id, "cari mentor excel", "find_mentor")
    )
    assert "belum ada mentor" in texts(own)

    press = tracker(asker.telegram_user_id, request_payload, "find_mentor",
                    entities={"mentor_offer": str(offer_id)})  # fmt: skip
    sent, _ = await run_action(ActionFindMentor(), press)
    assert "sudah dikirim" in texts(sent)
    twice, _ = await run_action(ActionFindMentor(), press)
    assert "menunggu jawaban" in texts(twice)
    with factory.begin() as s:
        [request] = s.scalars(select(MentorRequest).where(MentorRequest.asker_id == asker.id))
        request_id = request.id
        [to_mentor] = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key == f"mentor-request:{request_id}"
            )
        )
        data = [b["callback_data"] for b in to_mentor.reply_markup["inline_keyboard"][0]]  # type: ignore[index]
    assert data == [
        mentors.response_payload(request_id, True),
        mentors.response_payload(request_id, False),
    ]

    # The asker pressing the mentor's button (forwarded) does nothing.
    forged = tracker(asker.telegram_user_id, data[0], "respond_mentor_request",
                     entities={"mentor_request": str(request_id), "jawaban": "terima"})  # fmt: skip
    refused, _ = await run_action(ActionRespondMentorRequest(), forged)
    assert "tidak ditemukan" in texts(refused)

    accept = tracker(mentor.telegram_user_id, data[0], "respond_mentor_request",
                     entities={"mentor_request": str(request_id), "jawaban": "terima"})  # fmt: skip
    done, _ = await run_action(ActionRespondMentorRequest(), accept)
    assert "sudah kami kirim" in texts(done)
    late_no = tracker(mentor.telegram_user_id, data[1], "respond_mentor_request",
                      entities={"mentor_request": str(request_id), "jawaban": "tolak"})  # fmt: skip
    again, _ = await run_action(ActionRespondMentorRequest(), late_no)
    assert "sudah Bapak terima sebelumnya" in texts(again)
    with factory.begin() as s:
        keys = set(
            s.scalars(
                select(OutboxMessage.idempotency_key).where(
                    OutboxMessage.idempotency_key.like(f"mentor-request:{request_id}%")
                )
            )
        )
    assert keys == {
        f"mentor-request:{request_id}",
        f"mentor-request:{request_id}:accepted:{asker.id}",
        f"mentor-request:{request_id}:accepted:{mentor.id}",
    }

    # Stop mentoring: no longer found.
    stopped, _ = await run_action(
        ActionStopMentor(), tracker(mentor.telegram_user_id, "stop jadi mentor", "stop_mentor")
    )
    assert "tidak lagi tampil" in texts(stopped)
    with factory.begin() as s:
        offer = s.get(MentorOffer, offer_id)
        assert offer is not None
        assert not offer.is_active


async def test_typed_answer_picks_the_only_pending_request_and_decline_is_polite(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    mentor, asker = linked(), linked()
    with factory.begin() as s:
        m, a = s.get(Employee, mentor.id), s.get(Employee, asker.id)
        assert m is not None
        assert a is not None
        mentors.offer(s, m, "siasn")
        offer_id = mentors.offers_of(s, m.id)[0].id
        mentors.request(s, a, offer_id)
    messages, _ = await run_action(
        ActionRespondMentorRequest(),
        tracker(
            mentor.telegram_user_id, "maaf saya belum bisa, tolak aja", "respond_mentor_request"
        ),
    )
    assert "ditolak" in texts(messages)
    with factory.begin() as s:
        [notice] = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.employee_id == asker.id, OutboxMessage.kind == "mentor"
            )
        )
        assert "Mohon maaf" in notice.text
    nothing, _ = await run_action(
        ActionRespondMentorRequest(),
        tracker(mentor.telegram_user_id, "terima permintaan mentor", "respond_mentor_request"),
    )
    assert "Tidak ada permintaan" in texts(nothing)


async def test_offer_without_topic_asks_and_unlinked_cannot_offer(
    linked: Callable[..., Employee],
) -> None:
    employee = linked()
    messages, _ = await run_action(
        ActionOfferMentor(),
        tracker(employee.telegram_user_id, "saya mau jadi mentor", "offer_mentor"),
    )
    assert "Topik apa" in texts(messages)
    assert any(p.startswith("/offer_mentor{") for p in payloads(messages))
    unlinked, _ = await run_action(ActionOfferMentor(), tracker(555_002, "jadi mentor excel"))
    assert "/link_account" in payloads(unlinked)
