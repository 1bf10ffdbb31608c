"""Secrets and personal data never reach a log line or the stored unanswered questions."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from asnkarier.redact import RedactingFilter, scrub
from asnkarier.services.activation import new_code, pretty
from asnkarier.services.support import anonymize

TOKEN = "7123456789:AAHk3vQx-9bZ_Pq2LmN4oR5sT6uV7wX8yZ0"


@pytest.mark.parametrize(
    ("text", "hidden", "label"),
    [
        # activation codes, as printed, typed, spaced, in any case
        ("kode saya K7P2-MX9Q", "K7P2-MX9Q", "<kode>"),
        ("kode saya K7P2MX9Q ya", "K7P2MX9Q", "<kode>"),
        ("kode k7p2-mx9q gagal", "k7p2-mx9q", "<kode>"),
        ("kode K7P2 MX9Q", "K7P2 MX9Q", "<kode>"),
        ("/start KPMXQRTA", "KPMXQRTA", "<kode>"),
        # NIP, bare and grouped
        ("nip 198503122010011003", "198503122010011003", "<nip>"),
        ("NIP 19850312 201001 1 003 ok", "19850312 201001 1 003", "<nip>"),
        ("nip 19850312.201001.1.003", "19850312.201001.1.003", "<nip>"),
        # phone numbers in every shape people type them
        ("hp 081234567890", "081234567890", "<telepon>"),
        ("hp 0812 3456 7890", "0812 3456 7890", "<telepon>"),
        ("hp 0812-3456-7890", "0812-3456-7890", "<telepon>"),
        ("wa +62 812-3456-7890", "+62 812-3456-7890", "<telepon>"),
        ("wa +6281234567890", "+6281234567890", "<telepon>"),
        ("wa 62 812 3456 789", "62 812 3456 789", "<telepon>"),
        # birth dates
        ("lahir 12-03-1985", "12-03-1985", "<tanggal>"),
        ("lahir 12/03/1985", "12/03/1985", "<tanggal>"),
        ("lahir 1985-03-12", "1985-03-12", "<tanggal>"),
        ("lahir 12 Januari 1990", "12 Januari 1990", "<tanggal>"),
        ("lahir 3 agustus 1979", "3 agustus 1979", "<tanggal>"),
        ("lahir 3 Agt 1979", "3 Agt 1979", "<tanggal>"),
        # e-mail
        ("surel budi.s@bkpsdm.go.id", "budi.s@bkpsdm.go.id", "<email>"),
    ],
)
def test_anonymize_hides_personal_data(text: str, hidden: str, label: str) -> None:
    result = anonymize(text)
    assert hidden not in result
    assert label in result


@pytest.mark.parametrize(
    "text",
    [
        "kapan kenaikan pangkat periode april",
        "semuanya sudah lengkap",  # an ordinary 8-letter word is not a code
        "workshop tanggal 12-03-2027 jam 09.00",  # today's dates are not birth dates
        "berapa JP per tahun? 20 JP",
        "golongan III/c ke III/d",
    ],
)
def test_anonymize_keeps_ordinary_questions(text: str) -> None:
    assert anonymize(text) == text


def test_every_issued_code_is_recognised() -> None:
    for _ in range(300):
        code = new_code()
        forms = [code, pretty(code)]
        if any(c.isdigit() for c in code):  # lower case only counts with a digit in it
            forms.append(pretty(code).lower())
        for form in forms:
            assert scrub(f"kode {form}.") == "kode <kode>.", form


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"token {TOKEN}", TOKEN),
        ("Set Bot API URL: http://127.0.0.1:8081/bot1000000001:local-try-out/getMe", "local-try"),
        ("POST /webhook?token=s3cr3tVALUE&x=1 200", "s3cr3tVALUE"),
    ],
)
def test_scrub_hides_bot_tokens(text: str, secret: str) -> None:
    assert secret not in scrub(text)
    assert "<token>" in scrub(text)


def test_filter_scrubs_message_arguments_and_traceback() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "nip %s hp %s", None, None)
    record.args = ("198503122010011003", "0812-3456-7890")
    try:
        raise ValueError("kode K7P2-MX9Q salah")
    except ValueError:
        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    text = logging.Formatter().format(record)
    assert "198503122010011003" not in text
    assert "0812-3456-7890" not in text
    assert "K7P2-MX9Q" not in text
    assert "ValueError: kode <kode> salah" in text


def test_configure_logging_scrubs_every_logger_and_handler() -> None:
    """Also a handler a library adds later, on a logger that does not propagate (as Sanic's)."""
    script = f"""
import logging, sys
from asnkarier.settings import configure_logging
configure_logging("DEBUG")
own = logging.getLogger("sanic.access")
own.propagate = False
own.addHandler(logging.StreamHandler(sys.stdout))
logging.getLogger("telegram").debug("Set Bot API URL: http://x/bot{TOKEN}")
own.info("lahir %s nip %s", "12/03/1985", "198503122010011003")
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    output = result.stdout + result.stderr
    assert "/bot<token>" in output
    assert "<tanggal>" in output
    assert "<nip>" in output
    for secret in (TOKEN, "12/03/1985", "198503122010011003"):
        assert secret not in output


def test_filter_keeps_the_arguments_when_scrubbing_them_is_enough() -> None:
    """Formatters such as uvicorn's access log read record.args: keep their shape."""
    record = logging.LogRecord("x", logging.INFO, __file__, 1, '%s "%s %s"', None, None)
    record.args = ("127.0.0.1", "GET", "/webhook?token=abcdef")
    RedactingFilter().filter(record)
    assert record.args == ("127.0.0.1", "GET", "/webhook?token=<token>")
    assert record.getMessage() == '127.0.0.1 "GET /webhook?token=<token>"'
    clean = logging.LogRecord("x", logging.INFO, __file__, 1, "%s rows", (42,), None)
    RedactingFilter().filter(clean)
    assert clean.args == (42,)
