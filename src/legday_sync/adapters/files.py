"""Private files: the one way the tool writes a file (tokens, caches, the feed, configs).

Created 0600 (directories 0700) from the first byte, never chmod-ed after a moment of
wider rights; written to a synced temp file beside the target and renamed over it, so a
reader or a crash sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as 0700; tighten it if it exists with wider rights."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (no moment of wider rights)."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)


def private_tmp(path: Path, data: bytes | Iterable[bytes]) -> Path:
    """``data`` (bytes, or pieces of it) written and synced to a 0600 temp file beside
    ``path``, for a rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        with open(fd, "wb", closefd=False) as f:  # loops over short writes, unlike os.write
            if isinstance(data, bytes | bytearray | memoryview):
                f.write(data)
            else:
                f.writelines(data)
        os.fsync(fd)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
    return tmp


def write_private(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Atomically replace ``path`` with ``data``, mode 0600."""
    tmp = private_tmp(path, data)
    try:
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
