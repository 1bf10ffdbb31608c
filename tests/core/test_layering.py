"""Layering: the core and the scheduler never import the Telegram front end, and production
code reaches the emulator (a development tool) only from `asnbot chat`, lazily."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT


def _imports(folder: str) -> list[tuple[Path, str, bool]]:
    """(file, imported module, at module level?) for every absolute import under `folder`."""
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            found += [(path.relative_to(ROOT), m, id(node) in top_level) for m in modules]
    return found


def _package(module: str) -> str:
    return module.split(".")[0]


def test_core_and_scheduler_do_not_import_the_bot() -> None:
    for folder in ("asnkarier", "scheduler", "actions"):
        wrong = [(str(p), m) for p, m, _ in _imports(folder) if _package(m) == "bot"]
        assert not wrong, f"{folder}/ imports bot/: {wrong}"


def test_production_reaches_the_emulator_only_lazily_from_the_chat_command() -> None:
    for folder in ("asnkarier", "bot", "scheduler", "actions"):
        uses = [(p, top) for p, m, top in _imports(folder) if _package(m) == "telegram_emulator"]
        assert all(str(p) == "asnkarier/cli/chat.py" and not top for p, top in uses), uses
