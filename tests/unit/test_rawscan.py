"""The prefilter over bytes as read (``decode_lazily`` + ``prefilter_raw``) against the
careful path (``decode`` + ``prefilter``): the same text, the same kept and dropped
events, for generated calendars with CRLF/LF line ends, folds anywhere (in names, in
DTSTART values, inside multi-byte characters, fold artefacts), far and near events,
DATE values, DURATION, TZIDs, lowercase and odd spellings of names, series, repeated
UIDs, lone CRs, and the files the careful path gives up on."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legday_sync.adapters.ics.prefilter import decode, decode_lazily, prefilter
from legday_sync.adapters.ics.rawscan import _scan_raw, prefilter_raw
from legday_sync.adapters.ics.source import parse_ics
from legday_sync.core.model import Window

EXAMPLES = int(os.environ.get("LEGDAY_FUZZ_EXAMPLES", "0") or 0) or 400
WINDOW = Window(datetime(2024, 1, 10, 9, tzinfo=UTC), datetime(2024, 1, 24, 18, tzinfo=UTC))

# days far from the window, near its edges (within MARGIN and a day more) and inside,
# and a few the careful reading finds unreadable or odd
_GOOD_DAYS = ["19991231", "20210228", "20220131", "20231231", "20240105", "20240106",
              "20240107", "20240108", "20240109", "20240110", "20240115", "20240124",
              "20240125", "20240126", "20240127", "20240128", "20250101", "21991231"]
_ODD_DAYS = ["20240229", "20240230", "20241301", "00000101", "99991231", "2024011"]
_DAYS = st.sampled_from(_GOOD_DAYS * 4 + _ODD_DAYS)
_TIMES = st.sampled_from(["", "T000000", "T070000", "T235959", "T120000Z"] * 5
                         + ["T235960", "t080000z", "T2400", "T083000Z "])
_VALUE = st.builds(lambda d, t: d + t, _DAYS, _TIMES)
_PARAMS = st.sampled_from(["", "", "", ";TZID=Europe/Berlin", ";VALUE=DATE",
                           ';TZID="Europe/Berlin"', ";X-A=b:c"])
_HARMLESS = st.sampled_from(["SUMMARY:Leg day 🏋️", "DESCRIPTION:Übung für Beine", "SUMMARY:",
                             "DTSTAMP:20240101T000000Z", "LOCATION:x", "END-X:1", "Bogus:1",
                             "DESCRIPTION;LANGUAGE=de:Beinübung", "RESOURCES:x"])
_SERIES = ["DURATION:PT1H", "DURATION:P1D", "DURATION:P", "RRULE:FREQ=WEEKLY",
           "RRULE:FREQ=DAILY;COUNT=3", "RRULE:FREQ=WEEKLY;UNTIL=20200101T000000Z",
           "EXDATE:20240115T070000Z", "X-WR-TIMEZONE:Europe/Berlin"]


def _spell(name: str, how: int) -> str:
    if how == 1:
        return name.lower()
    if how == 2:
        return name.title()
    if how == 3:  # re.IGNORECASE matches 'ı' for 'i', 'ſ' for 's'
        return name.replace("I", "ı").replace("S", "ſ")
    return name


@st.composite
def _prop(draw: st.DrawFn, uid: str) -> str:
    """A line a VEVENT may hold beside its UID and DTSTART."""
    kind = draw(st.integers(0, 19))
    if kind < 15:
        return draw(_HARMLESS)
    if kind < 18:
        name = draw(st.sampled_from(["DTSTART", "DTEND", "RECURRENCE-ID", "RDATE"]))
        line = f"{name}{draw(_PARAMS)}:{draw(_VALUE)}"
    else:
        line = draw(st.sampled_from([*_SERIES, f"UID:{uid}"]))
    head, sep, rest = line.partition(":")
    return _spell(head, draw(st.integers(0, 6))) + sep + rest


@st.composite
def _event(draw: st.DrawFn) -> list[str]:
    uid = draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz"[: draw(st.integers(2, 26))]))
    lines = [f"UID:{uid}", f"DTSTART{draw(_PARAMS)}:{draw(_VALUE)}"]
    if draw(st.booleans()):
        lines.append(f"DTEND{draw(_PARAMS)}:{draw(_VALUE)}")
    lines = draw(st.permutations(lines + draw(st.lists(_prop(uid), max_size=4))))
    if draw(st.integers(0, 24)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from([
            "BEGIN:VALARM\nTRIGGER:-PT5M\nDTSTART:20240115\nEND:VALARM", "BEGIN:VALARM",
            "END:VEVENT", "BEGIN:VEVENT\nEND:VEVENT"])))
    begin, end = draw(st.sampled_from([("BEGIN:VEVENT", "END:VEVENT")] * 8 + [
        ("begin:vevent", "end:vevent"), ("BEGIN:VEVENT ", "END:VEVENT\t")]))
    return [begin, *"\n".join(lines).split("\n"), end]


@st.composite
def _calendar_lines(draw: st.DrawFn) -> list[str]:
    head = ["BEGIN:VCALENDAR", "VERSION:2.0"]
    head += draw(st.lists(st.sampled_from(["X-WR-TIMEZONE:Europe/Berlin", "X-WR-CALNAME:Cal",
                                           "BEGIN:VTODO\nDTSTART:20200101\nEND:VTODO"]),
                          max_size=2))
    lines = [line for chunk in head for line in chunk.split("\n")]
    for event in draw(st.lists(_event(), min_size=1, max_size=12)):
        lines += event
    lines.append("END:VCALENDAR")
    if draw(st.integers(0, 19)) == 0:  # a structure the careful path gives up on
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(
            ["BEGIN:VCALENDAR", "END:VCALENDAR", "BEGIN:VEVENT", "END:VTODO"])))
    return lines


def _fold(draw: st.DrawFn, line: bytes) -> bytes:
    """``line`` with folds at random byte offsets (a fold may split a UTF-8 character)."""
    cuts = sorted(set(draw(st.lists(st.integers(0, len(line)), min_size=1, max_size=2))))
    parts, pos = [], 0
    for cut in cuts:
        parts.append(line[pos:cut])
        pos = cut
    parts.append(line[pos:])
    sep = draw(st.sampled_from([b"\r\n "] * 4 + [b"\r\n\t", b"\n ", b"\r\n \t", b"\r\n  "]))
    return sep.join(parts)


@st.composite
def calendars(draw: st.DrawFn) -> bytes:
    """A calendar's bytes: line ends CRLF, LF or mixed (rarely a lone CR or an empty
    line), folds in some lines, now and then a BOM."""
    eols = draw(st.sampled_from([[b"\r\n"], [b"\n"], [b"\r\n", b"\n"],
                                 [b"\r\n"] * 20 + [b"\r\n\r\n"], [b"\r\n"] * 40 + [b"\r"]]))
    fold_every = draw(st.sampled_from([0, 0, 3, 10, 30]))
    out = []
    for line in draw(_calendar_lines()):
        data = line.encode()
        if fold_every and draw(st.integers(0, fold_every)) == 0:
            data = _fold(draw, data)
        out += [data, draw(st.sampled_from(eols))]
    data = b"".join(out)
    if draw(st.integers(0, 9)) == 0:
        data = b"\xef\xbb\xbf" + data
    return data


def _careful(data: bytes) -> tuple[str | None, int, int]:
    text, _ = decode(data)
    reduced = prefilter(text, WINDOW.start, WINDOW.end)
    return (None, 0, 0) if reduced is None else (reduced.text, reduced.kept, reduced.dropped)


def _fast(data: bytes) -> tuple[str | None, int, int]:
    raw = decode_lazily(data)
    if raw is None:
        return _careful(data)
    reduced = prefilter_raw(raw, WINDOW.start, WINDOW.end)
    return (None, 0, 0) if reduced is None else (reduced.text, reduced.kept, reduced.dropped)


def _check_raw(data: bytes) -> None:
    raw = decode_lazily(data)
    assert raw is None or decode(raw) == decode(data)
    assert _fast(data) == _careful(data)


@settings(max_examples=EXAMPLES // 4, deadline=None, suppress_health_check=list(HealthCheck))
@given(calendars())
def test_raw_prefilter_keeps_and_writes_what_the_careful_one_does(data: bytes) -> None:
    _check_raw(data)


@pytest.mark.slow
@settings(max_examples=EXAMPLES * 2, deadline=None, suppress_health_check=list(HealthCheck))
@given(calendars())
def test_raw_prefilter_keeps_and_writes_what_the_careful_one_does_many(data: bytes) -> None:
    _check_raw(data)


@settings(max_examples=EXAMPLES // 4, deadline=None, suppress_health_check=list(HealthCheck))
@given(calendars())
def test_parse_ics_gives_the_events_of_the_careful_path(data: bytes) -> None:
    def run() -> object:
        try:
            return parse_ics(data, WINDOW, source="s", default_tz=ZoneInfo("Europe/Berlin"))
        except Exception as exc:  # the same failure either way
            return type(exc), str(exc)

    with mock.patch("legday_sync.adapters.ics.source.decode_lazily", lambda _: None):
        expected = run()
    assert run() == expected


def _plain_calendar(events: list[tuple[str, str | None]], eol: str = "\r\n") -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0"]
    for n, (start, end) in enumerate(events):
        lines += ["BEGIN:VEVENT", f"UID:{n}", f"DTSTART:{start}"]
        lines += [f"DTEND:{end}"] if end else []
        lines += ["SUMMARY:x", "END:VEVENT"]
    return (eol.join([*lines, "END:VCALENDAR"]) + eol).encode()


@pytest.mark.parametrize(("start", "end", "dropped"), [
    ("20200101T070000Z", "20200101T080000Z", True),
    ("20200101T080000Z", "20200101T070000Z", False),  # ends before it starts: kept
    ("20200101T080000", "20200101", False),
    ("20200101", "20200101T070000", True),
    ("20200101", None, True),
    ("20240108", None, False),  # within MARGIN of the window's start
    ("20240107", None, True),
    ("20240126T180000", None, False),  # within MARGIN of its end
    ("20240127T000000", None, True),
    ("20240127T000000", "20240101T000000", False),
    ("20240128T000000Z", None, True),
    ("20200229T070000Z", None, True),  # read the careful way, still dropped
])
def test_plain_events_by_their_digits(start: str, end: str | None, dropped: bool) -> None:
    data = _plain_calendar([(start, end), ("20240115T070000Z", None)])
    assert _fast(data) == _careful(data)
    assert _fast(data)[2] == int(dropped)


def test_what_the_fast_decode_leaves_to_the_careful_one() -> None:
    for data in (b"BEGIN:VCALENDAR\rEND:VCALENDAR\r", "BEGIN:VCALENDAR\n".encode("utf-16"),
                 b"BEGIN:VCALENDAR\r\nX:\xfc\r\nEND:VCALENDAR\r\n",
                 b"BEGIN:VCALENDAR\r\nX:\xc3\r\n \xbc\r\nEND:VCALENDAR\r\n",
                 b"\xef\xbb\xbf\xef\xbb\xbfBEGIN:VCALENDAR\r\n", b"X:a\r\n\r\n \tb\r\n"):
        assert decode_lazily(data) is None
    data = b"\xef\xbb\xbfBEGIN:VCALENDAR\r\n \xc3\xbc\r\n"
    assert decode_lazily(data) == data[3:]
    assert decode(data[3:]) == decode(data) == ("BEGIN:VCALENDAR\xfc\n", [])


def test_a_window_far_from_everything_drops_all_but_the_structure() -> None:
    day = datetime(2020, 1, 1, 7, tzinfo=UTC)
    events = [((day + timedelta(days=n)).strftime("%Y%m%dT%H%M%SZ"), None) for n in range(50)]
    for eol in ("\r\n", "\n"):
        data = _plain_calendar(events, eol)
        assert _fast(data) == _careful(data)
        assert _fast(data)[1:] == (0, 50)
        raw = decode_lazily(data)  # and by the fast way: each matched whole
        assert raw is not None and len(_scan_raw(raw)[0]) == 50  # type: ignore[index]
