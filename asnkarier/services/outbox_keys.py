"""Outbox idempotency keys: the one place that spells them, in Python and in SQL.

A key names what a message is about (`reminder:appraisal:12:345:d7`), so enqueueing the same
message again adds nothing. Each kind of key is a `KeyShape` made from a template: calling it
builds the string, `.sql()` builds the same string in SQL where rows are enqueued by
INSERT ... SELECT (one key per employee without a round trip through Python), and `.prefix()`
selects the messages that share the leading fields (the reminders of one subject for one
employee, to withdraw them).
"""

from __future__ import annotations

import string
from typing import Any

from sqlalchemy import ColumnElement, String, cast, literal

Value = str | int | None  # None is spelt "None" (a waitlist place may be unknown)
_END = object()


class KeyShape:
    """A key template such as "broadcast:{broadcast_id}:{employee_id}"; values go in field order."""

    def __init__(self, template: str) -> None:
        self.template = template
        # (literal text before the field, field name or None after the last field)
        self._pieces = [(text, name) for text, name, _, _ in string.Formatter().parse(template)]
        self.fields = tuple(name for _, name in self._pieces if name)

    def __call__(self, *values: Value) -> str:
        return "".join(self._render(values, exact=True))

    def prefix(self, *values: Value) -> str:
        """The key up to (and with the separator after) the given leading fields."""
        return "".join(self._render(values, exact=False))

    def sql(self, *values: Any) -> ColumnElement[str]:
        """The same key as a SQL expression: plain values are literal text, SQL values (columns,
        model attributes) are cast to text."""
        pieces: list[ColumnElement[str]] = []
        constant = ""
        for piece in self._render(values, exact=True):
            if not isinstance(piece, str):
                if constant:
                    pieces.append(literal(constant))
                pieces.append(cast(piece, String))
                constant = ""
            else:
                constant += piece
        if constant:
            pieces.append(literal(constant))
        expression = pieces[0]
        for piece in pieces[1:]:
            expression = expression + piece
        return expression

    def _render(self, values: tuple[Any, ...], *, exact: bool) -> list[Any]:
        if len(values) > len(self.fields) or (exact and len(values) != len(self.fields)):
            raise ValueError(f"key {self.template!r} takes {self.fields}, got {len(values)} values")
        out: list[Any] = []
        remaining = iter(values)
        for text, name in self._pieces:
            out.append(text)
            if name is None:
                break
            value = next(remaining, _END)
            if value is _END:
                break
            plain = value is None or isinstance(value, str | int)
            out.append(str(value) if plain else value)  # SQL stays SQL, for .sql()
        return out

    def __repr__(self) -> str:
        return f"KeyShape({self.template!r})"


# A scheduled reminder: its subject (kind and object id), the employee, and the step of the
# subject's schedule (d7, d3, d1, h2, open, close3, q4).
REMINDER = KeyShape("reminder:{kind}:{object_id}:{employee_id}:{step}")
# One HR broadcast to one employee.
BROADCAST = KeyShape("broadcast:{broadcast_id}:{employee_id}")
# "You got a seat": one per workshop, employee and waitlist place (a later promotion is news).
WAITLIST_PROMOTED = KeyShape("waitlist-promoted:{workshop_id}:{employee_id}:{number}")
# An HR officer's answer to a handed-off question: one per officer message.
HANDOFF_REPLY = KeyShape("handoff:{ticket_id}:reply:{officer_message_id}")
# The notice that a handed-off question was closed.
HANDOFF_CLOSED = KeyShape("handoff:{ticket_id}:closed")
# HR's decision on an employee's training report (approved or rejected): one notice each.
TRAINING_REPORT_DECIDED = KeyShape("training-report:{report_id}:{status}")
# An officer's test send of a broadcast draft to their own chat from the console (each press).
BROADCAST_TEST = KeyShape("broadcast-test:{employee_id}:{nonce}")
# An officer's answer to a handed-off question from the web console: one per answer submitted.
HANDOFF_CONSOLE_REPLY = KeyShape("handoff:{ticket_id}:console:{nonce}")
# A workshop cancelled by HR: one notice per workshop and registrant.
WORKSHOP_CANCELLED = KeyShape("workshop-cancelled:{workshop_id}:{employee_id}")
# The first feedback question after a workshop ended: one per workshop and attendee.
FEEDBACK_REQUEST = KeyShape("feedback:{workshop_id}:{employee_id}")
# A colleague's mentoring request to a mentor (with Terima/Tolak): one per request.
MENTOR_REQUEST = KeyShape("mentor-request:{request_id}")
# The mentor's decision, to each side (the contact after an acceptance): one per recipient.
MENTOR_DECIDED = KeyShape("mentor-request:{request_id}:{status}:{employee_id}")
