"""The .ics feed as a small WSGI app.

The app holds one immutable :class:`Snapshot` (body, ETag, Last-Modified) and
replaces it with a single reference assignment, which is atomic in CPython: a
request sees the old feed or the new one, never a mix. Nothing is rendered per
request; the snapshot changes only when the .ics file's bytes change
(:meth:`Feed.refresh`, called after each sync, and a cheap stat at most once a
second so that a separate `legday-sync sync` process's writes show up).

Routes: ``GET|HEAD /feed/<token>.ics`` (a wrong token is a 404) and
``GET|HEAD /healthz`` (last sync status, no secrets). The token is re-read when its
file changes (``web/token.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..redact import redact
from .token import TokenFile

log = logging.getLogger(__name__)

#: the Last-Modified of the empty calendar served before the first sync
EMPTY_MODIFIED = datetime(2000, 1, 1, tzinfo=UTC)
CACHE_CONTROL = "private, max-age=300"
FILENAME = "legday-suggestions.ics"
RECHECK_SECONDS = 1.0

StartResponse = Callable[..., Any]
Environ = dict[str, Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


# -- the snapshot ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Snapshot:
    body: bytes
    etag: str
    last_modified: datetime

    @classmethod
    def of(cls, body: bytes, fallback_modified: datetime) -> Snapshot:
        etag = '"' + hashlib.sha256(body).hexdigest() + '"'
        modified = calendar_last_modified(body) or fallback_modified
        return cls(body, etag, modified.astimezone(UTC).replace(microsecond=0))

    @property
    def http_date(self) -> str:
        return format_datetime(self.last_modified, usegmt=True)

    @property
    def events(self) -> int:
        return self.body.count(b"BEGIN:VEVENT")


_CAL_LM = re.compile(rb"^LAST-MODIFIED:(\d{8}T\d{6})Z\r?$", re.M)


def calendar_last_modified(body: bytes) -> datetime | None:
    """The calendar-level LAST-MODIFIED (RFC 7986), i.e. before the first component."""
    first = body.find(b"\nBEGIN:", body.find(b"BEGIN:VCALENDAR") + 1)
    head = body if first < 0 else body[:first]
    m = _CAL_LM.search(head)
    if not m:
        return None
    return datetime.strptime(m.group(1).decode("ascii"), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


def empty_calendar(tz: ZoneInfo, name: str) -> bytes:
    from ..adapters.ics.sink import render

    return render([], tz=tz, name=name, modified=EMPTY_MODIFIED)


# -- conditional requests (RFC 9110 §13) ----------------------------------------------------
_ETAG = re.compile(r'\s*(W/)?("[^"]*")\s*(?:,|$)')


def none_match(header: str, etag: str) -> bool:
    """Whether If-None-Match ``header`` matches ``etag`` (weak comparison, lists, ``*``)."""
    if header.strip() == "*":
        return True
    pos, header = 0, header.strip()
    while pos < len(header):
        m = _ETAG.match(header, pos)
        if not m:
            return False  # malformed: treat as no match (serve the full body)
        if m.group(2) == etag:
            return True
        pos = m.end()
    return False


def not_modified_since(header: str, modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False  # an invalid date is ignored (RFC 9110 §13.1.3)
    if since is None:
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return modified <= since


# -- the app -------------------------------------------------------------------------------
StatusFn = Callable[[], dict[str, Any]]


class Feed:
    """The WSGI app. ``watch``: re-stat the file at most once a second on requests."""

    def __init__(self, path: Path, state_dir: Path, *, tz: ZoneInfo,
                 name: str = "Legday suggestions", watch: bool = True,
                 status: StatusFn | None = None, extra_status: StatusFn | None = None) -> None:
        self.path = path
        self.state_dir = state_dir
        self.watch = watch
        self._token = TokenFile(state_dir)
        self._empty = Snapshot.of(empty_calendar(tz, name), EMPTY_MODIFIED)
        self._snapshot = self._empty
        self._stat_key: tuple[int, int, int] | None = None
        self._next_check = 0.0
        self._refresh_lock = threading.Lock()
        self._status = status if status is not None else state_status(state_dir)
        self._extra_status = extra_status
        self.refresh()

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def refresh(self) -> bool:
        """Re-read the file; swap the snapshot only if its bytes changed. True if swapped."""
        with self._refresh_lock:
            try:
                st = os.stat(self.path)
                body = self.path.read_bytes()
            except FileNotFoundError:
                self._stat_key = None
                return self._swap(self._empty)
            except OSError as e:
                log.warning("can't read the feed file %s: %s; still serving the last one",
                            self.path, e.strerror)
                return False
            self._stat_key = (st.st_ino, st.st_mtime_ns, st.st_size)
            if body == self._snapshot.body:
                return False
            if not body.lstrip(b"\xef\xbb\xbf").startswith(b"BEGIN:VCALENDAR"):
                log.warning("%s is not a calendar; still serving the last feed", self.path)
                return False
            mtime = datetime.fromtimestamp(st.st_mtime, UTC)
            return self._swap(Snapshot.of(body, mtime))

    def _swap(self, snap: Snapshot) -> bool:
        if snap.body == self._snapshot.body:
            return False
        self._snapshot = snap  # one reference assignment: readers see old or new, whole
        log.info("feed updated: %d event(s), ETag %s", snap.events, snap.etag[:13] + '…"')
        return True

    def _maybe_recheck(self) -> None:
        """At most once a second, look whether another process rewrote the file."""
        now = time.monotonic()
        if now < self._next_check or not self._refresh_lock.acquire(blocking=False):
            return
        try:
            self._next_check = now + RECHECK_SECONDS
            try:
                st = os.stat(self.path)
                key: tuple[int, int, int] | None = (st.st_ino, st.st_mtime_ns, st.st_size)
            except OSError:
                key = None
        finally:
            self._refresh_lock.release()
        if key != self._stat_key:
            self.refresh()

    # -- WSGI ----------------------------------------------------------------------------
    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz":
            status, headers, body = self._healthz(method)
        elif path.startswith("/feed/"):
            status, headers, body = self._feed(environ, method, path)
        else:
            status, headers, body = _plain("404 Not Found", "not found\n")
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s %s", method, redact(path), status[:3])
        headers.append(("X-Content-Type-Options", "nosniff"))
        headers.append(("Referrer-Policy", "no-referrer"))
        start_response(status, headers)
        return [] if method == "HEAD" else [body]

    def _feed(self, environ: Environ, method: str,
              path: str) -> tuple[str, list[tuple[str, str]], bytes]:
        if method not in ("GET", "HEAD"):
            return _not_allowed()
        given = path[len("/feed/"):]
        token = self._token.current()
        # PATH_INFO is latin-1-decoded bytes (PEP 3333): compare bytes, never str
        if (token is None or not given.endswith(".ics")
                or not hmac.compare_digest(given[:-4].encode("latin-1", "replace"),
                                           token.encode("ascii"))):
            return _plain("404 Not Found", "not found\n")
        if self.watch:
            self._maybe_recheck()
        snap = self._snapshot  # read the reference once: everything below is one version
        headers = [
            ("ETag", snap.etag),
            ("Last-Modified", snap.http_date),
            ("Cache-Control", CACHE_CONTROL),
        ]
        inm = environ.get("HTTP_IF_NONE_MATCH")
        ims = environ.get("HTTP_IF_MODIFIED_SINCE")
        if (none_match(inm, snap.etag) if inm is not None
                else ims is not None and not_modified_since(ims, snap.last_modified)):
            return "304 Not Modified", headers, b""
        headers += [
            ("Content-Type", "text/calendar; charset=utf-8"),
            ("Content-Length", str(len(snap.body))),
            ("Content-Disposition", f'inline; filename="{FILENAME}"'),
        ]
        return "200 OK", headers, snap.body

    def _healthz(self, method: str) -> tuple[str, list[tuple[str, str]], bytes]:
        if method not in ("GET", "HEAD"):
            return _not_allowed()
        if self.watch:
            self._maybe_recheck()
        snap = self._snapshot
        info: dict[str, Any] = {"last_sync": self._status()}
        last = info["last_sync"]
        info["ok"] = bool(last.get("ok")) if last else None
        info["feed"] = {"events": snap.events, "bytes": len(snap.body), "etag": snap.etag,
                        "last_modified": snap.last_modified.isoformat()}
        if self._extra_status is not None:
            info.update(self._extra_status())
        body = (json.dumps(info, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
        return "200 OK", [("Content-Type", "application/json"),
                          ("Content-Length", str(len(body))),
                          ("Cache-Control", "no-store")], body


def _plain(status: str, text: str) -> tuple[str, list[tuple[str, str]], bytes]:
    body = text.encode("utf-8")
    return status, [("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(body))), ("Cache-Control", "no-store")], body


def _not_allowed() -> tuple[str, list[tuple[str, str]], bytes]:
    status, headers, body = _plain("405 Method Not Allowed", "method not allowed\n")
    headers.append(("Allow", "GET, HEAD"))
    return status, headers, body


def state_status(state_dir: Path, *, cache_seconds: float = 1.0) -> StatusFn:
    """Read ``last_sync`` from the state database, at most once per ``cache_seconds``."""
    cached: list[Any] = [0.0, {}]

    def status() -> dict[str, Any]:
        now = time.monotonic()
        if now - cached[0] < cache_seconds:
            return cached[1]
        result: dict[str, Any] = {}
        try:
            import sqlite3

            from ..adapters.state import DB_NAME, State

            if (state_dir / DB_NAME).exists():
                st = State(state_dir, readonly=True)
                try:
                    raw = st.meta_json("last_sync")
                finally:
                    st.close()
                if isinstance(raw, dict):
                    result = public_status(raw)
        except (sqlite3.Error, OSError, ValueError) as e:
            result = {"error": f"can't read the state: {e}"}
        cached[0], cached[1] = now, result
        return result

    return status


def public_status(raw: dict[str, Any]) -> dict[str, Any]:
    """The last-sync record with anything secret-looking masked (tokens, URL credentials)."""
    from ..redact import redact_url

    def clean(v: Any) -> Any:
        if isinstance(v, str):
            return redact(redact_url(v))
        if isinstance(v, dict):
            return {clean(k): clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v

    keep = ("time", "ok", "sources", "errors", "conflicts", "suggestions")
    return {k: clean(raw[k]) for k in keep if k in raw}
