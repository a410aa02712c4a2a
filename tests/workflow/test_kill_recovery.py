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


LIVE_RUN = """
import sys, time
from pathlib import Path
from xmem.utils.locks import hold_snakemake_directory
hold_snakemake_directory(".snakemake")  # what the Snakefile does in a live run
locks = Path(".snakemake/locks")
locks.mkdir(parents=True, exist_ok=True)
(locks / "0.output.lock").write_text(sys.argv[1] + "\\n")  # what Snakemake writes for its outputs
print("live", flush=True)
time.sleep(300)
"""


def test_a_live_run_is_not_unlocked(tmp_path):
    """The stale-lock removal must not touch the locks of a run that is alive (a stand-in run that
    holds the directory as the Snakefile does, with Snakemake's lock on the target: no timing race)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    live = subprocess.Popen([sys.executable, "-c", LIVE_RUN, TARGET], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert live.stdout.readline().strip() == "live"
        second = snakemake(tmp_path, *COMMAND, timeout=300)
        assert second.returncode != 0 and "LockException" in second.stderr, second.stderr[-2000:]
        assert "stale Snakemake lock" not in second.stderr
        assert (tmp_path / ".snakemake" / "locks" / "0.output.lock").exists()
    finally:
        live.kill()
        live.wait()
    rerun = snakemake(tmp_path, *COMMAND, timeout=300)  # the stand-in is dead: its lock is stale now
    assert rerun.returncode == 0 and "stale Snakemake lock" in rerun.stderr, rerun.stderr[-2000:]
