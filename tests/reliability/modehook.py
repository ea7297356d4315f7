"""Run `legday-sync` with umask 000 that the CLI can't change, recording each file's mode
at the moment it is created.

Used by test_secrets.py as ``python -m tests.reliability.modehook ARGS…``. With the
umask neutralised, a file is private only if it was *created* private (O_CREAT with
0600, mkdir with 0700): a file created wider and chmod-ed afterwards shows up here
with its mode at creation. ``LEGDAY_MODE_LOG`` gets one JSON line per file or folder
created: {"path", "mode", "how"}.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import stat
import sys

_LOG = os.environ.get("LEGDAY_MODE_LOG", "")


def _record(path: object, mode: int, how: str) -> None:
    if not _LOG:
        return
    line = json.dumps({"path": os.path.abspath(os.fsdecode(path)), "mode": stat.S_IMODE(mode),
                       "how": how}) + "\n"
    with _real_open(_LOG, "a") as f:
        f.write(line)


_real_open = builtins.open
_real_os_open = os.open
_real_mkdir = os.mkdir


def _os_open(path, flags, mode=0o777, *args, **kwargs):
    new = bool(flags & os.O_CREAT) and not os.path.exists(path)
    fd = _real_os_open(path, flags, mode, *args, **kwargs)
    if new:
        _record(path, os.fstat(fd).st_mode, "os.open")
    return fd


def _open(file, mode="r", *args, **kwargs):
    new = (isinstance(file, str | bytes | os.PathLike) and any(c in mode for c in "wxa")
           and not os.path.exists(file))
    f = _real_open(file, mode, *args, **kwargs)
    if new:
        _record(file, os.fstat(f.fileno()).st_mode, "open")
    return f


def _mkdir(path, mode=0o777, *args, **kwargs):
    _real_mkdir(path, mode, *args, **kwargs)
    _record(path, os.stat(path).st_mode, "mkdir")


def install() -> None:
    os.umask(0)
    os.umask = lambda mask: 0  # the CLI's umask(0o077) does nothing here
    os.open = _os_open
    os.mkdir = _mkdir
    builtins.open = _open
    io.open = _open  # pathlib's way in


def main() -> int:
    install()
    from legday_sync.cli.main import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
