"""The feed server under attack, on 127.0.0.1 only, with bounded loops.

Against a real `legday-sync -vv serve` subprocess: wrong, short, long and
non-ASCII tokens, path traversal, methods other than GET/HEAD, huge headers and
request lines, 200 connections at once; afterwards the feed still works, the log
(at debug level) never holds the token, and /healthz holds no secret. Against
the waitress server in-process (so the test can shorten its timeout and count
its channels): slow clients are cut off, connections are bounded. And a unit
check that the token comparison is ``hmac.compare_digest``.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import requests

from legday_sync.web import app as feed_module
from legday_sync.web.app import Feed
from legday_sync.web.server import FeedServer
from legday_sync.web.token import ensure_token
from tests.conftest import EXAMPLE_NOW, EXAMPLES

pytestmark = pytest.mark.slow

#: secrets planted in the config and state that must never be served or logged
URL_USER, URL_PASSWORD, URL_QUERY = "usr-PLANTED", "pw-PLANTED", "qtok-PLANTED"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    base: str
    token: str
    log: Path
    proc: subprocess.Popen
    tried: list[str]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LEGDAY_")}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("feed-attack")
    shutil.copy(EXAMPLES / "training.ics", root / "training.ics")
    port = free_port()
    dead = free_port()
    cfg = root / "legday-sync.toml"
    cfg.write_text(
        (EXAMPLES / "legday-sync.toml").read_text(encoding="utf-8")
        + f'\n[feed]\nlisten = "127.0.0.1:{port}"\n\n[[source]]\nname = "remote"\ntype = "ics"\n'
        f'url = "http://{URL_USER}:{URL_PASSWORD}@127.0.0.1:{dead}/x.ics?token={URL_QUERY}"\n'
        "timeout_seconds = 2\n", encoding="utf-8")
    # a sync first (the remote source fails: its error lands in the state /healthz reads)
    sync = subprocess.run([sys.executable, "-m", "legday_sync", "--config", str(cfg), "sync",
                           "--now", EXAMPLE_NOW], cwd=root, env=_env(), capture_output=True,
                          text=True, timeout=60)
    assert sync.returncode == 1, sync.stderr
    log = root / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "legday_sync", "-vv", "--config", str(cfg),
                                 "serve"], cwd=root, env=_env(), stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(base + "/healthz", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("serve did not start:\n" + log.read_text())
                time.sleep(0.1)
        token = (root / ".state" / "feed-token").read_text().strip()
        yield Served(base, token, log, proc, [])
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def raw(base: str, request: bytes, *, timeout: float = 10.0) -> bytes:
    """Send bytes, read the answer until the server closes (or ``timeout``)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        # the server may close before it has read everything: that is fine
        with contextlib.suppress(OSError):
            s.sendall(request)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0


def get_raw(served: Served, target: bytes, method: bytes = b"GET", headers: bytes = b""
            ) -> bytes:
    served.tried.append(f"{method.decode('latin-1')} {target[:60]!r}")
    return raw(served.base, method + b" " + target + b" HTTP/1.1\r\nHost: x\r\n" + headers
               + b"Connection: close\r\n\r\n")


def _wrong_tokens(token: str) -> list[bytes]:
    t = token.encode()
    return [
        b"", b"a", t[:-1], t[1:], t + b"x", t[:-1] + (b"A" if t[-1:] != b"A" else b"B"),
        t.upper() if t.upper() != t else t.lower(), b"A" * len(t), b"A" * 10_000,
        quote("ä" * 20).encode(), quote(token + "é").encode(), "ä".encode() * 10,
        b"\xff\xfe" * 8, quote(token[:10]).encode() + b"%00" + t[10:], b"%2e%2e",
    ]


def test_wrong_tokens_are_404_and_leak_nothing(served: Served) -> None:
    for bad in _wrong_tokens(served.token):
        for target in (b"/feed/" + bad + b".ics", b"/feed/" + bad):
            answer = get_raw(served, target)
            assert status_of(answer) in (404, 400), (target, answer[:200])
            assert served.token.encode() not in answer
    # the right token works, with and without a query string
    good = get_raw(served, f"/feed/{served.token}.ics".encode())
    assert status_of(good) == 200 and b"BEGIN:VCALENDAR" in good
    assert status_of(get_raw(served, f"/feed/{served.token}.ics?x=1".encode())) == 200


TRAVERSALS = [
    b"/feed/../feed-token", b"/feed/../../.state/feed-token", b"/feed/%2e%2e/feed-token",
    b"/feed/..%2ffeed-token.ics", b"/feed/%2e%2e%2fstate.sqlite3", b"/../../etc/passwd",
    b"//etc/passwd", b"/feed/./feed-token.ics", b"/.state/feed-token", b"/state.sqlite3",
    b"/feed/..\\feed-token.ics", b"/%2e%2e/%2e%2e/etc/passwd", b"/feed/%252e%252e/x.ics",
    b"/healthz/../feed-token", b"/feed/TOKEN.ics/../../feed-token", b"/feed/TOKEN.ics/x",
    b"/feed/TOKEN.ics%00.txt", b"http://127.0.0.1/feed/../feed-token",
]


def test_path_traversal_reaches_nothing(served: Served) -> None:
    for target in TRAVERSALS:
        target = target.replace(b"TOKEN", served.token.encode())
        answer = get_raw(served, target)
        assert status_of(answer) in (400, 404), (target, answer[:300])
        assert served.token.encode() not in answer
        assert b"SQLite format" not in answer and b"root:" not in answer


METHODS = [b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"TRACE", b"CONNECT",
           b"PROPFIND", b"MKCOL", b"BREW", b"get", b"G\xc3\xa9T"]


def test_methods_other_than_get_and_head(served: Served) -> None:
    target = f"/feed/{served.token}.ics".encode()
    for method in METHODS:
        for path in (target, b"/healthz"):
            answer = get_raw(served, path, method, b"Content-Length: 0\r\n")
            assert status_of(answer) in (400, 405, 501), (method, path, answer[:200])
            assert b"BEGIN:VCALENDAR" not in answer
    head = get_raw(served, target, b"HEAD")
    assert status_of(head) == 200 and b"BEGIN:VCALENDAR" not in head


def test_huge_headers_and_request_lines_are_refused(served: Served) -> None:
    target = f"/feed/{served.token}.ics".encode()
    for headers in (b"X-Big: " + b"a" * 64 * 1024 + b"\r\n",
                    b"".join(b"X-H%d: v\r\n" % i for i in range(5000)),
                    b"Cookie: " + b"c=" * 40_000 + b"\r\n"):
        answer = get_raw(served, target, headers=headers)
        assert status_of(answer) in (400, 431), answer[:200]
        assert b"BEGIN:VCALENDAR" not in answer
    answer = get_raw(served, b"/feed/" + b"a" * 100_000 + b".ics")
    assert status_of(answer) in (400, 404, 414, 431), answer[:200]
    body = get_raw(served, target, b"POST", b"Content-Length: 100000000\r\n")
    assert status_of(body) in (400, 405, 413), body[:200]


def test_many_connections_then_the_feed_still_answers(served: Served) -> None:
    socks = []
    try:
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", int(served.base.rsplit(":", 1)[1])),
                                         timeout=5)
            s.sendall(b"GET /feed/")  # a request that never finishes
            socks.append(s)
    finally:
        for s in socks:
            s.close()
    served.tried.append("200 connections")
    deadline = time.monotonic() + 20
    while True:
        try:
            r = requests.get(f"{served.base}/feed/{served.token}.ics", timeout=5)
            break
        except requests.RequestException:
            assert time.monotonic() < deadline, "the server stopped answering"
            time.sleep(0.2)
    assert r.status_code == 200 and r.text.startswith("BEGIN:VCALENDAR")


def test_healthz_leaks_nothing(served: Served) -> None:
    r = requests.get(served.base + "/healthz", timeout=5)
    assert r.status_code == 200
    body = r.text
    assert r.json()["last_sync"]["sources"]["remote"] == "error"  # the error is reported …
    for secret in (served.token, URL_USER, URL_PASSWORD, URL_QUERY):  # … without secrets
        assert secret not in body
    assert "feed-token" not in body and ".state" not in body


def test_the_token_never_reaches_the_log(served: Served) -> None:
    # runs last in this module (pytest keeps file order): every attack above was logged
    requests.get(f"{served.base}/feed/{served.token}.ics", timeout=5)
    time.sleep(0.3)
    text = served.log.read_text(encoding="utf-8", errors="replace")
    assert "GET /feed/***" in text  # -vv logs each request, with the token masked
    for secret in (served.token, URL_PASSWORD, URL_QUERY):
        assert secret not in text
    assert len(served.tried) >= 60  # 80 attack requests and 200 idle connections


# -- in-process: timeouts and the connection bound --------------------------------------
@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[FeedServer, str, str]]:
    state = tmp_path / "state"
    token = ensure_token(state)
    app = Feed(tmp_path / "none.ics", state, tz=ZoneInfo("Europe/Berlin"))
    fs = FeedServer(app, "127.0.0.1", 0)
    fs.start()
    try:
        yield fs, f"http://127.0.0.1:{fs.port}", token
    finally:
        fs.stop()


def test_the_server_is_configured_with_limits(server) -> None:
    fs, _, _ = server
    adj = fs.server.adj
    assert adj.channel_timeout == 30 and adj.connection_limit == 64
    assert adj.max_request_header_size == 16 * 1024 and adj.max_request_body_size == 4 * 1024
    assert adj.expose_tracebacks is False


def _closed_within(s: socket.socket, seconds: float) -> bool:
    s.settimeout(seconds)
    try:
        return s.recv(100) == b""  # the server closed the connection
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_slow_clients_are_cut_off(server) -> None:
    fs, base, _ = server
    fs.server.adj.channel_timeout = 1
    fs.server.adj.cleanup_interval = 0.5
    fs.server.next_channel_cleanup = 0  # the first sweep was scheduled 15 s out
    port = int(base.rsplit(":", 1)[1])
    idle = socket.create_connection(("127.0.0.1", port))  # connects, says nothing
    partial = socket.create_connection(("127.0.0.1", port))
    partial.sendall(b"GET /feed/abc")  # half a request line, then silence
    began = time.monotonic()
    try:
        assert _closed_within(idle, 8) and _closed_within(partial, 8)
        assert time.monotonic() - began < 8
    finally:
        idle.close()
        partial.close()


def test_connections_are_bounded_and_all_released(server) -> None:
    fs, base, token = server
    port = int(base.rsplit(":", 1)[1])
    socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(200)]
    try:
        time.sleep(1.5)
        channels = sum(1 for v in list(fs._map.values()) if type(v).__name__ == "HTTPChannel")
        assert channels <= fs.server.adj.connection_limit
    finally:
        for s in socks:
            s.close()
    deadline = time.monotonic() + 15
    while sum(1 for v in list(fs._map.values()) if type(v).__name__ == "HTTPChannel") > 1:
        assert time.monotonic() < deadline, "closed connections were not released"
        time.sleep(0.2)
    r = requests.get(f"{base}/feed/{token}.ics", timeout=5)
    assert r.status_code == 200


def test_the_token_is_compared_in_constant_time(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state"
    token = ensure_token(state)
    app = Feed(tmp_path / "none.ics", state, tz=ZoneInfo("UTC"))
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a, b):  # type: ignore[no-untyped-def]
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(feed_module.hmac, "compare_digest", spy)
    for given in ("x", token[:-1] + "x", token, "é" * 43, ""):
        status: list[str] = []
        app({"PATH_INFO": f"/feed/{given}.ics", "REQUEST_METHOD": "GET"},
            lambda s, h, status=status: status.append(s))
        assert status[0].startswith("200" if given == token else "404")
    assert len(calls) == 5  # every candidate, right or wrong, short or long
    assert all(b == token.encode() for _, b in calls)
