"""The benchmark calendar generator: deterministic, valid, and as messy as promised."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest

from benchmarks.gen_calendar import LEG_DAY_TITLES, RUN_TITLES, generate
from benchmarks.plain_pipeline import plain_events

AROUND = datetime(2026, 11, 24, tzinfo=UTC)
N = 500


@pytest.fixture(scope="module")
def data() -> bytes:
    return generate(N, seed=7, around=AROUND)


@pytest.fixture(scope="module")
def events(data: bytes) -> list[icalendar.Event]:
    return icalendar.Calendar.from_ical(data).walk("VEVENT")


def test_same_seed_same_bytes(data: bytes) -> None:
    assert generate(N, seed=7, around=AROUND) == data


def test_different_seed_different_bytes(data: bytes) -> None:
    assert generate(N, seed=8, around=AROUND) != data


def test_exact_event_count(events: list[icalendar.Event]) -> None:
    assert len(events) == N
    assert data_count(generate(37, seed=1, around=AROUND)) == 37
    assert data_count(generate(0, seed=1, around=AROUND)) == 0


def data_count(raw: bytes) -> int:
    return len(icalendar.Calendar.from_ical(raw).walk("VEVENT"))


def test_lines_crlf_folded_utf8(data: bytes) -> None:
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert data.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    lines = data.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # some lines were folded
    for line in lines:
        line.decode("utf-8")  # every physical line is whole UTF-8: no split characters
    text = data.decode("utf-8")
    for ch in ("ä", "é", "🏃"):
        assert ch in text


def test_berlin_vtimezone(data: bytes) -> None:
    cal = icalendar.Calendar.from_ical(data)
    tzids = [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")]
    assert tzids == ["Europe/Berlin"]


def test_mixed_time_forms(events: list[icalendar.Event]) -> None:
    starts = [ev["DTSTART"].dt for ev in events]
    assert any(type(s) is date for s in starts), "all-day events"
    aware = [s for s in starts if isinstance(s, datetime)]
    assert all(s.tzinfo is not None for s in aware)
    assert any(s.utcoffset() == timedelta(0) and "UTC" in str(s.tzinfo) for s in aware)
    assert any("Berlin" in str(s.tzinfo) for s in aware)
    assert any("DURATION" in ev for ev in events)


def test_history_and_future(events: list[icalendar.Event]) -> None:
    days = [_day(ev["DTSTART"].dt) for ev in events]
    assert min(days) < date(2022, 6, 1)
    assert max(days) > date(2027, 1, 1)


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def test_series_features(events: list[icalendar.Event]) -> None:
    masters = [ev for ev in events if "RRULE" in ev]
    assert masters
    rules = [ev["RRULE"] for ev in masters]
    assert any(r.get("INTERVAL") == [2] for r in rules), "biweekly"
    assert any("UNTIL" in r for r in rules)
    assert any("COUNT" in r for r in rules)
    assert any("UNTIL" not in r and "COUNT" not in r for r in rules), "open-ended"
    assert any(ev["DTSTART"].dt < AROUND - timedelta(days=2 * 365) for ev in masters)
    assert any("EXDATE" in ev for ev in masters)


def test_overrides_match_a_series(events: list[icalendar.Event]) -> None:
    overrides = [ev for ev in events if "RECURRENCE-ID" in ev]
    assert overrides
    assert any(str(ev.get("STATUS")) == "CANCELLED" for ev in overrides)
    assert any(ev["DTSTART"].dt != ev["RECURRENCE-ID"].dt for ev in overrides), "moved"
    master_uids = {str(ev["UID"]) for ev in events if "RRULE" in ev}
    assert {str(ev["UID"]) for ev in overrides} <= master_uids
    single_uids = [
        str(ev["UID"]) for ev in events if "RRULE" not in ev and "RECURRENCE-ID" not in ev
    ]
    assert len(set(single_uids)) == len(single_uids)
    assert not set(single_uids) & master_uids


def test_workouts_and_meetings_by_title(events: list[icalendar.Event]) -> None:
    titles = {str(ev["SUMMARY"]) for ev in events}
    for title in (*LEG_DAY_TITLES, *RUN_TITLES):
        assert title in titles
    assert set(RUN_TITLES.values()) == {"easy", "moderate", "hard"}
    for title in ("Sprint review", "Dry run of the demo", "1:1", "Team standup", "Legal sync",
                  "Brunch"):
        assert title in titles
    assert any(ev.get("DESCRIPTION") for ev in events)
    assert any(ev.get("LOCATION") for ev in events)


def test_plain_pipeline_window(data: bytes) -> None:
    start, end = AROUND - timedelta(days=10), AROUND + timedelta(days=11)
    rows = plain_events(data, start, end)
    assert rows == sorted(rows)
    assert rows, "the window around `around` has occurrences"
    uids = [r[0] for r in rows]
    assert len(set(uids)) < len(uids), "a series expands to several occurrences"
    for _uid, s, e, _summary in rows:
        assert s <= e
