"""Real CalDAV servers for the tests: Radicale (htpasswd auth) and Xandikos (no auth),
each started on a free 127.0.0.1 port in a temp dir, plus a phone: the caldav library
as a user's calendar app would use it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import caldav
import pytest
import requests

from legday_sync.adapters.caldav.account import Account
from legday_sync.adapters.caldav.sink import CalDavSink
from legday_sync.adapters.caldav.source import CalDavSource
from legday_sync.adapters.state import State

USER, PASSWORD = "alice", "pw-PLANTED-caldav-9f2"
BERLIN = ZoneInfo("Europe/Berlin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode}:\n{log.read_text()}")
        try:
            requests.request("OPTIONS", url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError(f"server at {url} did not start:\n{log.read_text()}")


class Server:
    def __init__(self, url: str, proc: subprocess.Popen, root: Path, kind: str) -> None:
        self.url, self.proc, self.root, self.kind = url, proc, root, kind

    def account(self, root: Path, password: str = PASSWORD) -> Account:
        """An Account whose password sits in a 0600 file under ``root``."""
        pw = root / "caldav-password"
        pw.write_text(password + "\n")
        pw.chmod(0o600)
        return Account(self.url, USER, password_file=pw, timeout=10)

    def phone(self) -> caldav.Principal:
        client = caldav.DAVClient(self.url, username=USER, password=PASSWORD,
                                  enable_rfc6764=False)
        return client.principal()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def start_again(self) -> None:
        """After stop(): the same server on the same port and data (a server that was down)."""
        self.proc = subprocess.Popen(self.proc.args, stdout=self.proc_log(),
                                     stderr=subprocess.STDOUT)
        _wait_up(self.url, self.proc, self.root / "server.log")

    def proc_log(self):  # a file object to append the server log to
        return (self.root / "server.log").open("ab")


def new_calendar(server: Server, name: str | None = None) -> caldav.Calendar:
    """A fresh calendar on the phone (a unique name unless given)."""
    return server.phone().make_calendar(name=name or f"cal-{uuid.uuid4().hex[:10]}")


def caldav_source(server: Server, root: Path, calendar: str, **kw: Any) -> CalDavSource:
    root.mkdir(parents=True, exist_ok=True)
    state = State(root / "state")
    return CalDavSource("cal", server.account(root), calendar, tz=BERLIN, state=state, **kw)


def caldav_sink(server: Server, root: Path, calendar: str | None = None, **kw: Any
                ) -> CalDavSink:
    root.mkdir(parents=True, exist_ok=True)
    state = State(root / "state")
    return CalDavSink(server.account(root), calendar or f"sugg-{uuid.uuid4().hex[:10]}",
                      state=state, tz=BERLIN, **kw)


@contextmanager
def radicale(root: Path) -> Iterator[Server]:
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (root / "users").write_text(f"{USER}:{PASSWORD}\n")
    (root / "radicale.cfg").write_text(f"""
[server]
hosts = 127.0.0.1:{port}
[auth]
type = htpasswd
htpasswd_filename = {root / "users"}
htpasswd_encryption = plain
delay = 0
[storage]
filesystem_folder = {root / "collections"}
[rights]
type = owner_only
[logging]
level = warning
""")
    log = root / "server.log"
    proc = subprocess.Popen([sys.executable, "-m", "radicale", "-C", str(root / "radicale.cfg")],
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}/", proc, root, "radicale")
    try:
        _wait_up(server.url, proc, log)
        yield server
    finally:
        server.stop()


@contextmanager
def xandikos(root: Path) -> Iterator[Server]:
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = root / "server.log"
    proc = subprocess.Popen([sys.executable, "-m", "xandikos", "serve", "--defaults", "-d",
                             str(root / "data"), "-l", "127.0.0.1", "-p", str(port),
                             "--state-dir", str(root / "state"),
                             "--current-user-principal", f"/{USER}/"],
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}/", proc, root, "xandikos")
    try:
        _wait_up(server.url, proc, log)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def radicale_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with radicale(tmp_path_factory.mktemp("radicale")) as server:
        yield server


@pytest.fixture(scope="session")
def xandikos_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with xandikos(tmp_path_factory.mktemp("xandikos")) as server:
        yield server
