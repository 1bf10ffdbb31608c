"""Layering: the core and the scheduler never import the Telegram front end, and production
code reaches the emulator (a development tool) only from `asnbot chat`, lazily."""

from __future__ import annotations

from tests.imports import imports


def test_core_and_scheduler_do_not_import_the_bot() -> None:
    for folder in ("asnkarier", "scheduler", "actions"):
        wrong = [(i.path, i.module) for i in imports(folder) if i.package == "bot"]
        assert not wrong, f"{folder}/ imports bot/: {wrong}"


def test_production_reaches_the_emulator_only_lazily_from_the_chat_command() -> None:
    production = imports("asnkarier", "bot", "scheduler", "actions")
    uses = [i for i in production if i.package == "telegram_emulator"]
    assert all(i.path == "asnkarier/cli/chat.py" and not i.top_level for i in uses), uses
