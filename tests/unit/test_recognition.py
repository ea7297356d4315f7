"""A calendar whose events were not recognised never reads as "all clear"; `events` says why."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from legday_sync import config
from legday_sync.adapters.memory import FakeSource
from legday_sync.adapters.state import State
from legday_sync.cli.main import main
from legday_sync.config import parse
from legday_sync.core.judge import judge
from legday_sync.service import sync_once
from legday_sync.views.report import print_report, to_json
from legday_sync.views.week import build_week
from tests.helpers import event

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 6, tzinfo=BERLIN)
UNREAD = [event("Krachtsessie", "2026-11-23 18:00"), event("Ochtendsessie", "2026-11-24 07:00")]

#: the judgement's settings as config.py's defaults give them (the core has none of its own)
DEFAULTS = parse({"timezone": "Europe/Berlin"}, base=Path("/")).judge_settings()


def sync(tmp_path: Path, sources: list[FakeSource]):
    settings = config.parse({"timezone": "Europe/Berlin"}, base=tmp_path)
    state = State(tmp_path / "state", readonly=True)
    try:
        return sync_once(settings, NOW, dry_run=True, state=state, sources=sources, sinks=[])
    finally:
        state.close()


def test_judge_flags_events_with_no_workout() -> None:
    d = judge(UNREAD, [], DEFAULTS, NOW)
    assert d.recognised_nothing and d.events_in_window == {"cal": 2}
    assert any(n.startswith("NOT all clear") and "legday-sync events" in n for n in d.notes)
    fine = judge([*UNREAD, event("Easy run", "2026-11-25 07:00")], [], DEFAULTS, NOW)
    assert not fine.recognised_nothing
    assert not judge([], [], DEFAULTS, NOW).recognised_nothing  # empty is not unread


def test_a_source_with_events_but_no_workouts_is_named() -> None:
    training = [event("Tempo run", "2026-11-24 07:00", source="plan")]
    other = [event("Krachtsessie", "2026-11-23 18:00", source="club")]
    d = judge([*training, *other], [], DEFAULTS, NOW)
    assert not d.recognised_nothing
    assert [n for n in d.notes if "“club”" in n and "[classify]" in n]
    assert not [n for n in d.notes if "“plan”" in n]


def test_sync_report_and_json_never_say_all_clear(tmp_path: Path) -> None:
    report = sync(tmp_path, [FakeSource("cal", UNREAD)])
    assert report.recognised_nothing and not report.conflicts
    out = io.StringIO()
    print_report(report, Console(file=out, width=200, color_system=None), BERLIN)
    text = out.getvalue()
    assert "No conflicts" not in text
    assert "Nothing checked" in text and "legday-sync events" in text and "[classify]" in text
    notes = to_json(report, BERLIN)["notes"]
    assert any("NOT all clear" in n for n in notes)


def test_week_header_does_not_read_as_clear(tmp_path: Path) -> None:
    from legday_sync.cli.week import print_week

    week = build_week(sync(tmp_path, [FakeSource("cal", UNREAD)]), NOW, BERLIN)
    out = io.StringIO()
    print_week(week, Console(file=out, width=200, color_system=None))
    assert "no workout recognised" in out.getvalue()
    assert "0 conflict(s)" not in out.getvalue()


ICS = """BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r
BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261123T170000Z\r\nDTEND:20261123T180000Z\r
SUMMARY:Beinkrafttraining\r\nEND:VEVENT\r
BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20261124T060000Z\r\nDTEND:20261124T070000Z\r
SUMMARY:HYROX Hamburg\r\nEND:VEVENT\r
BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20261124T090000Z\r\nDTEND:20261124T100000Z\r
SUMMARY:Laufende Kosten besprechen\r\nEND:VEVENT\r
BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20261125T170000Z\r\nDTEND:20261125T180000Z\r
SUMMARY:Workout\r\nDESCRIPTION:Back squat 5x3 @ 88%\\nRDL 3x8\r\nEND:VEVENT\r
END:VCALENDAR\r\n"""


def write_config(tmp_path: Path, *paths: str) -> Path:
    (tmp_path / "cal.ics").write_text(ICS, encoding="utf-8")
    sources = "".join(f'[[source]]\nname = "s{i}"\ntype = "ics"\npath = "{p}"\n'
                      for i, p in enumerate(paths))
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(f'timezone = "Europe/Berlin"\n[state]\ndir = "state"\n{sources}',
                   encoding="utf-8")
    return cfg


def test_events_json_explains_every_verdict(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, "cal.ics")
    code = main(["--config", str(cfg), "events", "--json", "--now", "2026-11-23T06:00+01:00"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["errors"] == []
    rows = {e["uid"]: e for e in out["events"]}
    keys = {"source", "uid", "start", "end", "title", "verdict", "kind", "intensity", "race",
            "long", "heavy", "evidence"}
    assert all(set(e) == keys and e["evidence"] for e in out["events"])
    assert (rows["a"]["kind"], rows["a"]["intensity"]) == ("leg_day", "normal")
    assert "(de)" in rows["a"]["evidence"][0]
    assert rows["b"]["kind"] == "both" and rows["b"]["race"] and rows["b"]["intensity"] == "hard"
    assert rows["c"]["verdict"] == "not a workout" and rows["c"]["kind"] is None
    assert rows["d"]["heavy"] and any("description" in e for e in rows["d"]["evidence"])


def test_events_table_and_a_broken_source(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "broken.ics").write_text("this is not a calendar", encoding="utf-8")
    cfg = write_config(tmp_path, "cal.ics", "broken.ics")
    code = main(["--config", str(cfg), "events", "--now", "2026-11-23T06:00+01:00"])
    text = capsys.readouterr().out
    assert code == 1  # a source that can't be read is an error, never "no events"
    assert "Beinkrafttraining" in text and "not a workout" in text and "error: s1" in text
