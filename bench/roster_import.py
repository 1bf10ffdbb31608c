"""Roster import speed and memory: `python -m bench.roster_import [--rows N] [--backend ...]`.

Generates N fictional employees with data/samples/generate_roster.py, writes them as CSV, and
times `asnbot roster import` on a fresh database (first import, then a re-import that changes
nothing), on SQLite and on PostgreSQL (TEST_POSTGRES_URL, default the local server).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import describe
from tests.databases import DatabaseFactory

ROOT = Path(__file__).resolve().parent.parent


def _generate(rows: int, path: Path) -> None:
    spec = importlib.util.spec_from_file_location("gen", ROOT / "data/samples/generate_roster.py")
    if spec is None or spec.loader is None:
        raise SystemExit("data/samples/generate_roster.py not found")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    data = module.generate_roster(rows, seed=11)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(data[0]))
        writer.writeheader()
        writer.writerows(data)


def _asnbot(url: str, *args: str) -> tuple[float, int, str]:
    """Run asnbot; return wall seconds, peak RSS of that child in MiB, and its stdout."""
    env = {**os.environ, "DATABASE_URL": url}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "asnbot"), *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"asnbot {' '.join(args)} failed:\n{done.stderr}")
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) // 1024
    return elapsed, peak, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    print(describe())
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        roster = tmp / "roster.csv"
        _generate(args.rows, roster)
        for backend in backends:
            databases = DatabaseFactory(backend, tmp, prefix="asnbot_bench")
            url = databases.new_url()
            try:
                _asnbot(url, "db", "upgrade")
                _asnbot(url, "seed")
                first, rss1, _ = _asnbot(url, "roster", "import", str(roster))
                again, rss2, _ = _asnbot(url, "roster", "import", str(roster))
                export, _, _ = _asnbot(url, "roster", "export")
            finally:
                databases.close()
            print(
                f"roster import {backend}: {args.rows} rows, first {first:.1f} s "
                f"({args.rows / first:.0f} rows/s), re-import {again:.1f} s, "
                f"export {export:.1f} s, peak RSS {max(rss1, rss2)} MiB"
            )


if __name__ == "__main__":
    main()
