"""The fast path finds what the plain pipeline finds, on realistic generated calendars.

Fast path: ``IcsSource.fetch`` (decode, prefilter, parse what is left, expand per
series, event cache) over the window the service reads. Plain pipeline:
``benchmarks.plain_pipeline`` (icalendar over the whole file + x-wr-timezone +
recurring-ical-events), cancelled occurrences dropped as the tool does. Both go through
the same classifier and rules, cut to the window as ``service._sync`` cuts; the
workouts (uid, start) and conflicts (rule, leg day, run) must be identical — and so
must the events themselves.

``tests/unit/test_ics_source.py`` checks the prefilter against the source's own
unfiltered parse; this compares with the independent plain pipeline, on the benchmark
generator's calendars (Google-export-like, 5 years of history), with windows whose
edges cut through events, and checks that the calendars hold the hard cases: series
that start years before the window, moved occurrences, events straddling an edge.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from benchmarks import plain_pipeline
from benchmarks.gen_calendar import generate
from benchmarks.plain_results import fetch_window, judge, to_events
from legday_sync.adapters.ics.source import IcsSource
from legday_sync.core.model import Event, Window
from legday_sync.core.rules import Profile

#: five 2,000-event calendars parsed twice each
pytestmark = pytest.mark.slow

BERLIN = ZoneInfo("Europe/Berlin")
AROUND = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
N_EVENTS = 2000
HORIZON_DAYS = 7
PROFILES = {"balanced": Profile(tz=BERLIN), "strength": Profile(goal="strength", tz=BERLIN)}


def _key(e: Event) -> tuple[str, str, str, str]:
    return (e.uid, e.start.isoformat(), e.end.isoformat(), e.title)


def _cutting_window(events: list[Event]) -> Window:
    """A ~2-week window whose start and end fall inside timed events (not on a boundary)."""
    timed = sorted((e for e in events if not e.all_day and e.end - e.start >= timedelta(
        minutes=30)), key=lambda e: e.start)
    first = next(e for e in timed if e.start >= AROUND - timedelta(days=9))
    last = next(e for e in timed if e.start >= first.start + timedelta(days=13))
    return Window(first.start + timedelta(minutes=17), last.start + timedelta(minutes=11))


@pytest.fixture(scope="module", params=[1, 2, 3, 4, 5], ids=lambda s: f"seed{s}")
def generated(request, tmp_path_factory) -> tuple[int, Path, object]:
    seed = request.param
    data = generate(N_EVENTS, seed=seed, around=AROUND)
    path = tmp_path_factory.mktemp(f"seed{seed}") / "cal.ics"
    path.write_bytes(data)
    return seed, path, plain_pipeline.parse(data)


def _plain_events(cal: object, window: Window) -> list[Event]:
    comps = plain_pipeline.expand(cal, window.start, window.end)
    return [e for e in to_events(comps, source="cal", tz=BERLIN) if window.overlaps(e.start, e.end)]


def _fast_events(path: Path, window: Window) -> list[Event]:
    return list(IcsSource("cal", path=path, default_tz=BERLIN).fetch(window).events)


def test_fast_path_and_plain_pipeline_agree(generated) -> None:
    seed, path, cal = generated
    now = AROUND + timedelta(hours=seed)  # not on the hour grid of the calendar
    three_weeks = Window(now - timedelta(days=7), now + timedelta(days=14))
    seen_old_series = seen_moved = seen_straddler = False
    windows = [three_weeks]
    windows.append(_cutting_window(_plain_events(cal, fetch_window(
        three_weeks, PROFILES["balanced"], HORIZON_DAYS))))
    for window in windows:
        for goal, profile in PROFILES.items():
            wide = fetch_window(window, profile, HORIZON_DAYS)
            plain = _plain_events(cal, wide)
            fast = _fast_events(path, wide)
            assert sorted(map(_key, fast)) == sorted(map(_key, plain)), (seed, goal, window)

            expected = judge(plain, window, profile)
            got = judge(fast, window, profile)
            assert got.workouts == expected.workouts, (seed, goal, window)
            assert got.conflicts == expected.conflicts, (seed, goal, window)
            assert got.workouts, "the window should hold workouts"

            starts = {e.uid: e for e in fast}
            for e in fast:
                if e.original_start is not None and e.original_start != e.start:
                    seen_moved = True
                if e.start < window.start < e.end or e.start < window.end < e.end:
                    seen_straddler = True
            seen_old_series |= _has_old_series(path, starts, window)
    assert seen_moved, "the calendar should hold moved occurrences in the window"
    assert seen_old_series, "a series starting years before the window should reach into it"
    assert seen_straddler, "the cutting window should cut through an event"
    assert got.conflicts, "expected conflicts to compare"


def _has_old_series(path: Path, by_uid: dict[str, Event], window: Window) -> bool:
    """Whether an event in the window belongs to a series whose DTSTART is ≥ 2 years older."""
    text = path.read_bytes().decode("utf-8").replace("\r\n ", "")
    for block in text.split("BEGIN:VEVENT")[1:]:
        if "RRULE:" not in block:
            continue
        uid = block.split("\r\nUID:", 1)[1].split("\r\n", 1)[0]
        start_line = block.split("\r\nDTSTART", 1)[1].split("\r\n", 1)[0]
        year = int(start_line.rsplit(":", 1)[1][:4])
        if uid in by_uid and window.start.year - year >= 2:
            return True
    return False
