"""Run `legday-sync` with every write point counted, and SIGKILL at the Nth one.

Used by test_crash_consistency.py as ``python -m tests.reliability.crashhook ARGS…``.
Nothing here is in production code: the write points are patched from outside.

Environment:
  LEGDAY_CRASH_AT     kill the process (SIGKILL, no cleanup) at this write point (1-based);
                      unset or 0: count only
  LEGDAY_CRASH_LOG    append one line per write point passed: "<n> <kind> <detail>"
  LEGDAY_CRASH_BATCH  Google batch size (default 2), so that a sync sends several batches
                      and there are kill points between them
  LEGDAY_CRASH_THEN_DRY_RUN  after the command, run it again with --dry-run in the same
                      process (saves an interpreter start); the outputs are separated by a
                      line holding only SEPARATOR

Write points, each counted once when reached:
  sqlite     before every statement that writes (BEGIN, COMMIT, INSERT, UPDATE, DELETE,
             REPLACE, CREATE, PRAGMA, and executescript)
  fsync      before os.fsync (a temp file is written, not yet durable nor in place)
  replace    before os.replace (the atomic rename that publishes a file)
  write      before os.write (token and state files)
  google>    before a Google mutation is sent (POST/PUT/PATCH/DELETE through httplib2)
  google<    after its response arrived and before the client has looked at it
  caldav>    before a CalDAV write is sent (PUT, DELETE, MKCALENDAR, PROPPATCH)
  caldav<    after its response arrived and before the sink has looked at it
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys

_AT = int(os.environ.get("LEGDAY_CRASH_AT", "0") or 0)
_LOG = os.environ.get("LEGDAY_CRASH_LOG", "")
_count = 0

_WRITES = ("BEGIN", "COMMIT", "INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "PRAGMA",
           "ROLLBACK")


def point(kind: str, detail: str = "") -> None:
    global _count
    _count += 1
    if _LOG:
        fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            _real_write(fd, f"{_count} {kind} {detail[:60]}\n".encode())
        finally:
            os.close(fd)
    if _count == _AT:
        os.kill(os.getpid(), signal.SIGKILL)


_real_write = os.write
_real_fsync = os.fsync
_real_replace = os.replace


def _write(fd: int, data: bytes, /) -> int:
    point("write", str(fd))
    return _real_write(fd, data)


def _fsync(fd: int, /) -> None:
    point("fsync", str(fd))
    _real_fsync(fd)


def _replace(src, dst, *args, **kwargs) -> None:
    point("replace", os.path.basename(os.fspath(dst)))
    _real_replace(src, dst, *args, **kwargs)


class _Connection(sqlite3.Connection):
    def execute(self, sql: str, *args, **kwargs):  # type: ignore[override]
        if sql.lstrip().upper().startswith(_WRITES):
            point("sqlite", sql.strip().split()[0].upper() + " " + sql.strip()[:40])
        return super().execute(sql, *args, **kwargs)

    def executescript(self, sql: str):  # type: ignore[override]
        point("sqlite", "script")
        return super().executescript(sql)

    def commit(self) -> None:
        point("sqlite", "commit()")
        super().commit()


_real_connect = sqlite3.connect


def _connect(*args, **kwargs):
    kwargs.setdefault("factory", _Connection)
    return _real_connect(*args, **kwargs)


def install() -> None:
    os.write = _write
    os.fsync = _fsync
    os.replace = _replace
    sqlite3.connect = _connect

    import httplib2

    real_request = httplib2.Http.request

    def request(self, uri, method="GET", *args, **kwargs):
        mutation = method.upper() in ("POST", "PUT", "PATCH", "DELETE") and "/token" not in uri
        if mutation:
            point("google>", f"{method} {uri.split('?')[0][-50:]}")
        result = real_request(self, uri, method, *args, **kwargs)
        if mutation:
            point("google<", f"{method} {result[0].status}")
        return result

    httplib2.Http.request = request

    import caldav

    real_dav = caldav.DAVClient.request

    def dav_request(self, url, method="GET", *args, **kwargs):
        mutation = method.upper() in ("PUT", "DELETE", "MKCALENDAR", "PROPPATCH")
        if mutation:
            point("caldav>", f"{method} {str(url)[-50:]}")
        result = real_dav(self, url, method, *args, **kwargs)
        if mutation:
            point("caldav<", f"{method} {result.status}")
        return result

    caldav.DAVClient.request = dav_request

    from legday_sync.adapters.google import api as google_api

    google_api.BATCH_SIZE = int(os.environ.get("LEGDAY_CRASH_BATCH", "2"))


SEPARATOR = "----- then --dry-run -----"


def main() -> int:
    install()
    from legday_sync.cli.main import main as cli_main

    code = cli_main(sys.argv[1:])
    if os.environ.get("LEGDAY_CRASH_THEN_DRY_RUN") and code == 0:
        print(SEPARATOR, flush=True)
        code = cli_main([*sys.argv[1:], "--dry-run"])
    return code


if __name__ == "__main__":
    sys.exit(main())
