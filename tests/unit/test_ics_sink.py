"""The .ics sink's file: the calendar properties DESIGN §4 lists, stable bytes, SEQUENCE."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import icalendar

from legday_sync.adapters.ics.sink import IcsFileSink
from legday_sync.core.model import Action
from tests.contract.test_sink_contract import NOW, two_suggestions
from tests.helpers import BERLIN, at


def test_the_file_has_the_feed_properties(tmp_path: Path) -> None:
    sink = IcsFileSink(tmp_path / "out.ics", tz=BERLIN, calendar_name="My suggestions")
    sugg = two_suggestions()
    sink.apply([Action("create", "ics", s.id, s) for s in sugg], NOW)
    data = (tmp_path / "out.ics").read_bytes()
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in data
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in data
    assert b"NAME:My suggestions\r\n" in data and b"X-WR-CALNAME:My suggestions\r\n" in data
    assert b"METHOD:" not in data
    cal = icalendar.Calendar.from_ical(data)
    tzids = {str(t["TZID"]) for t in cal.walk("VTIMEZONE")}
    used = {str(e["DTSTART"].params.get("TZID")) for e in cal.walk("VEVENT")}
    assert used == {"Europe/Berlin"} and used <= tzids
    events = cal.walk("VEVENT")
    assert {str(e["UID"]) for e in events} == {f"{s.id}@legday-sync" for s in sugg}
    for e in events:
        assert str(e["TRANSP"]) == "TRANSPARENT"
        assert e.decoded("DTSTAMP") == e.decoded("LAST-MODIFIED") == NOW


def test_update_bumps_sequence_and_last_modified_and_keeps_created(tmp_path: Path) -> None:
    sink = IcsFileSink(tmp_path / "out.ics", tz=BERLIN)
    s = two_suggestions()[0]
    sink.apply([Action("create", "ics", s.id, s)], NOW)
    later = at("2026-11-23 09:00")
    sink.apply([Action("update", "ics", s.id, replace(s, title="Walk instead"))], later)
    [stored] = sink.stored().values()
    assert stored.sequence == 1 and stored.last_modified == later and stored.created == NOW
    assert stored.title == "Walk instead"


def test_rendering_is_byte_identical_and_removal_moves_the_calendar_stamp(tmp_path: Path) -> None:
    a = IcsFileSink(tmp_path / "a.ics", tz=BERLIN)
    b = IcsFileSink(tmp_path / "b.ics", tz=BERLIN)
    sugg = two_suggestions()
    for sink in (a, b):
        sink.apply([Action("create", "ics", s.id, s) for s in sugg], NOW)
    assert a.path.read_bytes() == b.path.read_bytes()
    later = at("2026-11-23 10:00")
    a.apply([Action("delete", "ics", sugg[0].id)], later)
    _, modified = a.read()
    assert modified == later  # the feed's Last-Modified moves though no event changed


def test_refuses_a_file_it_did_not_write(tmp_path: Path) -> None:
    import pytest

    from legday_sync.errors import SinkError

    theirs = tmp_path / "mine.ics"
    theirs.write_bytes(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Someone//EN\r\n"
                       b"END:VCALENDAR\r\n")
    with pytest.raises(SinkError):
        IcsFileSink(theirs, tz=BERLIN).load()
    assert b"Someone" in theirs.read_bytes()


def test_a_temp_file_left_by_a_crash_is_cleaned_on_the_next_write(tmp_path: Path) -> None:
    sink = IcsFileSink(tmp_path / "out.ics", tz=BERLIN)
    stale = tmp_path / ".out.ics.4242.1.tmp"
    stale.write_bytes(b"half a feed")
    s = two_suggestions()[0]
    sink.apply([Action("create", "ics", s.id, s)], NOW)
    assert not stale.exists()
    assert oct((tmp_path / "out.ics").stat().st_mode & 0o777) == "0o600"
