"""What an ASN term means (ask_definition): answered from data/glossary.yml."""

from __future__ import annotations

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from actions.common import AnswerAction, Reply, button, entity, user_text
from asnkarier.services import glossary, support

# Where a term leads next, as a button: the personal answer behind the definition.
NEXT = {
    "jp": ("🎓 JP saya tahun ini", "ask_competency_hours"),
    "tmt": ("👤 Profil & TMT saya", "my_profile"),
    "kp": ("📋 Syarat kenaikan pangkat", "ask_promotion_requirements"),
    "kp-reguler": ("📋 Syarat KP reguler", "ask_promotion_requirements"),
    "angka-kredit": ("📋 Kenaikan pangkat saya", "ask_promotion_requirements"),
    "pak": ("📋 Kenaikan pangkat saya", "ask_promotion_requirements"),
    "skp": ("❓ Cara mengisi SKP", "ask_appraisal_howto"),
    "rhk": ("❓ Cara menyusun RHK", "ask_appraisal_howto"),
    "e-kinerja": ("📅 Tenggat SKP", "ask_appraisal_deadline"),
    "latsar": ("📚 Pelatihan", "ask_training"),
    "pka": ("📚 Pelatihan", "ask_training"),
    "pkp": ("📚 Pelatihan", "ask_training"),
}


def definition_reply(session: Session, tracker: Tracker) -> Reply:
    text = user_text(tracker)
    said = next(tracker.get_latest_entity_values("istilah"), None)
    # The term this message names (tagged, else spelled in it: "kalau TMT?"), and only then the
    # term of the question it follows up (the slot).
    item = glossary.lookup(said, text)
    asked = said or entity(tracker, "istilah")
    if item is None and asked:
        item = glossary.lookup(asked)
    if item is None:
        ranking = tracker.latest_message.get("intent_ranking") or []
        if text and not text.startswith("/"):
            support.record_unanswered(session, text, "unknown_term", ranking)
        named = f"«{asked}» " if asked else ""
        return Reply(
            f"Maaf, istilah {named}belum ada di daftar istilah saya. Pertanyaan ini saya simpan "
            "agar daftar istilah dilengkapi BKPSDM. Coba tulis singkatannya saja, misalnya "
            "«JP itu apa» atau «arti TMT».",
            [button("📋 Menu", "help")],
        )
    buttons = [button(*NEXT[item.key])] if item.key in NEXT else []
    return Reply(f"{glossary.describe(item)}\n\nSumber: {item.source}", buttons)


class ActionDefinition(AnswerAction, name="action_definition"):
    def answer(self, session: Session, tracker: Tracker) -> Reply:
        return definition_reply(session, tracker)
