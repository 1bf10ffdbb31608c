"""pyproject.toml declares what the code imports, each in the right place, pinned by the lock.

Production (asnkarier, bot, actions, scheduler) may import only `dependencies`, which is what the
image installs; the emulator adds its `emulator` extra; tests and benchmarks add `dev`. And a
runtime dependency nothing in production imports is one too many (the image carries it).
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
import tomllib

from tests.conftest import ROOT
from tests.imports import imports

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
PRODUCTION = ("asnkarier", "bot", "actions", "scheduler", "web")
FIRST_PARTY = {*PRODUCTION, "telegram_emulator", "tests", "bench", "data"}
# Runtime dependencies production needs without importing them, and why.
NOT_IMPORTED = {
    "psycopg": "SQLAlchemy's PostgreSQL driver, loaded from DATABASE_URL (postgresql+psycopg)",
    "jinja2": "the template engine behind fastapi.templating (web/templating.py)",
    "python-multipart": "Starlette's form parser, loaded when the console reads a form",
}


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _declared(*groups: str) -> set[str]:
    names = {_name(r) for r in PROJECT["dependencies"]}
    for group in groups:
        names |= {_name(r) for r in PROJECT["optional-dependencies"][group]}
    return names


def _imported(*folders: str) -> dict[str, set[str]]:
    """Distribution name -> files importing it, for third-party imports under `folders`."""
    distributions = importlib.metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for item in imports(*folders):
        if item.package in sys.stdlib_module_names or item.package in FIRST_PARTY:
            continue
        assert item.package in distributions, f"{item.path}: {item.package} is not installed"
        for dist in distributions[item.package]:
            found.setdefault(_name(dist), set()).add(item.path)
    return found


def test_production_imports_only_runtime_dependencies() -> None:
    undeclared = {d: f for d, f in _imported(*PRODUCTION).items() if d not in _declared()}
    assert not undeclared, f"imported by production but not in dependencies: {undeclared}"


def test_every_runtime_dependency_is_used_by_production() -> None:
    imported = set(_imported(*PRODUCTION))
    unused = _declared() - imported - set(NOT_IMPORTED)
    assert not unused, f"runtime dependencies production never imports (move to an extra): {unused}"
    stale = set(NOT_IMPORTED) & imported
    assert not stale, f"imported now, drop from NOT_IMPORTED: {stale}"


def test_the_emulator_tests_and_benchmarks_declare_their_extras() -> None:
    for folders, groups in (
        (("telegram_emulator",), ("emulator",)),
        (("tests", "bench"), ("emulator", "run", "dev")),
    ):
        declared = _declared(*groups)
        undeclared = {d: f for d, f in _imported(*folders).items() if d not in declared}
        assert not undeclared, f"{folders} import undeclared packages: {undeclared}"


def test_the_lock_pins_every_declared_package() -> None:
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pins = {}
    for line in lock.splitlines():
        if line and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep, f"requirements.lock holds pins only: {line!r}"
            pins[_name(name)] = version
    groups = list(PROJECT["optional-dependencies"])
    every = [
        *PROJECT["dependencies"],
        *(r for g in groups for r in PROJECT["optional-dependencies"][g]),
    ]
    for requirement in every:
        name = _name(requirement)
        if name == "asn-karier":
            continue  # an extra naming other extras
        pinned = re.search(r"==([^\s;]+)", requirement)
        assert name in pins, f"{name} is not in requirements.lock"
        assert pinned, f"{requirement} is not pinned"
        assert pinned.group(1) == pins[name], f"{requirement} vs lock {pins[name]}"
