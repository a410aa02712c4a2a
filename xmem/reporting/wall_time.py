"""The real wall time of a workflow run, next to the sum of its jobs' times.

Snakemake's benchmark files (``results/benchmarks/**/*.tsv``) give each job's duration ``s``;
their sum is CPU-slot time, not the time a user waited. Two clocks give the wall time:

* the **start marker** ``results/logs/workflow_start.json``, written by the Snakefile's
  ``onstart`` hook when an invocation starts executing jobs (not on dry runs, not when there is
  nothing to do): the invocation's wall time is from that moment to the report;
* the **span of the jobs**: from the earliest job start (benchmark file modification time, which
  Snakemake writes when the job ends, minus its ``s``) to the report. It covers every job whose
  output the report shows, also when earlier invocations (a killed run, an incremental rerun)
  produced some of them.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from xmem.utils.atomic import write_text_atomic

log = logging.getLogger(__name__)

START_MARKER = Path("logs") / "workflow_start.json"  # relative to the results folder


def start_marker(results: str | os.PathLike) -> Path:
    return Path(results) / START_MARKER


def write_start_marker(results: str | os.PathLike, now: float | None = None) -> Path:
    """Record that an invocation of the workflow starts executing jobs now (Snakefile ``onstart``)."""
    path = start_marker(results)
    started = time.time() if now is None else now
    write_text_atomic(path, json.dumps({
        "started_epoch": started,
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)),
        "host": socket.gethostname(), "pid": os.getpid(), "argv": sys.argv,
    }, indent=1))
    return path


@dataclass(frozen=True)
class WallTime:
    """Clocks of a run, in seconds (None when unknown)."""

    invocation_seconds: float | None  # from the start marker to the report
    invocation_started: str | None
    span_seconds: float | None  # earliest job start to the report
    job_seconds: float  # sum of the jobs' benchmark times
    jobs: int

    @property
    def parallelism(self) -> float | None:
        """Job time per wall second over the span (how many jobs ran at once on average)."""
        return self.job_seconds / self.span_seconds if self.span_seconds else None


def _job_clocks(results: Path) -> list[tuple[float, float]]:
    """(start, seconds) of every job with a benchmark file (start = file mtime - s)."""
    out = []
    root = results / "benchmarks"
    for path in sorted(root.rglob("*.tsv")) if root.is_dir() else []:
        try:
            seconds = float(pd.to_numeric(pd.read_csv(path, sep="\t")["s"], errors="coerce").sum())
        except (OSError, ValueError, KeyError, pd.errors.ParserError):
            continue
        out.append((path.stat().st_mtime - seconds, seconds))
    return out


def wall_time(results: str | os.PathLike, now: float | None = None) -> WallTime:
    """The clocks of the run whose outputs are under ``results`` (see the module docstring)."""
    results = Path(results)
    now = time.time() if now is None else now
    started, started_text = None, None
    try:
        marker = json.loads(start_marker(results).read_text())
        started, started_text = float(marker["started_epoch"]), str(marker.get("started", ""))
    except (OSError, ValueError, KeyError, TypeError):
        log.info("%s: no start marker; the invocation's wall time is unknown", start_marker(results))
    clocks = _job_clocks(results)
    first = min((start for start, _ in clocks), default=None)
    return WallTime(
        invocation_seconds=None if started is None else max(0.0, now - started),
        invocation_started=started_text,
        span_seconds=None if first is None else max(0.0, now - first),
        job_seconds=float(sum(s for _, s in clocks)), jobs=len(clocks),
    )


def hms(seconds: float | None) -> str:
    """h:mm:ss, or "unknown"."""
    if seconds is None:
        return "unknown"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
