"""The first hour of a new user (issue "the first hour"): one test (or a few) per item.

Each test does what a newcomer does — two configs, a calendar that is down, a wrong
timezone, dismissing a suggestion, opening the status page on a phone — and checks
what they would read.
"""

from __future__ import annotations

import configparser
import io
import json
import os
import plistlib
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
from datetime import datetime
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from legday_sync import config
from legday_sync.adapters.ics.sink import PROP_OWNER
from legday_sync.adapters.ics.source import IcsSource
from legday_sync.adapters.lock import sync_lock
from legday_sync.adapters.state import State
from legday_sync.core.model import Window
from legday_sync.errors import ConfigError
from legday_sync.service import sync_once
from legday_sync.web.status_page import GUTTER, TRACK, StatusPage, W
from legday_sync.web.token import page_url
from tests.conftest import EXAMPLE_NOW, EXAMPLES, ROOT

SRC = str(ROOT / "src")
NOW = datetime.fromisoformat(EXAMPLE_NOW)
BERLIN = ZoneInfo("Europe/Berlin")
TOKEN = "T0k3n-abcdefghijklmnopqrstuvwxyz_0123456789"

OTHER_ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:b-legs\r
DTSTART;TZID=Europe/Berlin:20261125T180000\r
DTEND;TZID=Europe/Berlin:20261125T190000\r
SUMMARY:Squats\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:b-run\r
DTSTART;TZID=Europe/Berlin:20261126T070000\r
DTEND;TZID=Europe/Berlin:20261126T074500\r
SUMMARY:Intervals 5x1k\r
END:VEVENT\r
END:VCALENDAR\r
"""


def run(*args: str, cwd: Path, home: Path, extra_env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "PYTHONPATH": SRC,
           "HOME": str(home), "XDG_STATE_HOME": str(home / "state"),
           "XDG_CONFIG_HOME": str(home / "config"), **(extra_env or {})}
    env.pop("LEGDAY_SYNC_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "legday_sync", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def write_config(path: Path, body: str, tz: str = "Europe/Berlin") -> Path:
    path.write_text(f'timezone = "{tz}"\n' + body)
    return path


def example_config(folder: Path, name: str = "legday-sync.toml", extra: str = "") -> Path:
    (folder / "training.ics").write_bytes((EXAMPLES / "training.ics").read_bytes())
    return write_config(folder / name, '[[source]]\nname = "training"\ntype = "ics"\n'
                        'path = "training.ics"\n' + extra)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- 1. two configs don't erase each other ------------------------------------------------
def test_each_config_has_its_own_state_dir(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    a = config.load(example_config(tmp_path, "running.toml"))
    b = config.load(example_config(tmp_path, "lifting.toml"))
    assert a.state_dir != b.state_dir
    assert a.state_dir.parent == b.state_dir.parent == tmp_path / "xdg" / "legday-sync"
    assert re.fullmatch(r"running-[0-9a-f]{8}", a.state_dir.name)
    assert re.fullmatch(r"lifting-[0-9a-f]{8}", b.state_dir.name)
    # keyed by the resolved path: the same file reached another way is the same config
    monkeypatch.chdir(tmp_path)
    assert config.load(Path("running.toml")).state_dir == a.state_dir


def test_a_sync_never_deletes_suggestions_another_config_wrote(tmp_path: Path,
                                                               monkeypatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "other.ics").write_text(OTHER_ICS)
    shared = '[output.ics]\npath = "shared.ics"\n'
    a = config.load(example_config(tmp_path, "a.toml", shared))
    b = config.load(write_config(tmp_path / "b.toml", '[[source]]\ntype = "ics"\n'
                                 'path = "other.ics"\n' + shared))
    first = sync_once(a, NOW)
    assert first.ok and first.suggestions
    feed = (tmp_path / "shared.ics").read_text()
    assert f"{PROP_OWNER}:{a.config_id}" in feed
    second = sync_once(b, NOW)
    assert second.ok and second.suggestions
    assert not [x for x in second.actions if x.op == "delete"], second.actions
    feed = (tmp_path / "shared.ics").read_text()
    for s in first.suggestions + second.suggestions:
        assert s.id in feed  # both configs' suggestions are there
    again = sync_once(a, NOW)  # and the first config leaves the second's alone too
    assert not [x for x in again.actions if x.op == "delete"]


def test_users_of_the_old_shared_state_dir_are_told_where_it_went(tmp_path: Path,
                                                                  monkeypatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    old = tmp_path / "xdg" / "legday-sync"
    old.mkdir(parents=True)
    State(old).close()  # a state of a version that shared one folder
    settings = config.load(example_config(tmp_path))
    report = sync_once(settings, NOW, dry_run=True)
    note = next(n for n in report.notes if "no longer read" in n)
    assert str(settings.state_dir) in note and str(old) in note and "[state] dir" in note


def test_a_config_with_no_calendar_is_an_error_with_a_fix(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.toml", 'goal = "running"\n')
    with pytest.raises(ConfigError) as info:
        config.load(cfg)
    (problem,) = info.value.problems
    assert problem.key == "source" and "no calendar to read" in problem.message
    assert "[[source]]" in problem.fix and "init" in problem.fix
    r = run("--config", str(cfg), "check", cwd=tmp_path, home=tmp_path)
    assert r.returncode == 2 and "no calendar to read" in r.stderr


# -- 2. a failure never reads as success ----------------------------------------------------
def test_a_source_down_leads_the_sync_report_and_the_week(tmp_path: Path) -> None:
    port = closed_port()
    cfg = example_config(tmp_path, extra=f'[[source]]\nname = "club"\ntype = "ics"\n'
                                          f'url = "http://127.0.0.1:{port}/club.ics"\n'
                                          '[state]\ndir = "state"\n')
    r = run("--config", str(cfg), "sync", "--now", EXAMPLE_NOW, cwd=tmp_path, home=tmp_path)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[0].startswith("error: club: could not fetch")
    assert f"connection refused by 127.0.0.1:{port} — is the server running" in r.stdout
    assert "Max retries" not in r.stdout + r.stderr and "HTTPConnectionPool" not in r.stdout
    assert "Not judged: the events of club" in r.stdout
    assert "No conflicts: every run is clear" not in r.stdout
    assert "Synced with errors" in r.stdout and not re.search(r"^Synced\.", r.stdout, re.M)
    # where it wrote
    assert "Suggestions are in: the feed file state/suggestions.ics" \
        in r.stdout.replace("\n", "")

    w = run("--config", str(cfg), "week", "--now", EXAMPLE_NOW, cwd=tmp_path, home=tmp_path)
    assert w.returncode == 1
    assert w.stdout.splitlines()[0].startswith("error: club:")
    assert "Not judged: the events of club" in w.stdout
    assert "(from the calendars read)" in w.stdout  # an empty day is not "nothing planned"


def test_waiting_for_the_lock_says_so_while_it_waits(tmp_path: Path) -> None:
    cfg = example_config(tmp_path, extra='[state]\ndir = "state"\n')
    with sync_lock(tmp_path / "state"):
        r = run("--config", str(cfg), "sync", "--wait", "1", "--now", EXAMPLE_NOW,
                cwd=tmp_path, home=tmp_path)
    assert r.returncode == 3
    first = r.stderr.splitlines()[0]
    assert first.startswith("waiting up to 1 s for another legday-sync (pid ")
    assert "another legday-sync is running" in r.stderr


@pytest.mark.slow
def test_a_second_ctrl_c_in_the_daemon_says_it_quits_now(tmp_path: Path) -> None:
    # a server that accepts and never answers: the daemon's first sync stays in flight
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(8)
    port = hang.getsockname()[1]
    cfg = example_config(tmp_path, extra=f'[[source]]\nname = "slow"\ntype = "ics"\n'
                                          f'url = "http://127.0.0.1:{port}/x.ics"\n'
                                          'timeout_seconds = 60\n[state]\ndir = "state"\n'
                                          f'[feed]\nlisten = "127.0.0.1:{closed_port()}"\n')
    env = {**os.environ, "PYTHONPATH": SRC, "HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "legday_sync", "--config", str(cfg),
                             "daemon"], cwd=tmp_path, env=env, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # wait for the sync to be connected and stuck
            hang.settimeout(0.2)
            try:
                conn, _ = hang.accept()
                break
            except TimeoutError:
                continue
        else:
            raise AssertionError("the daemon never connected")
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert proc.poll() is None  # still waiting for the sync in flight
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        hang.close()
    assert proc.returncode == 128 + signal.SIGINT
    assert "again to quit now" in err
    assert "SIGINT again: quitting now" in err
    conn.close()


# -- 3. timezones ---------------------------------------------------------------------------
def test_the_local_zone_comes_from_tzlocal(tmp_path: Path) -> None:
    r = run("init", "--yes", "--path", "c.toml", cwd=tmp_path, home=tmp_path,
            extra_env={"TZ": ":/usr/share/zoneinfo/Europe/Paris"})
    assert r.returncode == 0, r.stderr
    assert tomllib.loads((tmp_path / "c.toml").read_text())["timezone"] == "Europe/Paris"


@pytest.mark.parametrize(("value", "words"), [
    ("Pacific", ["'Pacific' is a region, not a zone", "Pacific/Auckland"]),
    ("Europe", ["'Europe' is a region", "Europe/Berlin"]),
    ("US", ["'US' is a region", "America/New_York"]),
    ("UTC+1", ["sign is inverted", "\"Etc/GMT+1\" means UTC-1", "Europe/Paris"]),
    ("GMT-5", ["sign is inverted", "America/New_York"]),
    ("Europe/Berlln", ["unknown timezone", "did you mean \"Europe/Berlin\""]),
])
def test_a_bad_timezone_is_a_config_error_that_says_what_to_write(tmp_path: Path, value: str,
                                                                  words: list[str]) -> None:
    cfg = example_config(tmp_path)
    cfg.write_text(cfg.read_text().replace('timezone = "Europe/Berlin"', f'timezone = "{value}"'))
    with pytest.raises(ConfigError) as info:
        config.load(cfg)
    (problem,) = info.value.problems
    text = f"{problem.message} — {problem.fix}"
    for w in words:
        assert w in text, text
    if value == "Pacific":  # the CLI: exit 2 (a config error), not a file-system error
        r = run("--config", str(cfg), "sync", "--dry-run", cwd=tmp_path, home=tmp_path)
        assert r.returncode == 2 and "is a region" in r.stderr and "can't use" not in r.stderr


def test_a_calendar_in_another_zone_is_a_warning(tmp_path: Path) -> None:
    def warnings_for(own: str, configured: str) -> list[str]:
        path = tmp_path / f"{own.replace('/', '_')}.ics"
        path.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
                        f"X-WR-TIMEZONE:{own}\r\nBEGIN:VEVENT\r\nUID:a\r\n"
                        "DTSTART:20261123T170000Z\r\nDTEND:20261123T180000Z\r\n"
                        "SUMMARY:Leg day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
        src = IcsSource("cal", path=path, default_tz=ZoneInfo(configured))
        window = Window(datetime(2026, 11, 20, tzinfo=BERLIN), datetime(2026, 11, 30,
                                                                         tzinfo=BERLIN))
        return list(src.fetch(window).warnings)

    (w,) = warnings_for("America/New_York", "Europe/Berlin")
    assert "own time zone is America/New_York" in w and "Europe/Berlin" in w
    assert 'set timezone = "America/New_York"' in w
    assert warnings_for("Europe/Paris", "Europe/Berlin") == []  # same clock, other name
    assert warnings_for("Europe/Berlin", "Europe/Berlin") == []


# -- 4. dismissing ---------------------------------------------------------------------------
def test_dismiss_and_undismiss_from_the_command_line(tmp_path: Path) -> None:
    cfg = example_config(tmp_path, extra='[state]\ndir = "state"\n')
    feed = tmp_path / "state" / "suggestions.ics"
    r = run("--config", str(cfg), "dismiss", "5ea3", cwd=tmp_path, home=tmp_path)
    assert r.returncode == 2 and "run `legday-sync sync` first" in r.stderr  # no sync yet

    r = run("--config", str(cfg), "sync", "--json", "--now", EXAMPLE_NOW, cwd=tmp_path,
            home=tmp_path)
    out = json.loads(r.stdout)
    target = out["suggestions"][0]
    assert target["id"] in feed.read_text()
    assert "legday-sync dismiss " + target["id"][:8] in target["description"]
    assert "Delete this event to dismiss" not in target["description"]

    r = run("--config", str(cfg), "dismiss", target["id"][:6], cwd=tmp_path, home=tmp_path)
    assert r.returncode == 0, r.stderr
    assert target["title"] in r.stdout and "next sync" in r.stderr
    r = run("--config", str(cfg), "sync", "--json", "--now", EXAMPLE_NOW, cwd=tmp_path,
            home=tmp_path)
    out = json.loads(r.stdout)
    assert {"op": "delete", "target": "ics", "suggestion_id": target["id"]} in out["actions"]
    assert next(s for s in out["suggestions"] if s["id"] == target["id"])["dismissed"] is True
    assert target["id"] not in feed.read_text()
    # it stays gone on the next sync
    r = run("--config", str(cfg), "sync", "--json", "--now", EXAMPLE_NOW, cwd=tmp_path,
            home=tmp_path)
    assert json.loads(r.stdout)["actions"] == [] and target["id"] not in feed.read_text()

    r = run("--config", str(cfg), "undismiss", target["id"], cwd=tmp_path, home=tmp_path)
    assert r.returncode == 0, r.stderr
    r = run("--config", str(cfg), "sync", "--now", EXAMPLE_NOW, cwd=tmp_path, home=tmp_path)
    assert target["id"] in feed.read_text()
    assert target["id"][:8] in r.stdout  # the table shows the ids `dismiss` takes

    # a prefix that names several suggestions, or none, is a usage error with a fix
    ids = [s["id"] for s in out["suggestions"]]
    r = run("--config", str(cfg), "dismiss", "zzzz", cwd=tmp_path, home=tmp_path)
    assert r.returncode == 2 and "no suggestion has an id starting with 'zzzz'" in r.stderr
    assert len(ids) == len(set(ids))


def _post(page: StatusPage, path: str, body: bytes, **headers: str):
    seen: dict = {}

    def start_response(status, hdrs):
        seen["status"], seen["headers"] = status, dict(hdrs)

    environ = {"PATH_INFO": path, "REQUEST_METHOD": "POST", "wsgi.url_scheme": "http",
               "HTTP_HOST": "127.0.0.1:8765", "CONTENT_LENGTH": str(len(body)),
               "CONTENT_TYPE": "application/x-www-form-urlencoded",
               "wsgi.input": io.BytesIO(body), **headers}
    out = b"".join(page(environ, start_response))
    return seen["status"], seen["headers"], out


def _get(page: StatusPage, path: str) -> str:
    seen: dict = {}
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.url_scheme": "http",
               "HTTP_HOST": "127.0.0.1:8765", "wsgi.input": io.BytesIO()}
    body = b"".join(page(environ, lambda s, h: seen.update(status=s)))
    assert seen["status"] == "200 OK"
    return body.decode()


def test_the_status_page_dismiss_button(tmp_path: Path) -> None:
    settings = config.load(example_config(tmp_path, extra='[state]\ndir = "state"\n'))
    report = sync_once(settings, NOW)
    target = report.suggestions[0]
    page = StatusPage(settings, token=lambda: TOKEN, clock=lambda: NOW, daemon=False)
    html = _get(page, f"/{TOKEN}/")
    # a plain form per suggestion: works without JavaScript
    form = (f'<form class="dis" method="post" action="/{TOKEN}/dismiss">'
            f'<input type="hidden" name="id" value="{target.id}">')
    assert form in html
    assert html.count('<form class="dis"') >= len(report.suggestions)
    body = f"id={target.id}".encode()

    # from another site, or with no origin at all: refused, nothing recorded
    for headers in ({"HTTP_ORIGIN": "https://evil.example"}, {},
                    {"HTTP_ORIGIN": "null"}, {"HTTP_REFERER": "http://evil.example/x"}):
        status, _, _ = _post(page, f"/{TOKEN}/dismiss", body, **headers)
        assert status.startswith("403"), headers
    assert _post(page, f"/{'x' * 40}/dismiss", body,
                 HTTP_ORIGIN="http://127.0.0.1:8765")[0].startswith("404")
    state = State(settings.state_dir, readonly=True)
    assert state.dismissed() == {}
    state.close()

    status, headers, _ = _post(page, f"/{TOKEN}/dismiss", body,
                               HTTP_ORIGIN="http://127.0.0.1:8765")
    assert status == "303 See Other" and headers["Location"] == f"/{TOKEN}/"
    html = _get(page, f"/{TOKEN}/")
    assert f"Dismissed “{escape(target.title)}”" in html and "next `legday-sync sync`" in html
    assert f'action="/{TOKEN}/undismiss"><input type="hidden" name="id" value="{target.id}">' \
        in html
    after = sync_once(settings, NOW)
    assert any(a.op == "delete" and a.suggestion_id == target.id for a in after.actions)
    assert target.id not in (settings.state_dir / "suggestions.ics").read_text()

    # a Referer from the page works as well as an Origin; a stale id is a clear 409
    status, _, _ = _post(page, f"/{TOKEN}/undismiss", body,
                         HTTP_REFERER=f"http://127.0.0.1:8765/{TOKEN}/")
    assert status == "303 See Other"
    status, _, text = _post(page, f"/{TOKEN}/dismiss", b"id=0123456789abcdef",
                            HTTP_ORIGIN="http://127.0.0.1:8765")
    assert status.startswith("409") and b"reload" in text
    assert _post(page, f"/{TOKEN}/dismiss", b"x" * 5000,
                 HTTP_ORIGIN="http://127.0.0.1:8765")[0].startswith("400")


# -- 5. the status page, findable and readable on a phone --------------------------------------
def test_feed_url_names_the_status_page_and_it_opens(tmp_path: Path) -> None:
    cfg = example_config(tmp_path, extra='[state]\ndir = "state"\n')
    r = run("--config", str(cfg), "feed-url", cwd=tmp_path, home=tmp_path)
    assert r.returncode == 0
    http, _webcal = r.stdout.split()
    page = re.search(r"status page: (\S+)", r.stderr)
    assert page and page[1] == page_url(http)
    token = (tmp_path / "state" / "feed-token").read_text().strip()
    assert page[1] == f"http://127.0.0.1:8765/{token}/"
    assert "public address" in r.stderr and "CalDAV" in r.stderr


def test_the_daemon_logs_where_the_page_is_without_the_token(tmp_path: Path, caplog) -> None:
    from legday_sync.daemon import log_addresses

    settings = config.load(example_config(tmp_path, extra='[state]\ndir = "state"\n'))
    caplog.set_level("INFO", logger="legday_sync")
    log_addresses(settings)
    text = caplog.text
    assert "status page at http://127.0.0.1:8765/TOKEN/" in text
    assert "legday-sync feed-url" in text


def test_the_page_reads_on_a_phone(tmp_path: Path) -> None:
    settings = config.load(example_config(
        tmp_path, extra='[state]\ndir = "state"\n[schedule]\ntraining_hours = '
                        '["06:30-09:00", "17:30-20:30"]\n'))
    sync_once(settings, NOW)
    served = _get(StatusPage(settings, token=lambda: TOKEN, clock=lambda: NOW), f"/{TOKEN}/")
    daemon = _get(StatusPage(settings, token=lambda: TOKEN, clock=lambda: NOW, daemon=True),
                  f"/{TOKEN}/")
    # the timeline opens at the training hours (an hour before the first) when it must scroll
    start = re.search(r'<div class="scroll" data-start="([0-9.]+)">', served)
    assert start and float(start[1]) == pytest.approx((GUTTER + TRACK * 5.5 / 24) / W, abs=1e-4)
    assert "scrollLeft" in served and 'name="viewport"' in served
    # the sync status comes before the timeline and the days
    assert served.index('id="h-status"') < served.index('id="h-timeline"') < \
        served.index('id="h-days"')
    # subscribe help for phones and Google
    assert "can only reach a <em>public</em> address" in served
    assert "reachable only from this computer" in served
    assert "CalDAV" in served and "tunnel" in served and "--base-url" in served
    # `serve` alone promises no daemon
    state = State(settings.state_dir)
    state.db.execute("DELETE FROM meta WHERE key='last_sync'")
    state.close()
    served = _get(StatusPage(settings, token=lambda: TOKEN, clock=lambda: NOW), f"/{TOKEN}/")
    assert "the daemon writes one soon" not in served and "only serves the page" in served
    assert "the daemon writes one soon" in daemon or "Last sync: <strong>" in daemon


# -- 6. words --------------------------------------------------------------------------------
def test_messages_speak_the_users_language(tmp_path: Path) -> None:
    cfg = example_config(tmp_path, extra='[classify]\nleg_day = "Beintag"\n')
    cfg.write_text('goal = "runing"\n' + cfg.read_text())
    with pytest.raises(ConfigError) as info:
        config.load(cfg)
    by_key = {p.key: p for p in info.value.problems}
    assert by_key["classify.leg_day"].message == '`leg_day` must be a list, e.g. ["Beintag"]'
    assert by_key["goal"].fix == 'did you mean "running"?'
    text = " ".join(f"{p.message} {p.fix}" for p in info.value.problems)
    assert "Input should be" not in text and "valid tuple" not in text

    r = run("--config", str(example_config(tmp_path, "ok.toml")), "rules", cwd=tmp_path,
            home=tmp_path)
    assert "Should You Run after Leg Day?" in r.stdout
    assert "Running After Leg Workout" in r.stdout and "seed 00" not in r.stdout


# -- 8. packaging ------------------------------------------------------------------------------
def test_packaged_like_its_peers() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and "MIT License" in (ROOT / "LICENSE").read_text()
    assert project["urls"]["Homepage"] and project["urls"]["Changelog"]
    assert any(c.startswith("Programming Language :: Python :: 3") for c in
               project["classifiers"])
    assert "## 0.2.0" in (ROOT / "CHANGELOG.md").read_text()

    timer = configparser.ConfigParser(strict=False)
    timer.read(ROOT / "contrib" / "legday-sync-sync.timer")
    assert timer["Timer"]["OnUnitActiveSec"] and timer["Install"]["WantedBy"] == "timers.target"
    service = configparser.ConfigParser(strict=False, interpolation=None)
    service.read(ROOT / "contrib" / "legday-sync-sync.service")
    assert service["Service"]["Type"] == "oneshot"
    assert "legday-sync sync" in service["Service"]["ExecStart"]
    with (ROOT / "contrib" / "org.legday-sync.sync.plist").open("rb") as f:
        plist = plistlib.load(f)
    assert plist["ProgramArguments"][-1] == "sync" and plist["StartInterval"] >= 300


def test_config_not_found_points_at_init_only(tmp_path: Path) -> None:
    r = run("--config", str(tmp_path / "nope.toml"), "sync", cwd=tmp_path, home=tmp_path)
    assert r.returncode == 2 and "legday-sync init" in r.stderr
    assert "config.example.toml" not in r.stderr


# -- 9. the README ------------------------------------------------------------------------------
def test_the_readme_quickstart_is_two_commands_and_the_sections_are_there() -> None:
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", quick, re.S)
    assert len(blocks) == 2 and all(len(b.strip().splitlines()) == 1 for b in blocks)
    assert "sync --dry-run" in blocks[0] and "examples/" in blocks[0]
    assert blocks[1].strip() == "bash .ci/run"
    for heading in ("## Install", "## What it judges", "## Three ways to see the suggestions",
                    "### What counts as a workout", "### What it suggests", "## Commands",
                    "## Configuration", "## Troubleshooting"):
        assert heading in text, heading
    for link in ("docs/caldav.md", "docs/google.md", "docs/classify.md", "docs/planner.md",
                 "CONTRIBUTING.md", "pipx install"):
        assert link in text, link
    for command in ("events", "dismiss", "undismiss"):
        assert re.search(rf"^  {command}\b", text, re.M), command
    # the dry-run capture is the real command's output, as it is now
    capture = (ROOT / "docs" / "dry-run.txt").read_text()
    assert "Would write to" in capture and "│ id " in capture.replace("┃", "│")


def test_a_dismiss_on_the_daemons_page_brings_its_next_sync_forward(tmp_path: Path) -> None:
    from datetime import timedelta

    from apscheduler.schedulers.background import BackgroundScheduler

    from legday_sync.daemon import JOB_ID, Daemon

    settings = config.load(example_config(tmp_path, extra='[state]\ndir = "state"\n'))
    daemon = Daemon(settings, serve=False)
    daemon.scheduler = BackgroundScheduler(timezone=settings.tz)
    later = datetime.now(settings.tz) + timedelta(hours=1)
    daemon.scheduler.add_job(lambda: None, "interval", hours=1, id=JOB_ID, next_run_time=later)
    daemon.scheduler.start(paused=True)
    try:
        daemon.sync_soon()
        job = daemon.scheduler.get_job(JOB_ID)
        assert job.next_run_time < later - timedelta(minutes=59)
    finally:
        daemon.scheduler.shutdown(wait=False)


@pytest.mark.parametrize("capture", ["dry-run.txt", "week.txt"])
def test_the_docs_captures_are_what_the_commands_print_today(capture: str) -> None:
    """docs/dry-run.txt (shown in the README) and docs/week.txt are the real output, not stale."""
    text = (ROOT / "docs" / capture).read_text()
    command = text.splitlines()[0].removeprefix("$ legday-sync ").split()
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    env.pop("LEGDAY_SYNC_CONFIG", None)
    out = subprocess.run([sys.executable, "-m", "legday_sync", *command], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    printed = [line.rstrip() for line in (out.stdout + out.stderr).splitlines()]
    assert printed == text.splitlines()[1:], f"regenerate docs/{capture} (README shows it too)"
