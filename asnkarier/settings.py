"""Typed settings for every process, read from the environment and an optional `.env` file."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from asnkarier import redact


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

    # Empty: the local Rasa server on RASA_PORT, so changing the port alone is enough.
    rasa_url: str = ""
    rasa_timeout_seconds: float = Field(default=4.5, gt=0)

    rasa_port: int = 5005
    emulator_port: int = 8081
    action_server_host: str = "127.0.0.1"
    action_server_port: int = 5055
    # Where the bot checks the action server's /health before taking updates. Empty: the local
    # action server on ACTION_SERVER_PORT.
    actions_url: str = ""
    # Shared secret Rasa sends on every action call (action_endpoint.token); required by the
    # action server. `make run` generates one per run when unset.
    action_server_token: SecretStr | None = None

    # Largest roster file `asnbot roster import` accepts (bytes; an XLSX may unpack to 20x this).
    roster_max_bytes: int = Field(default=20_000_000, ge=1)

    activation_code_ttl_days: int = Field(default=30, ge=1)
    # Code entries allowed within LINK_LOCK_MINUTES before a lock of that length: per Telegram
    # user, per code value, and over everyone (against guessing from many sender ids).
    link_max_attempts: int = Field(default=5, ge=1)
    link_code_max_attempts: int = Field(default=10, ge=1)
    link_global_max_attempts: int = Field(default=200, ge=1)
    link_lock_minutes: int = Field(default=30, ge=1)

    # State several replicas must share (flood guard, per-chat order, the dispatchers' global
    # send budget): redis://[:password@]host:6379/0. Empty: kept in memory (one process each).
    redis_url: SecretStr | None = None
    # Prefix of every key this deployment writes to Redis.
    redis_key_prefix: str = Field(default="asnbot", pattern=r"^[A-Za-z0-9_.-]+$")

    # Outbox dispatcher (scheduler/dispatcher.py): Telegram's limits are 30 msg/s per bot and
    # 1 msg/s per chat; with REDIS_URL all dispatchers share one OUTBOX_RATE_PER_SECOND budget.
    outbox_rate_per_second: float = Field(default=30.0, gt=0)
    outbox_chat_interval_seconds: float = Field(default=1.0, ge=0)
    outbox_max_attempts: int = Field(default=5, ge=1)
    outbox_retry_base_seconds: float = Field(default=2.0, gt=0)
    outbox_retry_max_seconds: float = Field(default=300.0, gt=0)
    outbox_lease_seconds: float = Field(default=60.0, gt=0)
    outbox_send_timeout_seconds: float = Field(default=10.0, gt=0)
    # Port of the Prometheus /metrics endpoint of this process (0: none), and its address.
    metrics_port: int = Field(default=0, ge=0)
    metrics_host: str = "127.0.0.1"

    # Reminders and the scheduler process (scheduler/).
    reminder_local_hour: int = Field(default=8, ge=0, le=23)
    # Days before an appraisal deadline a reminder goes out, comma-separated.
    reminder_appraisal_days: str = Field(default="7,3,1", pattern=r"^ *\d+ *(, *\d+ *)*$")
    reminder_scan_minutes: int = Field(default=5, ge=1)
    scheduler_lease_seconds: int = Field(default=30, ge=3)
    broadcast_scan_seconds: int = Field(default=15, ge=1)
    # Attendees of a workshop that ended up to this many days ago are asked for feedback (a
    # workshop marked attended later still gets asked; older ones are left alone).
    feedback_window_days: int = Field(default=7, ge=1)
    broadcast_misfire_grace_minutes: int = Field(default=720, ge=0)

    # Web console (Konsol BKPSDM, web/): where it listens, the address officers open (sign-in
    # links point there; https makes the session cookie Secure; empty: http://WEB_HOST:WEB_PORT),
    # the key that signs session cookies (required to start it; `make run` makes one per run),
    # and how long a session lives idle and at most.
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8000, ge=0)
    web_base_url: str = ""
    web_secret_key: SecretStr | None = None
    web_session_idle_minutes: int = Field(default=30, ge=1)
    web_session_absolute_minutes: int = Field(default=480, ge=1)
    # One-time sign-in links: valid this many minutes, at most this many per officer per hour.
    web_login_link_minutes: int = Field(default=10, ge=1)
    web_login_links_per_hour: int = Field(default=5, ge=1)
    # A broadcast to more recipients than this needs a second hr_admin's approval (four eyes).
    broadcast_approval_threshold: int = Field(default=500, ge=0)
    # Workshop check-in: the key of the 30-second QR tokens and 6-digit codes. The console (which
    # shows them) and the action server (which checks them) need the same value; unset, check-in
    # is off (`make run` makes one per run).
    checkin_secret: SecretStr | None = None

    @property
    def redis(self) -> str:
        """REDIS_URL in clear ("" when shared state stays in memory)."""
        return self.redis_url.get_secret_value() if self.redis_url else ""

    @property
    def web_secret(self) -> str:
        """WEB_SECRET_KEY in clear ("" when unset: the console refuses to start)."""
        return self.web_secret_key.get_secret_value() if self.web_secret_key else ""

    @property
    def checkin_key(self) -> bytes:
        """CHECKIN_SECRET as the HMAC key of check-in tokens (b"" when unset: check-in is off)."""
        return self.checkin_secret.get_secret_value().encode() if self.checkin_secret else b""

    @property
    def appraisal_reminder_days(self) -> tuple[int, ...]:
        """REMINDER_APPRAISAL_DAYS as numbers, largest first, without repeats."""
        return tuple(
            sorted({int(d) for d in self.reminder_appraisal_days.split(",")}, reverse=True)
        )

    def telegram_endpoint(self) -> tuple[str, str | None]:
        """Token and base_url (None: Telegram itself); stop clearly when no token is set.

        There is no silent fallback to the emulator: `make run` passes the emulator's URL and
        token explicitly when it starts one.
        """
        token = self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else ""
        if not token:
            raise SystemExit(
                "TELEGRAM_BOT_TOKEN is not set. Set it to the token @BotFather gave your bot "
                "(and TELEGRAM_BASE_URL for a local Bot API server), or try the assistant "
                "with `make run`, which starts the local emulator and passes its URL and token."
            )
        return token, self.telegram_base_url or None

    @model_validator(mode="after")
    def _derive_local_urls(self) -> Settings:
        if not self.rasa_url:
            self.rasa_url = f"http://127.0.0.1:{self.rasa_port}"
        if not self.actions_url:
            self.actions_url = f"http://127.0.0.1:{self.action_server_port}"
        if not self.web_base_url:
            self.web_base_url = f"http://{self.web_host}:{self.web_port}"
        self.web_base_url = self.web_base_url.rstrip("/")
        return self


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return Settings()


def configure_logging(level: str, *quiet: str) -> None:
    """The one logging setup of every entry point; httpx, apscheduler and `quiet` at WARNING.

    Every record is scrubbed of tokens, codes, NIPs, phone numbers and birth dates at any level
    (asnkarier.redact), whichever library's handler writes it.
    """
    redact.install()
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "apscheduler", *quiet):
        logging.getLogger(noisy).setLevel(logging.WARNING)
