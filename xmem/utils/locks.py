"""Exclusive lock files held for a process's lifetime (``fcntl.flock``).

The kernel releases a ``flock`` when its holder exits for any reason, SIGKILL included, so a
lock file left on disk by a killed process never blocks anyone: only a live holder does.
Used by ``xmem infer`` (one writer per output folder) and by the Snakefile (telling Snakemake's
own lock files, which carry no owner, from stale ones).
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
