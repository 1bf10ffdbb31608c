"""Rasa and the action server sit on an internal network of their own in docker/compose.yaml:
the reverse proxy (which joins the default network `asnbot`) can reach neither, and Rasa calls
the action server with the shared token."""

from __future__ import annotations

from typing import Any

import yaml

from tests.conftest import ROOT

DOCKER = ROOT / "docker"


def test_rasa_and_actions_only_on_the_internal_network() -> None:
    compose: dict[str, Any] = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    services, networks = compose["services"], compose["networks"]
    assert networks["internal"]["internal"] is True
    assert networks["default"]["name"] == "asnbot"  # the one a proxy container joins
    for name in ("rasa", "actions"):
        assert services[name]["networks"] == ["internal"], name
        assert "ports" not in services[name], name
    # Whoever talks to them is on both; nothing else gains the internal network.
    assert set(services["bot"]["networks"]) == {"default", "internal"}
    on_internal = {n for n, s in services.items() if "internal" in s.get("networks", [])}
    assert on_internal == {"rasa", "actions", "bot", "postgres", "redis"}


def test_rasa_sends_the_action_server_token() -> None:
    compose: dict[str, Any] = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    endpoints = yaml.safe_load((DOCKER / "rasa-endpoints.yml").read_text())
    assert endpoints["action_endpoint"]["token"] == "${ACTION_SERVER_TOKEN}"
    for name in ("rasa", "actions"):
        token = compose["services"][name]["environment"]["ACTION_SERVER_TOKEN"]
        assert token.startswith("${ACTION_SERVER_TOKEN:?"), name
