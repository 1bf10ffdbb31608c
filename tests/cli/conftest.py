"""Fixtures of the CLI tests."""

import pytest

from tests.cli.test_cli import run


@pytest.fixture
def ready_url(fresh_db_url: str) -> str:
    assert run(fresh_db_url, "db", "upgrade").returncode == 0
    seeded = run(fresh_db_url, "seed")
    assert seeded.returncode == 0, seeded.stderr
    return fresh_db_url
