"""`make run`'s script as a newcomer uses it, without a terminal: the whole assistant comes up on
the embedded defaults (SQLite, local Telegram emulator), answers a user, and SIGTERM stops every
process it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from telegram_emulator.client import EmulatorClient
from tests.e2e.stack import ROOT, Process, free_port, wait_http

USER = 930_001


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_run_answers_a_user_and_stops_everything_on_sigterm(tmp_path: Path) -> None:
    emulator_port, rasa_port, action_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "TELEGRAM_BOT_TOKEN": "",
        "TELEGRAM_BASE_URL": "",
        "RASA_URL": "",
        "RASA_PORT": str(rasa_port),
        "ACTION_SERVER_PORT": str(action_port),
        "EMULATOR_PORT": str(emulator_port),
        "METRICS_PORT": "0",
    }
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        run = subprocess.Popen(
            [str(ROOT / "scripts" / "run.sh")],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # no terminal, own process group: as under a service manager
        )
    try:
        control = f"http://127.0.0.1:{emulator_port}/_control"
        # Until Rasa has loaded its model the bot answers "busy" (tests/e2e/test_bot.py); a
        # newcomer's first message comes once everything is up.
        process = Process("scripts/run.sh", run, log)
        wait_http(process, f"{control}/health", 240)
        wait_http(process, f"http://127.0.0.1:{action_port}/health", 120)
        wait_http(process, f"http://127.0.0.1:{rasa_port}/", 300)  # answers once the model loaded
        with EmulatorClient(control, timeout=60) as telegram:
            telegram.send_text(USER, "halo", first_name="Rina")
            replies = telegram.wait_for(USER, count=1, timeout=30)
            assert replies[0]["text"], replies
            assert "Maaf, layanan asisten sedang sibuk" not in replies[0]["text"], (
                f"Rasa or the action server did not answer:\n{log.read_text()[-4000:]}"
            )
            assert telegram.requests("setMyCommands"), "the bot never registered its commands"
    finally:
        run.send_signal(signal.SIGTERM)
        try:
            code = run.wait(timeout=60)
        finally:
            deadline = time.monotonic() + 30
            while _group_alive(run.pid) and time.monotonic() < deadline:
                time.sleep(0.5)
            alive = _group_alive(run.pid)
            if alive:
                os.killpg(run.pid, signal.SIGKILL)
    assert not alive, f"processes survived SIGTERM:\n{log.read_text()[-4000:]}"
    text = log.read_text()
    for process in ("emulator", "rasa", "actions", "bot"):
        assert f"{process}." in text or f"{process} " in text, f"{process} never started:\n{text}"
    assert code is not None
