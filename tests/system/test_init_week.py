"""`legday-sync init` and `legday-sync week` as a new user runs them, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from legday_sync import config
from tests.conftest import EXAMPLE_NOW, EXAMPLES


def cli(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "160", "HOME": str(home),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_STATE_HOME": str(home / ".state")}
    env.pop("LEGDAY_SYNC_CONFIG", None)
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    return subprocess.run([sys.executable, "-m", "legday_sync", *args], cwd=cwd, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)


def test_init_then_week_as_a_new_user(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cal = tmp_path / "cals" / "training.ics"
    cal.parent.mkdir()
    cal.write_bytes((EXAMPLES / "training.ics").read_bytes())
    r = cli("init", "--yes", "--timezone", "Europe/Berlin", "--goal", "running",
            "--ics", "cals/training.ics", "--ics", "https://user:pw@example.org/x.ics?token=s",
            "--google", "primary", cwd=tmp_path, home=home)
    assert r.returncode == 0, r.stderr
    # with no --config/--path and no ./legday-sync.toml, it goes to the user config dir
    target = home / ".config" / "legday-sync" / "legday-sync.toml"
    assert target.is_file(), r.stdout
    assert str(target) in r.stdout and "sync --dry-run" in r.stdout
    raw = tomllib.loads(target.read_text())
    assert raw["timezone"] == "Europe/Berlin" and raw["goal"] == "running"
    assert [s["type"] for s in raw["source"]] == ["ics", "ics", "google"]
    assert raw["source"][0]["path"] == str(cal.resolve())  # absolute: the config is elsewhere
    assert raw["source"][1]["url"] == "https://user:pw@example.org/x.ics?token=s"
    assert raw["source"][2]["calendar_id"] == "primary"
    assert len({s["name"] for s in raw["source"]}) == 3
    text = target.read_text()
    assert text.count("\n#") > 20  # commented
    assert "#   running  — easy and moderate runs are fine" in text
    settings = config.load(target)
    assert settings.goal == "running" and settings.output.google is not None
    assert (target.stat().st_mode & 0o777) == 0o600  # it may hold a secret feed URL

    # and the week view on a config made by init, file source only
    r = cli("init", "--yes", "--timezone", "Europe/Berlin", "--ics", str(cal),
            "--path", "mine.toml", cwd=tmp_path, home=home)
    assert r.returncode == 0, r.stderr
    r = cli("--config", "mine.toml", "week", "--now", EXAMPLE_NOW, cwd=tmp_path, home=home)
    assert r.returncode == 0, r.stderr
    assert "! CONFLICT: Tempo run 8k starts 11.8 h after Leg day" in r.stdout


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    target = tmp_path / "legday-sync.toml"
    target.write_text("# mine\n")
    r = cli("init", "--yes", "--timezone", "Europe/Berlin", cwd=tmp_path, home=tmp_path)
    assert r.returncode == 2
    assert "already exists" in r.stderr and "--force" in r.stderr
    assert target.read_text() == "# mine\n"
    r = cli("init", "--yes", "--timezone", "Europe/Berlin", "--force", cwd=tmp_path,
            home=tmp_path)
    assert r.returncode == 0, r.stderr
    assert config.load(target, require_sources=False).timezone == "Europe/Berlin"
    assert not list(tmp_path.glob(".legday-sync.toml.*"))  # no temp file left


def test_init_detects_the_timezone_and_refuses_bad_input(tmp_path: Path) -> None:
    home = tmp_path
    env_tz = os.environ.get("TZ")
    os.environ["TZ"] = "America/Chicago"
    try:
        r = cli("init", "--yes", "--path", "a.toml", cwd=tmp_path, home=home)
    finally:
        if env_tz is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = env_tz
    assert r.returncode == 0, r.stderr
    assert config.load(tmp_path / "a.toml", require_sources=False).timezone == "America/Chicago"
    assert "# [[source]]" in (tmp_path / "a.toml").read_text()  # an example to fill in
    assert "add a calendar to read" in r.stdout
    # a sync on that template says what is missing and how to add it, exit 2
    r = cli("--config", "a.toml", "sync", "--dry-run", cwd=tmp_path, home=home)
    assert r.returncode == 2
    assert "no calendar to read" in r.stderr and "[[source]]" in r.stderr

    r = cli("init", "--yes", "--timezone", "Europe/Berlln", "--path", "b.toml", cwd=tmp_path,
            home=home)
    assert r.returncode == 2 and "Europe/Berlin" in r.stderr
    r = cli("init", "--yes", "--ics", "missing.ics", "--path", "c.toml", cwd=tmp_path, home=home)
    assert r.returncode == 2 and "not found: missing.ics" in r.stderr
    assert not (tmp_path / "b.toml").exists() and not (tmp_path / "c.toml").exists()


def test_week_prints_the_examples_conflicts_without_colour_when_piped(example_dir: Path) -> None:
    r = cli("--config", "legday-sync.toml", "week", "--days", "14", "--now", EXAMPLE_NOW,
            cwd=example_dir, home=example_dir)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "\x1b[" not in out  # no colour codes when not a terminal
    # the same numbers `sync --json` gives
    js = json.loads(cli("--config", "legday-sync.toml", "sync", "--dry-run", "--json", "--now",
                        EXAMPLE_NOW, cwd=example_dir, home=example_dir).stdout)
    assert len(js["conflicts"]) == 4
    assert f"4 conflict(s), {len(js['suggestions'])} suggestion(s)" in out
    for c in js["conflicts"]:
        assert f"! CONFLICT: {c['run']['title']} starts" in out
    assert {c["run"]["title"] for c in js["conflicts"]} >= {"Tempo run 8k", "Intervals 6x800m"}
    kinds = [s["kind"] for s in js["suggestions"]]
    assert out.count("→ instead") == kinds.count("instead") >= 1
    assert out.count("→ move leg day") == kinds.count("move-leg-day") >= 1
    assert out.count("→ move ") - out.count("→ move leg day") == kinds.count("move") >= 1
    lines = out.splitlines()
    tue = next(ln for ln in lines if ln.startswith("Tue 24 Nov"))
    # a 24-hour bar: recovery all day, the hard run at 07:00 marked H
    bar = tue.split("▕", 1)[1].split("▏", 1)[0]
    assert len(bar) == 24 and bar[7] == "H" and bar[0] == "░"
    assert "[HARD RUN] Tempo run 8k !" in tue

    r = cli("--config", "legday-sync.toml", "week", "--days", "15", cwd=example_dir,
            home=example_dir)
    assert r.returncode == 2 and "1–14" in r.stderr
