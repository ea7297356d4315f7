"""One-off VEVENTs read straight from the text (``one_off``) give exactly what the
reference (icalendar + x-wr-timezone + recurring-ical-events) gives, warnings included,
and the fast path really takes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legday_sync.adapters.ics import one_off
from legday_sync.adapters.ics import source as ics_module
from legday_sync.adapters.ics.prefilter import decode, prefilter
from legday_sync.adapters.ics.source import parse_ics
from legday_sync.core.model import ICS_MARKER, Window
from legday_sync.errors import SourceError

#: around the end of summer time in Europe (27 Oct; the US's on 3 Nov is a week later,
#: a P1W apart) and the start of it in Europe (31 Mar)
BASES = (datetime(2024, 10, 26, 12), datetime(2024, 3, 30, 12))
ZONES = ("Europe/Berlin", "America/New_York", "UTC", "Pacific/Kiritimati")

BOGUS_NEW_YORK = """BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:STANDARD
DTSTART:19700101T000000
TZOFFSETFROM:+0500
TZOFFSETTO:+0500
END:STANDARD
END:VTIMEZONE"""
CUSTOM = BOGUS_NEW_YORK.replace("America/New_York", "Custom/Zone")


def _wall(base: datetime, minutes: int) -> datetime:
    # events start 12-30 h after BASE (across the change of clocks in Berlin) and windows
    # start 0-36 h after it: nothing is far enough from a window for the prefilter to
    # drop it (its 2-day margin), so the reference sees the same events
    return base + timedelta(hours=12, minutes=minutes)


PLAIN_TIMES = ("date", "value-date", "floating", "utc", "berlin", "new-york", "quoted",
               "tzid-utc", "value-date-time")
ODD_TIMES = ("windows", "unknown", "custom", "tzid-and-z", "value-date-on-time",
             "leap-second", "lower-t")


@st.composite
def times(draw: st.DrawFn, name: str, plain: bool, base: datetime) -> str:
    wall = _wall(base, draw(st.integers(0, 12 * 18)) * 5)
    shape = draw(st.sampled_from(PLAIN_TIMES if plain else PLAIN_TIMES + ODD_TIMES))
    day, clock = wall.strftime("%Y%m%d"), wall.strftime("%Y%m%dT%H%M%S")
    return {
        "date": f"{name}:{day}",
        "value-date": f"{name};VALUE=DATE:{day}",
        "floating": f"{name}:{clock}",
        "utc": f"{name}:{clock}Z",
        "berlin": f"{name};TZID=Europe/Berlin:{clock}",
        "new-york": f"{name};TZID=America/New_York:{clock}",
        "quoted": f'{name};TZID="Europe/Berlin":{clock}',
        "tzid-utc": f"{name};TZID=UTC:{clock}",
        "value-date-time": f"{name};VALUE=DATE-TIME:{clock}",
        "windows": f"{name};TZID=W. Europe Standard Time:{clock}",
        "unknown": f"{name};TZID=Foo/Bar:{clock}",
        "custom": f"{name};TZID=Custom/Zone:{clock}",
        "tzid-and-z": f"{name};TZID=Europe/Berlin:{clock}Z",
        "value-date-on-time": f"{name};VALUE=DATE:{clock}",
        "leap-second": f"{name}:{clock[:-2]}60",
        "lower-t": f"{name}:{clock.lower()}",
    }[shape]


TEXT = st.text(alphabet="ab ,;:\\nN\"é", max_size=8)
PLAIN_DURATIONS = ("PT1H", "PT90M", "P1D", "P2D", "P1W", "PT0S", "P0D", "P1DT2H",
                   "PT1H30M15S")
ODD_DURATIONS = ("-PT1H", "-P1D", "+PT1H", "PT", "P", "P1DT", "PT1H;X=1")
NOISE = ('ATTENDEE;CN="A, B":mailto:a@b.c', "LOCATION:Room\\, 1", "X-FOO;X-P=1:bar",
         "DTSTAMP:20240101T000000Z", "SEQUENCE:2", "GEO:bad", "X-WR-TIMEZONE:Asia/Tokyo",
         "STATUS:CONFIRMED", "TRANSP:OPAQUE", "TRANSP:TRANSPARENT", "STATUS: Cancelled ")
#: {t}: a time near the events (far ones would be dropped by the prefilter, which then
#: misses the reference's warnings about them: not what this test is about)
ODD = ("STATUS:CANCELLED", "STATUS:cancelled", "TRANSP:transparent", f"{ICS_MARKER}:1",
       "RRULE:FREQ=DAILY;COUNT=2", "RECURRENCE-ID:{t}Z",
       "EXDATE:{t}Z", "RDATE:{t}", "SEQUENCE:x", "SEQUENCE;X=1:1",
       "BEGIN:VALARM\nTRIGGER:-PT5M\nACTION:DISPLAY\nDESCRIPTION:x\nEND:VALARM",
       "", "  ", "garbage line", "DTSTART:{t}Z", "UID:other")


@st.composite
def texts(draw: st.DrawFn, name: str, plain: bool) -> list[str]:
    params = st.sampled_from(["", ";LANGUAGE=de", ';ALTREP="cid:x"'] if plain else [
        "", ";LANGUAGE=de", ';ALTREP="cid:x"', ";VALUE=TEXT", ";X-A=1,2", ';X-Q="a;b"'])
    value = TEXT
    if plain and name in ("URL", "CATEGORIES"):
        value = st.text(alphabet="ab ,;:\"é", max_size=8)  # no escapes
    return [f"{name}{draw(params)}:{draw(value)}" for _ in range(draw(st.integers(0, 2)))]


@st.composite
def vevent(draw: st.DrawFn, index: int, base: datetime) -> list[str]:
    """A VEVENT's lines; ``plain`` ones are shapes the direct reader takes (mostly)."""
    plain = draw(st.integers(0, 2)) > 0
    uids = [f"UID:p{index}", "UID:u1", "UID:u2", "uid:u3", "UID:", "UID: u8", "UID:u\\,9",
            "UID:u,9", "UID;X-P=1:u10"]
    lines = [f"UID:p{index}" if plain else draw(st.sampled_from(uids))]
    if plain or draw(st.integers(0, 12)):
        lines.append(draw(times("DTSTART", plain, base)))
    end = draw(st.sampled_from(["none", "dtend", "duration"] + ([] if plain else ["both"])))
    if end in ("dtend", "both"):
        lines.append(draw(times("DTEND", plain, base)))
    if end in ("duration", "both"):
        durations = PLAIN_DURATIONS if plain else PLAIN_DURATIONS + ODD_DURATIONS
        lines.append("DURATION:" + draw(st.sampled_from(durations)))
    for name in ("SUMMARY", "DESCRIPTION", "URL", "CATEGORIES"):
        lines += draw(texts(name, plain))
    near = _wall(base, 20 * 60).strftime("%Y%m%dT%H%M%S")
    lines += [line.replace("{t}", near) for line in draw(
        st.lists(st.sampled_from(NOISE if plain else NOISE + ODD), max_size=3))]
    draw(st.randoms()).shuffle(lines)
    return lines


@st.composite
def calendars(draw: st.DrawFn, base: datetime) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
    lines += draw(st.sampled_from([
        [], [], ["X-WR-TIMEZONE:America/New_York"], ["X-WR-TIMEZONE:Europe/Berlin"],
        ["X-WR-TIMEZONE:Mars/Base"], ["X-WR-TIMEZONE: Europe/Berlin"],
        ["X-WR-TIMEZONE:UTC", "X-WR-TIMEZONE:Asia/Tokyo"]]))
    if draw(st.booleans()):
        lines += [BOGUS_NEW_YORK, CUSTOM]
    for index in range(draw(st.integers(1, 6))):
        lines += ["BEGIN:VEVENT", *draw(vevent(index, base)), "END:VEVENT"]
    lines.append("END:VCALENDAR")
    end = draw(st.sampled_from(["\r\n", "\n"]))
    return (end.join(lines) + end).encode("utf-8")


@st.composite
def cases(draw: st.DrawFn) -> tuple[bytes, Window]:
    """A calendar and a window that cuts through its events."""
    base = draw(st.sampled_from(BASES))
    start = base.replace(tzinfo=UTC) + timedelta(minutes=5 * draw(st.integers(0, 12 * 36)))
    window = Window(start, start + timedelta(minutes=5 * draw(st.integers(0, 12 * 30))))
    return draw(calendars(base)), window


def _parse(data: bytes, window: Window, tz: ZoneInfo, fast: bool) -> object:
    try:
        return parse_ics(data, window, source="s", default_tz=tz, use_prefilter=fast)
    except SourceError as err:
        return err.message


def _check(case: tuple[bytes, Window], zone: str) -> None:
    data, window = case
    tz = ZoneInfo(zone)
    assert _parse(data, window, tz, True) == _parse(data, window, tz, False)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), zone=st.sampled_from(ZONES))
def test_fast_path_equals_the_reference_on_one_off_shapes(
    case: tuple[bytes, Window], zone: str
) -> None:
    _check(case, zone)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), zone=st.sampled_from(ZONES))
def test_fast_path_equals_the_reference_on_one_off_shapes_many(
    case: tuple[bytes, Window], zone: str
) -> None:
    _check(case, zone)


# --- what the reader accepts ---------------------------------------------------------------


def _block(*lines: str) -> str:
    return "\n".join(["BEGIN:VEVENT", *lines, "END:VEVENT"])


@pytest.mark.parametrize("lines", [
    ("UID:a", "DTSTART:20240110T070000Z"),
    ("UID:a", "DTSTART;VALUE=DATE:20240110", "DTEND;VALUE=DATE:20240112"),
    ("UID:a", 'DTSTART;TZID="Europe/Berlin":20240110T070000', "DURATION:PT1H"),
    ("UID:a", "DTSTART:20240110T070000", "SUMMARY;LANGUAGE=de:a\\, b", "ATTENDEE:x"),
    ("UID:a", "DTSTART:20240110T070000", "STATUS:CANCELLED"),
])
def test_reader_accepts_plain_shapes(lines: tuple[str, ...]) -> None:
    assert one_off.read(_block(*lines)) is not None


@pytest.mark.parametrize("lines", [
    ("DTSTART:20240110T070000Z",),  # no UID: the reference invents one and warns
    ("UID:", "DTSTART:20240110T070000Z"),
    ("UID:a",),  # no DTSTART: skipped with a warning
    ("UID:a", "DTSTART;TZID=Foo/Bar:20240110T070000"),  # unknown zone: warned
    ("UID:a", "DTSTART;TZID=W. Europe Standard Time:20240110T070000"),  # mapped name
    ("UID:a", "DTSTART;TZID=/x/Europe/Berlin:20240110T070000"),  # guessed once (warns)
    ("UID:a", "DTSTART:20240110T070000", "DTEND:20240110T060000"),  # ends before
    ("UID:a", "DTSTART:20240110", "DURATION:PT1H"),  # becomes a timed event
    ("UID:a", "DTSTART:20240110T070000", "CATEGORIES:a\\,b"),
    ("UID:a", "DTSTART:20240110T070000", "RRULE:FREQ=DAILY"),
    ("UID:a", "DTSTART:20240110T070000", "EXDATE:20240110T070000"),
    ("UID:a", "DTSTART:20240110T070000", "BEGIN:VALARM", "END:VALARM"),
    ("UID:a", "DTSTART:20240110T070000", "STATUS:CANCELLED", "STATUS:CONFIRMED"),
    ("UID:a", "DTSTART:20240110T070000", "not a property"),
    ("UID:a", "DTSTART:٢٠٢٤0110T070000Z"),  # digits of another script
])
def test_reader_falls_back_on_anything_unsure(lines: tuple[str, ...]) -> None:
    assert one_off.read(_block(*lines)) is None


# --- the direct path is taken --------------------------------------------------------------


def test_the_fast_path_reads_one_offs_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    data = "\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0",
        "BEGIN:VEVENT", "UID:one", "DTSTART:20240110T070000Z", "SUMMARY:direct", "END:VEVENT",
        "BEGIN:VEVENT", "UID:two", "DTSTART:20240111T070000Z", "SUMMARY:also", "END:VEVENT",
        "BEGIN:VEVENT", "UID:series", "DTSTART:20240110T070000Z", "RRULE:FREQ=DAILY;COUNT=2",
        "SUMMARY:parsed", "END:VEVENT",
        "END:VCALENDAR", ""]).encode()
    window = Window(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
    text, _ = decode(data)
    reduced = prefilter(text, window.start, window.end, direct=True)
    assert reduced is not None and reduced.direct is not None
    assert [one.uid for one in reduced.direct.one_offs] == ["one", "two"]
    assert "UID:one" not in reduced.text and "UID:series" in reduced.text

    seen: list[int] = []
    parse = ics_module.icalendar.Calendar.from_ical

    def counting(text: str, multiple: bool = False) -> object:
        calendars = parse(text, multiple=multiple)
        seen.append(sum(1 for cal in calendars for _ in cal.walk("VEVENT")))
        return calendars

    monkeypatch.setattr(ics_module.icalendar.Calendar, "from_ical", counting)
    calls = []
    monkeypatch.setattr(ics_module, "to_event",
                        lambda *a: calls.append(a[0].uid) or one_off.to_event(*a))
    events, _ = parse_ics(data, window, source="s", default_tz=ZoneInfo("Europe/Berlin"))
    assert seen == [1] and sorted(calls) == ["one", "two"]
    assert [e.title for e in events] == ["direct", "parsed", "parsed", "also"]


@pytest.mark.parametrize("direct_first", [True, False])
def test_the_zone_sample_keeps_the_files_order(direct_first: bool) -> None:
    """The calendar's zone is the most common DTSTART TZID among its first 500 VEVENTs:
    one-offs read directly count in their place in the file."""
    def block(i: int, zone: str, series: bool) -> list[str]:
        rule = ["RRULE:FREQ=DAILY;COUNT=1"] if series else []
        return ["BEGIN:VEVENT", f"UID:{zone}{i}", f"DTSTART;TZID={zone}:20240110T0700{i % 60:02}",
                *rule, "END:VEVENT"]

    one_offs = [line for i in range(300) for line in block(i, "America/New_York", False)]
    series = [line for i in range(300) for line in block(i, "Asia/Tokyo", True)]
    body = one_offs + series if direct_first else series + one_offs
    data = "\n".join(["BEGIN:VCALENDAR", *body, "END:VCALENDAR", ""]).encode()
    window = Window(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
    fast = parse_ics(data, window, source="s", default_tz=ZoneInfo("Europe/Berlin"))
    full = parse_ics(data, window, source="s", default_tz=ZoneInfo("Europe/Berlin"),
                     use_prefilter=False)
    assert fast == full
    (warning,) = fast[1]
    assert ("America/New_York" if direct_first else "Asia/Tokyo") in warning.split(",")[0]


def _calendar(head: str, *events: str) -> bytes:
    blocks = [f"BEGIN:VEVENT\nUID:e{i}\n{body}\nEND:VEVENT" for i, body in enumerate(events)]
    return "\n".join(["BEGIN:VCALENDAR", head, *blocks, "END:VCALENDAR", ""]).encode()


@pytest.mark.parametrize("data", [
    # x-wr-timezone moves UTC times into the zone and the expansion drops the fold: a UTC
    # time in the hour that repeats comes out an hour early in the reference
    _calendar("X-WR-TIMEZONE:Europe/Berlin", "DTSTART:20241027T010000Z",
              "DTSTART:20241027T003000Z\nDTEND:20241027T011500Z"),
    # ... and a duration then runs on that zone's clock (New York's changes on 3 Nov)
    _calendar("X-WR-TIMEZONE:America/New_York", "DTSTART:20241027T060000Z\nDURATION:P1W"),
    # DTEND in another zone: the expansion keeps DTEND - DTSTART, on DTSTART's clock
    _calendar("", "DTSTART;TZID=Europe/Berlin:20241027T000000\n"
              "DTEND;TZID=America/New_York:20241027T000000"),
    _calendar("", "DTSTART:20241027T060000Z\nSEQUENCE:2\nSEQUENCE:2"),
])
def test_shapes_the_reference_reads_in_its_own_way(data: bytes) -> None:
    window = Window(datetime(2024, 10, 26, tzinfo=UTC), datetime(2024, 11, 5, tzinfo=UTC))
    for zone in ZONES:
        tz = ZoneInfo(zone)
        assert _parse(data, window, tz, True) == _parse(data, window, tz, False)


def test_a_zone_key_is_known_as_available_timezones_knows_it() -> None:
    """``one_off._available`` looks one key up the way ``zoneinfo.available_timezones``
    lists them all (which costs a walk of the whole zone database per process)."""
    import zoneinfo

    from legday_sync.adapters.ics import one_off

    listed = zoneinfo.available_timezones()
    assert len(listed) > 300
    odd = ["posixrules", "posix/Europe/Berlin", "right/UTC", "Europe", "zone.tab",
           "tzdata.zi", "leapseconds", "Mars/Olympus_Mons", "Etc", "UTC", "Etc/GMT+5"]
    for key in sorted(listed) + odd:
        assert one_off._available(key) == (key in listed), key
