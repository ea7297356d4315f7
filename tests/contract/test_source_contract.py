"""The Source port's contract, run against every adapter and the in-memory fake.

Each factory gets a list of events to serve and returns a Source holding them, and
offers ``broken``: the same adapter with its backing store down or unreadable. The
adapters: the in-memory fake, an .ics file, an .ics over HTTP (a local server) and a
Google calendar (the Calendar v3 emulator in tests/google_emulator).
"""

from __future__ import annotations

import atexit
import functools
import http.server
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from legday_sync.adapters.google.api import GoogleClient
from legday_sync.adapters.google.source import GoogleSource
from legday_sync.adapters.ics.source import IcsSource
from legday_sync.adapters.memory import FakeSource
from legday_sync.adapters.state import State
from legday_sync.core.model import Event, Window
from legday_sync.core.ports import Source
from legday_sync.errors import SourceError
from tests.caldav_support import Server, caldav_source, free_port, new_calendar
from tests.google_support import shared_emulator
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
        if e.all_day:
            v.add("DTSTART", e.start.astimezone(BERLIN).date())
            v.add("DTEND", e.end.astimezone(BERLIN).date())
        else:
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


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@functools.cache
def _http_root() -> tuple[Path, str]:
    """One local HTTP server for the module's tests, serving a temp folder."""
    root = Path(tempfile.mkdtemp(prefix="contract-http-"))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    atexit.register(server.shutdown)
    return root, f"http://127.0.0.1:{server.server_address[1]}"


def _ics_http(tmp: Path) -> Adapter:
    root, base = _http_root()
    folder = root / tmp.name
    folder.mkdir(exist_ok=True)

    def make(evs: list[Event]) -> Source:
        (folder / "cal.ics").write_bytes(_ics_text(evs))
        return IcsSource("cal", url=f"{base}/{tmp.name}/cal.ics", default_tz=BERLIN,
                         http_cache_dir=tmp / "http", timeout=10)

    def broken() -> Source:  # the server answers 404: the feed is gone
        return IcsSource("cal", url=f"{base}/{tmp.name}/missing.ics", default_tz=BERLIN,
                         timeout=10)

    return Adapter(make, broken)


def _google_time(e: Event, t: datetime) -> dict[str, str]:
    if e.all_day:
        return {"date": t.astimezone(BERLIN).date().isoformat()}
    return {"dateTime": t.astimezone(UTC).isoformat()}


def _google(tmp: Path) -> Adapter:
    emu = shared_emulator()

    def source(calendar_id: str) -> Source:
        return GoogleSource("cal", calendar_id, tz=BERLIN, state=State(tmp / "g-state"),
                            connect=lambda: GoogleClient(emu.credentials(),
                                                         base_url=emu.base_url))

    def make(evs: list[Event]) -> Source:
        cal = emu.add_calendar(f"contract {tmp.name}")["id"]
        for e in evs:
            emu.add_event(cal, {"id": e.uid, "summary": e.title,
                                "start": _google_time(e, e.start),
                                "end": _google_time(e, e.end)})
        return source(cal)

    def broken() -> Source:  # a calendar that isn't there (deleted, or access revoked)
        return source("gone-calendar@group.calendar.google.com")

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
    "ics-http": _ics_http,
    "google": _google,
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
        inside_late = event("Tempo run", "2026-11-24 07:00", uid="evtb0")
        inside_early = event("Leg day", "2026-11-23 18:00", uid="evta0")
        straddling = event("Overnight", "2026-11-19 23:00", 120, uid="evtc0")
        outside = event("Old run", "2026-11-01 07:00", uid="evtd0")
        src = adapter.make([inside_late, outside, straddling, inside_early])
        got = src.fetch(WINDOW).events
        assert [e.uid for e in got] == ["evtc0", "evta0", "evtb0"]
        assert all(e.start.utcoffset() == timedelta(0) for e in got)
        assert got[1].start == at("2026-11-23 18:00") and got[1].title == "Leg day"

    def test_source_name_is_on_every_event(self, adapter: Adapter) -> None:
        src = adapter.make([event("Run", "2026-11-24 07:00", uid="evte0")])
        assert {e.source for e in src.fetch(WINDOW).events} == {src.name}

    def test_empty_calendar_is_no_events_not_an_error(self, adapter: Adapter) -> None:
        assert adapter.make([]).fetch(WINDOW).events == ()

    def test_a_broken_source_raises_never_returns_no_events(self, adapter: Adapter) -> None:
        src = adapter.broken()
        with pytest.raises(SourceError) as info:
            src.fetch(WINDOW)
        assert info.value.source == src.name
        assert info.value.message

    def test_boundaries_are_half_open_and_a_zero_length_event_is_an_instant(
            self, adapter: Adapter) -> None:
        """One rule for every source (``Window.overlaps``): an event ending as the window
        starts is out; a zero-length event at the window's start is in, at its end out."""
        ends_at_start = event("Yesterday", "2026-11-19 23:00", 60, uid="evtf0")
        instant_at_start = event("Reminder", "2026-11-20 00:00", 0, uid="evtg0")
        instant_at_end = event("Reminder", "2026-11-30 00:00", 0, uid="evth0")
        starts_at_end = event("Tomorrow", "2026-11-30 00:00", 60, uid="evti0")
        src = adapter.make([ends_at_start, instant_at_start, instant_at_end, starts_at_end])
        assert [e.uid for e in src.fetch(WINDOW).events] == ["evtg0"]

    def test_all_day_events_are_marked_and_start_at_local_midnight(
            self, adapter: Adapter) -> None:
        day = event("Gym week", "2026-11-24 00:00", 24 * 60, uid="evtj0", all_day=True)
        got = adapter.make([day]).fetch(WINDOW).events
        assert len(got) == 1 and got[0].all_day
        assert got[0].start == at("2026-11-24 00:00") and got[0].end == at("2026-11-25 00:00")
