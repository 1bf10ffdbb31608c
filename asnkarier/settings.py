"""Typed settings for every process, read from the environment and an optional `.env` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration; `.env.example` documents each field with its default."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite:///var/asnbot.db"
    content_dir: Path = Path("data")
    default_timezone: str = "Asia/Jakarta"
    log_level: str = "INFO"

    telegram_bot_token: SecretStr | None = None
    telegram_bot_username: str = ""
    # PTB base_url form ("http://127.0.0.1:8081/bot"); empty means Telegram itself.
    telegram_base_url: str = ""
    bot_mode: str = Field(default="polling", pattern="^(polling|webhook)$")
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: SecretStr | None = None
    # Group chat of the HR officers who answer handed-off questions (0: none configured).
    hr_group_chat_id: int = 0
    flood_limit_per_minute: int = Field(default=20, ge=1)

    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_seconds: float = Field(default=4.5, gt=0)

    rasa_port: int = 5005
    emulator_port: int = 8081
    action_server_host: str = "127.0.0.1"
    action_server_port: int = 5055

    activation_code_ttl_days: int = Field(default=30, ge=1)
    link_max_attempts: int = Field(default=5, ge=1)
    link_lock_minutes: int = Field(default=30, ge=1)


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return Settings()
