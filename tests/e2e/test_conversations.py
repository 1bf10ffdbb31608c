"""Whole conversations through the real Rasa model, dialogue policies, action server and DB."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.models import (
    Employee,
    HandoffTicket,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    UnansweredMessage,
    Workshop,
)
from asnkarier.services.activation import issue_codes, pretty
from tests.e2e.stack import Stack
from tests.factories import make_employee, make_workshop


def text(replies: list[dict]) -> str:  # type: ignore[type-arg]
    return "\n".join(r.get("text") or "" for r in replies)


def payloads(replies: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [b["payload"] for r in replies for b in r.get("buttons") or []]


def linked_employee(sessions: sessionmaker[Session], user: int) -> int:
    with sessions.begin() as s:
        return make_employee(s, chat_id=user).id


def test_greeting_and_help_menu(stack: Stack, sender: int) -> None:
    assert text(stack.say(sender, "selamat pagi min"))
    menu = stack.say(sender, "bisa bantu apa aja?")
    assert "/list_workshops" in payloads(menu)


def test_workshop_list_and_registration_form_with_buttons(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    employee_id = linked_employee(sessions, sender)
    listed = stack.say(sender, "ada workshop apa aja bulan ini?")
    register = [p for p in payloads(listed) if p.startswith("/register_workshop{")]
    assert register, listed
    confirm = stack.say(sender, register[0])
    assert "/affirm" in payloads(confirm), confirm
    done = stack.say(sender, "/affirm")
    assert "Terdaftar" in text(done) or "daftar tunggu" in text(done), done
    code = json.loads(register[0][register[0].index("{") :])["workshop"]
    with sessions.begin() as s:
        reg = s.scalar(select(Registration).where(Registration.employee_id == employee_id))
        assert reg is not None
        assert reg.workshop.code == code


def test_registration_by_name_then_decline(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    employee_id = linked_employee(sessions, sender)
    with sessions.begin() as s:
        make_workshop(s, title="Kelas Penulisan Naskah Dinas Elektronik", topics=["tata naskah"])
    asked = stack.say(sender, "saya mau daftar workshop")
    assert "/deny" in payloads(asked), asked
    confirm = stack.say(sender, "naskah dinas elektronik")
    assert "Naskah Dinas" in text(confirm), confirm
    declined = stack.say(sender, "/deny")
    assert "tidak dilanjutkan" in text(declined), declined
    with sessions.begin() as s:
        assert s.scalar(select(Registration).where(Registration.employee_id == employee_id)) is None


def test_cancellation_promotes_the_waitlist(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    waiting_user = sender + 50_000
    holder_id = linked_employee(sessions, sender)
    waiting_id = linked_employee(sessions, waiting_user)
    with sessions.begin() as s:
        code = make_workshop(s, capacity=1, title="Klinik Arsip Digital Terpadu").code
    for user in (sender, waiting_user):
        stack.say(user, f'/register_workshop{{"workshop":"{code}"}}')
        stack.say(user, "/affirm")
    asked = stack.say(sender, "batalkan pendaftaran workshop saya")
    assert any(code in p for p in payloads(asked)), asked
    confirm = stack.say(sender, f'/cancel_registration{{"workshop":"{code}"}}')
    assert "Yakin" in text(confirm), confirm
    done = stack.say(sender, "/affirm")
    assert "sudah dibatalkan" in text(done), done
    with sessions.begin() as s:
        mine = s.scalar(select(Registration).where(Registration.employee_id == holder_id))
        theirs = s.scalar(select(Registration).where(Registration.employee_id == waiting_id))
        assert mine is not None
        assert mine.status == RegistrationStatus.CANCELLED
        assert theirs is not None
        assert theirs.status == RegistrationStatus.REGISTERED
        assert (
            s.scalar(select(OutboxMessage).where(OutboxMessage.employee_id == waiting_id))
            is not None
        )


def test_linking_wrong_then_right_code(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    with sessions.begin() as s:
        employee = make_employee(s)
        [issued] = issue_codes(s, [employee], ttl_days=30, actor="test")
        employee_id = employee.id
    asked = stack.say(sender, "saya mau aktivasi akun")
    assert "kode aktivasi" in text(asked).lower(), asked
    wrong = stack.say(sender, "ZZZZ-2222")
    assert "Sisa percobaan" in text(wrong), wrong
    right = stack.say(sender, pretty(issued.code))
    assert "Akun terhubung" in text(right), right
    with sessions.begin() as s:
        assert s.get_one(Employee, employee_id).telegram_user_id == sender
    profile = stack.say(sender, "lihat profil saya")
    assert "Profil" in text(profile), profile


def test_deep_link_payload_links_in_one_step(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    with sessions.begin() as s:
        [issued] = issue_codes(s, [make_employee(s)], ttl_days=30, actor="test")
    linked = stack.say(sender, "/link_account" + json.dumps({"kode_aktivasi": issued.code}))
    assert "Akun terhubung" in text(linked), linked


def test_questions_answered_from_the_database(stack: Stack, sender: int) -> None:
    deadlines = stack.say(sender, "kapan deadline pengisian SKP?")
    assert "Tenggat" in text(deadlines), deadlines
    schedule = stack.say(sender, "periode kenaikan pangkat berikutnya kapan ya")
    assert "Periode kenaikan pangkat" in text(schedule), schedule
    career = stack.say(sender, "jenjang karier analis kepegawaian gimana?")
    assert "Ahli Pertama" in text(career), career


def test_fallback_and_out_of_scope_are_logged_anonymously(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    with sessions.begin() as s:
        before = len(s.scalars(select(UnansweredMessage)).all())
    odd = stack.say(sender, "resep rendang padang yang enak gimana")
    assert text(odd), odd
    with sessions.begin() as s:
        rows = s.scalars(select(UnansweredMessage)).all()
    assert len(rows) == before + 1
    assert "rendang" in rows[-1].text


def test_keyboard_mashing_is_asked_to_be_rephrased_not_answered(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    # DIET names some intent for any text; words the training data never had are not
    # understood (nlu/components/unseen_words.py), and nothing personal is answered.
    for mash in ("asdfgh jklqwe", "zzzzz"):
        reply = stack.say(sender, mash)
        # The first asks to rephrase; the second in a row offers the menu and a human.
        assert "belum memahami" in text(reply), reply
        assert "hubungkan akun" not in text(reply).lower(), reply
    # One typo'd word among them is enough to be understood.
    typo = stack.say(sender, "jadwl workshp")
    assert "belum memahami" not in text(typo), typo
    with sessions.begin() as s:
        recorded = s.scalars(select(UnansweredMessage.text)).all()
    assert "asdfgh jklqwe" in recorded


def test_request_human_opens_a_ticket(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    linked_employee(sessions, sender)
    # An answered question before the request: the assistant asks what the question is.
    answered = stack.say(sender, "syarat kenaikan pangkat reguler apa saja")
    assert "Syarat" in text(answered), answered
    ask = stack.say(sender, "saya mau bicara dengan petugas BKPSDM")
    assert {"asnbot": "handoff_ask"} in [r.get("custom") for r in ask], ask
    # An unanswered one (out of scope) becomes the ticket.
    stack.say(sender, "tunjangan kinerja saya bulan ini kok belum masuk ya")
    reply = stack.say(sender, "saya mau bicara dengan petugas BKPSDM")
    assert "tiket #" in text(reply), reply
    with sessions.begin() as s:
        ticket = s.scalar(select(HandoffTicket).where(HandoffTicket.telegram_user_id == sender))
        assert ticket is not None


# --- issue 9: conversations that hold -------------------------------------------------------


def test_each_turn_answers_the_message_in_front_of_it(stack: Stack, sender: int) -> None:
    speaking = stack.say(sender, "ada pelatihan public speaking?")
    assert "Public Speaking" in text(speaking), speaking
    data = stack.say(sender, "pelatihan manajemen data ada?")
    assert "Public Speaking" not in text(data), data
    pka = stack.say(sender, "ada pelatihan PKA?")
    assert "Kepemimpinan Administrator (PKA)" in text(pka).split("\n")[1], pka
    pilihan = stack.say(sender, '/ask_promotion_requirements{"jenis_kp":"pilihan"}')
    assert "Pilihan" in text(pilihan), pilihan
    ranks = stack.say(sender, "dr III c ke III d")
    assert "Reguler" in text(ranks), ranks
    assert "III/d" in text(ranks), ranks
    ladder = stack.say(sender, "jenjang karier pranata komputer gimana")
    assert "Pranata Komputer (keahlian)" in text(ladder), ladder
    follow = stack.say(sender, "kalau yang terampil?")
    assert "Pranata Komputer (keterampilan)" in text(follow), follow


def test_questions_inside_the_registration_form_then_stop(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    employee_id = linked_employee(sessions, sender)
    asked = stack.say(sender, "mau daftar workshop dong")
    assert len([p for p in payloads(asked) if p.startswith("/register_workshop{")]) >= 3, asked
    deadline = stack.say(sender, "eh bentar, deadline skp tahunan kapan ya?")
    assert "Tenggat SKP" in text(deadline), deadline
    assert "Kembali ke pendaftaran" in text(deadline), deadline
    assert not [p for p in payloads(deadline) if p.startswith("/register_workshop{")], deadline
    profile = stack.say(sender, "profil saya")
    assert "Profil" in text(profile), profile
    assert "tidak ditemukan" not in text(profile), profile
    stopped = stack.say(sender, "stop")
    assert "tidak dilanjutkan" in text(stopped), stopped
    after = stack.say(sender, "JP itu apa")
    assert "Jam Pelajaran" in text(after), after
    assert "Kembali ke" not in text(after), after
    with sessions.begin() as s:
        assert s.scalar(select(Registration).where(Registration.employee_id == employee_id)) is None


def test_the_workshop_named_first_goes_straight_to_confirmation(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    linked_employee(sessions, sender)
    confirm = stack.say(sender, "mau daftar bimtek usul kp siasn dong")
    assert "Usul Kenaikan Pangkat" in text(confirm), confirm
    assert "/affirm" in payloads(confirm), confirm
    term = stack.say(sender, "1 JP brp menit?")
    assert "45 menit" in text(term), term
    assert "Kembali ke pendaftaran" in text(term), term
    done = stack.say(sender, "ya")
    assert "Terdaftar" in text(done) or "daftar tunggu" in text(done), done
    again = stack.say(sender, "mau daftar workshop lagi")
    with sessions.begin() as s:
        joined = s.scalar(select(Workshop.code).where(Workshop.title.like("Bimtek Usul%")))
    assert f'"{joined}"' not in " ".join(payloads(again)), again
    left = stack.say(sender, "ga jadi")
    assert "tidak dilanjutkan" in text(left), left


def test_linking_starts_only_when_asked_and_ends_on_a_new_topic(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    with sessions.begin() as s:
        employee = make_employee(s)
        [issued] = issue_codes(s, [employee], ttl_days=30, actor="test")
    asked = stack.say(sender, "aktivasi akun")
    assert "kode aktivasi" in text(asked).lower(), asked
    topic = stack.say(sender, "pelatihan excel ada?")
    assert "aktivasi akun saya hentikan" in text(topic), topic
    assert "Excel" in text(topic), topic
    later = stack.say(sender, "jadwal skp kapan")
    assert "kode aktivasi" not in text(later).lower(), later
    nip = stack.say(sender, "199001232015032004")
    assert "NIP saja tidak cukup" in text(nip), nip
    for attempt in range(2):
        wrong = stack.say(sender, f"ZZZZ-222{attempt}")
        assert f"Sisa percobaan: {4 - attempt}" in text(wrong), wrong
    right = stack.say(sender, pretty(issued.code))
    assert "Akun terhubung" in text(right), right


def test_functional_employee_is_told_the_credit_route_with_her_honorific(
    stack: Stack, sessions: sessionmaker[Session], sender: int
) -> None:
    import datetime as dt

    from asnkarier.models import CareerLadder, PositionKind

    with sessions.begin() as s:
        ladder = s.scalar(select(CareerLadder).where(CareerLadder.code == "pranata-komputer"))
        assert ladder is not None
        make_employee(
            s,
            chat_id=sender,
            sex="P",
            rank="III/a",
            rank_tmt=dt.date(2020, 3, 1),
            position_kind=PositionKind.FUNGSIONAL,
            position_title="Pranata Komputer Ahli Pertama",
            ladder_id=ladder.id,
            level_id=ladder.levels[0].id,
        )
    hello = stack.say(sender, "halo")
    assert "Ibu" in text(hello), hello
    assert "Bapak/Ibu" not in text(hello), hello
    kp = stack.say(sender, "syarat naik pangkat saya apa")
    assert "angka kredit" in text(kp), kp
    assert "melewati waktu yang biasa" in text(kp), kp
    assert "KP reguler ke III/b dapat diusulkan" not in text(kp), kp
    career = stack.say(sender, "jenjang karier saya")
    assert "Ibu saat ini Pranata Komputer Ahli Pertama" in text(career), career


# --- follow-ups across intents, small talk inside forms (chat users 976_2xx) ----------------


def test_short_follow_ups_continue_the_previous_question_and_new_questions_reset(
    stack: Stack, sessions: sessionmaker[Session]
) -> None:
    user = 976_201
    with sessions.begin() as s:
        make_workshop(
            s,
            title="Klinik Tata Kelola Arsip Bulan Depan",
            days=_days_to_next_month(),
        )
    term = stack.say(user, "JP itu apa")
    assert "Jam Pelajaran" in text(term), term
    follow = stack.say(user, "kalau TMT?")
    assert "Terhitung Mulai Tanggal" in text(follow), follow
    fresh = stack.say(user, "kalau pelatihan excel ada?")  # a topic of its own: a new question
    assert "Excel" in text(fresh), fresh
    assert "Terhitung Mulai Tanggal" not in text(fresh), fresh
    pilihan = stack.say(user, "syarat kp pilihan apa aja")
    assert "Pilihan" in text(pilihan), pilihan
    regular = stack.say(user, "kalau reguler?")
    assert "Reguler" in text(regular), regular
    listed = stack.say(user, "ada workshop apa aja min")
    assert "Workshop terdekat" in text(listed), listed
    month = stack.say(user, "yang bulan depan?")
    assert "Workshop bulan depan" in text(month), month
    assert "Klinik Tata Kelola Arsip Bulan Depan" in text(month), month
    ladder = stack.say(user, "jenjang karier pranata komputer gimana")
    assert "Pranata Komputer (keahlian)" in text(ladder), ladder
    skill = stack.say(user, "kalau yang terampil?")
    assert "Pranata Komputer (keterampilan)" in text(skill), skill
    deadline = stack.say(user, "tenggat skp tahunan kapan")  # a new question after the chain
    assert "Tenggat SKP" in text(deadline), deadline


def test_small_talk_looking_text_inside_the_registration_form(
    stack: Stack, sessions: sessionmaker[Session]
) -> None:
    user = 976_202
    linked_employee(sessions, user)
    asked = stack.say(user, "mau daftar workshop dong")
    assert [p for p in payloads(asked) if p.startswith("/register_workshop{")], asked
    yoga = stack.say(user, "yoga pagi")
    assert "«yoga pagi» tidak ditemukan" in text(yoga), yoga
    assert "Halo" not in text(yoga), yoga  # not taken for a greeting
    assert not [p for p in payloads(yoga) if p.startswith("/register_workshop{")], yoga
    hello = stack.say(user, "selamat pagi kak")  # a real greeting: answered, the form resumes
    assert "Halo" in text(hello), hello
    assert "Kembali ke pendaftaran" in text(hello), hello
    stopped = stack.say(user, "ga jadi")
    assert "tidak dilanjutkan" in text(stopped), stopped


def _days_to_next_month() -> int:
    """Days from today to the 15th of next month (a workshop there is "bulan depan")."""
    today = dt.datetime.now(dt.UTC).date()
    first = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return (first.replace(day=15) - today).days
