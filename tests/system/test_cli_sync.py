"""The CLI as a user runs it: `legday-sync sync` on the example calendar, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_NOW

JSON_KEYS = {"dry_run", "now", "window", "workouts", "conflicts", "suggestions", "actions",
             "errors"}


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160", **(env or {})}
    full_env.pop("LEGDAY_SYNC_CONFIG", None) if env is None else None
    return subprocess.run([sys.executable, "-m", "legday_sync", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=120)


def sync_json(cfg: Path, *extra: str) -> tuple[int, dict]:
    r = cli("--config", str(cfg), "sync", "--json", "--now", EXAMPLE_NOW, *extra, cwd=cfg.parent)
    assert r.stdout, r.stderr
    return r.returncode, json.loads(r.stdout)


def tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file()}


def test_json_contract_on_the_example(example_dir: Path) -> None:
    code, out = sync_json(example_dir / "legday-sync.toml", "--dry-run")
    assert code == 0
    assert set(out) >= JSON_KEYS
    assert out["dry_run"] is True and out["now"] == EXAMPLE_NOW
    assert set(out["window"]) == {"start", "end"}
    assert {w["kind"] for w in out["workouts"]} == {"leg_day", "run"}
    for w in out["workouts"]:
        assert set(w) == {"source", "uid", "start", "end", "title", "kind", "intensity",
                          "race", "long", "all_day"}
    titles = {w["title"] for w in out["workouts"]}
    assert "Sprint review" not in titles and "Dry run: quarterly demo" not in titles
    assert "Legal sync — contract review" not in titles and "Brunch with Sam" not in titles
    assert "Intervals 6x800m" in titles
    conflicts = [c for c in out["conflicts"] if c["rule"] == "run-within-recovery"]
    assert {c["run"]["title"] for c in conflicts} >= {"Tempo run 8k", "Intervals 6x800m"}
    for c in out["conflicts"]:
        assert set(c) == {"id", "rule", "severity", "gap_hours", "explanation", "leg_day", "run"}
        assert set(c["leg_day"]) == set(c["run"]) == {"source", "uid", "start", "end", "title"}
    # the weekly leg day is a series: its moved occurrence keeps the series uid
    moved = next(c for c in conflicts if c["run"]["title"] == "Intervals 6x800m")
    assert moved["leg_day"]["uid"] == "legs-weekly@example.org"
    assert moved["leg_day"]["start"].startswith("2026-11-29T10:00:00+01:00")
    for s in out["suggestions"]:
        assert set(s) >= {"id", "conflict_id", "kind", "activity", "start", "end", "title",
                          "description", "target", "all_day"}  # DESIGN §4: additive keys
        assert s["dismissed"] is False
        assert s["target"] == ("leg_day" if s["kind"] in ("move-leg-day", "lighten") else "run")
        assert s["conflict_id"] in {c["id"] for c in out["conflicts"]}
    assert {a["op"] for a in out["actions"]} == {"create"}
    assert len(out["actions"]) == len(out["suggestions"])
    for a in out["actions"]:
        assert set(a) == {"op", "target", "suggestion_id"}
    assert out["errors"] == []


def test_dry_run_writes_nothing(example_dir: Path) -> None:
    before = tree(example_dir)
    code, out = sync_json(example_dir / "legday-sync.toml", "--dry-run")
    assert code == 0 and out["actions"]
    assert tree(example_dir) == before
    assert not (example_dir / ".state").exists()


def test_sync_writes_then_has_nothing_to_do_and_keeps_bytes(example_dir: Path) -> None:
    cfg = example_dir / "legday-sync.toml"
    code, first = sync_json(cfg)
    assert code == 0 and first["dry_run"] is False
    out_file = example_dir / ".state" / "suggestions.ics"
    data = out_file.read_bytes()
    assert data.count(b"BEGIN:VEVENT") == len(first["suggestions"]) > 0
    assert oct((example_dir / ".state").stat().st_mode & 0o777) == "0o700"
    assert oct((example_dir / ".state" / "state.sqlite3").stat().st_mode & 0o777) == "0o600"
    code, second = sync_json(cfg)
    assert code == 0 and second["actions"] == []
    assert out_file.read_bytes() == data
    assert [s["id"] for s in second["suggestions"]] == [s["id"] for s in first["suggestions"]]


def test_removing_a_run_withdraws_its_suggestions(example_dir: Path) -> None:
    cfg = example_dir / "legday-sync.toml"
    _, first = sync_json(cfg)
    ics = example_dir / "training.ics"
    text = ics.read_bytes().decode()
    start = text.index("BEGIN:VEVENT\r\nUID:tempo-20261124")
    end = text.index("END:VEVENT\r\n", start) + len("END:VEVENT\r\n")
    ics.write_bytes((text[:start] + text[end:]).encode())
    _, second = sync_json(cfg)
    # the tempo's conflict is resolved by moving Monday's leg day (the tempo has nowhere to go)
    conflict = {c["id"] for c in first["conflicts"] if c["run"]["title"] == "Tempo run 8k"}
    tempo = {s["id"] for s in first["suggestions"] if s["conflict_id"] in conflict}
    assert [s["kind"] for s in first["suggestions"] if s["id"] in tempo] == ["move-leg-day"]
    assert {(a["op"], a["suggestion_id"]) for a in second["actions"]} == {
        ("delete", sid) for sid in tempo}
    assert b"moved from Mon 23 Nov" not in (example_dir / ".state" / "suggestions.ics"
                                            ).read_bytes()


def test_a_failing_source_is_an_error_and_deletes_nothing(example_dir: Path) -> None:
    cfg = example_dir / "legday-sync.toml"
    sync_json(cfg)
    out_file = example_dir / ".state" / "suggestions.ics"
    before = out_file.read_bytes()
    (example_dir / "training.ics").write_bytes(b"\x00garbage, not a calendar")
    code, out = sync_json(cfg)
    assert code == 1
    assert [e["source"] for e in out["errors"]] == ["training"]
    assert out["actions"] == []
    assert out_file.read_bytes() == before


def test_human_output_has_the_tables(example_dir: Path) -> None:
    r = cli("--config", "legday-sync.toml", "sync", "--dry-run", "--now", EXAMPLE_NOW,
            cwd=example_dir)
    assert r.returncode == 0, r.stderr
    for text in ("Conflicts", "Tempo run 8k", "run-within-recovery", "48 h", "Suggestions",
                 "Walk instead of Intervals 6x800m", "move-leg-day", "Planned actions", "create",
                 "new conflict"):
        assert text in r.stdout, text
    assert "\x1b[" not in r.stdout  # no colour when not a terminal


@pytest.mark.parametrize(("toml", "expected"), [
    ('goal = "bulk"\n', ["goal:", "strength", "balanced", "running"]),
    ('timezone = "Europe/Berln"\n', ["timezone:", "Europe/Berlin"]),
    ('[schedul]\nhorizon_days = 3\n', ["schedul: unknown key", "did you mean `schedule`?"]),
    ('[schedule]\ntraining_hours = ["7-9"]\n', ["training_hours", "HH:MM-HH:MM"]),
    ('[[source]]\ntype = "ics"\npath = "nope.ics"\n', ["source[0].path", "file not found"]),
    ('goal = \n', ["not valid TOML"]),
])
def test_config_errors_are_messages_with_a_fix(tmp_path: Path, toml: str,
                                               expected: list[str]) -> None:
    (tmp_path / "c.toml").write_text(toml)
    r = cli("--config", "c.toml", "sync", "--dry-run", cwd=tmp_path)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    for text in expected:
        assert text in r.stderr, (text, r.stderr)


def test_every_config_problem_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('goal = "bulk"\ntimezone = "Mars/Base"\n'
                                     '[window]\npast_dayz = 3\n')
    r = cli("--config", "c.toml", "check", cwd=tmp_path)
    assert r.returncode == 2
    assert "goal:" in r.stderr and "timezone:" in r.stderr and "window.past_dayz" in r.stderr
    assert "did you mean `past_days`?" in r.stderr


def test_missing_config_says_how_to_make_one(tmp_path: Path) -> None:
    r = cli("--config", "absent.toml", "sync", cwd=tmp_path)
    assert r.returncode == 2 and "legday-sync init" in r.stderr


def test_config_from_environment_variable(example_dir: Path, tmp_path: Path) -> None:
    r = cli("sync", "--dry-run", "--json", "--now", EXAMPLE_NOW, cwd=tmp_path,
            env={"LEGDAY_SYNC_CONFIG": str(example_dir / "legday-sync.toml")})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["conflicts"]


def test_bad_now_is_a_usage_error(example_dir: Path) -> None:
    r = cli("--config", "legday-sync.toml", "sync", "--now", "yesterday", cwd=example_dir)
    assert r.returncode == 2 and "ISO 8601" in r.stderr and "Traceback" not in r.stderr


def test_rules_command_explains_the_windows(example_dir: Path) -> None:
    r = cli("--config", "legday-sync.toml", "rules", cwd=example_dir)
    assert r.returncode == 0, r.stderr
    for text in ("balanced", "24 h", "48 h", "72 h", "fine", "Running After Leg Workout",
                 "Doma et al. 2019", "same-day-order"):
        assert text in r.stdout, text


def test_check_reports_each_source(example_dir: Path) -> None:
    r = cli("--config", "legday-sync.toml", "check", cwd=example_dir)
    assert r.returncode == 0, r.stderr
    assert "training:" in r.stdout and "event(s)" in r.stdout
    (example_dir / "training.ics").write_bytes(b"garbage")
    r = cli("--config", "legday-sync.toml", "check", cwd=example_dir)
    assert r.returncode == 1 and "training" in r.stdout


def test_warnings_are_capped_per_source_in_the_report(example_dir: Path) -> None:
    ics = example_dir / "training.ics"
    text = ics.read_bytes().decode()
    broken = "".join(f"BEGIN:VEVENT\r\nUID:broken-{i}\r\nSUMMARY:No start {i}\r\nEND:VEVENT\r\n"
                     for i in range(120))
    ics.write_bytes(text.replace("END:VCALENDAR", broken + "END:VCALENDAR").encode())
    code, out = sync_json(example_dir / "legday-sync.toml", "--dry-run")
    assert code == 0 and out["conflicts"]  # the good events still count
    assert len(out["warnings"]) == 51
    assert "and 70 more warning(s)" in out["warnings"][-1]


def test_an_unwritable_state_dir_is_a_message_not_a_traceback(example_dir: Path) -> None:
    cfg = example_dir / "legday-sync.toml"
    blocker = example_dir / "blocker"
    blocker.write_text("a file where a folder should be")
    cfg.write_text(cfg.read_text().replace('dir = ".state"', 'dir = "blocker/state"'))
    r = cli("--config", str(cfg), "sync", "--now", EXAMPLE_NOW, cwd=example_dir)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and "blocker" in r.stderr and "[state] dir" in r.stderr


def test_one_calendar_added_twice_gives_each_conflict_once(example_dir: Path) -> None:
    import shutil

    cfg = example_dir / "legday-sync.toml"
    shutil.copy(example_dir / "training.ics", example_dir / "copy.ics")
    cfg.write_text(cfg.read_text() + '\n[[source]]\nname = "copy"\ntype = "ics"\n'
                                     'path = "copy.ics"\n')
    _, once = sync_json(cfg, "--dry-run")
    assert {w["source"] for w in once["workouts"]} == {"training"}
    assert any("count once" in n for n in once["notes"])
    cfg.write_text(cfg.read_text().split("\n[[source]]\nname = \"copy\"")[0])
    _, single = sync_json(cfg, "--dry-run")
    assert [c["id"] for c in once["conflicts"]] == [c["id"] for c in single["conflicts"]]
    assert [s["id"] for s in once["suggestions"]] == [s["id"] for s in single["suggestions"]]
