"""Development plan ("apa yang kurang untuk naik?") and mentoring, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from asnkarier.models import (
    CareerLadder,
    CompetencyHours,
    MentorRequestStatus,
    OutboxMessage,
    PositionKind,
    Registration,
    RegistrationStatus,
    Training,
    Unit,
)
from asnkarier.services import career, development_plan, mentors, outbox_keys
from asnkarier.services.mentors import OfferOutcome, RequestOutcome, ResponseOutcome
from tests.factories import make_employee, make_workshop

TODAY = dt.date.today()


def _ladder(session: Session, code: str) -> CareerLadder:
    ladder = session.scalar(select(CareerLadder).where(CareerLadder.code == code))
    assert ladder is not None
    return ladder


def _analis(session: Session, *, years: float, **values: object):  # type: ignore[no-untyped-def]
    ladder = _ladder(session, "analis-kepegawaian")
    level = career.level_named(ladder, "ahli pertama")
    assert level is not None
    employee = make_employee(
        session,
        rank="III/a",
        position_title="Analis Kepegawaian Ahli Pertama",
        position_kind=PositionKind.FUNGSIONAL,
        ladder_id=ladder.id,
        level_id=level.id,
        rank_tmt=TODAY - dt.timedelta(days=round(years * 365.25)),
        **values,
    )
    session.refresh(employee)
    return employee


def test_functional_past_due_plan(session: Session) -> None:
    employee = _analis(session, years=5)
    plan = development_plan.plan_for(session, employee, TODAY)
    step = plan.rank
    assert step.route == "fungsional"
    assert (step.current.code, step.next_rank and step.next_rank.code) == ("III/a", "III/b")
    assert step.needed_years == 4  # 50 angka kredit at 12.5 a year (functional_credit.yml)
    assert step.past_due
    assert step.due(TODAY)
    assert step.period is not None
    assert step.period.proposal_closes >= TODAY
    assert plan.path is not None
    assert plan.path.next is not None
    assert plan.path.next.name == "Ahli Muda"
    # The catalogue's programmes for the ladder: none done yet.
    assert plan.trainings
    assert all(not n.done for n in plan.trainings)
    assert all("analis-kepegawaian" in n.training.for_ladders for n in plan.trainings)


def test_functional_not_yet_due_has_a_date(session: Session) -> None:
    employee = _analis(session, years=1)
    step = development_plan.plan_for(session, employee, TODAY).rank
    assert not step.past_due
    assert not step.due(TODAY)
    assert step.eligible_on is not None
    assert step.eligible_on > TODAY + dt.timedelta(days=365 * 2)


def test_pelaksana_regular_four_years(session: Session) -> None:
    employee = make_employee(session, rank="II/c", rank_tmt=TODAY - dt.timedelta(days=365 * 2))
    session.refresh(employee)
    plan = development_plan.plan_for(session, employee, TODAY)
    assert plan.rank.route == "reguler"
    assert plan.rank.needed_years == 4
    assert plan.rank.eligible_on is not None
    assert plan.rank.eligible_on.year == TODAY.year + 2
    # Periods are seeded for the coming year or so only; if one is known it is on/after the date.
    assert plan.rank.period is None or plan.rank.period.period_date >= plan.rank.eligible_on
    assert plan.path is None
    assert plan.trainings == []


def test_structural_uses_years_in_rank_as_kp_pilihan(session: Session) -> None:
    employee = make_employee(
        session,
        rank="III/d",
        position_kind=PositionKind.STRUKTURAL,
        position_title="Kepala Subbagian Umum",
        rank_tmt=TODAY - dt.timedelta(days=365 * 5),
    )
    session.refresh(employee)
    step = development_plan.plan_for(session, employee, TODAY).rank
    assert step.route == "pilihan"
    assert step.due(TODAY)


def test_jp_under_twenty_and_trainings_done(session: Session) -> None:
    employee = _analis(session, years=2)
    done = session.scalars(select(Training)).all()
    ladder_trainings = [t for t in done if "analis-kepegawaian" in t.for_ladders]
    first = ladder_trainings[0]
    session.add(
        CompetencyHours(
            employee_id=employee.id,
            year=TODAY.year,
            jp=8,
            activity=first.title,
            completed_on=TODAY,
            training_id=first.id,
        )
    )
    session.flush()
    plan = development_plan.plan_for(session, employee, TODAY)
    assert (plan.hours.total, plan.hours.missing) == (8, 12)
    assert first in plan.done_trainings
    assert first not in plan.missing_trainings
    # Missing ones come first.
    assert not plan.trainings[0].done


def test_workshops_offered_by_topic_exclude_registered_ones(session: Session) -> None:
    employee = _analis(session, years=5)  # past due: SIASN/KP workshops are relevant
    a = make_workshop(session, title="Usul KP lewat SIASN", topics=["siasn", "kenaikan pangkat"])
    b = make_workshop(session, title="Kepegawaian digital", topics=["siasn", "kepegawaian"])
    unrelated = make_workshop(session, title="Merangkai bunga", topics=["florikultura"])
    session.add(
        Registration(
            workshop_id=a.id, employee_id=employee.id, status=RegistrationStatus.REGISTERED
        )
    )
    session.flush()
    plan = development_plan.plan_for(session, employee, TODAY)
    ids = {w.id for w in plan.workshops}
    assert b.id in ids
    assert a.id not in ids
    assert unrelated.id not in ids
    assert len(plan.workshops) <= development_plan.MAX_WORKSHOPS


# --- mentors --------------------------------------------------------------------------------


def test_topics_are_normalised() -> None:
    assert mentors.normalize_topic("MS Excel") == "excel"
    assert mentors.normalize_topic("saya mau jadi mentor exel dong") == "excel"
    assert mentors.normalize_topic("Public Speaking") == "public speaking"
    assert mentors.normalize_topic("ngomong di depan umum") == "public speaking"
    assert mentors.normalize_topic("ada yang bisa ngajarin SIASN?") == "siasn"
    assert mentors.normalize_topic("Merajut") == "merajut"  # unknown: kept, lower case
    assert mentors.normalize_topic("saya mau jadi mentor") is None


_chat = iter(range(981_000_001, 981_999_999))


def _linked(session: Session, **values: object):  # type: ignore[no-untyped-def]
    employee = make_employee(session, chat_id=next(_chat), **values)
    session.refresh(employee)
    return employee


def test_opt_in_search_and_stop(session: Session) -> None:
    units = session.scalars(select(Unit).order_by(Unit.id)).all()
    asker = _linked(session, unit_id=units[0].id)
    far = _linked(session, unit_id=units[1].id)
    near = _linked(session, unit_id=units[0].id)
    quiet = _linked(session, unit_id=units[0].id)  # not opted in
    unlinked = make_employee(session)
    assert mentors.offer(session, far, "excel", username="far_mentor") == OfferOutcome.ADDED
    assert mentors.offer(session, near, "excel") == OfferOutcome.ADDED
    assert mentors.offer(session, near, "excel") == OfferOutcome.ALREADY
    assert mentors.offer(session, asker, "excel") == OfferOutcome.ADDED
    assert mentors.offer(session, unlinked, "excel") == OfferOutcome.ADDED
    found = [o.employee_id for o in mentors.find(session, asker, "excel")]
    # Same unit first, never the asker, never someone not opted in or not reachable.
    assert found == [near.id, far.id]
    assert quiet.id not in found
    assert unlinked.id not in found
    assert mentors.withdraw(session, near.id) == ["excel"]
    assert [o.employee_id for o in mentors.find(session, asker, "excel")] == [far.id]
    assert mentors.offer(session, near, "excel") == OfferOutcome.RENEWED
    assert mentors.find(session, asker, "merajut") == []


def _outbox(session: Session, key: str) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)))


def test_request_accept_once_and_contact_only_after(session: Session) -> None:
    asker, mentor = _linked(session), _linked(session)
    offer = mentors.offer(session, mentor, "siasn", username="mentor_siasn")
    row = mentors.offers_of(session, mentor.id)[0]
    assert offer == OfferOutcome.ADDED
    assert mentors.request(session, mentor, row.id).outcome == RequestOutcome.SELF
    sent = mentors.request(session, asker, row.id, username="asker_one")
    assert sent.outcome == RequestOutcome.SENT
    assert sent.request is not None
    again = mentors.request(session, asker, row.id)
    assert again.outcome == RequestOutcome.PENDING  # the same mentor twice: nothing new
    request_id = sent.request.id
    [to_mentor] = _outbox(session, outbox_keys.MENTOR_REQUEST(request_id))
    assert to_mentor.chat_id == mentor.telegram_chat_id
    buttons = to_mentor.reply_markup["inline_keyboard"][0]  # type: ignore[index]
    assert [b["text"] for b in buttons] == ["✅ Terima", "✖️ Tolak"]
    # No contact before acceptance: neither the username nor a mention link.
    assert "asker_one" not in to_mentor.text
    assert "tg://" not in to_mentor.text
    assert mentors.pending_for(session, mentor.id)[0].id == request_id

    # Someone else pressing the mentor's button changes nothing.
    assert mentors.respond(session, asker, request_id, True).outcome == ResponseOutcome.NOT_FOUND
    assert mentors.respond(session, mentor, request_id, True).outcome == ResponseOutcome.ACCEPTED
    twice = mentors.respond(session, mentor, request_id, True)
    assert twice.outcome == ResponseOutcome.ALREADY_ACCEPTED
    late_no = mentors.respond(session, mentor, request_id, False)
    assert late_no.outcome == ResponseOutcome.ALREADY_ACCEPTED
    [to_asker] = _outbox(session, outbox_keys.MENTOR_DECIDED(request_id, "accepted", asker.id))
    [to_mentor2] = _outbox(session, outbox_keys.MENTOR_DECIDED(request_id, "accepted", mentor.id))
    assert "@mentor_siasn" in to_asker.text
    assert f"tg://user?id={mentor.telegram_user_id}" in (to_asker.text)
    assert "@asker_one" in to_mentor2.text
    assert to_asker.parse_mode == "HTML"
    assert mentors.request(session, asker, row.id).outcome == RequestOutcome.ACCEPTED
    keys = session.scalars(
        select(OutboxMessage.idempotency_key).where(
            OutboxMessage.idempotency_key.like(f"mentor-request:{request_id}%")
        )
    ).all()
    assert len(keys) == 3  # the request, and one notice to each side


def test_decline_once_politely_and_no_contact(session: Session) -> None:
    asker, mentor = _linked(session), _linked(session)
    mentors.offer(session, mentor, "excel", username="mentor_excel")
    row = mentors.offers_of(session, mentor.id)[0]
    request = mentors.request(session, asker, row.id).request
    assert request is not None
    assert mentors.respond(session, mentor, request.id, False).outcome == ResponseOutcome.DECLINED
    # Accepting what was declined: refused, nothing sent.
    late = mentors.respond(session, mentor, request.id, True)
    assert late.outcome == ResponseOutcome.ALREADY_DECLINED
    assert late.request is not None
    assert late.request.status == MentorRequestStatus.DECLINED
    [notice] = _outbox(session, outbox_keys.MENTOR_DECIDED(request.id, "declined", asker.id))
    assert "mentor_excel" not in notice.text
    assert "tg://" not in notice.text
    assert "Mohon maaf" in notice.text
    assert _outbox(session, outbox_keys.MENTOR_DECIDED(request.id, "accepted", asker.id)) == []
    assert mentors.request(session, asker, row.id).outcome == RequestOutcome.DECLINED


def test_withdrawn_offer_cannot_be_requested(session: Session) -> None:
    asker, mentor = _linked(session), _linked(session)
    mentors.offer(session, mentor, "merajut")
    row = mentors.offers_of(session, mentor.id)[0]
    mentors.withdraw(session, mentor.id, "excel")  # another topic: nothing
    assert mentors.offers_of(session, mentor.id)
    mentors.withdraw(session, mentor.id, row.topic)
    assert mentors.request(session, asker, row.id).outcome == RequestOutcome.UNAVAILABLE
    assert mentors.request(session, asker, 987_654).outcome == RequestOutcome.UNAVAILABLE
