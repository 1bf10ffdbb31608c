"""`.env.example` documents exactly the settings that exist, with their real defaults."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from asnkarier.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / ".env.example"


def _example() -> dict[str, str]:
    pairs = {}
    for line in EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def test_env_example_lists_every_setting_with_its_default() -> None:
    example = _example()
    assert set(example) == {name.upper() for name in Settings.model_fields}
    Settings(_env_file=None)  # type: ignore[call-arg]  # the defaults are valid together
    for name, field in Settings.model_fields.items():
        # The declared default, before derived values (rasa_url from rasa_port) are filled in.
        value = field.get_default(call_default_factory=True)
        shown = "" if value is None else str(value)
        assert example[name.upper()] == shown, name


def test_environment_overrides(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("LINK_MAX_ATTEMPTS", "3")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.link_max_attempts == 3


def test_local_rasa_url_follows_the_port(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RASA_PORT", "5999")
    monkeypatch.delenv("RASA_URL", raising=False)
    assert Settings(_env_file=None).rasa_url == "http://127.0.0.1:5999"  # type: ignore[call-arg]
    monkeypatch.setenv("RASA_URL", "http://rasa:5005")
    assert Settings(_env_file=None).rasa_url == "http://rasa:5005"  # type: ignore[call-arg]


def test_no_token_stops_with_a_clear_message_instead_of_using_the_emulator(
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("TELEGRAM_BASE_URL", "http://127.0.0.1:8081/bot")
    with pytest.raises(SystemExit, match="TELEGRAM_BOT_TOKEN is not set"):
        Settings(_env_file=None).telegram_endpoint()  # type: ignore[call-arg]
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    assert Settings(_env_file=None).telegram_endpoint() == (  # type: ignore[call-arg]
        "123:abc",
        "http://127.0.0.1:8081/bot",
    )
    monkeypatch.delenv("TELEGRAM_BASE_URL")
    assert Settings(_env_file=None).telegram_endpoint() == ("123:abc", None)  # type: ignore[call-arg]


def test_bot_process_without_token_exits_at_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "TELEGRAM_BOT_TOKEN is not set" in done.stderr
