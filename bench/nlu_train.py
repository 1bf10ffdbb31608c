"""Rasa training time on this machine: `python -m bench.nlu_train`.

Trains the real model from nlu/ (config, domain, data) into a temporary folder with the Rasa
venv, timing the wall clock; the project's own model in nlu/models is left alone.
"""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from bench.machine import describe

ROOT = Path(__file__).resolve().parent.parent
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"


def main() -> None:
    print(describe())
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        done = subprocess.run(
            [
                str(RASA),
                "train",
                "--domain",
                "domain",
                "--out",
                out,
                "--fixed-model-name",
                "bench",
                "--quiet",
            ],
            cwd=ROOT / "nlu",
            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"rasa train failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        size = (Path(out) / "bench.tar.gz").stat().st_size / 1024 / 1024
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"rasa train: {elapsed:.0f} s wall, peak RSS {peak:.0f} MiB, model {size:.1f} MiB")


if __name__ == "__main__":
    main()
