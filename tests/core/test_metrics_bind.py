"""/metrics listens on METRICS_HOST (default 127.0.0.1, this host only), not on every address."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from asnkarier import metrics
from asnkarier.settings import Settings
from tests.e2e.stack import free_port

PROC_TCP = Path("/proc/net/tcp")


def _listening(port: int) -> list[str]:
    """Local addresses (hex, as the kernel shows them) listening on `port`."""
    found = []
    for line in PROC_TCP.read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, _, hex_port = local.partition(":")
        if int(hex_port, 16) == port and state == "0A":  # 0A: LISTEN
            found.append(address)
    return found


@pytest.mark.skipif(not PROC_TCP.exists(), reason="needs Linux /proc/net/tcp")
def test_metrics_bind_to_the_configured_host_only() -> None:
    settings = Settings(_env_file=None, metrics_port=free_port())  # type: ignore[call-arg]
    assert settings.metrics_host == "127.0.0.1"
    metrics.serve(settings.metrics_port, settings.metrics_host)
    assert _listening(settings.metrics_port) == ["0100007F"]  # 127.0.0.1, not 00000000
    response = httpx.get(f"http://127.0.0.1:{settings.metrics_port}/metrics", timeout=5)
    assert response.status_code == 200
    assert "asnbot_updates_handled_total" in response.text
