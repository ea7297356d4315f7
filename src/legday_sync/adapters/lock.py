"""One writer at a time: an fcntl lock on a file in the state dir.

A daemon and a one-shot `sync` never write at once; the second waits briefly,
then fails with LockBusy naming the holder.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import LockBusy
from .files import ensure_private_dir

LOCK_NAME = "sync.lock"


@contextmanager
def sync_lock(state_dir: Path, *, wait: float = 10.0, poll: float = 0.1,
              notify: Callable[[str], None] | None = None) -> Iterator[None]:
    """The lock; ``notify`` hears once, as the wait starts, that (and for whom) we wait."""
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
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
                if time.monotonic() >= deadline:
                    raise LockBusy(str(path), f"pid {holder}" if holder else "") from None
                if notify is not None:
                    who = f" (pid {holder})" if holder else ""
                    notify(f"waiting up to {wait:g} s for another legday-sync{who} to finish "
                           f"its sync…")
                    notify = None
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
