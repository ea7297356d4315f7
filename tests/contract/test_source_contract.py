"""The Source port's contract, run against every adapter and the in-memory fake.

Each factory gets a list of events to serve and returns a Source holding them;
an adapter whose backing store can be broken also offers ``break_it``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from legday_sync.adapters.ics.source import IcsSource
from legday_sync.adapters.memory import FakeSource
from legday_sync.core.model import Event, Window
from legday_sync.core.ports import Source
from legday_sync.errors import SourceError
from tests.caldav_support import Server, caldav_source, free_port, new_calendar
from tests.helpers import BERLIN, at, event


def _ics_text(events: list[Event]) -> bytes:
    import icalendar

    cal = icalendar.Calendar()
    cal.add("VERSION", "2.0")
    cal.add("PRODID", "-//contract//EN")
    for e in events:
        v = icalendar.Event()
        v.add("UID", e.uid)
        v.add("SUMMARY", e.title)
        v.add("DTSTART", e.start)
        v.add("DTEND", e.end)
        v.add("DTSTAMP", e.start)
        cal.add_component(v)
    return cal.to_ical()


class Adapter:
    def __init__(self, make: Callable[[list[Event]], Source], broken: Callable[[], Source]):
        self.make, self.broken = make, broken


def _fake() -> Adapter:
    return Adapter(lambda evs: FakeSource("cal", list(evs)),
                   lambda: FakeSource("cal", failure="feed down"))


def _ics_file(tmp: Path) -> Adapter:
    def make(evs: list[Event]) -> Source:
        p = tmp / "cal.ics"
        p.write_bytes(_ics_text(evs))
        return IcsSource("cal", path=p, default_tz=BERLIN)

    def broken() -> Source:
        p = tmp / "broken.ics"
        p.write_bytes(b"\x00\x01 this is not a calendar")
        return IcsSource("cal", path=p, default_tz=BERLIN)

    return Adapter(make, broken)


def _caldav(tmp: Path, server: Server) -> Adapter:
    """A calendar on a real CalDAV server (Radicale), one resource per event."""

    def make(evs: list[Event]) -> Source:
        cal = new_calendar(server)
        for e in evs:
            cal.save_event(_ics_text([e]).decode())
        return caldav_source(server, tmp / "make", cal.get_display_name())

    def broken() -> Source:
        down = Server(f"http://127.0.0.1:{free_port()}/", server.proc, tmp, "down")
        return caldav_source(down, tmp / "broken", "Training")

    return Adapter(make, broken)


ADAPTERS: dict[str, Callable[[Path], Adapter]] = {
    "fake": lambda tmp: _fake(),
    "ics-file": _ics_file,
}
#: adapters that need a server fixture: (fixture name, factory)
SERVED: dict[str, tuple[str, Callable[[Path, Server], Adapter]]] = {
    "caldav-radicale": ("radicale_server", _caldav),
}


@pytest.fixture(params=sorted(ADAPTERS) + sorted(SERVED))
def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> Adapter:
    if request.param in SERVED:
        fixture, factory = SERVED[request.param]
        return factory(tmp_path, request.getfixturevalue(fixture))
    return ADAPTERS[request.param](tmp_path)


WINDOW = Window(at("2026-11-20 00:00"), at("2026-11-30 00:00"))


class TestSourceContract:
    def test_returns_events_overlapping_the_window_in_utc_sorted(self, adapter: Adapter) -> None:
        inside_late = event("Tempo run", "2026-11-24 07:00", uid="b")
        inside_early = event("Leg day", "2026-11-23 18:00", uid="a")
        straddling = event("Overnight", "2026-11-19 23:00", 120, uid="c")
        outside = event("Old run", "2026-11-01 07:00", uid="d")
        src = adapter.make([inside_late, outside, straddling, inside_early])
        got = src.fetch(WINDOW).events
        assert [e.uid for e in got] == ["c", "a", "b"]
        assert all(e.start.utcoffset() == timedelta(0) for e in got)
        assert got[1].start == at("2026-11-23 18:00") and got[1].title == "Leg day"

    def test_source_name_is_on_every_event(self, adapter: Adapter) -> None:
        src = adapter.make([event("Run", "2026-11-24 07:00", uid="x")])
        assert {e.source for e in src.fetch(WINDOW).events} == {src.name}

    def test_empty_calendar_is_no_events_not_an_error(self, adapter: Adapter) -> None:
        assert adapter.make([]).fetch(WINDOW).events == ()

    def test_a_broken_source_raises_never_returns_no_events(self, adapter: Adapter) -> None:
        src = adapter.broken()
        with pytest.raises(SourceError) as info:
            src.fetch(WINDOW)
        assert info.value.source == src.name
        assert info.value.message
