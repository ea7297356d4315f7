"""Config: defaults, path resolution, the example file, every problem at once."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from legday_sync.config import Settings, load, parse, parse_training_range
from legday_sync.errors import ConfigError
from legday_sync.redact import redact_url
from tests.conftest import ROOT


def test_the_example_config_is_valid() -> None:
    raw = tomllib.loads((ROOT / "config.example.toml").read_text())
    s = parse(raw, base=ROOT)
    assert s.goal == "balanced" and s.tz.key == "Europe/Berlin"
    assert s.source[0].path == ROOT / "examples" / "training.ics"


_HEADER = re.compile(r"^#?\s*\[\[?([\w.]+)\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^#?\s*(\w+)\s*=\s*(.*?)\s*(#[^\"\]]*)?$")


def example_keys(text: str) -> dict[str, str]:
    """Every `key = value` line of the example, set or commented out, by dotted key."""
    section, keys = "", {}
    for line in text.splitlines():
        line = line.strip()
        if m := _HEADER.match(line):
            section = m[1]
        elif m := _KEY.match(line):
            keys.setdefault(f"{section}.{m[1]}".lstrip("."), m[2])
    return keys


def model_keys(model: type[BaseModel] = Settings, prefix: str = "") -> dict[str, FieldInfo]:
    """Every config key the settings model accepts, by dotted key (`source` for [[source]])."""
    out: dict[str, FieldInfo] = {}
    for name, info in model.model_fields.items():
        if info.exclude:
            continue
        ann = info.annotation
        inner = [a for a in (ann, *get_args(ann), *(x for a in get_args(ann)
                                                    for x in get_args(a)))
                 if isinstance(a, type) and issubclass(a, BaseModel)]
        if inner:
            out.update(model_keys(inner[0], f"{prefix}{name}."))
        else:
            out[prefix + name] = info
    return out


def test_the_example_config_has_a_line_for_every_key() -> None:
    documented = example_keys((ROOT / "config.example.toml").read_text())
    missing = sorted(set(model_keys()) - set(documented))
    assert not missing, f"config.example.toml has no line for {missing}"
    unknown = sorted(set(documented) - set(model_keys()))
    assert not unknown, f"config.example.toml names keys the config doesn't take: {unknown}"


#: keys whose example value is an example, not the default
EXAMPLE_VALUES = {"timezone", "source.name", "source.type", "source.path", "source.url",
                  "source.calendar_id", "output.ics.path", "state.dir",
                  "google.client_secrets", "schedule.away", "source.calendar",
                  "source.username", "source.password_file", "source.password_command",
                  "output.caldav.url", "output.caldav.username", "output.caldav.password_file",
                  "output.caldav.password_command"}


def test_the_example_config_shows_the_defaults_of_config_py() -> None:
    documented = example_keys((ROOT / "config.example.toml").read_text())
    for key, info in model_keys().items():
        if key in EXAMPLE_VALUES or info.is_required():
            continue
        shown = tomllib.loads(f"v = {documented[key]}")["v"]
        default = info.get_default(call_default_factory=True)
        assert shown == (list(default) if isinstance(default, tuple) else default), key


def test_the_example_check_fails_when_a_line_goes(tmp_path: Path) -> None:
    """The check reads key lines, not words: drop the line and the word in a comment
    doesn't save it."""
    text = (ROOT / "config.example.toml").read_text()
    without = "\n".join(line for line in text.splitlines()
                         if not line.startswith("heavy_extra_hours"))
    assert "rules.heavy_extra_hours" not in example_keys(without)
    assert "rules.heavy_extra_hours" in example_keys(text)


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "cal.ics").write_text("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    cfg = tmp_path / "c.toml"
    cfg.write_text('[[source]]\ntype = "ics"\npath = "cal.ics"\n[output.ics]\npath = "o.ics"\n'
                   '[state]\ndir = "st"\n')
    s = load(cfg)
    assert s.source[0].path == tmp_path / "cal.ics"
    assert s.output.ics is not None and s.output.ics.path == tmp_path / "o.ics"
    assert s.state_dir == tmp_path / "st"
    assert s.source[0].display_name == "cal"


def test_defaults() -> None:
    s = parse({}, base=Path("/"))
    assert s.goal == "balanced" and s.window.future_days == 21
    assert s.rules.recovery_hours == 48 and s.rules.heavy_extra_hours == 24
    assert [str(r) for r in s.schedule.ranges] == ["06:00-09:00", "17:00-20:00"]
    assert s.feed.listen == "127.0.0.1:8765" and s.daemon.interval_minutes == 15


def test_all_problems_reported_at_once_with_keys() -> None:
    with pytest.raises(ConfigError) as info:
        parse({"goal": "bulk", "timezone": "Nowhere/City", "window": {"past_dayz": 1},
               "schedule": {"training_hours": ["18:00-07:00"]},
               "source": [{"type": "ics"}], "feed": {"listen": "nonsense"}}, base=Path("/"))
    keys = {p.key for p in info.value.problems}
    assert {"goal", "timezone", "window.past_dayz", "schedule.training_hours", "source[0]",
            "feed.listen"} <= keys
    by_key = {p.key: p for p in info.value.problems}
    assert by_key["window.past_dayz"].fix == "did you mean `past_days`?"
    assert "ends before it starts" in by_key["schedule.training_hours"].message


def test_duplicate_source_names_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.ics").write_text("")
    with pytest.raises(ConfigError) as info:
        parse({"source": [{"type": "ics", "path": "a.ics", "name": "x"},
                          {"type": "ics", "url": "https://h/x.ics", "name": "x"}]},
              base=tmp_path)
    assert "two sources are named 'x'" in info.value.problems[0].message


@pytest.mark.parametrize(("text", "ok"), [("06:00-09:00", True), ("6:30-7:15", True),
                                          ("17:00-24:00", True), ("09:00-06:00", False),
                                          ("25:00-26:00", False), ("morning", False)])
def test_training_ranges(text: str, ok: bool) -> None:
    if ok:
        parse_training_range(text)
    else:
        with pytest.raises(ValueError):
            parse_training_range(text)


def test_urls_lose_their_credentials_when_shown() -> None:
    assert redact_url("https://me:hunter2@cal.example/x.ics") == "https://***@cal.example/x.ics"
    assert "s3cr3t" not in redact_url("https://cal.example/x.ics?token=s3cr3t&a=1")


def test_init_writes_config_py_defaults(tmp_path: Path) -> None:
    from typing import get_args as args_of

    from legday_sync.cli.init import GOALS, Answers, render_config
    from legday_sync.config import Goal

    assert args_of(Goal) == GOALS
    raw = tomllib.loads(render_config(Answers("Europe/Berlin", "running", [], [])))
    defaults = parse({}, base=Path("/"))
    assert raw["window"] == defaults.window.model_dump()
    assert raw["schedule"]["training_hours"] == list(defaults.schedule.training_hours)
    assert raw["schedule"]["horizon_days"] == defaults.schedule.horizon_days
    assert raw["feed"]["listen"] == defaults.feed.listen
    assert raw["daemon"]["interval_minutes"] == defaults.daemon.interval_minutes


def test_training_hours_per_weekday_away_words_and_the_planners_rule_numbers() -> None:
    s = parse({"schedule": {"training_hours": {"mon": ["06:00-08:00"], "sat": ["08:00-12:00"],
                                               "sun": [], "default": ["17:00-20:00"]},
                            "away": ["wedding"]},
               "rules": {"tolerance_hours": 0.5, "pre_race_days": 10}}, base=ROOT)
    j = s.judge_settings()
    assert [str(r) for r in j.schedule.hours_on(0)] == ["06:00-08:00"]
    assert [str(r) for r in j.schedule.hours_on(2)] == ["17:00-20:00"]  # Wednesday: default
    assert j.schedule.hours_on(6) == ()  # Sunday: no moves onto it
    assert j.schedule.away == ("wedding",)
    assert (j.profile.tolerance_hours, j.profile.pre_race_days) == (0.5, 10)
    # the plain list stays valid
    plain = parse({"schedule": {"training_hours": ["06:00-09:00"]}}, base=ROOT).judge_settings()
    assert [str(r) for r in plain.schedule.hours_on(3)] == ["06:00-09:00"]


def test_a_bad_weekday_or_range_in_training_hours_is_named() -> None:
    for bad in ({"fun": ["06:00-09:00"]}, {"mon": ["6 to 9"]}, {"mon": "06:00-09:00"}):
        with pytest.raises(ConfigError) as e:
            parse({"schedule": {"training_hours": bad}}, base=ROOT)
        assert [p.key for p in e.value.problems] == ["schedule.training_hours"]

# -- CalDAV ----------------------------------------------------------------------------
def _caldav(**over: object) -> dict:
    src = {"type": "caldav", "url": "https://caldav.icloud.com/", "calendar": "Training",
           "username": "me@icloud.com", "password_file": "pw"}
    src.update(over)
    return {k: v for k, v in src.items() if v is not None}


def _problems(raw: dict, base: Path) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        parse(raw, base=base)
    return [(p.key, p.message) for p in info.value.problems]


def test_a_caldav_source_and_output_resolve_their_password_files(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("x")
    s = parse({"source": [_caldav()], "output": {"caldav": {
        "url": "https://caldav.fastmail.com/", "username": "me@fastmail.com",
        "password_command": "pass show fastmail"}}}, base=tmp_path)
    src = s.source[0]
    assert src.password_file == tmp_path / "pw" and src.display_name == "Training"
    out = s.output.caldav
    assert out is not None and out.calendar == "legday-sync suggestions"
    assert out.password_command == "pass show fastmail" and out.password_file is None


@pytest.mark.parametrize("over, says", [
    ({"url": None}, "needs `url`"),
    ({"username": None}, "needs `username`"),
    ({"calendar": None}, "needs `calendar`"),
    ({"password_file": None}, "exactly one of `password_file`"),
    ({"password_command": "pass show x"}, "exactly one of `password_file`"),
    ({"url": "ftp://x/"}, "must start with https://"),
    ({"url": "https://me:secret@caldav.example.com/"}, "not in `url`"),
    ({"path": "cal.ics"}, "not `path`"),
])
def test_a_caldav_source_says_what_it_lacks(over: dict, says: str, tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("x")
    (tmp_path / "cal.ics").write_text("x")
    problems = _problems({"source": [_caldav(**over)]}, tmp_path)
    assert len(problems) == 1 and problems[0][0] == "source[0]"
    assert says in problems[0][1]
    assert "secret" not in problems[0][1]


def test_caldav_keys_on_another_source_type_are_refused(tmp_path: Path) -> None:
    (tmp_path / "cal.ics").write_text("x")
    problems = _problems({"source": [{"type": "ics", "path": "cal.ics", "username": "me"}]},
                         tmp_path)
    assert "`username` is for caldav sources" in problems[0][1]


def test_a_missing_password_file_is_named(tmp_path: Path) -> None:
    problems = _problems({"source": [_caldav(password_file="nope")]}, tmp_path)
    assert problems == [("source[0].password_file", f"file not found: {tmp_path / 'nope'}")]


def test_the_suggestions_calendar_may_not_be_a_source(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("x")
    raw = {"source": [_caldav(calendar="Legday-Sync Suggestions")], "output": {"caldav": {
        "url": "https://caldav.icloud.com", "username": "me@icloud.com",
        "password_file": "pw"}}}
    problems = _problems(raw, tmp_path)
    assert "never writes into a calendar it reads" in problems[0][1]
