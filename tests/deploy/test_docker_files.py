"""What can be checked of docker/ without a Docker engine: the compose file against the Compose
specification and against the app's processes and settings, the Dockerfiles with hadolint."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from asnkarier.settings import Settings
from tests.conftest import ROOT

DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "compose.yaml"
BIN = Path(sys.executable).parent
DOCKERFILES = [DOCKER / "Dockerfile.app", DOCKER / "Dockerfile.rasa"]
REQUIRED = {
    "postgres",
    "redis",
    "migrate",
    "rasa",
    "actions",
    "bot",
    "web",
    "scheduler",
    "dispatcher",
}
APP_SERVICES = {"migrate", "actions", "bot", "web", "scheduler", "dispatcher"}
REPLICABLE = {"rasa", "actions", "bot", "web", "dispatcher"}
ONE_SHOT = "migrate"
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())  # resolves the <<: merges
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def runnable(module: str) -> bool:
    """True if `python -m module` would find something to run."""
    spec = importlib.util.find_spec(module)
    if spec is None:
        return False
    if spec.submodule_search_locations is not None:  # a package runs its __main__
        return importlib.util.find_spec(f"{module}.__main__") is not None
    return True


def variables(path: Path) -> set[str]:
    """The ${VARIABLES} a YAML file substitutes, comments left out."""
    lines = (line.split("#", 1)[0] for line in path.read_text().splitlines())
    return set(VARIABLE.findall("\n".join(lines)))


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "use the mapping form of environment"
    return {key: str(value) for key, value in env.items()}


def test_compose_file_follows_the_compose_specification() -> None:
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_an_invalid_compose_file(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yaml"
    broken.write_text(
        "services:\n  bot:\n    image: x\n    restart: sometimes\n    replicas: two\n"
    )
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout


def test_every_process_is_a_service(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) >= REQUIRED


def test_every_service_has_a_healthcheck_and_a_restart_policy(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        if name == ONE_SHOT:
            assert check.get("disable") is True  # judged by its exit status instead
            assert service["restart"] == "no"
            continue
        assert check["test"][0] in {"CMD", "CMD-SHELL"}, name
        assert check.get("disable") is not True, name
        assert service["restart"] in {"always", "unless-stopped"}, name


def test_app_services_run_real_entry_points(services: dict[str, dict[str, Any]]) -> None:
    for name in APP_SERVICES:
        command = services[name]["command"]
        if command[:2] == ["python", "-m"]:
            assert runnable(command[2]), f"{name}: {command}"
        assert services[name]["build"]["dockerfile"] == "docker/Dockerfile.app", name
        if name != ONE_SHOT:
            assert services[name]["healthcheck"]["test"][1:3] == ["asnbot", "health"], name


def test_configuration_comes_from_the_env_file(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    for name in APP_SERVICES:
        assert services[name]["env_file"] == [".env"], name
        assert environment(services[name])["DATABASE_URL"].startswith("postgresql+psycopg://")
    # Every variable compose substitutes is documented for the operator.
    documented = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", (DOCKER / "env.example").read_text(), re.M))
    used = variables(COMPOSE)
    assert used <= documented, f"not in docker/env.example: {sorted(used - documented)}"


def test_app_environment_names_real_settings(services: dict[str, dict[str, Any]]) -> None:
    settings = {name.upper() for name in Settings.model_fields}
    for name in APP_SERVICES:
        unknown = set(environment(services[name])) - settings
        assert not unknown, f"{name} sets unknown settings {unknown}"
    assert environment(services["bot"])["BOT_MODE"] == "webhook"


def test_rasa_gets_every_endpoints_variable(services: dict[str, dict[str, Any]]) -> None:
    needed = variables(DOCKER / "rasa-endpoints.yml")
    assert {"TRACKER_DB_HOST", "LOCK_STORE_REDIS_HOST"} <= needed
    assert needed <= set(environment(services["rasa"])), needed - set(environment(services["rasa"]))


def test_data_lives_in_named_volumes(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    declared = set(compose["volumes"])
    mounts = [v.split(":") for v in services["postgres"]["volumes"]]
    assert ["postgres-data", "/var/lib/postgresql/data"] in mounts
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert not source.startswith((".", "/")), f"bind mount {volume}: use a named volume"
            assert source in declared, volume


def test_everything_waits_for_the_migration(services: dict[str, dict[str, Any]]) -> None:
    assert services[ONE_SHOT]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name, service in services.items():
        if name in {"postgres", "redis", ONE_SHOT}:
            continue
        condition = service["depends_on"][ONE_SHOT]["condition"]
        assert condition == "service_completed_successfully", name


def test_replicable_services_have_replicas(services: dict[str, dict[str, Any]]) -> None:
    for name in REPLICABLE:
        assert "replicas" in services[name].get("deploy", {}), name


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_passes_hadolint(dockerfile: Path) -> None:
    result = subprocess.run(
        [str(BIN / "hadolint"), "--no-color", "--format", "json", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    findings = json.loads(result.stdout or "[]")
    assert findings == [], findings
    assert result.returncode == 0, result.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install requests\nCMD python app.py\n")
    result = subprocess.run(
        [str(BIN / "hadolint"), "--no-color", "--format", "json", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    codes = {finding["code"] for finding in json.loads(result.stdout)}
    assert {"DL3007", "DL3013"} <= codes, codes


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_runs_unprivileged_copies_what_exists_and_checks_health(
    dockerfile: Path,
) -> None:
    lines = dockerfile.read_text().replace("\\\n", " ").splitlines()
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users, "no USER"
    assert users[-1].split(":")[0] not in {"0", "root"}
    assert any(line.startswith("HEALTHCHECK ") for line in lines)
    ignored = [
        p.strip().rstrip("/")
        for p in (ROOT / ".dockerignore").read_text().splitlines()
        if p.strip() and not p.startswith("#")
    ]
    for line in lines:
        words = line.split()
        if not words or words[0] != "COPY" or any(w.startswith("--from") for w in words):
            continue
        for source in words[1:-1]:
            assert (ROOT / source).exists(), f"{dockerfile.name}: COPY {source} does not exist"
            assert not any(
                source.rstrip("/") == p or source.startswith(p + "/") for p in ignored
            ), f"{dockerfile.name}: COPY {source} is excluded by .dockerignore"
