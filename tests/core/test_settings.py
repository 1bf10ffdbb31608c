"""`.env.example` documents exactly the settings that exist, with their real defaults."""

from pathlib import Path

from asnkarier.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


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
