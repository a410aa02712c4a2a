"""Stale Snakemake locks are removed only when no run of the workflow is alive (fast unit test)."""

from __future__ import annotations

import os

from xmem.utils.locks import hold_snakemake_directory, try_lock


def write_lock(persistence, name="0.output.lock"):
    (persistence / "locks").mkdir(parents=True, exist_ok=True)
    (persistence / "locks" / name).write_text("results/x.csv\n")
    return persistence / "locks" / name


def test_locks_of_a_dead_run_are_removed_those_of_a_live_run_kept(tmp_path):
    persistence = tmp_path / ".snakemake"
    stale = write_lock(persistence)
    first, removed = hold_snakemake_directory(persistence)  # no live run: the lock file is stale
    try:
        assert removed == [stale] and not stale.exists()
        live = write_lock(persistence, "1.output.lock")  # the first run's own lock
        second, removed = hold_snakemake_directory(persistence)  # a second run while the first lives
        os.close(second)
        assert removed == [] and live.exists()
    finally:
        os.close(first)
    third, removed = hold_snakemake_directory(persistence)  # the first run is gone: its lock is stale now
    os.close(third)
    assert removed == [live]


def test_try_lock_refuses_while_held_and_not_after(tmp_path):
    path = tmp_path / "x.lock"
    fd = try_lock(path)
    assert fd is not None and path.read_text().strip() == str(os.getpid())
    assert try_lock(path) is None
    os.close(fd)
    again = try_lock(path)
    assert again is not None
    os.close(again)
