"""The employee's own account: linking with an activation code, profile, reminders on/off."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.checkin import check_in_reply, only_a_code
from actions.common import (
    LINK_BUTTON,
    LINK_INVITE,
    AnswerAction,
    FormValidator,
    Reply,
    button,
    chat_id,
    employee_of,
    in_db,
    send,
    telegram_user_id,
    user_text,
)
from actions.context import asked_before, is_question, wants_to_stop
from asnkarier import signals
from asnkarier.services import activation
from asnkarier.services.activation import LinkLimits, LinkStatus
from asnkarier.services.employees import honorific, set_reminders
from asnkarier.services.formatting import tanggal, tanggal_jam, zone_name
from asnkarier.services.nip import mask_nip
from asnkarier.settings import get_settings

# The code itself never stays in a slot once it has been tried.
USED = "***"
# link_result when the form was started by a message that neither asked to link nor held a code.
NOT_ASKED = "not_asked"
_LINK_WORDS = re.compile(
    r"aktivasi|aktifasi|aktifkan akun|hubung|tautkan|taut|sambung|link|kode|verifikasi|"
    r"connect|pairing|login|masuk akun|daftar akun|nip|terhubung|tertaut|dikenali|kenal|sync",
    re.IGNORECASE,
)


def _looks_like_code(text: str, *, asked: bool) -> bool:
    """8 letters/digits typed on their own ('K7P2-MX9Q', 'k7p2 mx9q'). Before the form asked
    for a code, a plain word of 8 letters is not taken: it needs a digit or the XXXX-XXXX form
    (codes are drawn from letters and digits, so some have no digit at all)."""
    code = activation.normalize_code(text)
    if len(text.split()) > 2 or len(code) != activation.CODE_LENGTH:
        return False
    return asked or any(c.isdigit() for c in code) or bool(re.fullmatch(r"\w{4}[- ]\w{4}", text))


def _code_in(tracker: Tracker, *, asked: bool) -> str | None:
    tagged = next(tracker.get_latest_entity_values("kode_aktivasi"), None)
    if tagged and len(activation.normalize_code(str(tagged))) == activation.CODE_LENGTH:
        return activation.normalize_code(str(tagged))
    text = user_text(tracker).strip()
    if text.startswith("/"):
        return None
    return activation.normalize_code(text) if _looks_like_code(text, asked=asked) else None


def _asks_to_link(tracker: Tracker) -> bool:
    text = user_text(tracker).strip()
    return (
        text.startswith("/link_account")
        or bool(_LINK_WORDS.search(text))
        or bool(re.fullmatch(r"\D*\d{18}\D*", text))
    )


class ValidateLinkAccountForm(FormValidator, name="validate_link_account_form"):
    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        if tracker.get_slot("konfirmasi") is False or tracker.get_slot("link_result"):
            return []
        if telegram_user_id(tracker) is None:
            return []  # not a Telegram conversation (e.g. rasa shell): nothing to link
        linked = await in_db(lambda s: employee_of(s, tracker) is not None)
        return [] if linked else list(domain_slots)

    async def extract_kode_aktivasi(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """The code of this message (typed bare, tagged by NLU, or from the /start deep link).

        On the first message the form goes on only when the user asked to link or sent
        something that looks like a code; later, "batal/stop/…" ends it, a question ends it
        (data/rules/forms.yml answers it), anything else is asked again without counting.
        """
        asked = tracker.get_slot("requested_slot")
        if asked not in (None, "kode_aktivasi"):
            return {}
        code = _code_in(tracker, asked=asked == "kode_aktivasi")
        if asked is None:
            if code:
                return {"kode_aktivasi": code}
            return {} if _asks_to_link(tracker) else {"link_result": NOT_ASKED}
        if code:
            return {"kode_aktivasi": code}
        if wants_to_stop(tracker):
            return {"konfirmasi": False}
        if is_question(tracker, "link_account"):
            return {}  # rejected: the rule for this question ends the form and answers it
        send(dispatcher, Reply("Itu belum seperti kode aktivasi (8 huruf/angka)."))
        return {"kode_aktivasi": None}

    async def validate_kode_aktivasi(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        user, chat = telegram_user_id(tracker), chat_id(tracker)
        if user is None or chat is None or value in (None, USED):
            return {}
        settings = get_settings()

        def redeem(session: Session) -> tuple[LinkStatus, str]:
            result = activation.redeem(
                session,
                telegram_user_id=user,
                chat_id=chat,
                code=str(value),
                limits=LinkLimits.from_settings(settings),
            )
            match result.status:
                case LinkStatus.LINKED:
                    assert result.employee is not None
                    e = result.employee
                    return result.status, (
                        f"✅ Akun terhubung. Selamat datang, {e.name} ({e.unit.name}). "
                        f"Sekarang {honorific(e)} bisa bertanya tentang karier, pangkat, "
                        "pelatihan, SKP, dan mendaftar workshop."
                    )
                case LinkStatus.INVALID:
                    return result.status, (
                        f"Kode tidak dikenali. Sisa percobaan: {result.attempts_left}. "
                        "Periksa lagi kode dari BKPSDM lalu kirim ulang."
                    )
                case LinkStatus.LOCKED:
                    assert result.locked_until is not None
                    until = tanggal_jam(result.locked_until, settings.default_timezone)
                    return result.status, (
                        "Terlalu banyak kode yang salah. Demi keamanan, coba lagi setelah "
                        f"{until}, atau minta kode baru ke BKPSDM."
                    )
                case LinkStatus.EXPIRED:
                    return result.status, (
                        "Kode ini sudah tidak berlaku (kedaluwarsa, sudah dipakai, atau diganti "
                        "kode baru). Silakan minta kode baru ke BKPSDM."
                    )
                case _:
                    return result.status, (
                        "Akun Telegram ini sudah terhubung dengan pegawai lain. Ketik /keluar "
                        "untuk melepasnya dulu, lalu coba lagi."
                    )

        status, message = await in_db(redeem)
        send(dispatcher, Reply(message))
        if status == LinkStatus.LINKED:
            # The bot shows HR officers their extra commands as soon as they link.
            send(dispatcher, Reply.signal(signals.ACCOUNT_LINKED))
        if status == LinkStatus.INVALID:
            return {"kode_aktivasi": None}  # ask again
        return {"kode_aktivasi": USED, "link_result": status.value}


CODE_PROMPT = "Silakan kirim kode aktivasi dari BKPSDM"


class ActionAskLinkCode(AnswerAction, name="action_ask_kode_aktivasi"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        cancel = [{"title": "✖️ Batal", "payload": "/deny"}]
        if asked_before(tracker, "link_account_form", CODE_PROMPT):
            return Reply("Silakan kirim kodenya lagi, atau ketik «batal».", cancel)
        return Reply(
            f"{CODE_PROMPT} (8 huruf/angka, contoh: K7P2-MX9Q). NIP saja tidak cukup, demi "
            "keamanan data Bapak/Ibu.",
            cancel,
        )


class ActionLinkAccount(AnswerAction, name="action_link_account"):
    """Form submit: speak only where validation did not (already linked, cancelled)."""

    events = (
        SlotSet("kode_aktivasi", None),
        SlotSet("link_result", None),
        SlotSet("konfirmasi", None),
    )

    def answer(self, session: Session, tracker: Tracker) -> list[Reply]:
        if tracker.get_slot("link_result") == NOT_ASKED:
            if only_a_code(tracker):  # a check-in code, not an activation code
                return [check_in_reply(session, tracker)]
            return [
                Reply(
                    "Maaf, saya kurang paham maksud Bapak/Ibu. Silakan tulis pertanyaan dengan "
                    "kalimat lain, atau pilih dari menu.",
                    [button("📋 Menu", "help"), button("🔗 Hubungkan akun", "link_account")],
                )
            ]
        if tracker.get_slot("link_result"):
            return []
        if tracker.get_slot("konfirmasi") is False:
            return [Reply("Baik, aktivasi dibatalkan.")]
        if telegram_user_id(tracker) is None:
            return [Reply("Aktivasi akun hanya bisa dilakukan lewat Telegram.")]
        e = employee_of(session, tracker)
        return [Reply(f"Akun ini sudah terhubung sebagai {e.name}." if e else LINK_INVITE)]


def profile_reply(session: Session, tracker: Tracker) -> Reply:
    e = employee_of(session, tracker)
    if e is None:
        return Reply(LINK_INVITE, [LINK_BUTTON])
    tmt = f", TMT {tanggal(e.rank_tmt, with_day=False)}" if e.rank_tmt else ""
    return Reply(
        "\n".join(
            [
                f"Profil {honorific(e)}:",
                f"👤 {e.name}",
                f"🆔 NIP {mask_nip(e.nip)}",
                f"🏢 {e.unit.name}",
                f"💼 {e.position_title} ({e.position_kind.value})",
                f"🎖 Golongan {e.rank.code} {e.rank.name}{tmt}",
                f"🕒 Zona waktu {zone_name(e.effective_timezone)}",
                f"🔔 Pengingat {'aktif' if e.reminders_enabled else 'nonaktif'}",
                "\nJika ada data yang keliru, hubungi BKPSDM untuk pembaruan.",
            ]
        ),
        [
            button("🔕 Matikan pengingat", "reminder_off")
            if e.reminders_enabled
            else button("🔔 Aktifkan pengingat", "reminder_on"),
            button("🙋 Hubungi petugas", "request_human"),
        ],
    )


def reminders_reply(session: Session, tracker: Tracker, enabled: bool) -> Reply:
    e = employee_of(session, tracker)
    if e is None:
        return Reply("Pengingat hanya untuk akun yang terhubung.\n\n" + LINK_INVITE, [LINK_BUTTON])
    changed = set_reminders(session, e, enabled)
    if enabled:
        text = (
            "🔔 Pengingat aktif. Kami akan mengingatkan tenggat SKP, workshop yang Bapak/Ibu "
            "ikuti, dan masa usul kenaikan pangkat, pukul 08.00 waktu setempat."
        )
    else:
        text = "🔕 Pengingat dimatikan. Pengumuman penting dari BKPSDM tetap akan dikirim."
    if not changed:
        text = (
            "Pengingat memang sudah aktif. " if enabled else "Pengingat memang sudah mati. "
        ) + text
    return Reply(text)


class ActionMyProfile(AnswerAction, name="action_my_profile"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return profile_reply(session, tracker)


class ActionRemindersOn(AnswerAction, name="action_reminders_on"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return reminders_reply(session, tracker, True)


class ActionRemindersOff(AnswerAction, name="action_reminders_off"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return reminders_reply(session, tracker, False)
