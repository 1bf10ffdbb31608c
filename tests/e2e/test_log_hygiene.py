"""No log of any process, at DEBUG, holds the bot token, a code, a NIP, a phone or a birth date.

Every process runs for real at LOG_LEVEL=DEBUG: the Bot API emulator (as a process), the bot,
the outbox dispatcher, the action server and Rasa (with nlu/logging.yml). Two employees link
their accounts with codes (a deep link, and one typed with a dash in lower case), look at their
profile and type their NIP, phone number and birth date; then every log is searched for them.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from asnkarier.services.activation import issue_codes, pretty
from telegram_emulator.client import EmulatorClient
from tests.e2e.bot_process import bot_env, start_bot, start_dispatcher
from tests.e2e.chatter import ask, settle, texts
from tests.e2e.stack import ROOT, Process, Stack, free_port, running_stack, start
from tests.factories import make_employee

# A token of the real shape (digits, colon, 35 characters), which the emulator accepts.
TOKEN = (
    "7"
    + "".join(secrets.choice(string.digits) for _ in range(9))
    + ":AA"
    + "".join(secrets.choice(string.ascii_letters + string.digits + "_-") for _ in range(33))
)
PEOPLE = [
    # nip, birth date, phone as stored, phone as typed
    ("198503122010011003", dt.date(1985, 3, 12), "081234567890", "+62 812-3456-7890"),
    ("197911232006042001", dt.date(1979, 11, 23), "085298765432", "0852 9876 5432"),
]


@dataclass
class Telegram:
    token: str
    base_url: str


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("log-hygiene")


@pytest.fixture(scope="module")
def debug_stack(e2e_db: tuple[str, sessionmaker[Session]], logs: Path) -> Iterator[Stack]:
    # Loading the model logs a great deal at DEBUG: allow a shared machine more time.
    with running_stack(e2e_db[0], logs, log_level="DEBUG", rasa_ready_seconds=600) as running:
        yield running


@pytest.fixture(scope="module")
def processes(
    debug_stack: Stack, e2e_db: tuple[str, sessionmaker[Session]], logs: Path
) -> Iterator[tuple[EmulatorClient, list[Process]]]:
    port = free_port()
    emulator = start(
        "emulator",
        [sys.executable, "-m", "telegram_emulator", "--port", str(port), "--token", TOKEN,
         "--log-level", "DEBUG"],
        {}, ROOT, logs,
    )  # fmt: skip
    client = EmulatorClient(f"http://127.0.0.1:{port}/_control")
    deadline = time.monotonic() + 30
    while True:
        try:
            client.requests()
            break
        except (httpx.HTTPError, OSError):
            if time.monotonic() > deadline or emulator.popen.poll() is not None:
                raise RuntimeError(f"emulator did not start:\n{emulator.tail()}") from None
            time.sleep(0.3)
    env = bot_env(
        Telegram(TOKEN, f"http://127.0.0.1:{port}/bot"),
        debug_stack.rasa_url,
        e2e_db[0],
        debug_stack.action_url,
        LOG_LEVEL="DEBUG",
        METRICS_PORT="0",
    )
    bot = start_bot(env, logs)
    dispatcher = start_dispatcher(env, logs)
    started = [emulator, bot, dispatcher]
    try:
        client.wait_for_requests("getUpdates", 1, timeout=60)
        yield client, started
    finally:
        for process in reversed(started):
            process.stop()
        client.close()


def _issue(sessions: sessionmaker[Session]) -> list[str]:
    codes = []
    with sessions.begin() as s:
        for nip, born, phone, _ in PEOPLE:
            employee = make_employee(s, nip=nip, birth_date=born, phone=phone, sex="L" if
                                     nip[14] == "1" else "P")  # fmt: skip
            [issued] = issue_codes(s, [employee], ttl_days=1, actor="test")
            codes.append(issued.code)
    return codes


def test_no_process_logs_secrets_or_personal_data(
    processes: tuple[EmulatorClient, list[Process]],
    debug_stack: Stack,
    sessions: sessionmaker[Session],
    logs: Path,
) -> None:
    client, started = processes
    first_code, second_code = _issue(sessions)
    first, second = 978_001, 978_002

    # A deep link (/start CODE), then the profile, then personal data typed into the chat.
    client.send_command(first, "start", first_code, first_name="Budi")
    assert "Akun terhubung" in texts(settle(client, first, 0, until="Akun terhubung"))
    ask(client, first, "lihat profil saya", until="Profil")
    nip, born, _, typed_phone = PEOPLE[0]
    ask(client, first, f"nip saya {nip} hp {typed_phone} lahir {born:%d-%m-%Y}")
    ask(client, first, f"tanggal lahir saya {born:%d/%m/%Y}, no wa {PEOPLE[1][3]}")

    # A code typed by hand, with a dash, in lower case.
    ask(client, second, "saya mau aktivasi akun", until="kode aktivasi")
    typed = pretty(second_code).lower()
    ask(client, second, typed, until="Akun terhubung")
    ask(client, second, "lihat profil saya", until="Profil")

    for process in [*started, *debug_stack.processes]:
        process.stop()  # flush and close every log before reading it

    forbidden = {TOKEN, TOKEN.split(":")[1], getattr(debug_stack, "action_token", "") or TOKEN}
    for code in (first_code, second_code):
        forbidden |= {code, pretty(code)}
        if any(c.isdigit() for c in code):  # a lower-case code without digits is a word
            forbidden |= {code.lower(), pretty(code).lower()}
    for nip, born, phone, typed_phone in PEOPLE:
        forbidden |= {
            nip,
            f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}",
            phone,
            typed_phone,
            "62" + phone[1:],
            born.isoformat(),
            f"{born:%d-%m-%Y}",
            f"{born:%d/%m/%Y}",
        }
    found: dict[str, list[str]] = {}
    everything = ""
    for log in sorted(logs.glob("*.log")):
        text = log.read_text(errors="replace")
        everything += text
        leaked = sorted(s for s in forbidden if s in text)
        if leaked:
            found[log.name] = leaked
    names = {log.name for log in logs.glob("*.log")}
    assert {"emulator.log", "bot.log", "dispatcher.log", "actions.log", "rasa.log"} <= names
    assert not found, found
    # The values did reach the logs, scrubbed: the test would see them if the filter were gone.
    assert "DEBUG" in everything
    assert "<kode>" in everything
    # Rasa's own log (nlu/logging.yml loaded the redaction there) saw the typed NIP, scrubbed.
    assert "<nip>" in (logs / "rasa.log").read_text(errors="replace")
    assert "/bot<token>" in (logs / "bot.log").read_text(errors="replace")
