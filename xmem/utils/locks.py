"""Exclusive lock files held for a process's lifetime (``fcntl.flock``).

The kernel releases a ``flock`` when its holder exits for any reason, SIGKILL included, so a
lock file left on disk by a killed process never blocks anyone: only a live holder does.
Used by ``xmem infer`` (one writer per output folder) and by the Snakefile (telling Snakemake's
own lock files, which carry no owner, from stale ones: :func:`hold_snakemake_directory`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path
from typing import Iterator


def try_lock(path: str | os.PathLike) -> int | None:
    """Open (creating) ``path`` and take an exclusive lock on it without waiting.

    Returns the open file descriptor holding the lock (close it to release the lock), or
    ``None`` when a live process holds it. The holder's PID is written into the file.
    OSError (e.g. PermissionError) propagates when the file cannot be created.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return None
        raise
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def lock_holder(path: str | os.PathLike) -> str:
    """The PID written into a lock file by its holder ('?' if unreadable)."""
    try:
        return Path(path).read_text().strip() or "?"
    except OSError:
        return "?"


@contextlib.contextmanager
def held_lock(path: str | os.PathLike) -> Iterator[bool]:
    """Context manager form of :func:`try_lock`: yields True if the lock is held, False if busy."""
    fd = try_lock(path)
    try:
        yield fd is not None
    finally:
        if fd is not None:
            os.close(fd)


SNAKEMAKE_RUN_LOCK = "xmem-runs.lock"


def hold_snakemake_directory(persistence_dir: str | os.PathLike = ".snakemake") -> tuple[int, list[Path]]:
    """Mark this Snakemake process as live on its working directory; remove stale Snakemake locks.

    Snakemake's lock files (``.snakemake/locks/*.lock``) list files, not owners, so after a
    SIGKILL they block every later run until ``--unlock``. Every run of our Snakefile holds a
    *shared* flock on ``.snakemake/xmem-runs.lock`` from the moment its Snakefile is parsed
    (before Snakemake writes its locks) until it exits. Getting the lock *exclusively* first
    therefore proves that no run of this workflow is alive on the directory: any Snakemake lock
    file there was left by a killed run and is removed. Concurrent live runs keep Snakemake's
    own locking untouched.

    Returns (descriptor to keep open for the process's lifetime, removed lock files).
    """
    persistence_dir = Path(persistence_dir)
    persistence_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(persistence_dir / SNAKEMAKE_RUN_LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    removed: list[Path] = []
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            os.close(fd)
            raise
    else:
        lock_dir = persistence_dir / "locks"
        removed = sorted(lock_dir.glob("*.lock")) if lock_dir.is_dir() else []
        for stale in removed:
            stale.unlink(missing_ok=True)
    fcntl.flock(fd, fcntl.LOCK_SH)  # held (shared) until the process exits
    return fd, removed
