"""kill -9 during a job, then the plain command again: the run recovers without --unlock or
--rerun-incomplete (the default profile's rerun-incomplete and the Snakefile's stale-lock check)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from workflow_helpers import REPO, snakemake

pytestmark = pytest.mark.slow

TARGET = "data/smoke/synthetic/manifest.json"  # the cheapest job of the smoke profile (a few seconds)
COMMAND = (TARGET, "--cores", "1", "--configfile", str(REPO / "config/smoke.yaml"))


def started_job(workdir: Path) -> bool:
    """Snakemake marked the job's output incomplete and holds its directory lock: the job runs."""
    incomplete = workdir / ".snakemake" / "incomplete"
    locks = workdir / ".snakemake" / "locks"
    return (incomplete.is_dir() and any(p.name != "migration_underway" for p in incomplete.iterdir())
            and locks.is_dir() and any(locks.glob("*.lock")))


def test_rerun_after_sigkill_completes_with_the_plain_command(tmp_path):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), *COMMAND]
    first = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)  # its own process group: snakemake and its job
    try:
        deadline = time.monotonic() + 120
        while not started_job(tmp_path):
            assert first.poll() is None, "the job ended before it could be killed"
            assert time.monotonic() < deadline, "the job did not start within 120 s"
            time.sleep(0.05)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    assert list((tmp_path / ".snakemake" / "locks").glob("*.lock"))  # what used to need --unlock
    # a job killed after it began writing its output (synth writes the manifest last: stand in for it);
    # the output is marked incomplete, which used to need --rerun-incomplete
    (tmp_path / TARGET).write_text("partial")

    rerun = snakemake(tmp_path, *COMMAND, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "stale Snakemake lock" in rerun.stderr
    assert json.loads((tmp_path / TARGET).read_text())  # rerun, not trusted
    assert not list((tmp_path / ".snakemake" / "locks").glob("*.lock"))


def test_a_live_run_is_not_unlocked(tmp_path):
    """The stale-lock removal must not touch the locks of a run that is alive."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), *COMMAND]
    first = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not started_job(tmp_path):
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        second = snakemake(tmp_path, *COMMAND, timeout=120)
        assert second.returncode != 0 and "LockException" in second.stderr, second.stderr[-2000:]
        assert "stale Snakemake lock" not in second.stderr
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
