"""One writer at a time: an fcntl lock on a file in the state dir.

A daemon and a one-shot `sync` never write at once; the second waits briefly,
then fails with LockBusy naming the holder.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import LockBusy
from .files import ensure_private_dir

LOCK_NAME = "sync.lock"


@contextmanager
def sync_lock(state_dir: Path, *, wait: float = 10.0, poll: float = 0.1) -> Iterator[None]:
    ensure_private_dir(state_dir)
    path = state_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
                    raise LockBusy(str(path), f"pid {holder}" if holder else "") from None
                time.sleep(poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
