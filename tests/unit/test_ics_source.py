"""The .ics source: messy calendars (DESIGN §5), the fast path, the cache, HTTP."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from legday_sync.adapters.ics import source as ics_module
from legday_sync.adapters.ics.fetch import redact_url, scrub
from legday_sync.adapters.ics.prefilter import decode, prefilter
from legday_sync.adapters.ics.source import IcsSource, parse_ics
from legday_sync.core.model import Event, Window
from legday_sync.errors import SourceError
from tests.ics_gen import generate

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
JAN = Window(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))


def cal(*events: str, head: str = "") -> bytes:
    """A VCALENDAR around VEVENT bodies (each without BEGIN/END), CRLF line ends."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
    if head:
        lines += head.strip().splitlines()
    for body in events:
        lines += ["BEGIN:VEVENT", *body.strip().splitlines(), "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(line.strip() for line in lines) + "\r\n").encode("utf-8")


def fetch(tmp_path: Path, data: bytes, window: Window = JAN, tz: ZoneInfo = BERLIN, **kw: object):
    path = tmp_path / "cal.ics"
    path.write_bytes(data)
    return IcsSource("mine", path=path, default_tz=tz, **kw).fetch(window)  # type: ignore[arg-type]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- recurrence ----------------------------------------------------------------------------


def test_rrule_with_exdate_and_rdate(tmp_path: Path) -> None:
    data = cal("""
        UID:weekly
        DTSTART:20240101T070000Z
        DTEND:20240101T080000Z
        RRULE:FREQ=WEEKLY;COUNT=4
        EXDATE:20240108T070000Z
        RDATE:20240110T120000Z
        SUMMARY:Leg day
    """)
    res = fetch(tmp_path, data)
    starts = [e.start for e in res.events]
    assert starts == [
        utc(2024, 1, 1, 7),
        utc(2024, 1, 10, 12),
        utc(2024, 1, 15, 7),
        utc(2024, 1, 22, 7),
    ]
    assert all(e.uid == "weekly" for e in res.events)
    # unmodified occurrences: the slot in the series is the start itself
    assert all(e.original_start == e.start for e in res.events)
    assert res.events[0].end == utc(2024, 1, 1, 8)


def test_recurrence_id_override_moves_and_cancels(tmp_path: Path) -> None:
    data = cal(
        """
        UID:series
        DTSTART:20240101T070000Z
        DTEND:20240101T080000Z
        RRULE:FREQ=DAILY;COUNT=4
        SUMMARY:Run
        """,
        """
        UID:series
        RECURRENCE-ID:20240102T070000Z
        DTSTART:20240102T170000Z
        DTEND:20240102T180000Z
        SUMMARY:Run (moved)
        """,
        """
        UID:series
        RECURRENCE-ID:20240103T070000Z
        DTSTART:20240103T070000Z
        DTEND:20240103T080000Z
        STATUS:CANCELLED
        SUMMARY:Run
        """,
    )
    res = fetch(tmp_path, data)
    got = [(e.start, e.original_start, e.title) for e in res.events]
    assert got == [
        (utc(2024, 1, 1, 7), utc(2024, 1, 1, 7), "Run"),
        (utc(2024, 1, 2, 17), utc(2024, 1, 2, 7), "Run (moved)"),
        (utc(2024, 1, 4, 7), utc(2024, 1, 4, 7), "Run"),
    ]


def test_cancelled_single_event_is_dropped(tmp_path: Path) -> None:
    data = cal(
        "UID:a\nDTSTART:20240105T070000Z\nSUMMARY:Gone\nSTATUS:CANCELLED",
        "UID:b\nDTSTART:20240105T090000Z\nSUMMARY:Here\nSTATUS:CONFIRMED",
    )
    assert [e.title for e in fetch(tmp_path, data).events] == ["Here"]


def test_between_results_are_sorted(tmp_path: Path) -> None:
    data = cal(
        "UID:z\nDTSTART:20240120T070000Z\nSUMMARY:late",
        "UID:s\nDTSTART:20240103T090000Z\nRRULE:FREQ=WEEKLY;COUNT=4\nSUMMARY:series",
        "UID:a\nDTSTART:20240101T070000Z\nSUMMARY:early",
        "UID:m\nDTSTART:20240110T090000Z\nSUMMARY:same time, uid m",
        "UID:b\nDTSTART:20240110T090000Z\nSUMMARY:same time, uid b",
    )
    events = fetch(tmp_path, data).events
    assert [(e.start, e.uid) for e in events] == sorted((e.start, e.uid) for e in events)
    assert [e.uid for e in events] == ["a", "s", "b", "m", "s", "s", "z", "s"]


# --- time zones ---------------------------------------------------------------------------


def test_dst_morning_after_autumn_change(tmp_path: Path) -> None:
    # 2024-10-27 Europe/Berlin falls back; 07:00 CET the next day is 06:00 UTC
    data = cal("UID:x\nDTSTART;TZID=Europe/Berlin:20241028T070000\nDURATION:PT1H\nSUMMARY:Run")
    window = Window(utc(2024, 10, 20), utc(2024, 11, 3))
    (event,) = fetch(tmp_path, data, window).events
    assert event.start == utc(2024, 10, 28, 6)
    assert event.end == utc(2024, 10, 28, 7)


def test_weekly_local_series_keeps_wall_time_across_dst(tmp_path: Path) -> None:
    data = cal("UID:x\nDTSTART;TZID=Europe/Berlin:20241021T070000\nRRULE:FREQ=WEEKLY;COUNT=2")
    window = Window(utc(2024, 10, 20), utc(2024, 11, 3))
    assert [e.start for e in fetch(tmp_path, data, window).events] == [
        utc(2024, 10, 21, 5),
        utc(2024, 10, 28, 6),
    ]


def test_google_export_with_x_wr_timezone_and_utc_times(tmp_path: Path) -> None:
    # Google writes UTC times but means the calendar's zone: the series keeps 08:00 local
    data = cal(
        "UID:g\nDTSTART:20241021T060000Z\nDTEND:20241021T070000Z\nRRULE:FREQ=WEEKLY;COUNT=2"
        "\nSUMMARY:Morning run",
        head="X-WR-CALNAME:Training\nX-WR-TIMEZONE:Europe/Berlin",
    )
    window = Window(utc(2024, 10, 20), utc(2024, 11, 3))
    events = fetch(tmp_path, data, window, tz=NEW_YORK).events
    assert [e.start for e in events] == [utc(2024, 10, 21, 6), utc(2024, 10, 28, 7)]
    assert all(e.start.tzinfo is UTC for e in events)


def test_outlook_windows_zone_name(tmp_path: Path) -> None:
    data = cal(
        "UID:o\nDTSTART;TZID=W. Europe Standard Time:20240105T070000\n"
        "DTEND;TZID=W. Europe Standard Time:20240105T080000\nSUMMARY:Leg day"
    )
    res = fetch(tmp_path, data, tz=NEW_YORK)
    (event,) = res.events
    assert event.start == utc(2024, 1, 5, 6)  # Berlin, not New York
    assert not [w for w in res.warnings if "unknown time zone" in w]


def test_unknown_tzid_is_read_in_default_zone_with_a_warning(tmp_path: Path) -> None:
    data = cal("UID:u\nDTSTART;TZID=Mars/Olympus_Mons:20240105T070000\nSUMMARY:Mars run")
    res = fetch(tmp_path, data, tz=NEW_YORK)
    (event,) = res.events
    assert event.start == utc(2024, 1, 5, 12)  # 07:00 in New York
    (warning,) = [w for w in res.warnings if "unknown time zone" in w]
    assert "Mars run" in warning and "Mars/Olympus_Mons" in warning


def test_floating_time_is_read_in_default_zone(tmp_path: Path) -> None:
    data = cal("UID:f\nDTSTART:20240705T070000\nDTEND:20240705T080000")
    window = Window(utc(2024, 7, 1), utc(2024, 7, 10))
    (event,) = fetch(tmp_path, data, window).events
    assert event.start == utc(2024, 7, 5, 5)  # CEST
    (event,) = fetch(tmp_path, data, window, tz=NEW_YORK).events
    assert event.start == utc(2024, 7, 5, 11)  # EDT


# --- shapes of events ---------------------------------------------------------------------


def test_all_day_events(tmp_path: Path) -> None:
    data = cal(
        "UID:one\nDTSTART;VALUE=DATE:20240105\nSUMMARY:Birthday",
        "UID:three\nDTSTART;VALUE=DATE:20240110\nDTEND;VALUE=DATE:20240113\nSUMMARY:Trip",
    )
    one, three = fetch(tmp_path, data).events
    assert one.all_day and three.all_day
    assert one.start == utc(2024, 1, 4, 23)  # local midnight, Berlin, in UTC
    assert one.end == utc(2024, 1, 5, 23)  # no DTEND: one day
    assert three.end - three.start == timedelta(days=3)
    assert not one.busy


def test_duration_instead_of_dtend(tmp_path: Path) -> None:
    data = cal(
        "UID:d\nDTSTART:20240105T070000Z\nDURATION:PT1H30M",
        "UID:dd\nDTSTART;VALUE=DATE:20240110\nDURATION:P2D",
    )
    timed, allday = fetch(tmp_path, data).events
    assert timed.end - timed.start == timedelta(minutes=90)
    assert allday.end - allday.start == timedelta(days=2)


def test_timed_event_without_end_has_zero_length(tmp_path: Path) -> None:
    data = cal("UID:z\nDTSTART:20240105T070000Z\nSUMMARY:Reminder")
    (event,) = fetch(tmp_path, data).events
    assert event.start == event.end == utc(2024, 1, 5, 7)


def test_event_fields(tmp_path: Path) -> None:
    data = cal(
        """
        UID:f1
        DTSTART:20240105T070000Z
        DTEND:20240105T080000Z
        SUMMARY:Tempo run
        CATEGORIES:Sport,Run
        CATEGORIES:Hard
        DESCRIPTION:6x800m\\, then cool down
        TRANSP:TRANSPARENT
        URL:https://example.com/run
        """,
        "UID:f2\nDTSTART:20240106T070000Z",
    )
    first, second = fetch(tmp_path, data).events
    assert first.source == "mine" and first.uid == "f1"
    assert first.title == "Tempo run"
    assert first.categories == ("Sport", "Run", "Hard")
    assert first.description == "6x800m, then cool down"
    assert first.transparent and not first.all_day
    assert first.url == "https://example.com/run"
    assert first.original_start is None  # not recurring
    assert second.title == "" and second.categories == () and not second.transparent


def test_own_suggestions_are_skipped(tmp_path: Path) -> None:
    data = cal(
        "UID:ours\nDTSTART:20240105T070000Z\nSUMMARY:Yoga instead\nX-LEGDAY-SYNC:abc123",
        "UID:theirs\nDTSTART:20240105T070000Z\nSUMMARY:Run",
    )
    assert [e.uid for e in fetch(tmp_path, data).events] == ["theirs"]


def test_only_events_overlapping_the_window(tmp_path: Path) -> None:
    window = Window(utc(2024, 1, 10), utc(2024, 1, 20))
    data = cal(
        "UID:before\nDTSTART:20240109T070000Z\nDTEND:20240110T000000Z",  # ends at the start
        "UID:straddle-start\nDTSTART:20240109T220000Z\nDTEND:20240110T010000Z",
        "UID:inside\nDTSTART:20240115T070000Z",
        "UID:straddle-end\nDTSTART:20240119T230000Z\nDTEND:20240120T010000Z",
        "UID:after\nDTSTART:20240120T000000Z\nDTEND:20240120T010000Z",
        "UID:long-ago-series\nDTSTART:20150105T070000Z\nRRULE:FREQ=YEARLY",
        "UID:spanning\nDTSTART;VALUE=DATE:20240101\nDTEND;VALUE=DATE:20240201",
    )
    uids = [e.uid for e in fetch(tmp_path, data, window).events]
    assert uids == ["spanning", "straddle-start", "inside", "straddle-end"]


def test_missing_uid_gets_a_stable_hash(tmp_path: Path) -> None:
    data = cal("DTSTART:20240105T070000Z\nSUMMARY:No uid here")
    first = fetch(tmp_path, data)
    second = fetch(tmp_path, data)
    (event,) = first.events
    assert event.uid.startswith("legday-nouid-")
    assert event.uid == second.events[0].uid
    assert any("No uid here" in w and "no UID" in w for w in first.warnings)


# --- bytes and text -----------------------------------------------------------------------


def test_fold_inside_a_multibyte_character(tmp_path: Path) -> None:
    title = "Läufer-Training"
    raw = f"SUMMARY:{title}".encode()
    cut = raw.index("ä".encode()) + 1  # between the two bytes of "ä"
    folded = raw[:cut] + b"\r\n " + raw[cut:]
    data = cal("UID:fold\nDTSTART:20240105T070000Z\nSUMMARY:placeholder").replace(
        b"SUMMARY:placeholder", folded
    )
    res = fetch(tmp_path, data)
    assert [e.title for e in res.events] == [title]
    assert not res.warnings  # still read as UTF-8, no Latin-1 fallback


def test_utf8_bom(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + cal("UID:bom\nDTSTART:20240105T070000Z\nSUMMARY:Beinübung")
    res = fetch(tmp_path, data)
    assert [e.title for e in res.events] == ["Beinübung"]


def test_latin1_bytes(tmp_path: Path) -> None:
    data = cal("UID:l1\nDTSTART:20240105T070000Z\nSUMMARY:Übung für Beine").decode()
    res = fetch(tmp_path, data.encode("cp1252"))
    assert [e.title for e in res.events] == ["Übung für Beine"]
    assert any("not valid UTF-8" in w for w in res.warnings)


def test_mixed_line_endings_and_tab_folds() -> None:
    text, warnings = decode(b"BEGIN:VCALENDAR\rSUMMARY:a\n\tb\r\nEND:VCALENDAR\n")
    assert text == "BEGIN:VCALENDAR\nSUMMARY:ab\nEND:VCALENDAR\n"
    assert warnings == []


# --- broken things ------------------------------------------------------------------------


def test_event_without_dtstart_is_skipped_with_a_warning(tmp_path: Path) -> None:
    data = cal(
        "UID:nostart\nSUMMARY:Mystery",
        "UID:nostart-series\nRECURRENCE-ID:20240102T070000Z\nSUMMARY:Orphan",
        "UID:ok\nDTSTART:20240105T070000Z\nSUMMARY:Fine",
    )
    res = fetch(tmp_path, data)
    assert [e.uid for e in res.events] == ["ok"]
    assert any("Mystery" in w and "nostart" in w and "DTSTART" in w for w in res.warnings)


def test_a_bad_series_costs_a_warning_not_the_source(tmp_path: Path) -> None:
    data = cal(
        "UID:bad\nDTSTART:20240105T070000Z\nRRULE:FREQ=SOMETIMES\nSUMMARY:Broken rule",
        "UID:good\nDTSTART:20240106T070000Z\nRRULE:FREQ=DAILY;COUNT=2\nSUMMARY:Fine",
    )
    res = fetch(tmp_path, data)
    assert [e.uid for e in res.events] == ["good", "good"]
    assert any("Broken rule" in w and "bad" in w for w in res.warnings)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"  \r\n", "empty"),
        (b"<html><body>Sign in</body></html>", "no BEGIN:VCALENDAR"),
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTST", "truncated"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not an iCalendar"),
        (b"BEGIN:VCALENDAR\r\nthis is not a content line\r\nEND:VCALENDAR\r\n", "not a valid"),
    ],
    ids=["empty", "blank", "html", "truncated", "binary", "garbage-lines"],
)
def test_whole_file_failures_raise_source_error(tmp_path: Path, data: bytes, words: str) -> None:
    with pytest.raises(SourceError) as info:
        fetch(tmp_path, data)
    assert info.value.source == "mine"
    assert words in info.value.message
    assert info.value.fix


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    src = IcsSource("gone", path=tmp_path / "nope.ics", default_tz=BERLIN)
    with pytest.raises(SourceError) as info:
        src.fetch(JAN)
    assert info.value.source == "gone" and "not found" in info.value.message


def test_valid_calendar_without_events_is_fine(tmp_path: Path) -> None:
    res = fetch(tmp_path, cal(head="X-WR-CALNAME:Empty"))
    assert res.events == () and res.warnings == ()


# --- the fast path ------------------------------------------------------------------------


def _windows(around: datetime) -> list[Window]:
    return [
        Window(around, around + timedelta(days=21)),
        Window(around - timedelta(days=3, hours=5), around - timedelta(days=1)),
        Window(around + timedelta(days=9, hours=13), around + timedelta(days=10)),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(24))
def test_prefilter_gives_the_same_events_as_a_full_parse(seed: int) -> None:
    tz = [BERLIN, NEW_YORK, ZoneInfo("Pacific/Kiritimati"), ZoneInfo("UTC")][seed % 4]
    around = datetime(2024, 2, 1, 9, tzinfo=UTC) + timedelta(days=seed * 23)
    data = generate(seed, around, years=3)
    text, _ = decode(data)
    for window in _windows(around):
        fast, _ = parse_ics(data, window, source="s", default_tz=tz)
        full, _ = parse_ics(data, window, source="s", default_tz=tz, use_prefilter=False)
        assert fast == full
        reduced = prefilter(text, window.start, window.end)
        assert reduced is not None and reduced.dropped > 0  # the fast path did work
    # the generator makes what the comparison needs: old series, moves, edge-straddlers
    assert b"RECURRENCE-ID" in data and b"RRULE" in data and b"RDATE" in data


def test_prefilter_keeps_old_series_and_far_moved_overrides() -> None:
    text, _ = decode(
        cal(
            "UID:old\nDTSTART:20100104T070000Z\nRRULE:FREQ=WEEKLY",
            "UID:old\nRECURRENCE-ID:20100111T070000Z\nDTSTART:20240110T070000Z",  # moved in
            "UID:old\nRECURRENCE-ID:20240108T070000Z\nDTSTART:20300101T070000Z",  # moved out
            "UID:old\nRECURRENCE-ID:20120102T070000Z\nDTSTART:20120103T070000Z",  # far: drop
            "UID:ended\nDTSTART:20100104T070000Z\nRRULE:FREQ=WEEKLY;UNTIL=20120101T000000Z",
            "UID:history\nDTSTART:20150105T070000Z",
            "UID:future\nDTSTART:20250105T070000Z",
            "UID:unreadable\nDTSTART:sometime soon",
        )
    )
    reduced = prefilter(text, JAN.start, JAN.end)
    assert reduced is not None
    assert reduced.dropped == 4
    assert "20120103T070000Z" not in reduced.text
    for kept in ("RECURRENCE-ID:20100111", "RECURRENCE-ID:20240108", "sometime soon"):
        assert kept in reduced.text
    for dropped in ("UID:ended", "UID:history", "UID:future"):
        assert dropped not in reduced.text


def test_prefilter_drops_only_values_nothing_reads(tmp_path: Path) -> None:
    """STATUS and TRANSP values that say what their absence says go; so does SEQUENCE where
    no other component shares the UID (recurring-ical-events reads it only to choose
    between those), but not where it chooses between two overrides of one slot."""
    data = cal(
        "UID:a\nDTSTART:20240110T070000Z\nSUMMARY:plain\nSTATUS:CONFIRMED\nTRANSP:OPAQUE",
        "UID:b\nDTSTART:20240111T070000Z\nSUMMARY:off\nstatus:cancelled",
        "UID:c\nDTSTART:20240112T070000Z\nSUMMARY:free\nTRANSP:TRANSPARENT",
        "UID:d\nDTSTART:20240113T070000Z\nSUMMARY:maybe\nSTATUS:TENTATIVE\nSEQUENCE:7",
        "UID:e\nDTSTART:20240101T090000Z\nRRULE:FREQ=WEEKLY\nSUMMARY:weekly\nSEQUENCE:4",
        "UID:e\nRECURRENCE-ID:20240115T090000Z\nDTSTART:20240115T100000Z\nSUMMARY:old move"
        "\nSEQUENCE:1",
        "UID:e\nRECURRENCE-ID:20240115T090000Z\nDTSTART:20240115T110000Z\nSUMMARY:new move"
        "\nSEQUENCE:2",
    )
    text, _ = decode(data)
    reduced = prefilter(text, JAN.start, JAN.end)
    assert reduced is not None
    for gone in ("STATUS:CONFIRMED", "TRANSP:OPAQUE", "STATUS:TENTATIVE", "SEQUENCE:7"):
        assert gone not in reduced.text
    for kept in ("status:cancelled", "TRANSP:TRANSPARENT", "SEQUENCE:4", "SEQUENCE:1",
                 "SEQUENCE:2"):
        assert kept in reduced.text
    events = fetch(tmp_path, data).events
    assert [(e.title, e.transparent) for e in events if e.uid != "e"] == [
        ("plain", False), ("free", True), ("maybe", False)]
    assert [e.title for e in events if e.start.day == 15] == ["new move"]


def test_prefilter_gives_up_on_odd_structure() -> None:
    two = "BEGIN:VCALENDAR\nEND:VCALENDAR\nBEGIN:VCALENDAR\nEND:VCALENDAR\n"
    assert prefilter(two, JAN.start, JAN.end) is None
    assert prefilter("BEGIN:VCALENDAR\nBEGIN:VEVENT\n", JAN.start, JAN.end) is None


# --- cache --------------------------------------------------------------------------------


class FakeCache:
    def __init__(self) -> None:
        self.data: dict[tuple[str, str], tuple[Window, list[Event]]] = {}
        self.puts = 0

    def get(self, source: str, validator: str) -> tuple[Window, list[Event]] | None:
        return self.data.get((source, validator))

    def put(self, source: str, validator: str, window: Window, events: Sequence[Event]) -> None:
        self.puts += 1
        self.data[(source, validator)] = (window, list(events))


SERIES = cal("UID:s\nDTSTART:20240101T070000Z\nDTEND:20240101T080000Z\nRRULE:FREQ=DAILY")


def test_cache_hit_skips_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.ics"
    path.write_bytes(SERIES)
    cache = FakeCache()
    src = IcsSource("c", path=path, default_tz=BERLIN, cache=cache)
    window = Window(utc(2024, 1, 10), utc(2024, 1, 17))
    first = src.fetch(window)
    ((stored_window, stored),) = cache.data.values()
    assert stored_window == Window(utc(2024, 1, 9), utc(2024, 1, 24))  # -1 day / +7 days
    assert len(stored) > len(first.events) == 7

    def boom(*a: object, **k: object) -> None:
        raise AssertionError("parsed although cached")

    monkeypatch.setattr(ics_module, "parse_ics", boom)
    later = Window(utc(2024, 1, 12), utc(2024, 1, 20))  # inside the widened window
    assert [e.start.day for e in src.fetch(later).events] == list(range(12, 20))
    with pytest.raises(AssertionError):  # outside it: must parse again
        src.fetch(Window(utc(2024, 1, 20), utc(2024, 1, 30)))


def test_cache_misses_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "c.ics"
    path.write_bytes(SERIES)
    cache = FakeCache()
    src = IcsSource("c", path=path, default_tz=BERLIN, cache=cache)
    window = Window(utc(2024, 1, 10), utc(2024, 1, 11))
    assert [e.uid for e in src.fetch(window).events] == ["s"]
    path.write_bytes(SERIES.replace(b"UID:s", b"UID:changed"))
    os.utime(path, ns=(1, 1))  # a different mtime even on coarse file systems
    assert [e.uid for e in src.fetch(window).events] == ["changed"]
    assert cache.puts == 2


def test_cache_is_keyed_on_the_default_zone(tmp_path: Path) -> None:
    path = tmp_path / "c.ics"
    path.write_bytes(cal("UID:f\nDTSTART:20240105T070000"))
    cache = FakeCache()
    a = IcsSource("c", path=path, default_tz=BERLIN, cache=cache).fetch(JAN)
    b = IcsSource("c", path=path, default_tz=NEW_YORK, cache=cache).fetch(JAN)
    assert a.events[0].start != b.events[0].start


def test_readonly_does_not_write_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "c.ics"
    path.write_bytes(SERIES)
    cache = FakeCache()
    res = IcsSource("c", path=path, default_tz=BERLIN, cache=cache, readonly=True).fetch(JAN)
    assert res.events and cache.puts == 0


# --- URLs -----------------------------------------------------------------------------------

FEED = cal("UID:feed\nDTSTART:20240105T070000Z\nDTEND:20240105T080000Z\nSUMMARY:Leg day")
LAST_MODIFIED = format_datetime(datetime(2024, 1, 1, tzinfo=UTC), usegmt=True)


class Server:
    """A tiny HTTP server whose routes the test sets: path -> handler(request) -> response."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path.split("?")[0])
                if route is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                route(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # a short poll interval: shutdown() waits for one, and every URL test stops a server
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                       daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.stop()


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"", **headers: str) -> None:
    handler.send_response(status)
    for key, value in headers.items():
        handler.send_header(key.replace("_", "-"), value)
    if status != 304:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if status != 304:
        handler.wfile.write(body)


def etag_route(handler: BaseHTTPRequestHandler) -> None:
    if handler.headers.get("If-None-Match") == '"v1"':
        send(handler, 304, ETag='"v1"')
    else:
        send(handler, 200, FEED, ETag='"v1"', Content_Type="text/calendar")


def lm_route(handler: BaseHTTPRequestHandler) -> None:
    if handler.headers.get("If-Modified-Since") == LAST_MODIFIED:
        send(handler, 304)
    else:
        send(handler, 200, FEED, Last_Modified=LAST_MODIFIED)


def url_source(url: str, cache_dir: Path | None, **kw: object) -> IcsSource:
    return IcsSource("feed", url=url, default_tz=BERLIN, http_cache_dir=cache_dir, **kw)  # type: ignore[arg-type]


def test_url_200_then_304_with_etag(server: Server, tmp_path: Path) -> None:
    server.routes["/cal.ics"] = etag_route
    src = url_source(server.base + "/cal.ics", tmp_path / "http")
    first = src.fetch(JAN)
    assert [e.title for e in first.events] == ["Leg day"]
    (stored,) = (tmp_path / "http").iterdir()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    second = src.fetch(JAN)
    assert second.events == first.events and not second.warnings
    assert server.requests[1][1].get("If-None-Match") == '"v1"'
    assert "If-None-Match" not in server.requests[0][1]


def test_url_304_with_last_modified(server: Server, tmp_path: Path) -> None:
    server.routes["/cal.ics"] = lm_route
    src = url_source(server.base + "/cal.ics", tmp_path / "http")
    first = src.fetch(JAN)
    second = src.fetch(JAN)
    assert second.events == first.events and len(first.events) == 1
    assert server.requests[1][1].get("If-Modified-Since") == LAST_MODIFIED


def test_url_server_down_uses_the_last_good_copy(tmp_path: Path) -> None:
    server = Server()
    server.routes["/cal.ics"] = etag_route
    url = server.base + "/cal.ics"
    first = url_source(url, tmp_path / "http").fetch(JAN)
    server.stop()
    res = url_source(url, tmp_path / "http", timeout=2).fetch(JAN)
    assert res.events == first.events
    assert any("stale copy from" in w for w in res.warnings)


def test_url_server_error_uses_the_last_good_copy(server: Server, tmp_path: Path) -> None:
    server.routes["/cal.ics"] = etag_route
    src = url_source(server.base + "/cal.ics", tmp_path / "http")
    first = src.fetch(JAN)
    server.routes["/cal.ics"] = lambda h: send(h, 503, b"busy")
    res = src.fetch(JAN)
    assert res.events == first.events
    assert any("HTTP 503" in w and "stale copy" in w for w in res.warnings)


def test_url_garbage_body_keeps_the_last_good_copy(server: Server, tmp_path: Path) -> None:
    server.routes["/cal.ics"] = etag_route
    src = url_source(server.base + "/cal.ics", tmp_path / "http")
    first = src.fetch(JAN)
    (stored,) = (tmp_path / "http").iterdir()
    before = stored.read_bytes()
    server.routes["/cal.ics"] = lambda h: send(h, 200, b"<html>Log in to Wi-Fi</html>")
    res = src.fetch(JAN)
    assert res.events == first.events
    assert any("unreadable calendar" in w for w in res.warnings)
    assert stored.read_bytes() == before


def test_url_server_down_without_a_copy_is_a_source_error(tmp_path: Path) -> None:
    server = Server()
    url = server.base + "/cal.ics"
    server.stop()
    with pytest.raises(SourceError) as info:
        url_source(url, tmp_path / "http", timeout=2).fetch(JAN)
    assert info.value.source == "feed" and "could not" in info.value.message


@pytest.mark.parametrize("with_length", [True, False])
def test_url_oversized_body(server: Server, tmp_path: Path, with_length: bool) -> None:
    def big(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        if with_length:
            handler.send_header("Content-Length", str(10_000))
        handler.end_headers()
        try:
            for _ in range(10):
                handler.wfile.write(b"X" * 1000)
        except OSError:
            pass
        handler.close_connection = True

    server.routes["/big.ics"] = big
    with pytest.raises(SourceError) as info:
        url_source(server.base + "/big.ics", tmp_path / "http", max_bytes=4096).fetch(JAN)
    assert "limit of 4096" in info.value.message
    assert not (tmp_path / "http").exists()


def test_url_redirect_loop(server: Server, tmp_path: Path) -> None:
    server.routes["/loop"] = lambda h: send(h, 302, Location="/loop")
    with pytest.raises(SourceError) as info:
        url_source(server.base + "/loop", tmp_path / "http", max_redirects=3).fetch(JAN)
    assert "redirect" in info.value.message
    assert len(server.requests) == 4  # the first request and three redirects


def test_url_redirect_is_followed(server: Server, tmp_path: Path) -> None:
    server.routes["/old"] = lambda h: send(h, 301, Location="/cal.ics")
    server.routes["/cal.ics"] = etag_route
    assert len(url_source(server.base + "/old", None).fetch(JAN).events) == 1


def test_url_readonly_writes_nothing(server: Server, tmp_path: Path) -> None:
    server.routes["/cal.ics"] = etag_route
    cache = FakeCache()
    src = url_source(server.base + "/cal.ics", tmp_path / "http", readonly=True, cache=cache)
    assert len(src.fetch(JAN).events) == 1
    assert not (tmp_path / "http").exists()
    assert cache.puts == 0


def test_url_credentials_never_reach_a_message(tmp_path: Path) -> None:
    server = Server()
    port = server.httpd.server_address[1]
    server.stop()
    url = f"http://alice:hunter2pw@127.0.0.1:{port}/cal.ics?token=s3cr3ttok3n&x=1"
    with pytest.raises(SourceError) as info:
        url_source(url, tmp_path / "http", timeout=2).fetch(JAN)
    text = f"{info.value} {info.value.message} {info.value.fix} {info.value.detail}"
    assert "hunter2pw" not in text and "s3cr3ttok3n" not in text and "alice" not in text
    assert "127.0.0.1" in text


def test_redact_url() -> None:
    url = "https://bob:pw@example.com/calendar/ical/x/private-0123abcd/basic.ics?token=abc"
    shown = redact_url(url)
    assert "pw" not in shown and "bob" not in shown and "abc" not in shown
    assert "0123abcd" not in shown and "example.com" in shown
    assert "pw@" not in scrub(f"failed: {url}", url)


def test_webcal_means_https() -> None:
    src = IcsSource("w", url="webcal://example.com/cal.ics", default_tz=BERLIN)
    assert src.url == "https://example.com/cal.ics"


def test_path_or_url_not_both() -> None:
    with pytest.raises(ValueError):
        IcsSource("x", default_tz=BERLIN)
    with pytest.raises(ValueError):
        IcsSource("x", path=Path("a.ics"), url="https://e.com/a.ics", default_tz=BERLIN)
