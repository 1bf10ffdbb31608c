"""What the action server tells the bot beside its replies, as Rasa `custom` payloads.

Rasa's REST channel returns them as `{"custom": {"asnbot": NAME, ...}}` items; the bot acts on
them (forward a ticket to HR, show the HR menu, count a fallback) and never shows them.
"""

from __future__ import annotations

from typing import Any

KEY = "asnbot"
HANDOFF_OPENED = "handoff_opened"  # ticket_id: a ticket is open; the bot forwards it to HR
HANDOFF_ASK = "handoff_ask"  # a human was asked for: the bot asks for the question first
ACCOUNT_LINKED = "account_linked"  # this Telegram user was just linked to an employee
FALLBACK = "fallback"  # the assistant did not understand (fallback or out of scope)
UNAVAILABLE = "unavailable"  # an action failed (e.g. its database is down): the user was told


def signal(name: str, **values: Any) -> dict[str, Any]:
    """A custom payload for `dispatcher.utter_message(json_message=...)`."""
    return {KEY: name, **values}


def name_of(custom: Any) -> str | None:
    """The signal's name, or None when the payload is not one of ours."""
    if isinstance(custom, dict) and isinstance(custom.get(KEY), str):
        return str(custom[KEY])
    return None
