"""Patterns of secrets and personal data, and the log redaction every process installs.

One home for what counts as a bot token, an activation code, a NIP, a phone number or a birth
date in free text: the log filter (`install`, called by `asnkarier.settings.configure_logging`
and by Rasa's logging config `nlu/logging.yml`) and the anonymiser of unanswered questions
(`asnkarier.services.support.anonymize`) both use `scrub`.

Standard library only: the Rasa server (its own Python 3.10 venv) imports this file too.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable, Mapping
from typing import Any

# Bot API token ("123456:AA..."; the secret part is 35 characters today) and any /bot<token>
# path of a Bot API URL, whatever the token looks like (the emulator's are shorter).
TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}")
BOT_URL = re.compile(r"/bot[^/\s'\"]+")
# Secrets in a query string (Rasa sends the action server's token as ?token=…).
QUERY_SECRET = re.compile(r"(?<=[?&])(?:token|secret|password)=[^&\s'\"]+", re.IGNORECASE)
# Activation codes (asnkarier.services.activation: 8 characters of ALPHABET, printed as
# 'K7P2-MX9Q', typed in any case, with a dash or a space). Matched case-insensitively, then kept
# only when it has a digit or is all capitals: an ordinary 8-letter word in lower case
# ('semuanya') is not a code; a code of letters only typed in lower case is the one miss.
_CODE_CHARS = "A-HJKMNP-Za-hjkmnp-z2-9"
CODE = re.compile(rf"(?<![\w-])[{_CODE_CHARS}]{{4}}[- ]?[{_CODE_CHARS}]{{4}}(?![\w-])")
# NIP: 18 digits (birth date 8, appointment 6, sex 1, serial 3), often grouped with spaces.
NIP = re.compile(r"(?<!\d)\d{8}[ .-]?\d{6}[ .-]?\d[ .-]?\d{3}(?!\d)")
# Indonesian mobile numbers: 08.., 628.. or +62 8.., digits grouped by spaces, dots or dashes.
PHONE = re.compile(r"(?<![\w+])(?:\+62|62|0)[ .-]?8\d{1,3}(?:[ .-]?\d{2,5}){1,3}(?!\d)")
# Birth dates: civil servants are born 1940-2009, so only those years count; today's dates
# (timestamps, deadlines, workshop days) stay readable in logs and questions.
_YEAR = r"(?:19[4-9]\d|200\d)"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_MONTH_NAMES = (
    r"(?:jan(?:uari|uary)?|feb(?:ruari|ruary)?|mar(?:et|ch)?|apr(?:il)?|mei|may|jun[ei]?|"
    r"jul[iy]?|agu(?:stus)?|aug(?:ust)?|agt|sep(?:tember)?|okt(?:ober)?|oct(?:ober)?|"
    r"nov(?:ember)?|des(?:ember)?|dec(?:ember)?)\.?"
)
BIRTH_DATE = re.compile(
    rf"(?<!\d)(?:{_DAY}[-/.]{_MONTH}[-/.]{_YEAR}|{_YEAR}-{_MONTH}-{_DAY}"
    rf"|{_DAY} {_MONTH_NAMES} {_YEAR})(?!\d)",
    re.IGNORECASE,
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _is_code(match: re.Match[str]) -> bool:
    text = match.group()
    return any(ch.isdigit() for ch in text) or text.isupper()


def _phone_digits_ok(match: re.Match[str]) -> bool:
    return 9 <= sum(ch.isdigit() for ch in match.group()) <= 15


# Order matters: a NIP would otherwise be cut into a date and a number, a token's digits into
# a phone number.
RULES: tuple[tuple[str, re.Pattern[str], Callable[[re.Match[str]], bool] | None], ...] = (
    ("token", TOKEN, None),
    ("token", BOT_URL, None),
    ("query", QUERY_SECRET, None),
    ("email", EMAIL, None),
    ("nip", NIP, None),
    ("phone", PHONE, _phone_digits_ok),
    ("date", BIRTH_DATE, None),
    ("code", CODE, _is_code),
)
LOG_LABELS = {
    "token": "<token>",
    "query": "token=<token>",
    "email": "<email>",
    "nip": "<nip>",
    "phone": "<telepon>",
    "date": "<tanggal>",
    "code": "<kode>",
}


def scrub(text: str, labels: Mapping[str, str] = LOG_LABELS) -> str:
    """Replace every token, e-mail, NIP, phone number, birth date and code in `text`."""
    for kind, pattern, keep in RULES:
        label = labels[kind]
        if kind == "token" and pattern is BOT_URL:
            label = f"/bot{label}"
        text = pattern.sub(label if keep is None else _replacer(keep, label), text)
    return text


def _replacer(keep: Callable[[re.Match[str]], bool], label: str) -> Callable[[re.Match[str]], str]:
    return lambda match: label if keep(match) else match.group()


class RedactingFilter(logging.Filter):
    """Scrub a record's formatted message, exception and stack text (for handlers and loggers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Format the message once, scrubbed, so no handler or formatter sees the raw values."""
    if getattr(record, "_asnbot_redacted", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep the template, drop the arguments
        message, record.args = str(record.msg), None
    scrubbed = scrub(message)
    if scrubbed != message:
        record.msg, record.args = _scrubbed_template(record, scrubbed)
    if record.exc_info and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.exc_text:
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
    record._asnbot_redacted = True
    return record


def _scrubbed_template(record: logging.LogRecord, scrubbed: str) -> tuple[Any, Any]:
    """Template and arguments that give `scrubbed`: the arguments scrubbed one by one when that
    is enough (formatters such as uvicorn's read record.args), else the flat text alone."""
    args = record.args
    if isinstance(args, tuple):
        args = tuple(scrub(a) if isinstance(a, str) else a for a in args)
    elif isinstance(args, Mapping):
        args = {k: scrub(v) if isinstance(v, str) else v for k, v in args.items()}
    if args and isinstance(record.msg, str):
        try:
            if scrub(record.msg) == record.msg and record.msg % args == scrubbed:
                return record.msg, args
        except (TypeError, ValueError, KeyError):
            pass
    return scrubbed, None


_installed: list[Callable[..., logging.LogRecord]] = []


def install() -> None:
    """Scrub every log record of this process when it is created, whichever logger or handler
    (Sanic, PTB, Rasa, uvicorn install their own) ends up writing it."""
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    _installed.append(previous)
    logging.setLogRecordFactory(factory)


def installed_filter() -> RedactingFilter:
    """For logging.config.dictConfig (`()` of a filter, nlu/logging.yml): install, then filter."""
    install()
    return RedactingFilter()
