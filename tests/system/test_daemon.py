"""`legday-sync daemon` and `serve` as real subprocesses, on a free port, with a short interval.

The daemon reads the real clock, so its source calendar is written around "now" (a leg day
that ended 12 h ago, a hard run 12 h from now: a conflict under every goal).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from legday_sync.adapters.lock import sync_lock
from tests.conftest import EXAMPLE_NOW, EXAMPLES

INTERVAL_MINUTES = 0.05  # 3 s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160", "HOME": str(home)}
    env.pop("LEGDAY_SYNC_CONFIG", None)
    return env


def cli(cfg: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "legday_sync", "--config", str(cfg), *args],
                          cwd=cfg.parent, env=cli_env(cfg.parent), capture_output=True,
                          text=True, timeout=timeout)


def wait_for(check: Callable[[], object], timeout: float, what: str,
             proc: subprocess.Popen | None = None, log: Path | None = None) -> object:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except requests.ConnectionError:
            result = None
        if result:
            return result
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"process exited {proc.returncode} while waiting for {what}:\n"
                        + (log.read_text() if log else ""))
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}" + (f":\n{log.read_text()}" if log else ""))
        time.sleep(0.1)


@contextmanager
def running(cfg: Path, command: str) -> Iterator[tuple[subprocess.Popen, Path]]:
    """``legday-sync <command>`` in the background; killed if the test didn't stop it."""
    log = cfg.parent / f"{command}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "legday_sync", "--config", str(cfg),
                                 command], cwd=cfg.parent, env=cli_env(cfg.parent),
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc, log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def base_url(cfg: Path) -> str:
    for line in cfg.read_text().splitlines():
        if line.startswith("listen"):
            return "http://" + line.split('"')[1]
    raise AssertionError("no listen in config")


def feed_url(cfg: Path, *extra: str) -> str:
    r = cli(cfg, "feed-url", *extra)
    assert r.returncode == 0, r.stderr
    http, webcal = r.stdout.split()
    assert http.startswith(base_url(cfg) + "/feed/") and http.endswith(".ics")
    assert webcal == "webcal://" + http.removeprefix("http://")
    return http


def stop(proc: subprocess.Popen, log: Path, within: float = 5.0) -> float:
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(within + 5)
    except subprocess.TimeoutExpired:
        pytest.fail(f"did not stop after SIGTERM:\n{log.read_text()}")
    took = time.monotonic() - t0
    assert code == 0, log.read_text()
    assert took < within, f"took {took:.1f} s to stop"
    return took


# -- the source calendar around the real clock -------------------------------------------
def _stamp(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def write_calendar(path: Path, run_title: str, now: datetime) -> None:
    now = now.replace(second=0, microsecond=0)
    leg_end = now - timedelta(hours=12)
    run_start = now + timedelta(hours=12)
    events = [("leg-1@test", "Leg day", leg_end - timedelta(minutes=75), leg_end),
              ("run-1@test", run_title, run_start, run_start + timedelta(minutes=45)),
              ("meet-1@test", "Sprint review", now + timedelta(hours=3),
               now + timedelta(hours=4))]
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:{title}\r\n"
        f"DTSTART:{_stamp(s)}\r\nDTEND:{_stamp(e)}\r\nEND:VEVENT\r\n"
        for uid, title, s, e in events)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + body
                     + "END:VCALENDAR\r\n").encode())
    os.replace(tmp, path)  # as an editor or a sync client would: never half-written


def make_config(folder: Path, *, interval: float = INTERVAL_MINUTES,
                source: str = "training.ics") -> Path:
    """The example config, with a free port and a short interval."""
    folder.mkdir(parents=True, exist_ok=True)
    cfg = folder / "legday-sync.toml"
    text = (EXAMPLES / "legday-sync.toml").read_text().replace('"training.ics"', f'"{source}"')
    cfg.write_text(text + f'\n[daemon]\ninterval_minutes = {interval}\n\n'
                          f'[feed]\nlisten = "127.0.0.1:{free_port()}"\n')
    return cfg


@pytest.fixture
def live(tmp_path: Path) -> Path:
    cfg = make_config(tmp_path / "live")
    write_calendar(cfg.parent / "training.ics", "Tempo run 8k", datetime.now(UTC))
    return cfg


def get(url: str, **headers: str) -> requests.Response:
    return requests.get(url, headers={k.replace("_", "-"): v for k, v in headers.items()},
                        timeout=5)


# -- tests -----------------------------------------------------------------------------------
def test_backoff_doubles_and_is_capped_at_the_interval() -> None:
    from legday_sync.daemon import backoff_seconds

    assert [backoff_seconds(n, 900) for n in (1, 2, 3, 4, 5, 6)] == [30, 60, 120, 240, 480, 900]
    assert backoff_seconds(1, 3) == 3


def test_daemon_syncs_follows_the_source_and_stops_cleanly(live: Path) -> None:
    with running(live, "daemon") as (proc, log):
        health = f"{base_url(live)}/healthz"
        wait_for(lambda: get(health).ok, 20, "the feed server", proc, log)
        url = feed_url(live)
        first = wait_for(lambda: (r := get(url)).ok and b"instead of Tempo run 8k" in r.content
                         and r, 20, "the first sync's suggestions", proc, log)
        assert first.headers["Content-Type"] == "text/calendar; charset=utf-8"
        assert get(url, If_None_Match=first.headers["ETag"]).status_code == 304
        assert get(url, If_Modified_Since=first.headers["Last-Modified"]).status_code == 304

        write_calendar(live.parent / "training.ics", "Hill repeats 10x200m", datetime.now(UTC))
        second = wait_for(lambda: (r := get(url)).ok and b"Hill repeats" in r.content and r,
                          20, "the feed to follow the source", proc, log)
        assert b"Tempo run 8k" not in second.content  # the withdrawn suggestion left the feed
        assert second.headers["ETag"] != first.headers["ETag"]
        assert get(url, If_None_Match=first.headers["ETag"]).status_code == 200

        info = get(health).json()
        assert info["ok"] is True and info["daemon"]["runs"] >= 2
        # the status page behind the same token shows the week from the daemon's last sync
        token = url.rsplit("/", 1)[1].removesuffix(".ics")
        page = get(f"{base_url(live)}/{token}/")
        assert page.ok and page.headers["Content-Type"].startswith("text/html")
        assert "Hill repeats 10x200m" in page.text and "run-within-recovery" in page.text
        assert url in page.text  # the feed URL to copy
        assert get(f"{base_url(live)}/{token[:-1]}x/").status_code == 404
        assert info["last_sync"]["sources"] == {"training": "ok"}
        assert get(url.replace("/feed/", "/feed/x")).status_code == 404
        stop(proc, log)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    text = log.read_text()
    assert "sync done" in text and token not in text


def test_one_writer_at_a_time(live: Path) -> None:
    """While the lock is held (as a daemon's sync holds it), a one-shot sync exits 3 and the
    daemon writes nothing; released, the daemon catches up; SIGTERM while it waits is prompt."""
    state = live.parent / ".state"
    out = state / "suggestions.ics"
    with running(live, "daemon") as (proc, log):
        wait_for(lambda: out.exists() and b"Tempo run 8k" in out.read_bytes(), 20,
                 "the first sync", proc, log)
        with sync_lock(state, wait=10):
            before = out.read_bytes()
            write_calendar(live.parent / "training.ics", "Hill repeats 10x200m",
                           datetime.now(UTC))
            r = cli(live, "sync", "--wait", "0.5")
            assert r.returncode == 3
            assert "another legday-sync is running" in r.stderr
            assert f"pid {os.getpid()}" in r.stderr
            wait_for(lambda: "waiting for it" in log.read_text(), 10,
                     "the daemon to wait for the lock", proc, log)
            assert out.read_bytes() == before  # nobody wrote while we held the lock
        wait_for(lambda: b"Hill repeats" in out.read_bytes(), 10,
                 "the daemon to sync once the lock is free", proc, log)

        with sync_lock(state, wait=10):
            n = log.read_text().count("waiting for it")
            wait_for(lambda: log.read_text().count("waiting for it") > n, 10,
                     "the daemon to wait again", proc, log)
            stop(proc, log, within=3)  # stops while waiting for the lock, exit 0


def test_failing_source_does_not_kill_the_daemon(tmp_path: Path) -> None:
    cfg = make_config(tmp_path / "broken")
    cal = cfg.parent / "training.ics"
    write_calendar(cal, "Tempo run 8k", datetime.now(UTC))
    with running(cfg, "daemon") as (proc, log):
        health = f"{base_url(cfg)}/healthz"
        wait_for(lambda: get(health).json()["ok"] is True, 20, "a good sync", proc, log)
        cal.write_bytes(b"this is not a calendar")
        wait_for(lambda: get(health).json()["ok"] is False, 20, "a failed sync", proc, log)
        assert proc.poll() is None
        feed = get(feed_url(cfg))
        assert b"Tempo run 8k" in feed.content  # nothing deleted because the source broke
        write_calendar(cal, "Tempo run 8k", datetime.now(UTC))
        wait_for(lambda: get(health).json()["ok"] is True, 20, "recovery", proc, log)
        stop(proc, log)


def test_serve_alone_follows_a_separate_sync_and_rotation(tmp_path: Path) -> None:
    folder = tmp_path / "serve"
    cfg = make_config(folder)
    shutil.copy(EXAMPLES / "training.ics", folder / "training.ics")
    with running(cfg, "serve") as (proc, log):
        url = feed_url(cfg)
        empty = wait_for(lambda: (r := get(url)).ok and r, 20, "the server", proc, log)
        assert empty.content.startswith(b"BEGIN:VCALENDAR") and b"BEGIN:VEVENT" not in empty.content

        r = cli(cfg, "sync", "--now", EXAMPLE_NOW)
        assert r.returncode == 0, r.stderr
        written = (folder / ".state" / "suggestions.ics").read_bytes()
        full = wait_for(lambda: (r := get(url)).content == written and r, 5,
                        "the served feed to pick up the sync's file", proc, log)
        assert full.content.count(b"BEGIN:VEVENT") >= 4  # the example's conflicts, suggested
        assert get(url).content == full.content  # byte-identical while nothing changes

        new = feed_url(cfg, "--rotate")
        assert new != url
        assert get(url).status_code == 404
        assert get(new).content == full.content
        assert feed_url(cfg) == new  # stable until the next rotation
        stop(proc, log)


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    cfg = make_config(tmp_path / "busy")
    shutil.copy(EXAMPLES / "training.ics", cfg.parent / "training.ics")
    port = int(base_url(cfg).rsplit(":", 1)[1])
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        r = cli(cfg, "serve", timeout=30)
    assert r.returncode != 0
    assert "can't listen on 127.0.0.1" in r.stderr and "[feed] listen" in r.stderr
