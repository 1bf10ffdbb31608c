"""Start the real processes (action server, Rasa server) on free loopback ports for tests."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
NLU = ROOT / "nlu"
MODEL = NLU / "models" / "asn.tar.gz"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
# The action server checks workshop check-in tokens with this key; tests make the console's
# (or the core's) tokens with the same one.
CHECKIN_SECRET = "e2e-checkin-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)


def start(name: str, args: list[str], env: Mapping[str, str], cwd: Path, logs: Path) -> Process:
    log = logs / f"{name}.log"
    handle = log.open("wb")
    popen = subprocess.Popen(
        args, cwd=cwd, env={**os.environ, **env}, stdout=handle, stderr=subprocess.STDOUT
    )
    return Process(name, popen, log)


def wait_http(process: Process, url: str, timeout: float) -> None:
    """Poll `url` until it answers 200, failing early (with the log) if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(
                f"{process.name} exited ({process.popen.returncode}):\n{process.tail()}"
            )
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{process.name} not ready after {timeout:.0f} s:\n{process.tail()}")


@dataclass
class Stack:
    rasa_url: str
    action_url: str
    database_url: str
    processes: list[Process]
    # Every Rasa server of the stack (rasa_url is the first); several share one tracker store.
    rasa_urls: list[str] = field(default_factory=list)
    # The shared secret Rasa sends the action server (ACTION_SERVER_TOKEN, `?token=`).
    action_token: str = ""

    def say(self, sender: int | str, message: str, **metadata: Any) -> list[dict[str, Any]]:
        """Send one message over Rasa's REST channel, as the bot does; return the replies."""
        return self.say_to(self.rasa_url, sender, message, **metadata)

    def say_to(
        self, rasa_url: str, sender: int | str, message: str, **metadata: Any
    ) -> list[dict[str, Any]]:
        """Like `say`, on the Rasa server at `rasa_url` (one of `rasa_urls`)."""
        body = {
            "sender": str(sender),
            "message": message,
            "metadata": {"chat_id": sender, **metadata},
        }
        response = httpx.post(f"{rasa_url}/webhooks/rest/webhook", json=body, timeout=30)
        response.raise_for_status()
        return list(response.json())


@contextmanager
def running_stack(
    database_url: str,
    logs: Path,
    *,
    rasa_servers: int = 1,
    endpoints: Path | None = None,
    rasa_env: Mapping[str, str] | None = None,
    log_level: str = "INFO",
    rasa_ready_seconds: float | None = None,
) -> Iterator[Stack]:
    """Action server and Rasa server(s), the latter pointed at the former, all on free ports.

    By default Rasa keeps conversations in memory. `endpoints` replaces the generated endpoints
    file (e.g. docker/rasa-endpoints.yml, whose ${VARS} Rasa fills from `rasa_env` and from
    ACTION_ENDPOINT_URL), which is how several `rasa_servers` share one conversation store.
    """
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make train` (make test does it first)")
    action_port = free_port()
    rasa_ports = [free_port() for _ in range(rasa_servers)]
    token = secrets.token_urlsafe(16)
    env = {
        "DATABASE_URL": database_url,
        "ACTION_SERVER_PORT": str(action_port),
        "ACTION_SERVER_TOKEN": token,
        "CHECKIN_SECRET": CHECKIN_SECRET,
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
        "RASA_TELEMETRY_ENABLED": "false",
        "LOG_LEVEL": log_level,
    }
    if endpoints is None:
        endpoints = logs / "endpoints.yml"
        endpoints.write_text(
            f'action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n  token: "{token}"\n'
        )
    processes: list[Process] = []
    try:
        actions = start("actions", [sys.executable, "-m", "actions.server"], env, ROOT, logs)
        processes.append(actions)
        rasas = []
        for index, rasa_port in enumerate(rasa_ports):
            name = "rasa" if rasa_servers == 1 else f"rasa{index + 1}"
            rasa = start(
                name,
                [
                    str(RASA), "run", "--model", str(MODEL), "--port", str(rasa_port),
                    "--interface", "127.0.0.1", "--endpoints", str(endpoints),
                    "--credentials", str(NLU / "credentials.yml"),
                    "--logging-config-file", str(NLU / "logging.yml"),
                ],
                # PYTHONPATH: logging.yml installs asnkarier/redact.py in Rasa's own venv.
                {**env, "PYTHONPATH": str(ROOT), **(rasa_env or {})},
                NLU,
                logs,
            )  # fmt: skip
            processes.append(rasa)
            rasas.append(rasa)
        wait_http(actions, f"http://127.0.0.1:{action_port}/health", 60)
        # Servers loading side by side on a shared machine take longer than one alone.
        for rasa, rasa_port in zip(rasas, rasa_ports, strict=True):
            # E2E_RASA_READY_SECONDS: more on a machine busy with other trainings (default 180).
            ready = rasa_ready_seconds or float(os.environ.get("E2E_RASA_READY_SECONDS", "180"))
            wait_http(rasa, f"http://127.0.0.1:{rasa_port}/", ready * rasa_servers)
        urls = [f"http://127.0.0.1:{port}" for port in rasa_ports]
        yield Stack(
            urls[0],
            f"http://127.0.0.1:{action_port}",
            database_url,
            processes,
            rasa_urls=urls,
            action_token=token,
        )
    finally:
        for process in reversed(processes):
            process.stop()
