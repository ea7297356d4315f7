"""Limits for URL sources, complementing tests/unit/test_ics_source.py (which covers the
size limit with and without Content-Length, a redirect loop, and a server that is down).

Here: a server that accepts and never answers, one that drips its headers or its body
a byte at a time (each read succeeds, so only an overall deadline stops it), a gzip
bomb, the default and configured ``max_bytes``, the default redirect limit, and an
unreachable URL at the CLI: the last good copy is used and the output says so.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from legday_sync import config
from legday_sync.adapters.ics.source import IcsSource
from legday_sync.core.model import Window
from legday_sync.errors import SourceError
from legday_sync.service import build_sources
from tests.conftest import EXAMPLE_NOW, EXAMPLES

FEED = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:u1\r\n"
        b"DTSTART:20240105T070000Z\r\nDTEND:20240105T080000Z\r\nSUMMARY:Leg day\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n")
JAN = Window(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 31, tzinfo=UTC))
TIMEOUT = 1.0
#: the fetcher's overall deadline is 4 x timeout; this much more is slack for a busy machine
SLACK = 4.0


class RawServer:
    """A TCP server whose per-connection behaviour is a function of the socket (bounded)."""

    def __init__(self, behave: Callable[[socket.socket, int], None]) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.hits = 0
        self.behave = behave
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.hits += 1
            threading.Thread(target=self._serve, args=(conn, self.hits), daemon=True).start()

    def _serve(self, conn: socket.socket, n: int) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(1)
            with contextlib.suppress(TimeoutError):
                conn.recv(65536)
            self.behave(conn, n)

    def url(self, path: str = "/cal.ics") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket, int], None]], RawServer]]:
    made: list[RawServer] = []

    def make(behave: Callable[[socket.socket, int], None]) -> RawServer:
        made.append(RawServer(behave))
        return made[-1]

    yield make
    for s in made:
        s.close()


def _fetch(url: str, tmp_path: Path, **kw: object) -> tuple[float, object]:
    src = IcsSource("feed", url=url, default_tz=ZoneInfo("Europe/Berlin"),
                    http_cache_dir=tmp_path / "http", timeout=TIMEOUT, **kw)  # type: ignore[arg-type]
    began = time.monotonic()
    try:
        result: object = src.fetch(JAN)
    except SourceError as e:
        result = e
    return time.monotonic() - began, result


def _silent(conn: socket.socket, n: int) -> None:
    for _ in range(100):  # at most 10 s, then hang up
        time.sleep(0.1)


def _drip_headers(conn: socket.socket, n: int) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nX-Slow: " + b"a" * 1000
    for byte in head[:200]:  # one byte each 0.1 s: at most 20 s
        conn.sendall(bytes([byte]))
        time.sleep(0.1)


def _drip_body(conn: socket.socket, n: int) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\n"
                 b"Content-Length: 100000\r\n\r\n")
    for _ in range(200):  # one byte each 0.1 s: at most 20 s
        conn.sendall(b"x")
        time.sleep(0.1)


@pytest.mark.parametrize("behave", [_silent, _drip_headers, _drip_body],
                         ids=["never-answers", "drips-headers", "drips-body"])
def test_a_slow_server_fails_within_the_deadline(behave, raw_server, tmp_path: Path) -> None:
    server = raw_server(behave)
    elapsed, result = _fetch(server.url(), tmp_path)
    assert isinstance(result, SourceError), result
    assert elapsed < 4 * TIMEOUT + SLACK, f"took {elapsed:.1f} s"
    assert result.source == "feed" and "could not fetch" in result.message


def test_a_gzip_bomb_stops_at_the_limit(raw_server, tmp_path: Path) -> None:
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)  # ~200 KB

    def send(conn: socket.socket, n: int) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "
                     + str(len(bomb)).encode() + b"\r\n\r\n" + bomb)

    server = raw_server(send)
    import tracemalloc

    tracemalloc.start()
    try:
        _, result = _fetch(server.url(), tmp_path, max_bytes=1024 * 1024)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(result, SourceError) and "limit" in result.message, result
    assert peak < 64 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB while refusing a bomb"


def _redirects(hops: int) -> Callable[[socket.socket, int], None]:
    def behave(conn: socket.socket, n: int) -> None:
        if n <= hops:
            conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /hop" + str(n).encode()
                         + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(FEED)).encode()
                         + b"\r\nConnection: close\r\n\r\n" + FEED)
    return behave


def test_the_default_redirect_limit_is_five(raw_server, tmp_path: Path) -> None:
    ok = raw_server(_redirects(5))
    _, result = _fetch(ok.url(), tmp_path / "a")
    assert not isinstance(result, SourceError), result
    too_many = raw_server(_redirects(6))
    _, result = _fetch(too_many.url(), tmp_path / "b")
    assert isinstance(result, SourceError) and "more than 5 redirects" in result.message
    assert too_many.hits == 6


def test_max_bytes_defaults_to_50_mb_and_is_configurable(tmp_path: Path) -> None:
    from legday_sync.adapters.state import State

    raw = {"source": [{"type": "ics", "url": "https://example.com/a.ics"},
                      {"type": "ics", "url": "https://example.com/b.ics", "name": "b",
                       "max_bytes": 1000, "timeout_seconds": 5}],
           "state": {"dir": str(tmp_path / "state")}}
    settings = config.parse(raw, base=tmp_path)
    state = State(tmp_path / "state", readonly=True)
    try:
        a, b = build_sources(settings, state, readonly=True)
    finally:
        state.close()
    assert a._http.max_bytes == 50 * 1024 * 1024 and a._http.timeout == 30  # type: ignore[attr-defined]
    assert b._http.max_bytes == 1000 and b._http.timeout == 5  # type: ignore[attr-defined]
    assert a._http.max_redirects == 5  # type: ignore[attr-defined]
    with pytest.raises(config.ConfigError):
        config.parse({"source": [{"type": "ics", "url": "https://e.com/x.ics",
                                  "max_bytes": 0}]}, base=tmp_path)


# -- at the CLI: an unreachable URL keeps the last good copy and says so -------------------
def test_unreachable_url_uses_the_last_good_copy_and_says_so(raw_server, tmp_path: Path) -> None:
    calendar = (EXAMPLES / "training.ics").read_bytes()

    def serve(conn: socket.socket, n: int) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(calendar)).encode()
                     + b"\r\nConnection: close\r\n\r\n" + calendar)

    server = raw_server(serve)
    root = tmp_path / "home"
    root.mkdir()
    text = (EXAMPLES / "legday-sync.toml").read_text(encoding="utf-8")
    text = text.replace('path = "training.ics"', f'url = "{server.url()}"\ntimeout_seconds = 2')
    cfg = root / "legday-sync.toml"
    cfg.write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGDAY_")}

    def sync(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "legday_sync", "--config", str(cfg), "sync",
                               "--now", EXAMPLE_NOW, *extra], cwd=root, env=env,
                              capture_output=True, text=True, timeout=60)

    first = sync("--json")
    assert first.returncode == 0, first.stderr
    wanted = json.loads(first.stdout)["suggestions"]
    assert wanted
    out = root / ".state" / "suggestions.ics"
    before = out.read_bytes()
    server.close()  # unreachable from now on
    again = sync("--json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["suggestions"] == wanted and not report["errors"]
    assert any("could not refresh" in w and "stale copy" in w for w in report["warnings"])
    human = sync()
    assert "stale copy" in " ".join(human.stdout.split())
    assert out.read_bytes() == before
    shutil.rmtree(root / ".state")
