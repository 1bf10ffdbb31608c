"""End-to-end fixtures: the real Rasa server and action server on a fresh migrated database,
and the real bot process polling a Bot API emulator (one of each for the whole session)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from asnkarier import db
from asnkarier.services.seed import migrate_and_seed
from telegram_emulator.client import EmulatorClient
from telegram_emulator.runner import EmulatorServer
from tests.conftest import DATA
from tests.e2e.bot_process import bot_env, running_bot, start_dispatcher
from tests.e2e.stack import Stack, free_port, running_stack

_senders = itertools.count(910_001)
# The HR officers' group the bot forwards handed-off questions to.
HR_GROUP = -1_001_555_000


@pytest.fixture(scope="session")
def e2e_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, sessionmaker[Session]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.db'}"
    migrate_and_seed(url, DATA)
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    yield url, sessions
    engine.dispose()


@pytest.fixture(scope="session")
def stack(
    e2e_db: tuple[str, sessionmaker[Session]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    logs: Path = tmp_path_factory.mktemp("e2e-logs")
    with running_stack(e2e_db[0], logs) as running:
        yield running


@pytest.fixture
def sessions(e2e_db: tuple[str, sessionmaker[Session]]) -> sessionmaker[Session]:
    return e2e_db[1]


@pytest.fixture
def sender() -> int:
    """A Telegram user id no other test uses (each conversation starts fresh)."""
    return next(_senders)


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(rate_limit=False) as server:
        server.client().create_group(HR_GROUP, "Petugas BKPSDM", chat_type="supergroup")
        yield server


@pytest.fixture(scope="session")
def bot_environment(emulator: EmulatorServer, stack: Stack) -> dict[str, str]:
    return bot_env(
        emulator,
        stack.rasa_url,
        stack.database_url,
        stack.action_url,
        HR_GROUP_CHAT_ID=str(HR_GROUP),
        METRICS_PORT=str(free_port()),
    )


@pytest.fixture(scope="session")
def bot(
    emulator: EmulatorServer,
    bot_environment: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[EmulatorClient]:
    """The real bot process; the emulator's control client plays the users."""
    logs = tmp_path_factory.mktemp("bot")
    with running_bot(emulator, bot_environment, logs) as client:
        yield client
    print((logs / "bot.log").read_text(errors="replace")[-3000:])


@pytest.fixture(scope="module")
def dispatcher(
    bot: EmulatorClient, bot_environment: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """The outbox dispatcher (`python -m scheduler.dispatcher`), for tests of queued messages.

    Module-scoped: it sends every pending row of the shared database, so it runs only while
    the tests that expect deliveries (to chats the emulator knows) do.
    """
    env = {**bot_environment, "METRICS_PORT": "0"}  # the bot's port is taken by the bot
    process = start_dispatcher(env, tmp_path_factory.mktemp("dispatcher"))
    try:
        yield
    finally:
        process.stop()
        print(process.tail(20))
