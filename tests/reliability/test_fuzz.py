"""Fuzzing: Hypothesis builds calendars (a valid structure with noise) and feeds them to
the .ics source and to the whole pipeline (``service.sync_once`` with the real source
and the in-memory sink).

The source may give events or raise ``SourceError``, never anything else; events come
sorted, in UTC, start <= end. The pipeline never raises; a failing source is reported
and deletes nothing; the suggestions, applied, leave no recovery conflict
(tests/unit/test_properties.py holds that on generated workouts; here the workouts
come out of generated .ics bytes). The number of examples is set per test below and
reported in RELIABILITY.md; ``LEGDAY_FUZZ_EXAMPLES`` raises it for a longer run.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legday_sync import config
from legday_sync.adapters.ics.source import IcsSource
from legday_sync.adapters.memory import FakeSink
from legday_sync.adapters.state import State
from legday_sync.core.model import Event, Window, Workout
from legday_sync.core.ports import FetchResult
from legday_sync.core.rules import RUN_WITHIN_RECOVERY, find_conflicts
from legday_sync.errors import SourceError
from legday_sync.service import sync_once

EXAMPLES = int(os.environ.get("LEGDAY_FUZZ_EXAMPLES", "0") or 0)
SOURCE_EXAMPLES = EXAMPLES or 200
PIPELINE_EXAMPLES = EXAMPLES or 100
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=ZoneInfo("Europe/Berlin"))
WINDOW = Window(datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 12, 21, tzinfo=UTC))
TZ = ZoneInfo("Europe/Berlin")

TITLES = ["Leg day", "Heavy squats", "Tempo run", "Easy run", "Intervals 6x800m", "Long run",
          "Race 10k", "Lower body", "Jog", "Sprint review", "Dry run", "Hill repeats #run",
          "Läufchen 🏃", "Deadlifts PR", "Zone 2 run", "Brunch", ""]

# -- values ------------------------------------------------------------------------------
days = st.integers(-40, 40)
minutes = st.integers(0, 24 * 60 - 1)


@st.composite
def stamp(draw, *, allow_date: bool = True) -> str:
    base = NOW.replace(tzinfo=None) + timedelta(days=draw(days), minutes=draw(minutes))
    form = draw(st.sampled_from(["utc", "tzid", "floating", "date", "unknown-tz", "outlook",
                                 "garbage"] if allow_date else ["utc", "tzid", "floating"]))
    t = base.strftime("%Y%m%dT%H%M00")
    return {
        "utc": f":{t}Z", "tzid": f";TZID=Europe/Berlin:{t}", "floating": f":{t}",
        "date": f";VALUE=DATE:{base:%Y%m%d}", "unknown-tz": f";TZID=Nowhere/Null:{t}",
        "outlook": f";TZID=W. Europe Standard Time:{t}",
        "garbage": draw(st.sampled_from([":2026-11-23", ":20261399T250000Z", ":", ":yesterday",
                                         ";VALUE=DATE:2026", ":99999999T999999"])),
    }[form]


@st.composite
def rrule(draw) -> str:
    parts = [f"FREQ={draw(st.sampled_from(['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY', 'HOURLY', 'MINUTELY', 'SECONDLY', 'FORTNIGHTLY']))}"]  # noqa: E501
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(-1, 4))}")
    end = draw(st.sampled_from(["", "count", "until", "until-date"]))
    if end == "count":
        parts.append(f"COUNT={draw(st.integers(0, 5000))}")
    elif end == "until":
        parts.append(f"UNTIL={(NOW + timedelta(days=draw(days))):%Y%m%dT%H%M%SZ}")
    elif end == "until-date":
        parts.append(f"UNTIL={(NOW + timedelta(days=draw(days))):%Y%m%d}")
    if draw(st.booleans()):
        parts.append("BYDAY=" + ",".join(draw(st.lists(
            st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU", "1MO", "-1FR", "XX"]),
            min_size=1, max_size=3))))
    if draw(st.booleans()):
        parts.append(f"BYMONTHDAY={draw(st.sampled_from(['1', '31', '-1', '30', '0']))}")
    return ";".join(draw(st.permutations(parts)))


@st.composite
def vevent(draw, i: int) -> list[str]:
    lines = ["BEGIN:VEVENT"]
    if draw(st.integers(0, 9)):
        lines.append(f"UID:{draw(st.sampled_from(['e', 'same', 'x@y']))}{i}")
    if draw(st.integers(0, 9)):
        lines.append("DTSTART" + draw(stamp()))
    choice = draw(st.sampled_from(["dtend", "duration", "none"]))
    if choice == "dtend":
        lines.append("DTEND" + draw(stamp()))
    elif choice == "duration":
        lines.append("DURATION:" + draw(st.sampled_from(["PT1H", "PT45M", "P1D", "-PT1H",
                                                         "PT0S", "P1W", "bogus"])))
    lines.append("SUMMARY:" + draw(st.sampled_from(TITLES)) + draw(st.text(max_size=8)))
    if draw(st.booleans()):
        lines.append("RRULE:" + draw(rrule()))
    if draw(st.integers(0, 3)) == 0:
        lines.append("EXDATE" + draw(stamp()))
    if draw(st.integers(0, 3)) == 0:
        lines.append("RDATE" + draw(stamp()))
    if draw(st.integers(0, 4)) == 0:
        lines.append("RECURRENCE-ID" + draw(stamp()))
    if draw(st.integers(0, 4)) == 0:
        lines.append("STATUS:" + draw(st.sampled_from(["CANCELLED", "CONFIRMED", "??"])))
    if draw(st.integers(0, 4)) == 0:
        lines.append("CATEGORIES:" + draw(st.sampled_from(["run", "legday,heavy", "", ","])))
    if draw(st.integers(0, 4)) == 0:
        lines.append("TRANSP:TRANSPARENT")
    if draw(st.integers(0, 5)) == 0:
        lines.append("BEGIN:VALARM\r\nTRIGGER:-PT15M\r\nEND:VALARM")
    for _ in range(draw(st.integers(0, 2))):  # noise properties
        name = draw(st.sampled_from(["X-NOISE", "DESCRIPTION", "LOCATION", "URL", "ATTENDEE",
                                     "X-;BAD", "DTSTAMP", "SEQUENCE", "GEO"]))
        lines.append(f"{name}:{draw(st.text(max_size=30))}")
    lines.append("END:VEVENT")
    return lines


@st.composite
def calendar_bytes(draw) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//fuzz//EN"]
    if draw(st.booleans()):
        lines.append("X-WR-TIMEZONE:" + draw(st.sampled_from(["Europe/Berlin", "UTC",
                                                             "Mars/Base"])))
    n = draw(st.integers(0, 6))
    for i in range(n):
        lines.extend(draw(vevent(i)))
    lines.append("END:VCALENDAR")
    text = "\r\n".join(lines) + "\r\n"
    text = text.replace("\r\n\r\n", "\r\n")
    data = text.encode("utf-8", "surrogatepass")
    # noise on the bytes
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["fold", "cut", "dup-line", "drop-line", "byte", "lf"]))
        if not data:
            break
        pos = draw(st.integers(0, len(data)))
        if op == "fold":  # a fold anywhere, even inside a multi-byte character
            data = data[:pos] + b"\r\n " + data[pos:]
        elif op == "cut":
            data = data[: max(pos, len(data) - 40)]
        elif op == "byte":
            data = data[:pos] + bytes([draw(st.integers(0, 255))]) + data[pos:]
        elif op == "lf":
            data = data.replace(b"\r\n", b"\n")
        else:
            lines_b = data.split(b"\r\n")
            k = draw(st.integers(0, len(lines_b) - 1))
            if op == "dup-line":
                lines_b.insert(k, lines_b[k])
            else:
                del lines_b[k]
            data = b"\r\n".join(lines_b)
    encoding = draw(st.sampled_from(["utf-8", "bom", "latin-1", "utf-16"]))
    if encoding == "bom":
        data = b"\xef\xbb\xbf" + data
    elif encoding == "latin-1":
        data = data.decode("utf-8", "replace").encode("latin-1", "replace")
    elif encoding == "utf-16":
        data = data.decode("utf-8", "replace").encode("utf-16")
    return data


def _fetch(data: bytes) -> FetchResult | SourceError:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "fuzz.ics"
        path.write_bytes(data)
        try:
            return IcsSource("fuzz", path=path, default_tz=TZ).fetch(WINDOW)
        except SourceError as e:
            return e


@settings(max_examples=SOURCE_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(calendar_bytes())
def test_the_source_gives_events_or_a_source_error(data: bytes) -> None:
    result = _fetch(data)  # anything but events or SourceError propagates and fails
    if isinstance(result, SourceError):
        assert result.source == "fuzz" and result.message
        return
    keys = [(e.start, e.uid) for e in result.events]
    assert keys == sorted(keys)
    for e in result.events:
        assert e.source == "fuzz"
        assert e.start.utcoffset() == timedelta(0) and e.start <= e.end
        assert e.end > WINDOW.start or e.start >= WINDOW.start
        assert e.start < WINDOW.end


def _settings(root: Path) -> config.Settings:
    return config.parse({"timezone": "Europe/Berlin", "goal": "balanced",
                         "window": {"past_days": 7, "future_days": 14},
                         "source": [{"type": "ics", "path": "fuzz.ics", "name": "fuzz"}],
                         "state": {"dir": "state"}}, base=root)


@settings(max_examples=PIPELINE_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(calendar_bytes(), calendar_bytes())
def test_the_pipeline_never_raises_and_its_suggestions_never_conflict(first: bytes,
                                                                      second: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "fuzz.ics").write_bytes(first)
        settings = _settings(root)
        sink = FakeSink("fake")
        state = State(settings.state_dir)
        try:
            report = sync_once(settings, NOW, state=state, sinks=[sink])
            _check(report, settings)
            held = dict(sink.held)
            # the calendar changes (maybe into something broken) and the sync runs again
            (root / "fuzz.ics").write_bytes(second)
            later = sync_once(settings, NOW + timedelta(minutes=30), state=state, sinks=[sink])
            _check(later, settings)
            if later.errors:  # a failing source deletes nothing
                assert not [a for a in later.actions if a.op == "delete"]
                assert set(held) <= set(sink.held)
        finally:
            state.close()


def _check(report, settings: config.Settings) -> None:
    assert [e.source for e in report.errors] in ([], ["fuzz"])
    ids = [s.id for s in report.suggestions]
    assert len(ids) == len(set(ids))
    # apply every suggestion: no run-within-recovery conflict is left for a future run
    workouts = report.workouts
    replaced = {s.run.event.occurrence for s in report.suggestions}
    after = [w for w in workouts if w.event.occurrence not in replaced]
    for s in report.suggestions:
        if s.kind == "move":
            after.append(Workout(replace(s.run.event, uid=s.id, start=s.start, end=s.end,
                                         original_start=None), "run", s.run.intensity))
        elif s.activity == "easy_run":
            after.append(Workout(Event("ours", s.id, s.start, s.end, s.title), "run", "easy"))
    left = [c for c in find_conflicts(after, settings.judge_settings().profile)
            if c.rule == RUN_WITHIN_RECOVERY and c.run.start >= report.now
            and c.run.start < report.window.end]
    assert left == [], left
