"""Issue 9 in the actions: context that does not stick, forms one can leave, the glossary,
promotion answers by position kind and the honorific from the roster."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.account import ActionLinkAccount, ValidateLinkAccountForm
from actions.career import ActionCareerPath
from actions.context import (
    ActionValidateSlotMappings,
    follow_up_action,
    follow_up_of,
    is_follow_up,
    topic_events,
    wants_to_stop,
)
from actions.glossary import ActionDefinition
from actions.promotion import ActionPromotionRequirements
from actions.training import ActionCompetencyHours, ActionTrainingSearch
from actions.workshops import (
    ActionAskRegistrationConfirm,
    ActionAskRegistrationWorkshop,
    ActionListWorkshops,
    ValidateWorkshopRegistrationForm,
)
from asnkarier.models import (
    CareerLadder,
    Employee,
    PositionKind,
    UnansweredMessage,
    Workshop,
)
from asnkarier.services import workshops
from asnkarier.services.employees import honorific
from tests.actions.conftest import payloads, run_action, texts, tracker
from tests.factories import make_workshop


def _user(text: str, intent: str, entities: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {
            "intent": {"name": intent},
            "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
        },
    }


def _cleared(events: list[dict[str, Any]]) -> set[str]:
    return {e["name"] for e in events if e.get("event") == "slot" and e["value"] is None}


# --- context: one reset rule ------------------------------------------------------------------


def test_a_new_question_drops_the_previous_topic() -> None:
    # After a search for public speaking, "pelatihan manajemen data ada?" (no entity tagged).
    t = tracker(
        text="pelatihan manajemen data ada?",
        intent="ask_training",
        slots={"topik": "public speaking"},
        events=[_user("pelatihan public speaking", "ask_training", {"topik": "public speaking"})],
    )
    assert _cleared(topic_events(t)) == {"topik"}


def test_a_rank_question_after_the_pilihan_button_is_not_pilihan() -> None:
    t = tracker(
        text="dr III c ke III d",
        intent="ask_promotion_requirements",
        entities=[("golongan", "III/c"), ("golongan", "III/d")],
        slots={"jenis_kp": "pilihan", "golongan": "III/d"},
        events=[
            _user('/ask_promotion_requirements{"jenis_kp":"pilihan"}', "ask_promotion_requirements")
        ],
    )
    assert _cleared(topic_events(t)) == {"jenis_kp"}


def test_a_follow_up_keeps_the_previous_question_deliberately() -> None:
    t = tracker(
        text="kalau yang terampil?",
        intent="ask_career_path",
        entities={"jenjang": "Terampil"},
        slots={"jabatan": "Pranata Komputer", "jenjang": "Terampil", "topik": "excel"},
        events=[
            _user("jenjang pranata komputer", "ask_career_path", {"jabatan": "Pranata Komputer"})
        ],
    )
    assert _cleared(topic_events(t)) == {"topik"}  # jabatan kept, the other topic dropped
    # The same words after another kind of question start afresh.
    other = tracker(
        text="kalau yang terampil?",
        intent="ask_career_path",
        entities={"jenjang": "Terampil"},
        slots={"jabatan": "Pranata Komputer", "jenjang": "Terampil"},
        events=[
            _user("jenjang pranata komputer", "ask_career_path"),
            _user("tenggat skp", "ask_appraisal_deadline"),
        ],
    )
    assert _cleared(topic_events(other)) == {"jabatan"}
    assert is_follow_up("kalau reguler?")
    assert is_follow_up("yang bulan depan?")
    assert not is_follow_up("syarat naik pangkat reguler untuk golongan III/c apa saja ya min")


def test_answers_and_values_keep_context() -> None:
    t = tracker(text="ya", intent="affirm", slots={"topik": "excel"})
    assert topic_events(t) == []


async def test_validate_slot_mappings_sets_the_honorific_from_the_roster(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    ibu = linked(sex="P")
    _, events = await run_action(
        ActionValidateSlotMappings(), tracker(ibu.telegram_user_id, "halo", "greet")
    )
    assert {"event": "slot", "timestamp": None, "name": "sapaan", "value": "Ibu"} in events


def test_honorific_from_sex_else_nip_digit_15() -> None:
    assert honorific(Employee(sex="L", nip="199001012015012001")) == "Bapak"
    assert honorific(Employee(sex="", nip="199001012015012001")) == "Ibu"
    assert honorific(Employee(sex="", nip="199001012015011001")) == "Bapak"
    assert honorific(None) == "Bapak/Ibu"


# --- training: the catalogue answers the message in front of it --------------------------------


async def test_pka_is_found_although_no_topic_was_tagged(factory: sessionmaker[Session]) -> None:
    messages, _ = await run_action(
        ActionTrainingSearch(), tracker(text="ada pelatihan PKA?", intent="ask_training")
    )
    assert "Kepemimpinan Administrator (PKA)" in texts(messages).splitlines()[1]


# --- forms --------------------------------------------------------------------------------------


def test_stop_words_end_a_form() -> None:
    for text in ("batal", "cancel", "stop", "ga jadi", "nggak jadi", "udah", "Udah deh", "gak jd"):
        assert wants_to_stop(tracker(text=text, intent="cancel_registration")), text
    assert not wants_to_stop(tracker(text="udah daftar belum saya", intent="my_registrations"))


async def test_registration_form_a_question_is_not_taken_for_a_workshop(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    me = linked()
    validate = ValidateWorkshopRegistrationForm()
    asking = {"requested_slot": "workshop"}
    question = tracker(
        me.telegram_user_id,
        "eh bentar, deadline skp tahunan kapan ya?",
        "ask_appraisal_deadline",
        slots=asking,
    )
    assert await validate.extract_workshop(CollectingDispatcher(), question, {}) == {}
    profile = tracker(me.telegram_user_id, "profil saya", "my_profile", slots=asking)
    assert await validate.extract_workshop(CollectingDispatcher(), profile, {}) == {}
    for word in ("cancel", "stop", "udah"):
        stop = tracker(me.telegram_user_id, word, "cancel_registration", slots=asking)
        assert await validate.extract_workshop(CollectingDispatcher(), stop, {}) == {
            "konfirmasi": False
        }
        assert (
            await validate.required_slots(
                ["workshop", "konfirmasi"],
                CollectingDispatcher(),
                tracker(me.telegram_user_id, word, slots={"konfirmasi": False}),
                {},
            )
            == []
        )
    at_confirm = tracker(
        me.telegram_user_id, "stop", "reminder_off", slots={"requested_slot": "konfirmasi"}
    )
    assert await validate.extract_konfirmasi(CollectingDispatcher(), at_confirm, {}) == {
        "konfirmasi": False
    }


async def test_the_workshop_named_in_the_first_message_goes_straight_to_confirmation(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    me = linked()
    with factory.begin() as s:
        code = s.scalar(select(Workshop.code).where(Workshop.title.like("Bimtek Usul Kenaikan%")))
    first = tracker(
        me.telegram_user_id, "mau daftar bimtek usul kp siasn dong", "register_workshop"
    )
    assert await ValidateWorkshopRegistrationForm().extract_workshop(
        CollectingDispatcher(), first, {}
    ) == {"workshop": code}
    generic = tracker(me.telegram_user_id, "mau daftar workshop dong", "register_workshop")
    assert (
        await ValidateWorkshopRegistrationForm().extract_workshop(
            CollectingDispatcher(), generic, {}
        )
        == {}
    )


async def test_the_full_list_is_sent_once_then_short_prompts(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    me = linked()
    with factory.begin() as s:
        joined = make_workshop(s, title="Workshop Yang Sudah Saya Ikuti", days=5)
        workshops.register(s, me.id, joined.id)
        joined_code = joined.code
    start = [{"event": "active_loop", "name": "workshop_registration_form"}]
    first, _ = await run_action(
        ActionAskRegistrationWorkshop(),
        tracker(me.telegram_user_id, "daftar workshop", "register_workshop", events=start),
    )
    assert sum(p.startswith("/register_workshop{") for p in payloads(first)) >= 3
    assert not any(f'"{joined_code}"' in p for p in payloads(first)), (
        "already joined, offered again"
    )
    asked = [*start, {"event": "bot", "text": "Workshop mana yang ingin Bapak ikuti?"}]
    retry, _ = await run_action(
        ActionAskRegistrationWorkshop(),
        tracker(me.telegram_user_id, "yoga pagi", "register_workshop", events=asked),
    )
    assert payloads(retry) == ["/deny"]
    assert "nama workshop yang lain" in texts(retry)
    resume, _ = await run_action(
        ActionAskRegistrationWorkshop(),
        tracker(me.telegram_user_id, "tenggat skp", "ask_appraisal_deadline", events=asked),
    )
    assert payloads(resume) == ["/deny"]
    assert "Kembali ke pendaftaran" in texts(resume)
    # A new run of the form shows the list again.
    again = [*asked, {"event": "active_loop", "name": None}, *start]
    fresh, _ = await run_action(
        ActionAskRegistrationWorkshop(),
        tracker(me.telegram_user_id, "daftar", "register_workshop", events=again),
    )
    assert len(payloads(fresh)) > 1
    confirm_asked = [
        *start,
        {"event": "bot", "text": "Daftarkan Bapak ke workshop ini?"},
    ]
    with factory.begin() as s:
        code = s.scalar(select(Workshop.code).where(Workshop.id != joined.id).limit(1))
    short, _ = await run_action(
        ActionAskRegistrationConfirm(),
        tracker(
            me.telegram_user_id,
            "jp itu apa",
            "ask_definition",
            slots={"workshop": code},
            events=confirm_asked,
        ),
    )
    assert "Kembali ke pendaftaran" in texts(short)
    assert payloads(short) == ["/affirm", "/deny"]


async def test_workshop_list_marks_joined_and_filters_next_month(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    me = linked()
    with factory.begin() as s:
        w = make_workshop(s, title="Sesi Khusus Uji Daftar", days=5)
        workshops.register(s, me.id, w.id)
        code = w.code
    messages, _ = await run_action(
        ActionListWorkshops(), tracker(me.telegram_user_id, "workshop apa aja", "list_workshops")
    )
    assert "sudah terdaftar" in texts(messages)
    assert not any(f'"{code}"' in p for p in payloads(messages))
    today = dt.date.today()
    next_month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    with factory.begin() as s:
        days = (next_month - today).days + 3
        make_workshop(s, title="Sesi Bulan Depan Uji", days=days)
        make_workshop(s, title="Sesi Jauh Sekali Uji", days=days + 70)
    later, _ = await run_action(
        ActionListWorkshops(), tracker(text="yang bulan depan?", intent="list_workshops")
    )
    assert "Workshop bulan depan" in texts(later)
    assert "Sesi Bulan Depan Uji" in texts(later)
    assert "Sesi Jauh Sekali Uji" not in texts(later)


async def test_linking_form_starts_only_when_asked_or_on_a_code(
    factory: sessionmaker[Session],
) -> None:
    validate = ValidateLinkAccountForm()
    d = CollectingDispatcher()
    nonsense = tracker(555_001, "asdf qwer zxcv", "link_account")
    assert await validate.extract_kode_aktivasi(d, nonsense, {}) == {"link_result": "not_asked"}
    submit, _ = await run_action(
        ActionLinkAccount(), tracker(555_001, "asdf qwer zxcv", slots={"link_result": "not_asked"})
    )
    assert "kurang paham" in texts(submit)
    assert (
        await validate.extract_kode_aktivasi(
            d, tracker(555_001, "aktivasi akun", "link_account"), {}
        )
        == {}
    )
    assert await validate.extract_kode_aktivasi(
        d, tracker(555_001, "k7p2-mx9q", "nlu_fallback"), {}
    ) == {"kode_aktivasi": "K7P2MX9Q"}
    assert (
        await validate.extract_kode_aktivasi(
            d, tracker(555_001, "199001232015032004", "link_account"), {}
        )
        == {}
    )
    asking = {"requested_slot": "kode_aktivasi"}
    question = tracker(555_001, "pelatihan excel ada?", "ask_training", slots=asking)
    assert await validate.extract_kode_aktivasi(d, question, {}) == {}  # rule ends the form
    stop = tracker(555_001, "cancel", "cancel_registration", slots=asking)
    assert await validate.extract_kode_aktivasi(d, stop, {}) == {"konfirmasi": False}
    vague = tracker(555_001, "kodenya yang mana ya", "link_account", slots=asking)
    assert await validate.extract_kode_aktivasi(d, vague, {}) == {"kode_aktivasi": None}


# --- glossary -----------------------------------------------------------------------------------


async def test_definitions_by_entity_alias_or_words(factory: sessionmaker[Session]) -> None:
    jp, _ = await run_action(
        ActionDefinition(),
        tracker(text="JP tuh apa", intent="ask_definition", entities={"istilah": "JP"}),
    )
    assert "JP (Jam Pelajaran)" in texts(jp)
    assert "45 menit" in texts(jp)
    assert "Sumber:" in texts(jp)
    assert "/ask_competency_hours" in payloads(jp)
    tmt, _ = await run_action(
        ActionDefinition(), tracker(text="kepanjangan tmt", intent="ask_definition")
    )
    assert "Terhitung Mulai Tanggal" in texts(tmt)
    ak, _ = await run_action(
        ActionDefinition(),
        tracker(
            text="angka kredit maksudnya",
            intent="ask_definition",
            entities={"istilah": "angka kredit"},
        ),
    )
    assert "koefisien" in texts(ak)
    alias, _ = await run_action(
        ActionDefinition(),
        tracker(
            text="jam pelajaran itu brp menit",
            intent="ask_definition",
            entities={"istilah": "jam pelajaran"},
        ),
    )
    assert "JP (Jam Pelajaran)" in texts(alias)


async def test_a_plain_what_is_question_gets_the_definition_whatever_the_intent(
    factory: sessionmaker[Session],
) -> None:
    # The NLU read "eh bentar, JP itu apa?" as the 20 JP question: the definition answers.
    jp, _ = await run_action(
        ActionCompetencyHours(),
        tracker(text="eh bentar, JP itu apa?", intent="ask_competency_hours"),
    )
    assert "JP (Jam Pelajaran)" in texts(jp)
    pak, _ = await run_action(
        ActionPromotionRequirements(),
        tracker(text="min, PAK tuh apaan", intent="ask_promotion_requirements"),
    )
    assert "Penetapan Angka Kredit" in texts(pak)
    # A question about the term's rules is answered by its own action.
    rules, _ = await run_action(
        ActionPromotionRequirements(),
        tracker(text="syarat KP itu apa saja", intent="ask_promotion_requirements"),
    )
    assert "Jam Pelajaran" not in texts(rules)
    assert "(Kenaikan Pangkat)" not in texts(rules)
    hours, _ = await run_action(
        ActionCompetencyHours(), tracker(text="JP saya tahun ini", intent="ask_competency_hours")
    )
    assert "JP (Jam Pelajaran)" not in texts(hours)


async def test_an_unknown_term_is_recorded_as_unanswered(factory: sessionmaker[Session]) -> None:
    messages, _ = await run_action(
        ActionDefinition(),
        tracker(text="zzq itu apa", intent="ask_definition", entities={"istilah": "zzq"}),
    )
    assert "belum ada di daftar istilah" in texts(messages)
    with factory.begin() as s:
        assert (
            s.scalar(
                select(UnansweredMessage.reason).where(UnansweredMessage.text == "zzq itu apa")
            )
            == "unknown_term"
        )


# --- promotion by position kind -----------------------------------------------------------------


def _level(factory: sessionmaker[Session], ladder_code: str, level: str) -> tuple[int, int]:
    with factory.begin() as s:
        ladder = s.scalar(select(CareerLadder).where(CareerLadder.code == ladder_code))
        assert ladder is not None
        return ladder.id, next(lvl.id for lvl in ladder.levels if lvl.name == level)


async def test_functional_employee_gets_the_credit_route_and_a_past_due_flag(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    ladder_id, level_id = _level(factory, "pranata-komputer", "Ahli Pertama")
    she = linked(
        sex="P",
        rank="III/a",
        rank_tmt=dt.date(2020, 4, 1),
        position_kind=PositionKind.FUNGSIONAL,
        position_title="Pranata Komputer Ahli Pertama",
        ladder_id=ladder_id,
        level_id=level_id,
    )
    messages, _ = await run_action(
        ActionPromotionRequirements(),
        tracker(she.telegram_user_id, "syarat naik pangkat saya", "ask_promotion_requirements"),
    )
    answer = texts(messages)
    assert "angka kredit" in answer.lower()
    assert "KP reguler ke III/b dapat diusulkan" not in answer
    assert "Ibu Pranata Komputer Ahli Pertama" in answer
    assert "koefisien 12,5" in answer
    assert "minimal 50" in answer
    assert "⚠️ Ibu sudah melewati waktu yang biasa untuk naik ke III/b" in answer


async def test_a_pemula_is_told_the_level_move_with_its_sourced_minimum(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    # Pemula holds only II/a: its next step is the move to Terampil (15 angka kredit).
    ladder_id, level_id = _level(factory, "pemadam-kebakaran", "Pemula")
    he = linked(
        sex="L",
        rank="II/a",
        rank_tmt=dt.date(2019, 3, 1),
        position_kind=PositionKind.FUNGSIONAL,
        position_title="Pemadam Kebakaran Pemula",
        ladder_id=ladder_id,
        level_id=level_id,
    )
    messages, _ = await run_action(
        ActionPromotionRequirements(),
        tracker(he.telegram_user_id, "kapan saya naik pangkat", "ask_promotion_requirements"),
    )
    answer = texts(messages)
    assert "Jenjang Pemula: koefisien 3,75" in answer
    assert "kenaikan jenjang (angka kredit 15)" in answer
    assert "tercapai dalam 4 tahun" in answer  # 15 / 3.75 at «Baik»
    assert "⚠️ Bapak sudah melewati waktu yang biasa untuk kenaikan jenjang" in answer
    # The minimums per level (data/functional_credit.yml), Pemula included.
    assert "Pemula 15, Terampil 20, Mahir 50, Penyelia 100" in answer


async def test_pelaksana_gets_the_regular_route(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    today = dt.date.today()
    he = linked(rank="II/c", rank_tmt=today.replace(year=today.year - 1))
    messages, _ = await run_action(
        ActionPromotionRequirements(),
        tracker(he.telegram_user_id, "kapan saya naik pangkat", "ask_promotion_requirements"),
    )
    answer = texts(messages)
    assert "Syarat Kenaikan Pangkat Reguler" in answer
    assert "Golongan Bapak II/c" in answer
    assert "Syarat 4 tahun terpenuhi" in answer or "dapat diusulkan" in answer


async def test_structural_employee_gets_kp_pilihan(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    boss = linked(
        rank="III/d", position_kind=PositionKind.STRUKTURAL, position_title="Kepala Seksi"
    )
    messages, _ = await run_action(
        ActionPromotionRequirements(),
        tracker(boss.telegram_user_id, "syarat kp", "ask_promotion_requirements"),
    )
    assert "Syarat Kenaikan Pangkat Pilihan" in texts(messages)


async def test_a_code_without_digits_is_taken_once_the_form_asks(
    factory: sessionmaker[Session],
) -> None:
    validate = ValidateLinkAccountForm()
    d = CollectingDispatcher()
    asking = {"requested_slot": "kode_aktivasi"}
    letters = tracker(555_002, "ABCD-EFGH", "link_account", slots=asking)
    assert await validate.extract_kode_aktivasi(d, letters, {}) == {"kode_aktivasi": "ABCDEFGH"}
    plain = tracker(555_002, "abcdefgh", "nlu_fallback", slots=asking)
    assert await validate.extract_kode_aktivasi(d, plain, {}) == {"kode_aktivasi": "ABCDEFGH"}
    # Not asked yet: a plain 8-letter word is not a code.
    word = tracker(555_002, "siangnya", "link_account")
    assert await validate.extract_kode_aktivasi(d, word, {}) == {"link_result": "not_asked"}


# --- follow-ups across intents (actions/context.py follow_up_of) ----------------------------


def _career_then(text: str, intent: str, entities: dict[str, str] | None = None) -> Any:
    return tracker(
        text=text,
        intent=intent,
        entities=entities,
        slots={"jabatan": "Pranata Komputer", "golongan": "III/c"},
        events=[
            _user("jenjang pranata komputer", "ask_career_path", {"jabatan": "Pranata Komputer"})
        ],
    )


def _set(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_a_follow_up_the_nlu_reads_as_another_intent_continues_the_previous_question() -> None:
    # "kalau yang terampil?" came back as a promotion question: it is still about the career.
    t = _career_then("kalau yang terampil?", "ask_promotion_requirements", {"jenjang": "Terampil"})
    assert follow_up_of(t) == "ask_career_path"
    events = _set(topic_events(t))
    assert events == {"jenjang": "Terampil", "golongan": None, "lanjutan": "ask_career_path"}
    # The action the policies picked for the NLU's intent hands the turn to the career action.
    answered = tracker(
        text="kalau yang terampil?",
        intent="ask_promotion_requirements",
        slots={"lanjutan": "ask_career_path"},
    )
    assert follow_up_action(answered, "action_promotion_requirements") == "action_career_path"
    assert follow_up_action(answered, "action_fallback_options") == "action_career_path"
    assert follow_up_action(answered, "action_career_path") is None
    assert follow_up_action(answered, "action_register_workshop") is None  # not an answer


def test_follow_ups_of_promotion_schedule_and_workshops() -> None:
    schedule = tracker(
        text="kalau golongan III/c?",
        intent="ask_promotion_requirements",
        entities={"golongan": "III/c"},
        slots={"jenis_kp": "reguler"},
        events=[_user("kapan periode kp reguler", "ask_promotion_schedule")],
    )
    assert follow_up_of(schedule) == "ask_promotion_schedule"  # not the requirements
    assert _set(topic_events(schedule))["golongan"] == "III/c"
    nlu_fallback = tracker(
        text="kalau reguler?",
        intent="nlu_fallback",
        entities={"jenis_kp": "reguler"},
        events=[_user("syarat kp pilihan", "ask_promotion_requirements")],
    )
    assert follow_up_of(nlu_fallback) == "ask_promotion_requirements"
    month = tracker(
        text="yang bulan depan?",
        intent="ask_training",
        events=[_user("workshop apa aja", "list_workshops")],
    )
    assert follow_up_of(month) == "list_workshops"


def test_a_new_question_with_topic_words_of_its_own_is_not_a_follow_up() -> None:
    assert follow_up_of(_career_then("kalau pelatihan excel ada?", "ask_training")) is None
    assert (
        follow_up_of(
            _career_then("kalau reguler?", "ask_promotion_requirements", {"jenis_kp": "reguler"})
        )
        is None
    )  # another topic's value
    assert follow_up_of(_career_then("terus?", "nlu_fallback")) is None  # nothing new
    # Inside a form, "yang excel" is the form's value, never a follow-up.
    in_form = tracker(
        text="yang terampil",
        intent="ask_career_path",
        entities={"jenjang": "Terampil"},
        events=[_user("jenjang pranata komputer", "ask_career_path")],
        active_loop="workshop_registration_form",
    )
    assert follow_up_of(in_form) is None


def test_a_chain_of_follow_ups_keeps_the_question_it_continued() -> None:
    t = tracker(
        text="kalau yang ahli madya?",
        intent="ask_definition",
        entities={"jenjang": "Ahli Madya"},
        events=[
            _user("jenjang pranata komputer", "ask_career_path"),
            _user("kalau yang terampil?", "ask_promotion_requirements", {"jenjang": "Terampil"}),
            {"event": "slot", "name": "lanjutan", "value": "ask_career_path"},
        ],
        slots={"lanjutan": "ask_career_path", "jenjang": "Terampil"},
    )
    assert follow_up_of(t) == "ask_career_path"
    # A plain new question afterwards clears `lanjutan`.
    new = tracker(
        text="tenggat skp kapan",
        intent="ask_appraisal_deadline",
        slots={"lanjutan": "ask_career_path"},
    )
    assert _set(topic_events(new)) == {"lanjutan": None}


async def test_the_promotion_action_answers_a_career_follow_up_as_career(
    factory: sessionmaker[Session],
) -> None:
    t = tracker(
        text="kalau yang terampil?",
        intent="ask_promotion_requirements",
        entities={"jenjang": "Terampil"},
        slots={"lanjutan": "ask_career_path", "jabatan": "Pranata Komputer"},
    )
    assert ActionCareerPath.name  # registered: the server imports every action module
    dispatcher, _ = await run_action(ActionPromotionRequirements(), t)
    assert "Pranata Komputer (keterampilan)" in texts(dispatcher), texts(dispatcher)


async def test_text_read_as_small_talk_inside_a_form_is_a_failed_value(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    # "yoga pagi" read as a greeting: a workshop that is not there, asked again briefly.
    me = linked()
    validate = ValidateWorkshopRegistrationForm()
    asking = {"requested_slot": "workshop"}
    yoga = tracker(me.telegram_user_id, "yoga pagi", "greet", slots=asking)
    assert await validate.extract_workshop(CollectingDispatcher(), yoga, {}) == {
        "workshop": "yoga pagi"
    }
    dispatcher = CollectingDispatcher()
    assert await validate.validate_workshop("yoga pagi", dispatcher, yoga, {}) == {"workshop": None}
    assert "«yoga pagi» tidak ditemukan" in texts(dispatcher.messages)
    # A real greeting or thanks is still small talk: answered by its rule, the form resumes.
    for text, intent in (("selamat pagi kak", "greet"), ("makasih ya min", "thank")):
        hello = tracker(me.telegram_user_id, text, intent, slots=asking)
        assert await validate.extract_workshop(CollectingDispatcher(), hello, {}) == {}
    # At the confirmation: asked again, not answered with a greeting.
    confirm = tracker(
        me.telegram_user_id, "yoga pagi", "greet", slots={"requested_slot": "konfirmasi"}
    )
    dispatcher = CollectingDispatcher()
    assert await validate.extract_konfirmasi(dispatcher, confirm, {}) == {"konfirmasi": None}
    assert "«ya» atau «tidak»" in texts(dispatcher.messages)
    # The linking form: not a code, asked again without ending the form.
    link = ValidateLinkAccountForm()
    stranger = tracker(
        976_001, "senam yoga pagi", "greet", slots={"requested_slot": "kode_aktivasi"}
    )
    dispatcher = CollectingDispatcher()
    assert await link.extract_kode_aktivasi(dispatcher, stranger, {}) == {"kode_aktivasi": None}
    assert "belum seperti kode" in texts(dispatcher.messages)


def test_a_follow_up_may_switch_between_the_two_promotion_questions() -> None:
    t = tracker(
        text="kalau jadwalnya?",
        intent="nlu_fallback",
        events=[_user("syarat naik pangkat saya apa", "ask_promotion_requirements")],
    )
    assert follow_up_of(t) == "ask_promotion_schedule"
    back = tracker(
        text="terus syaratnya?",
        intent="nlu_fallback",
        events=[_user("kapan periode kp", "ask_promotion_schedule")],
    )
    assert follow_up_of(back) == "ask_promotion_requirements"
    # Words of another topic still make a new question.
    assert (
        follow_up_of(
            tracker(
                text="kalau jadwal workshop?",
                intent="list_workshops",
                events=[_user("syarat kp", "ask_promotion_requirements")],
            )
        )
        is None
    )


async def test_a_short_out_of_scope_text_at_the_workshop_pick_is_a_failed_name(
    factory: sessionmaker[Session], linked: Callable[..., Employee]
) -> None:
    me = linked()
    validate = ValidateWorkshopRegistrationForm()
    asking = {"requested_slot": "workshop"}
    yoga = tracker(me.telegram_user_id, "yoga pagi", "out_of_scope", slots=asking)
    assert await validate.extract_workshop(CollectingDispatcher(), yoga, {}) == {
        "workshop": "yoga pagi"
    }
    weather = tracker(
        me.telegram_user_id, "cuaca besok di kantor hujan nggak ya", "out_of_scope", slots=asking
    )
    assert await validate.extract_workshop(CollectingDispatcher(), weather, {}) == {}


def test_one_untagged_word_after_a_definition_is_the_next_term() -> None:
    after_jp = [_user("JP itu apa", "ask_definition", {"istilah": "JP"})]
    t = tracker(text="kalau TMT?", intent="nlu_fallback", events=after_jp)
    assert follow_up_of(t) == "ask_definition"
    fresh = tracker(text="kalau pelatihan excel ada?", intent="ask_training", events=after_jp)
    assert follow_up_of(fresh) is None


async def test_a_term_spelled_in_a_follow_up_wins_over_the_previous_term(
    factory: sessionmaker[Session],
) -> None:
    # "JP itu apa" left the slot istilah = JP; "kalau TMT?" names TMT untagged.
    after_jp = [_user("JP itu apa", "ask_definition", {"istilah": "JP"})]
    follow = tracker(
        text="kalau TMT?", intent="ask_definition", slots={"istilah": "JP"}, events=after_jp
    )
    tmt, _ = await run_action(ActionDefinition(), follow)
    assert "Terhitung Mulai Tanggal" in texts(tmt)
    assert "Jam Pelajaran" not in texts(tmt)
    # Nothing named in the follow-up: the previous term still answers it.
    again = tracker(
        text="maksudnya gimana?", intent="ask_definition", slots={"istilah": "JP"}, events=after_jp
    )
    jp, _ = await run_action(ActionDefinition(), again)
    assert "Jam Pelajaran" in texts(jp)
