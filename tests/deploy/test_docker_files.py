"""What can be checked of docker/ without a Docker engine: the compose file against the Compose
specification and against the app's processes and settings, the Dockerfiles with hadolint."""

from __future__ import annotations

import importlib.util
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

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
APP_SERVICES = {"migrate", "cli", "actions", "bot", "web", "scheduler", "dispatcher"}
REPLICABLE = {"rasa", "actions", "bot", "web", "dispatcher"}
ONE_SHOT = "migrate"
# Run on demand (`docker compose run --rm cli asnbot ...`), judged by exit status like migrate.
ON_DEMAND = {ONE_SHOT, "cli"}
# The code each app service runs, for "does this process read that setting".
CODE = {
    "migrate": ["asnkarier/cli"],
    "cli": ["asnkarier/cli"],
    "actions": ["actions"],
    "bot": ["bot", "asnkarier/shared_state.py"],
    "web": ["web"],
    "scheduler": ["scheduler/__main__.py", "scheduler/app.py", "scheduler/service.py",
                  "scheduler/jobs.py"],
    "dispatcher": ["scheduler/dispatcher.py", "asnkarier/shared_state.py"],
}  # fmt: skip
# Which containers may see each secret (compose variables), and no other.
SECRETS = {
    "POSTGRES_PASSWORD": {"postgres"},
    "ASNBOT_OWNER_PASSWORD": {"postgres", "migrate"},
    "ASNBOT_APP_PASSWORD": {"postgres", "cli", "actions", "bot", "web", "scheduler", "dispatcher"},
    "RASA_DB_PASSWORD": {"postgres", "rasa"},
    "REDIS_PASSWORD": {"redis", "rasa", "bot", "dispatcher"},
    "TELEGRAM_BOT_TOKEN": {"bot", "dispatcher"},
    "WEBHOOK_SECRET": {"bot"},
    "ACTION_SERVER_TOKEN": {"rasa", "actions"},
}
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
        if name in ON_DEMAND:
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
        if name not in ON_DEMAND:
            assert services[name]["healthcheck"]["test"][1:3] == ["asnbot", "health"], name


def test_no_container_gets_the_whole_env_file(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    for name, service in services.items():
        assert "env_file" not in service, f"{name} would get every secret of docker/.env"
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


def _secrets_seen(service: dict[str, Any]) -> set[str]:
    return set(VARIABLE.findall(json.dumps(service))) & set(SECRETS)


def test_each_secret_reaches_only_the_containers_that_use_it(
    services: dict[str, dict[str, Any]],
) -> None:
    seen: dict[str, set[str]] = {secret: set() for secret in SECRETS}
    for name, service in services.items():
        for secret in _secrets_seen(service):
            seen[secret].add(name)
    for secret, allowed in SECRETS.items():
        assert seen[secret] <= allowed, f"{secret} given to {sorted(seen[secret] - allowed)}"
    # The superuser's password: the postgres container alone.
    assert seen["POSTGRES_PASSWORD"] == {"postgres"}
    assert seen["ASNBOT_OWNER_PASSWORD"] == {"postgres", "migrate"}


def test_each_app_process_connects_with_its_own_least_role(
    services: dict[str, dict[str, Any]],
) -> None:
    users = {
        name: make_url(environment(services[name])["DATABASE_URL"]).username
        for name in APP_SERVICES
    }
    assert users.pop(ONE_SHOT) == "asnbot_owner"  # migrations need DDL
    assert set(users.values()) == {"asnbot_app"}  # rows only
    rasa = environment(services["rasa"])
    assert (rasa["TRACKER_DB_USER"], rasa["TRACKER_DB_LOGIN_DB"]) == (
        "rasa",
        "${RASA_TRACKER_DB:-rasa}",
    )
    postgres = environment(services["postgres"])
    for role in ("asnbot_owner", "asnbot_app", "rasa"):
        assert role != postgres["POSTGRES_USER"]
    init = {c["target"]: c["source"] for c in services["postgres"]["configs"]}
    assert init["/docker-entrypoint-initdb.d/10-roles.sh"] == "postgres-init"


def _reads(paths: list[str]) -> set[str]:
    """Settings the code at `paths` reads: `.field` accesses, and what Settings' own helpers
    that it calls read (`.telegram_endpoint()` reads the token and the base URL)."""
    source = "\n".join(
        p.read_text()
        for path in paths
        for p in ([ROOT / path] if path.endswith(".py") else sorted((ROOT / path).rglob("*.py")))
    )
    read = {f for f in Settings.model_fields if re.search(rf"\.{f}\b", source)}
    helpers = inspect.getmembers(
        Settings, lambda m: inspect.isfunction(m) or isinstance(m, property)
    )
    for name, member in helpers:
        if re.search(rf"\.{name}\b", source):
            body = inspect.getsource(member.fget if isinstance(member, property) else member)
            read |= {f for f in Settings.model_fields if re.search(rf"self\.{f}\b", body)}
    return read


def test_each_app_service_gets_only_settings_its_process_reads(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in APP_SERVICES:
        given = {key.lower() for key in environment(services[name])}
        unread = given - _reads(CODE[name])
        assert not unread, f"{name} is given settings its process never reads: {sorted(unread)}"
    # and what each needs to work at all is there
    needs = {
        "bot": {"telegram_bot_token", "webhook_url", "webhook_secret", "rasa_url"},
        "dispatcher": {"telegram_bot_token"},
        "cli": {"telegram_bot_username"},
    }
    for name, settings in needs.items():
        assert settings <= {key.lower() for key in environment(services[name])}, name


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
