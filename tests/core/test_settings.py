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
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    for name in Settings.model_fields:
        value = getattr(defaults, name)
        shown = "" if value is None else str(value)
        assert example[name.upper()] == shown, name


def test_environment_overrides(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("LINK_MAX_ATTEMPTS", "3")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.link_max_attempts == 3
