"""Roster import speed and memory: `python -m bench.roster_import [--rows N | --mb M] [...]`.

Generates N fictional employees (or about M megabytes of them) with
data/samples/generate_roster.py, writes them as CSV, and times `asnbot roster import` on a fresh
database (first import, then a re-import that changes nothing), on SQLite and on PostgreSQL
(TEST_POSTGRES_URL, default the local server). `--code DIR` runs the asnbot of another checkout
(e.g. `git archive` of an older commit) for before/after figures.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import describe
from tests.databases import DatabaseFactory

ROOT = Path(__file__).resolve().parent.parent


def _rows_for(megabytes: float) -> int:
    """About how many generated rows make a CSV of `megabytes` (from a sample's row size)."""
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "sample.csv"
        _generate(2000, sample)
        return int(megabytes * 1_000_000 / (sample.stat().st_size / 2000))


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


def _asnbot(url: str, *args: str, code: Path | None = None) -> tuple[float, int, str]:
    """Run asnbot; return wall seconds, peak RSS of that child in MiB, and its stdout."""
    # The file of a benchmark may be larger than the default ROSTER_MAX_BYTES.
    env = {**os.environ, "DATABASE_URL": url, "ROSTER_MAX_BYTES": str(10**12)}
    command = [str(Path(sys.executable).parent / "asnbot"), *args]
    if code is not None:
        other = (
            f"import sys; sys.path.insert(0, {str(code)!r}); from asnkarier.cli import main; main()"
        )
        command = [sys.executable, "-c", other, *args]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=out, stderr=err, cwd=code or ROOT)
        # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN would be the largest so far).
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"asnbot {' '.join(args)} failed:\n{err.read()}")
        return elapsed, usage.ru_maxrss // 1024, out.read().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--mb", type=float, default=None, help="size of the file instead of --rows")
    parser.add_argument("--code", type=Path, default=None, help="checkout whose asnbot to run")
    parser.add_argument("--no-reimport", action="store_true", help="first import only")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    print(describe())
    if args.mb is not None:
        args.rows = _rows_for(args.mb)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        roster = tmp / "roster.csv"
        _generate(args.rows, roster)
        size = roster.stat().st_size / 1_000_000
        for backend in backends:
            databases = DatabaseFactory(backend, tmp, prefix="asnbot_bench")
            url = databases.new_url()
            again = export = float("nan")
            rss2 = 0
            try:
                _asnbot(url, "db", "upgrade")
                _asnbot(url, "seed")
                first, rss1, _ = _asnbot(url, "roster", "import", str(roster), code=args.code)
                if not args.no_reimport:
                    again, rss2, _ = _asnbot(url, "roster", "import", str(roster), code=args.code)
                    export, _, _ = _asnbot(url, "roster", "export", code=args.code)
            finally:
                databases.close()
            print(
                f"roster import {backend}: {args.rows} rows ({size:.1f} MB), first {first:.1f} s "
                f"({args.rows / first:.0f} rows/s), re-import {again:.1f} s, "
                f"export {export:.1f} s, peak RSS {max(rss1, rss2)} MiB"
            )


if __name__ == "__main__":
    main()
