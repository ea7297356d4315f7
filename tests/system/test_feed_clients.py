"""The served feed consumed by real subscribers: vdirsyncer (an `http` storage synced into a
vdir) and khal listing what vdirsyncer stored. Both come from the venv (test extras)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_NOW
from tests.system.test_daemon import (
    cli,
    feed_url,
    get,
    make_config,
    running,
    stop,
    wait_for,
    write_calendar,
)

BIN = Path(sys.executable).parent
VDIRSYNCER = shutil.which("vdirsyncer", path=str(BIN)) or shutil.which("vdirsyncer")
KHAL = shutil.which("khal", path=str(BIN)) or shutil.which("khal")
pytestmark = pytest.mark.skipif(not (VDIRSYNCER and KHAL),
                                reason="vdirsyncer and khal are test dependencies")


class Subscriber:
    """A vdirsyncer pair (http feed -> filesystem vdir) and a khal reading the vdir."""

    def __init__(self, home: Path, url: str) -> None:
        self.home = home
        self.vdir = home / "vdir" / "legday"
        self.vdir.mkdir(parents=True)
        (home / "status").mkdir()
        self.vconf = home / "vdirsyncer.conf"
        self.vconf.write_text(f"""\
[general]
status_path = "{home / 'status'}/"

[pair legday]
a = "legday_feed"
b = "legday_local"
collections = null
conflict_resolution = "a wins"

[storage legday_feed]
type = "http"
url = "{url}"

[storage legday_local]
type = "filesystem"
path = "{self.vdir}/"
fileext = ".ics"
""")
        self.kconf = home / "khal.conf"
        self.kconf.write_text(f"""\
[calendars]
[[legday]]
path = {self.vdir}
[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
local_timezone = Europe/Berlin
default_timezone = Europe/Berlin
[default]
default_calendar = legday
[sqlite]
path = {home / 'khal.db'}
""")

    def _run(self, *cmd: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "HOME": str(self.home), "XDG_CONFIG_HOME": str(self.home / ".config"),
               "XDG_DATA_HOME": str(self.home / ".local/share"), "LC_ALL": "C.UTF-8"}
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        assert r.returncode == 0, f"{cmd[0]} failed:\n{r.stdout}\n{r.stderr}"
        return r

    def sync(self) -> None:
        assert VDIRSYNCER
        self._run(VDIRSYNCER, "-c", str(self.vconf), "discover")
        self._run(VDIRSYNCER, "-c", str(self.vconf), "sync")

    def stored(self) -> bytes:
        return b"".join(p.read_bytes() for p in sorted(self.vdir.glob("*.ics")))

    def khal_list(self, start: str, end: str) -> list[str]:
        assert KHAL
        r = self._run(KHAL, "-c", str(self.kconf), "list", "--format", "{start} {title}",
                      "--day-format", "", start, end)
        return [line for line in r.stdout.splitlines() if line.strip()]


def test_vdirsyncer_and_khal_read_the_served_feed(example_dir: Path, tmp_path: Path) -> None:
    cfg = make_config(example_dir)
    r = cli(cfg, "sync", "--now", EXAMPLE_NOW)
    assert r.returncode == 0, r.stderr
    with running(cfg, "serve") as (proc, log):
        url = feed_url(cfg)
        wait_for(lambda: get(url).ok, 20, "the feed server", proc, log)
        served = get(url).content.count(b"BEGIN:VEVENT")
        sub = Subscriber(tmp_path / "subscriber", url)
        sub.sync()
        assert len(list(sub.vdir.glob("*.ics"))) == served >= 4
        lines = sub.khal_list("2026-11-23", "2026-12-08")
        stop(proc, log)
    assert "2026-11-25 06:30 Leg day (moved from Mon 23 Nov 18:00)" in lines
    assert "2026-12-01 07:00 Walk instead of Intervals 6x800m" in lines
    assert any(line.startswith("2026-12-01 ") and "Intervals 6x800m (moved from" in line
               for line in lines), lines
    assert len(lines) == served


def test_a_source_change_reaches_the_subscriber_after_the_next_run(tmp_path: Path) -> None:
    """The 'done when' of the issue: the daemon on the example config, a subscriber syncing
    its feed, a change in the source calendar, the next scheduled run, the subscriber again."""
    folder = tmp_path / "user"
    cfg = make_config(folder)
    cal = folder / "training.ics"
    write_calendar(cal, "Tempo run 8k", datetime.now(UTC))
    with running(cfg, "daemon") as (proc, log):
        url = feed_url(cfg)
        wait_for(lambda: b"Tempo run 8k" in get(url).content, 20, "the first sync", proc, log)
        sub = Subscriber(tmp_path / "subscriber", url)
        sub.sync()
        assert b"instead of Tempo run 8k" in sub.stored()

        write_calendar(cal, "Hill repeats 10x200m", datetime.now(UTC))
        wait_for(lambda: b"Hill repeats" in get(url).content, 20, "the next run", proc, log)
        sub.sync()
        stored = sub.stored()
        assert b"instead of Hill repeats 10x200m" in stored
        assert b"Tempo run 8k" not in stored  # the withdrawn suggestion left the subscriber too
        stop(proc, log)

