"""What this machine's CPU is, read from /proc/cpuinfo (torch-free): its name for reports and
hardware notes, its feature flags for precision decisions."""

from __future__ import annotations

import platform
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")


def _cpuinfo_lines() -> list[str]:
    try:
        return CPUINFO.read_text().splitlines()
    except OSError:  # not Linux
        return []


def cpu_model() -> str:
    """The CPU's name ("model name" on x86, "Hardware" / "Processor" on ARM), else what
    :mod:`platform` knows, else "unknown"."""
    for line in _cpuinfo_lines():
        if line.lower().startswith(("model name", "hardware", "processor\t: ")) and ":" in line:
            name = line.split(":", 1)[1].strip()
            if name and not name.isdigit():
                return name
    return platform.processor() or platform.machine() or "unknown"


def cpu_flags() -> set[str]:
    """The feature flags of the first CPU (e.g. {"avx2", "avx512_bf16", ...}); empty where unknown."""
    for line in _cpuinfo_lines():
        if line.startswith(("flags", "Features")) and ":" in line:
            return set(line.split(":", 1)[1].split())
    return set()
