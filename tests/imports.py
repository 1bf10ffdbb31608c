"""What the code imports, read from its source (layering and dependency tests)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Import:
    path: str  # relative to the repository
    module: str  # absolute module name
    top_level: bool  # at module level, not inside a function (lazy)

    @property
    def package(self) -> str:
        return self.module.split(".")[0]


def imports(*folders: str) -> list[Import]:
    """Every absolute import in the Python files under `folders`."""
    found = []
    for folder in folders:
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
                relative = str(path.relative_to(ROOT))
                found += [Import(relative, m, id(node) in top_level) for m in modules]
    return found
