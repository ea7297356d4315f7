"""Every real-world test calendar shipped with icalendar and recurring-ical-events loads.

Each either returns events or raises SourceError — never another exception —
and within a bounded time. Plus the fast path on a large calendar.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from legday_sync.adapters.ics import source as ics_module
from legday_sync.adapters.ics.prefilter import decode, decode_lazily, prefilter
from legday_sync.adapters.ics.rawscan import prefilter_raw
from legday_sync.adapters.ics.source import IcsSource, parse_ics
from legday_sync.core.model import Window
from legday_sync.errors import SourceError
from tests.ics_gen import generate

#: 260 real calendars and a large one: seconds, not milliseconds
pytestmark = pytest.mark.slow

WIDE = Window(datetime(1995, 1, 1, tzinfo=UTC), datetime(2035, 1, 1, tzinfo=UTC))
PER_FILE_SECONDS = 20.0


def _corpus() -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    for module in (icalendar, recurring_ical_events):
        root = Path(module.__file__).parent  # type: ignore[arg-type]
        for path in sorted(root.rglob("*.ics")):
            found.append((f"{module.__name__}/{path.relative_to(root)}", path))
    return found


CORPUS = _corpus()


def test_the_corpus_is_there() -> None:
    assert len(CORPUS) >= 200


@pytest.mark.parametrize("path", [p for _, p in CORPUS], ids=[i for i, _ in CORPUS])
def test_corpus_file_loads_or_fails_cleanly(path: Path) -> None:
    source = IcsSource("corpus", path=path, default_tz=ZoneInfo("Europe/Berlin"))
    began = time.perf_counter()
    try:
        result = source.fetch(WIDE)
    except SourceError as err:
        assert err.source == "corpus" and err.message
    else:
        assert all(e.source == "corpus" for e in result.events)
        assert all(e.start.utcoffset() == timedelta(0) for e in result.events)
        assert all(e.start <= e.end for e in result.events)
        starts = [(e.start, e.uid) for e in result.events]
        assert starts == sorted(starts)
    assert time.perf_counter() - began < PER_FILE_SECONDS


@pytest.mark.parametrize("window", [WIDE, Window(datetime(2019, 3, 1, tzinfo=UTC),
                                                   datetime(2019, 3, 22, tzinfo=UTC))],
                         ids=["wide", "three-weeks"])
def test_the_raw_prefilter_gives_the_careful_ones_text(window: Window) -> None:
    """``decode_lazily`` + ``prefilter_raw`` against ``decode`` + ``prefilter`` on every
    corpus file: the same text out, the same counts (or both give up)."""
    raw_files = 0
    for _, path in CORPUS:
        data = path.read_bytes()
        try:
            text, _ = decode(data)
        except UnicodeError:
            continue
        careful = prefilter(text, window.start, window.end)
        raw = decode_lazily(data)
        if raw is not None:
            assert decode(raw) == decode(data)
            assert prefilter_raw(raw, window.start, window.end) == careful, path
            raw_files += 1
    assert raw_files >= 150


def test_known_good_corpus_files_give_events() -> None:
    """Guard against "everything raises SourceError", which the test above would allow."""
    loaded = 0
    for _, path in CORPUS:
        try:
            result = IcsSource("c", path=path, default_tz=ZoneInfo("UTC")).fetch(WIDE)
        except SourceError:
            continue
        loaded += bool(result.events)
    assert loaded >= 120


def test_large_calendar_fast_path() -> None:
    """20,000 VEVENTs over years, a 3-week window: the prefilter skips the history."""
    around = datetime(2026, 11, 24, 8, tzinfo=UTC)
    data = generate(7, around, n_single=19_000, n_series=400, years=10, near=0.02)
    window = Window(around - timedelta(days=7), around + timedelta(days=14))
    text, _ = decode(data)
    reduced = prefilter(text, window.start, window.end)
    assert reduced is not None
    assert reduced.dropped > 0.9 * (reduced.kept + reduced.dropped)
    began = time.perf_counter()
    events, _ = parse_ics(data, window, source="big", default_tz=ZoneInfo("Europe/Berlin"))
    elapsed = time.perf_counter() - began
    assert events
    # the target is well under 1.5 s; allow slack for loaded CI machines
    assert elapsed < 5.0, f"fast path took {elapsed:.2f} s"


# --- the fast path (prefilter, one-offs read directly) against the reference ---------------


def _outcome(data: bytes, window: Window, fast: bool) -> tuple[object, list[str]]:
    """(events or the error, warnings), without icalendar's once-per-process warnings."""
    try:
        events, warnings = parse_ics(
            data, window, source="c", default_tz=ZoneInfo("Europe/Berlin"), use_prefilter=fast)
    except SourceError as err:
        return err.message, []
    return events, [w for w in warnings if "globally unique TZID" not in w]


def _windows(events: object) -> list[Window]:
    """WIDE, and windows cutting through the calendar's events."""
    if not isinstance(events, list) or not events:
        return [WIDE]
    middle = events[len(events) // 2].start
    return [WIDE, Window(middle + timedelta(minutes=17), middle + timedelta(days=3)),
            Window(middle - timedelta(days=40), middle)]


_REDUCE = ics_module._reduce


def _without_one_offs(*args: object, **kwargs: object) -> object:
    return _REDUCE(*args, **{**kwargs, "direct": False})  # type: ignore[arg-type]


@pytest.mark.parametrize("path", [p for _, p in CORPUS], ids=[i for i, _ in CORPUS])
def test_corpus_fast_path_equals_the_reference(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = path.read_bytes()
    for window in _windows(_outcome(data, WIDE, fast=False)[0]):
        fast, warnings = _outcome(data, window, fast=True)
        reference, _ = _outcome(data, window, fast=False)
        assert fast == reference, window
        # warnings: the prefilter never sees the events it drops (a missing UID far from
        # the window goes unmentioned), so compare with the fast path without one-offs
        with monkeypatch.context() as patch:
            patch.setattr(ics_module, "_reduce", _without_one_offs)
            _, before = _outcome(data, window, fast=True)
        assert warnings == before, window


def test_corpus_calendars_take_the_direct_path() -> None:
    """Real calendars do have one-offs read straight from the text."""
    taken = 0
    for _, path in CORPUS:
        try:
            text, _ = decode(path.read_bytes())
            reduced = prefilter(text, WIDE.start, WIDE.end, direct=True)
        except (UnicodeError, ValueError):
            continue
        taken += bool(reduced and reduced.direct and reduced.direct.one_offs)
    assert taken >= 25
