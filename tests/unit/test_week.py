"""The week model: days, clipping to the day and the view, DST days, recovery windows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from legday_sync import config
from legday_sync.adapters.memory import FakeSource
from legday_sync.adapters.state import State
from legday_sync.core.model import Event
from legday_sync.service import sync_once
from legday_sync.views.report import Report
from legday_sync.views.week import build_week, span_text

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def ev(uid: str, title: str, start: str, end: str) -> Event:
    return Event("cal", uid, at(start).astimezone(ZoneInfo("UTC")),
                 at(end).astimezone(ZoneInfo("UTC")), title)


def report_for(tmp_path: Path, events: list[Event], now: datetime, goal: str = "balanced",
               ) -> Report:
    settings = config.parse({"timezone": "Europe/Berlin", "goal": goal,
                             "schedule": {"training_hours": ["06:00-09:00", "17:00-21:00"]}},
                            base=tmp_path)
    state = State(tmp_path / "state", readonly=True)
    try:
        return sync_once(settings, now, dry_run=True, state=state,
                         sources=[FakeSource("cal", events)], sinks=[])
    finally:
        state.close()


def test_a_conflict_places_its_run_its_recovery_window_and_its_suggestions(tmp_path):
    now = at("2026-11-23T06:00")
    report = report_for(tmp_path, [
        ev("legs", "Leg day", "2026-11-23T18:00", "2026-11-23T19:15"),
        ev("tempo", "Tempo run 8k", "2026-11-24T07:00", "2026-11-24T07:45"),
        ev("easy", "Easy run", "2026-11-26T07:00", "2026-11-26T07:30"),
    ], now)
    week = build_week(report, now, BERLIN, 7)

    assert [d.date for d in week.days] == [date(2026, 11, 23) + timedelta(days=i)
                                           for i in range(7)]
    mon, tue, wed, thu = week.days[:4]
    # the run and its leg day are marked; the easy run is not
    (tempo,) = [p.item for p in tue.workouts]
    assert tempo.title == "Tempo run 8k" and tempo.intensity == "hard" and tempo.in_conflict
    assert tempo.label == "Hard run"
    assert [p.item.in_conflict for p in mon.workouts] == [True]
    assert [p.item.in_conflict for p in thu.workouts] == [False]

    # the 48 h window runs from the leg day's end (Mon 19:15) to Wed 19:15, one piece a day
    (c,) = week.conflicts
    assert c.window_hours == 48 and c.recovery_end == at("2026-11-25T19:15")
    (m,) = mon.recovery
    assert (m.start, m.end, m.cut_start, m.cut_end) == (
        at("2026-11-23T19:15"), at("2026-11-24T00:00"), False, True)
    (t,) = tue.recovery
    assert (t.start, t.end, t.cut_start, t.cut_end) == (
        at("2026-11-24T00:00"), at("2026-11-25T00:00"), True, True)
    (w,) = wed.recovery
    assert (w.start, w.end, w.cut_start, w.cut_end) == (
        at("2026-11-25T00:00"), at("2026-11-25T19:15"), True, False)
    assert thu.recovery == ()

    # the conflict is listed on the run's day, with both its suggestions
    assert tue.conflicts == (c,) and mon.conflicts == ()
    assert sorted(s.kind for s in c.suggestions) == ["instead", "move"]
    # each suggestion is also drawn on the day it falls on
    instead = next(s for s in c.suggestions if s.kind == "instead")
    move = next(s for s in c.suggestions if s.kind == "move")
    assert instead in [p.item for p in tue.suggestions]
    assert move.start >= c.recovery_end
    day_of_move = next(d for d in week.days if d.date == move.start.date())
    assert move in [p.item for p in day_of_move.suggestions]
    assert len(week.suggestions) == 2


def test_clipping_to_the_view_and_across_midnight(tmp_path):
    now = at("2026-11-23T06:00")
    report = report_for(tmp_path, [
        ev("night", "Night run", "2026-11-23T23:30", "2026-11-24T00:30"),
        ev("legs", "Leg day", "2026-11-24T18:00", "2026-11-24T19:00"),
        ev("run", "Tempo run", "2026-11-25T07:00", "2026-11-25T07:45"),
        ev("later", "Long run", "2026-11-28T09:00", "2026-11-28T10:00"),
    ], now)
    week = build_week(report, now, BERLIN, 2)  # Mon and Tue only

    assert week.start == at("2026-11-23T00:00") and week.end == at("2026-11-25T00:00")
    mon, tue = week.days
    (a,) = mon.workouts
    (b,) = [p for p in tue.workouts if p.item.title == "Night run"]
    assert (a.start, a.end, a.cut_start, a.cut_end) == (
        at("2026-11-23T23:30"), at("2026-11-24T00:00"), False, True)
    assert (b.start, b.end, b.cut_start, b.cut_end) == (
        at("2026-11-24T00:00"), at("2026-11-24T00:30"), True, False)
    assert a.item.start == at("2026-11-23T23:30")  # the item keeps its real times
    # nothing after the view is drawn
    titles = {p.item.title for d in week.days for p in d.workouts}
    assert "Tempo run" not in titles and "Long run" not in titles
    # the conflict's run is outside, its recovery window starts inside: shaded, cut at the end
    (c,) = week.conflicts
    assert c.run.title == "Tempo run" and all(d.conflicts == () for d in week.days)
    (r,) = tue.recovery
    assert (r.start, r.end, r.cut_end) == (at("2026-11-24T19:00"), week.end, True)
    assert span_text(a.item.start, a.item.end) == "23:30–Tue 24 Nov 00:30"


@pytest.mark.parametrize(("day", "hours", "noon_offset"), [
    (date(2026, 10, 25), 25.0, 13.0),  # clocks go back at 03:00: 02:00–03:00 twice
    (date(2026, 3, 29), 23.0, 11.0),  # clocks go forward at 02:00
])
def test_a_dst_day_is_as_long_as_it_really_is(tmp_path, day, hours, noon_offset):
    now = datetime.combine(day, datetime.min.time(), tzinfo=BERLIN) + timedelta(hours=1)
    start = datetime.combine(day, datetime.min.time()).replace(hour=12)
    report = report_for(tmp_path, [
        ev("noon", "Easy run", start.isoformat(), (start + timedelta(minutes=30)).isoformat()),
    ], now)
    week = build_week(report, now, BERLIN, 1)
    (d,) = week.days
    assert d.hours == hours
    (p,) = d.workouts
    assert d.offset(p.start) == noon_offset
    ticks = dict(d.hour_ticks(6))
    assert ticks[12] == noon_offset and ticks[24] == hours and ticks[0] == 0


def test_a_recovery_window_across_the_dst_change_ends_after_real_hours(tmp_path):
    # Leg day ends Sat 24 Oct 19:00 CEST; 48 real hours later is Mon 26 Oct 18:00 CET.
    now = at("2026-10-24T06:00")
    report = report_for(tmp_path, [
        ev("legs", "Leg day", "2026-10-24T18:00", "2026-10-24T19:00"),
        ev("run", "Intervals", "2026-10-25T08:00", "2026-10-25T09:00"),
    ], now)
    week = build_week(report, now, BERLIN, 3)
    (c,) = week.conflicts
    assert c.recovery_end == datetime(2026, 10, 26, 18, 0, tzinfo=BERLIN)
    _sat, sun, mon = week.days
    assert sun.hours == 25 and len(sun.recovery) == 1
    assert mon.recovery[0].end == datetime(2026, 10, 26, 18, 0, tzinfo=BERLIN)


def test_an_order_hint_has_no_recovery_window(tmp_path):
    now = at("2026-11-23T06:00")
    report = report_for(tmp_path, [
        ev("legs", "Leg day", "2026-11-23T07:00", "2026-11-23T08:00"),
        ev("run", "Easy run", "2026-11-23T20:00", "2026-11-23T20:30"),
    ], now, goal="strength")
    week = build_week(report, now, BERLIN, 7)
    (c,) = week.conflicts
    assert c.severity == "info" and c.recovery_end is None
    assert all(d.recovery == () for d in week.days)
    assert week.days[0].conflicts == (c,)


@pytest.mark.parametrize("days", [0, 15])
def test_days_out_of_range_are_refused(tmp_path, days):
    now = at("2026-11-23T06:00")
    with pytest.raises(ValueError, match="between 1 and 14"):
        build_week(report_for(tmp_path, [], now), now, BERLIN, days)


def test_source_errors_reach_the_week(tmp_path):
    now = at("2026-11-23T06:00")
    settings = config.parse({"timezone": "Europe/Berlin"}, base=tmp_path)
    state = State(tmp_path / "state", readonly=True)
    report = sync_once(settings, now, dry_run=True, state=state,
                       sources=[FakeSource("work", failure="HTTP 503")], sinks=[])
    state.close()
    week = build_week(report, now, BERLIN)
    assert week.errors == (("work", "HTTP 503"),)
    assert len(week.days) == 7
