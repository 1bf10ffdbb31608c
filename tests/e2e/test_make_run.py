"""`make run`'s script as a newcomer uses it, without a terminal: the whole assistant comes up on
the embedded defaults (SQLite, local Telegram emulator), answers a user, and SIGTERM stops every
process it started.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx

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


def _copy_of_the_repository(target: Path) -> Path:
    """The tracked files only, as a fresh clone has them, with nothing beside it; the venvs and
    the trained model are linked in (a clone would build them; that is not under test here)."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, files.split("\0")):
        source = ROOT / name
        if source.is_symlink() or not source.is_file():
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    for linked in (".venv", ".venv-rasa", "nlu/models"):
        (target / linked).parent.mkdir(parents=True, exist_ok=True)
        (target / linked).symlink_to((ROOT / linked).resolve())
    return target


def _alive(pid: int) -> bool:
    """Running (a zombie left for its parent to reap counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_copy_piped_answers_a_message_sent_during_start_up_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    """`make run | tee log` in a copy of the repository with no ../shared beside it: a message
    sent while Rasa is still loading gets its real answer, one "[ready]" line is printed, and
    Ctrl-C (SIGINT to the foreground process group) stops honcho and every process."""
    copy = _copy_of_the_repository(tmp_path / "asisten")
    assert not (copy.parent / "shared").exists()
    emulator_port, rasa_port, action_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(copy),  # the copy's code, not the editable install's
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "TELEGRAM_BOT_TOKEN": "",
        "TELEGRAM_BASE_URL": "",
        "RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "RASA_PORT": str(rasa_port),
        "ACTION_SERVER_PORT": str(action_port),
        "EMULATOR_PORT": str(emulator_port),
        "METRICS_PORT": "0",
    }
    env.pop("TELEGRAM_BOT_API_SPEC", None)
    spec = subprocess.run(
        [
            str(copy / ".venv/bin/python"),
            "-c",
            "from telegram_emulator import spec; "
            "print(spec.DEFAULT_SPEC_PATH, spec.default_spec().version)",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert Path(spec[0]).is_relative_to(copy), spec  # the emulator's vendored spec: the copy's
    log = tmp_path / "tee.log"
    pipeline = subprocess.Popen(
        ["bash", "-c", f"make run 2>&1 | tee {log} > /dev/null"],
        cwd=copy,
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # the pipeline is one process group, as a terminal's job
    )
    children: list[int] = []
    try:
        control = f"http://127.0.0.1:{emulator_port}/_control"
        process = Process("make run | tee", pipeline, log)
        wait_http(process, f"{control}/health", 240)
        with EmulatorClient(control, timeout=60) as telegram:
            rasa_was_up = _answers(f"http://127.0.0.1:{rasa_port}/")
            telegram.send_text(USER + 1, "kapan tenggat SKP tahunan?", first_name="Rina")
            assert not rasa_was_up, "Rasa was up already: the start-up case was not tried"
            [reply] = telegram.wait_for(USER + 1, count=1, timeout=420)
            assert "sibuk" not in reply["text"], log.read_text()[-4000:]
            assert "SKP" in reply["text"] or "Januari" in reply["text"], reply["text"]
        text = log.read_text()
        assert text.count("[ready]") == 1, text[-4000:]
        assert "asnbot chat" in text.split("[ready]")[1].splitlines()[0]
        assert "../shared" not in text
        children = [int(pid) for pid in re.findall(r"started \(pid=(\d+)\)", text)]
        # emulator, rasa, actions, bot, scheduler, dispatcher, web (the console)
        assert len(children) == 7, text[-3000:]
    finally:
        os.killpg(pipeline.pid, signal.SIGINT)  # Ctrl-C in the terminal
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            pipeline.poll() is None  # reaps the pipeline's shell: a zombie is still "in" a group
            or _group_alive(pipeline.pid)
            or any(_alive(pid) for pid in children)
        ):
            time.sleep(0.5)
        survivors = [pid for pid in children if _alive(pid)]
        group_left = _group_alive(pipeline.pid)
        left = subprocess.run(
            ["ps", "-o", "pid,stat,cmd", "-g", str(pipeline.pid)], capture_output=True, text=True
        ).stdout
        for pid in survivors:
            os.kill(pid, signal.SIGKILL)
        if group_left:
            os.killpg(pipeline.pid, signal.SIGKILL)
        pipeline.wait(timeout=10)
    assert not group_left, f"honcho or the pipeline survived Ctrl-C:\n{left}"
    assert survivors == [], f"processes survived Ctrl-C: {survivors}"


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.HTTPError:
        return False
    return True
