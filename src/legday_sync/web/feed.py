"""The .ics feed over HTTP: a small WSGI app, served by waitress.

The app holds one immutable :class:`Snapshot` (body, ETag, Last-Modified) and
replaces it with a single reference assignment, which is atomic in CPython: a
request sees the old feed or the new one, never a mix. Nothing is rendered per
request; the snapshot changes only when the .ics file's bytes change
(:meth:`Feed.refresh`, called after each sync, and a cheap stat at most once a
second so that a separate `legday-sync sync` process's writes show up).

Routes: ``GET|HEAD /feed/<token>.ics`` (a wrong token is a 404) and
``GET|HEAD /healthz`` (last sync status, no secrets). The token lives in
``<state dir>/feed-token`` (mode 0600); it is re-read when that file changes,
so ``legday-sync feed-url --rotate`` takes effect without a restart.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..adapters.state import ensure_private_dir, private_tmp
from ..errors import LegdayError
from ..redact import redact

log = logging.getLogger(__name__)

TOKEN_NAME = "feed-token"
#: the Last-Modified of the empty calendar served before the first sync
EMPTY_MODIFIED = datetime(2000, 1, 1, tzinfo=UTC)
CACHE_CONTROL = "private, max-age=300"
FILENAME = "legday-suggestions.ics"
RECHECK_SECONDS = 1.0

StartResponse = Callable[..., Any]
Environ = dict[str, Any]


class ServeError(LegdayError):
    """The feed server could not start (e.g. the port is taken)."""


# -- the token ----------------------------------------------------------------------------
def token_path(state_dir: Path) -> Path:
    return state_dir / TOKEN_NAME


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def read_token(state_dir: Path) -> str | None:
    try:
        token = token_path(state_dir).read_text(encoding="ascii").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return token or None


def ensure_token(state_dir: Path) -> str:
    """The feed token, created (0600, atomically, once) if there is none yet."""
    token = read_token(state_dir)
    if token:
        return token
    ensure_private_dir(state_dir)
    path = token_path(state_dir)
    tmp = private_tmp(path, (_new_token() + "\n").encode("ascii"))
    try:
        os.link(tmp, path)  # fails if another process created it first: then theirs wins
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    token = read_token(state_dir)
    if not token:  # an empty file left by hand: replace it
        return rotate_token(state_dir)
    return token


def rotate_token(state_dir: Path) -> str:
    """Write a new token; the old feed URL stops working at once (the server re-reads)."""
    ensure_private_dir(state_dir)
    token = _new_token()
    path = token_path(state_dir)
    os.replace(private_tmp(path, (token + "\n").encode("ascii")), path)
    return token


class _TokenFile:
    """The current token, re-read whenever the file's identity or mtime changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: tuple[int, int, int] | None = None
        self._token: bytes | None = None
        self._lock = threading.Lock()

    def current(self) -> bytes | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None  # no token file: nothing matches (fail closed)
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if key != self._key:
            with self._lock:
                try:
                    raw = self.path.read_bytes().strip()
                except OSError:
                    return None
                self._token, self._key = (raw or None), key
        return self._token


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
        self._token = _TokenFile(token_path(state_dir))
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
                or not hmac.compare_digest(given[:-4].encode("latin-1", "replace"), token)):
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


# -- the server ---------------------------------------------------------------------------
class FeedServer:
    """waitress in a background thread, with limits and a clean stop."""

    def __init__(self, app: Callable[[Environ, StartResponse], Iterable[bytes]], host: str,
                 port: int, *, threads: int = 4) -> None:
        from waitress.adjustments import Adjustments
        from waitress.server import create_server

        # a feed is ~100 KB: sent in one go, not in waitress's default 18 KB pieces (one poll
        # round each), it serves ~3x the requests/s at a tenth of the p99. waitress 3 marks
        # the knob deprecated; while it exists it is worth having, and once gone, skipped.
        tuning = {"send_bytes": 28 * 9000} if hasattr(Adjustments, "send_bytes") else {}
        self._map: dict[int, Any] = {}
        # "Task queue depth is 1" per request under a burst: noise, not news, for a feed
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                self.server = create_server(
                    app, map=self._map, host=host, port=port, threads=threads,
                    connection_limit=64, channel_timeout=30, cleanup_interval=15,
                    max_request_header_size=16 * 1024, max_request_body_size=4 * 1024,
                    ident="legday-sync", expose_tracebacks=False,
                    clear_untrusted_proxy_headers=True, asyncore_use_poll=True,
                    outbuf_overflow=4 * 1024 * 1024, **tuning)
        except OSError as e:
            where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            hint = (" — is another legday-sync daemon or serve running? Stop it, or change "
                    "[feed] listen") if e.errno in (98, 48) else " — change [feed] listen"
            raise ServeError(f"can't listen on {where}: {e.strerror or e}{hint}") from None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="feed-server", daemon=True)

    @property
    def port(self) -> int:
        """The port actually bound (the first one, if the host resolved to several)."""
        return int(self.server.effective_listen[0][1] if hasattr(self.server, "effective_listen")
                   else self.server.effective_port)  # type: ignore[union-attr]

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        from waitress import wasyncore

        while not self._stop.is_set():
            wasyncore.loop(timeout=1.0, map=self._map, use_poll=True, count=1)
        # stop in the loop's own thread: no socket is closed under a running poll()
        self.server.task_dispatcher.shutdown(timeout=5)  # type: ignore[union-attr]
        wasyncore.close_all(self._map)

    def stop(self, timeout: float = 10.0) -> None:
        from waitress.trigger import trigger

        self._stop.set()
        for obj in list(self._map.values()):
            if isinstance(obj, trigger):
                with contextlib.suppress(OSError):
                    obj.pull_trigger()  # wake the poll now rather than within a second
                break
        if self._thread.is_alive():
            self._thread.join(timeout)


def feed_url(host: str, port: int, token: str, base_url: str | None = None) -> str:
    if base_url:
        return f"{base_url.rstrip('/')}/feed/{token}.ics"
    if host in ("0.0.0.0", "::", ""):
        host = socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/feed/{token}.ics"


def page_url(feed: str) -> str:
    """The status page's address, from the feed's: same base, ``/<token>/``."""
    base, _, name = feed.rpartition("/feed/")
    return f"{base}/{name.removesuffix('.ics')}/"


def webcal_url(url: str) -> str:
    return re.sub(r"^https?://", "webcal://", url)
