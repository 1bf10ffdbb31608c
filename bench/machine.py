"""Describe the machine a benchmark ran on, so recorded figures can be compared."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def describe() -> str:
    """One line: CPU model, cores, memory, OS and Python version."""
    cpu = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        mem = f", {kib / 1024 / 1024:.0f} GiB RAM"
    return (
        f"machine: {cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )
