"""Old series, fast path vs recurring-ical-events on the same file: always the same events.

Hypothesis writes .ics files with one to three series: every FREQ from DAILY to YEARLY
(and rules the jump leaves alone: BYSETPOS, BYWEEKNO, BYYEARDAY, BYHOUR), INTERVAL,
BYDAY with and without ordinals, BYMONTHDAY, BYMONTH, WKST, COUNT or UNTIL, EXDATEs,
RDATEs, moved and cancelled overrides (some of slots years back), DTSTARTs up to 30
years before the window in zones with and without DST (both hemispheres), in UTC,
floating, or all-day, with or without X-WR-TIMEZONE, and windows that straddle DST
changes. ``parse_ics`` (prefilter + jump + expansion) must give exactly the events
that icalendar + x-wr-timezone + recurring-ical-events give over the whole file.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import takewhile
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks import plain_pipeline
from benchmarks.plain_results import to_events
from legday_sync.adapters.ics.source import parse_ics
from legday_sync.core.model import Event, Window
from tests.rrule_text import finish_rule

BERLIN = ZoneInfo("Europe/Berlin")
ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
         "Pacific/Auckland")
#: days around which clocks change in one of ZONES
DST_DAYS = (date(2026, 3, 29), date(2026, 10, 25), date(2026, 3, 8), date(2026, 11, 1),
            date(2026, 4, 5), date(2026, 10, 4), date(2027, 3, 28), date(2025, 9, 28))
NOT_STEPPABLE = ("FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR",
                 "FREQ=YEARLY;BYWEEKNO=20;BYDAY=TU", "FREQ=YEARLY;BYYEARDAY=100,-1",
                 "FREQ=DAILY;INTERVAL=3;BYHOUR=7,19")


@st.composite
def rules(draw: st.DrawFn, start: date) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(NOT_STEPPABLE))
    freq = draw(st.sampled_from(("DAILY", "WEEKLY", "WEEKLY", "MONTHLY", "YEARLY")))
    parts = [f"FREQ={freq}"]
    interval = draw(st.sampled_from((1, 1, 1, 2, 3, 5, 7)))
    if interval != 1:
        parts.append(f"INTERVAL={interval}")
    months = draw(st.sets(st.integers(1, 12), max_size=2)) if draw(st.booleans()) else set()
    weekdays = draw(st.sets(st.integers(0, 6), max_size=3))
    nth: set[tuple[int, int]] = set()
    if freq in ("MONTHLY", "YEARLY") and draw(st.booleans()):
        reach = 53 if freq == "YEARLY" and not months else 4
        nth = draw(st.sets(st.tuples(st.integers(0, 6), st.integers(-reach, reach).filter(bool)),
                           min_size=1, max_size=2))
        weekdays = set()
    monthdays: set[int] = set()
    if not nth and draw(st.booleans()):
        span = 28 if months else 31
        monthdays = draw(st.sets(st.integers(-span, span).filter(bool), min_size=1, max_size=2))
    if months and (freq == "MONTHLY" or not (weekdays or nth or monthdays)):
        months.add(start.month)
    if freq == "DAILY" and interval % 7 == 0 and weekdays:
        weekdays.add(start.weekday())
    return finish_rule(draw, parts, start, months=months, monthdays=monthdays,
                       weekdays=weekdays, nth=nth)


def _fmt(value: date | datetime, form: str) -> str:
    """A property's ``;params:value`` for a wall-clock ``value`` in the series' form."""
    if form == "date":
        day = value.date() if isinstance(value, datetime) else value
        return f";VALUE=DATE:{day:%Y%m%d}"
    assert isinstance(value, datetime)
    if form == "utc":
        return f":{value:%Y%m%dT%H%M%S}Z"
    if form == "floating":
        return f":{value:%Y%m%dT%H%M%S}"
    return f";TZID={form}:{value:%Y%m%dT%H%M%S}"


@st.composite
def series(draw: st.DrawFn, index: int, window: Window) -> list[str]:
    form = draw(st.sampled_from(("utc", "floating", "date", *ZONES, "Europe/Berlin")))
    wall_window = window.start.replace(tzinfo=None)
    age = draw(st.one_of(st.integers(-20, 400), st.integers(0, 30 * 366)))
    clock = time(draw(st.sampled_from((0, 2, 3, 6, 9, 12, 18, 21, 23))),
                 draw(st.sampled_from((0, 30))))
    start = datetime.combine(wall_window.date() - timedelta(days=age), clock)
    rule = draw(rules(start.date()))
    # the slots near the window, to put EXDATEs and overrides on real occurrences
    if form == "date":
        start = datetime.combine(start.date(), time())
    walk = rrulestr(rule, dtstart=start)
    near = walk.between(wall_window - timedelta(days=12), wall_window + timedelta(days=40))
    slots = near or [start + timedelta(days=draw(st.integers(0, 60)))]
    if draw(st.booleans()):
        slots.append(start)  # an old slot, moved into the window below
    ending = draw(st.sampled_from(("none", "count", "count-near", "until", "until-near")))
    # "-near": the series ends close to the window, where an off-by-one would show
    near_end = wall_window + timedelta(days=draw(st.integers(-15, 25)), hours=draw(
        st.integers(-12, 12)))
    if ending == "count":
        rule += f";COUNT={draw(st.integers(1, 4000))}"
    elif ending == "count-near":
        before = sum(1 for _ in takewhile(lambda o: o < near_end, walk))
        rule += f";COUNT={max(1, before + draw(st.integers(-1, 1)))}"
    elif ending.startswith("until"):
        until = near_end if ending == "until-near" else (
            start + timedelta(days=draw(st.integers(0, 30 * 366 + 400))))
        if form == "date":
            rule += f";UNTIL={until:%Y%m%d}"
        elif form == "floating":
            rule += f";UNTIL={until:%Y%m%dT%H%M%S}"
        else:
            rule += f";UNTIL={until:%Y%m%dT%H%M%S}Z"
    uid = f"series-{index}@test"
    title = f"Series {index}"
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{title}", f"DTSTART{_fmt(start, form)}",
             f"RRULE:{rule}"]
    # SEQUENCE: the prefilter drops it from a series alone under its UID, and must keep it
    # where recurring-ical-events chooses by it (two overrides of one slot)
    master_sequence = draw(st.sampled_from((None, 0, 2)))
    if master_sequence is not None:
        lines.append(f"SEQUENCE:{master_sequence}")
    length = timedelta(minutes=draw(st.sampled_from((0, 30, 60, 90, 600, 1440, 2 * 1440))))
    shape = draw(st.sampled_from(("dtend", "duration", "none")))
    if form == "date":
        days = max(1, length.days)
        if shape == "dtend":
            lines.append(f"DTEND{_fmt(start + timedelta(days=days), form)}")
        elif shape == "duration":
            lines.append(f"DURATION:P{days}D")
    elif shape == "dtend":
        lines.append(f"DTEND{_fmt(start + length, form)}")
    elif shape == "duration":
        lines.append(f"DURATION:PT{int(length.total_seconds() // 60)}M")
    for when in draw(st.lists(st.sampled_from(slots), max_size=2, unique=True)):
        lines.append(f"EXDATE{_fmt(when, form)}")
    for _ in range(draw(st.integers(0, 2))):
        extra = wall_window + timedelta(days=draw(st.integers(-10, 30)), hours=draw(
            st.integers(0, 23))) if draw(st.booleans()) else start + timedelta(days=400)
        lines.append(f"RDATE{_fmt(extra, form)}")
    lines.append("END:VEVENT")
    for k, slot in enumerate(draw(st.lists(st.sampled_from(slots), max_size=2, unique=True))):
        moved = wall_window + timedelta(hours=draw(st.integers(0, 72))) if slot == start else (
            slot + timedelta(hours=draw(st.integers(-30, 30))))
        cancelled = draw(st.integers(0, 3)) == 0
        sequences = draw(st.lists(st.integers(0, 3), min_size=1, max_size=2, unique=True))
        for n, sequence in enumerate(sequences):  # two: the higher SEQUENCE wins the slot
            lines += ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{title} moved {k}.{n}",
                      f"RECURRENCE-ID{_fmt(slot, form)}",
                      f"DTSTART{_fmt(moved + timedelta(hours=n), form)}",
                      f"SEQUENCE:{sequence}",
                      "STATUS:CANCELLED" if cancelled else "STATUS:CONFIRMED", "END:VEVENT"]
    return lines


@st.composite
def calendars(draw: st.DrawFn) -> tuple[bytes, Window]:
    if draw(st.booleans()):
        day = draw(st.sampled_from(DST_DAYS)) + timedelta(days=draw(st.integers(-3, 1)))
    else:
        day = date(2026, 11, 24) + timedelta(days=draw(st.integers(-500, 500)))
    begin = datetime.combine(day, time(draw(st.integers(0, 23))), tzinfo=UTC)
    window = Window(begin, begin + timedelta(days=draw(st.integers(1, 21)),
                                             hours=draw(st.integers(0, 23))))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
    if draw(st.booleans()):
        lines.append("X-WR-TIMEZONE:Europe/Berlin")
    for i in range(draw(st.integers(1, 3))):
        lines += draw(series(i, window))
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode(), window


def _key(e: Event) -> tuple[str, ...]:
    return (e.uid, e.start.isoformat(), e.end.isoformat(), e.title,
            (e.original_start or e.start).isoformat(), str(e.all_day))


def _overlaps(e: Event, w: Window) -> bool:
    if e.start == e.end:
        return w.start <= e.start < w.end
    return e.start < w.end and e.end > w.start


def _check(case: tuple[bytes, Window]) -> None:
    data, window = case
    cal = plain_pipeline.parse(data)
    comps = plain_pipeline.expand(cal, window.start - timedelta(days=3),
                                  window.end + timedelta(days=3))
    expected = sorted(_key(e) for e in to_events(comps, source="cal", tz=BERLIN)
                      if _overlaps(e, window))
    events, _ = parse_ics(data, window, source="cal", default_tz=BERLIN)
    assert sorted(map(_key, events)) == expected, data.decode()


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(calendars())
def test_old_series_fast_path_equals_the_library(case: tuple[bytes, Window]) -> None:
    _check(case)


@pytest.mark.slow
@settings(max_examples=600, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(calendars())
def test_old_series_fast_path_equals_the_library_many(case: tuple[bytes, Window]) -> None:
    _check(case)


ENDING_RULES = [
    "FREQ=DAILY",
    "FREQ=DAILY;INTERVAL=3;BYMONTH=11,12",
    "FREQ=WEEKLY;BYDAY=SU",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=SU",
    "FREQ=MONTHLY;BYDAY=-1SU,2WE",
    "FREQ=MONTHLY;BYMONTHDAY=1,15,-1",
    "FREQ=MONTHLY;BYMONTHDAY=25",
    "FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=26;INTERVAL=2",
    "FREQ=YEARLY;BYMONTH=11,12;BYDAY=MO,SA",
]
#: a Sunday, a Friday and a first of the month: DTSTART on and off the rule's days
ENDING_STARTS = (datetime(2016, 11, 20, 18, 30), datetime(2016, 11, 25, 18, 30),
                 datetime(2016, 11, 1, 18, 30))


def _ending_calendar(rule: str, form: str, window: Window,
                     starts: tuple[datetime, ...]) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
    for n, start in enumerate(starts):
        walk = list(rrulestr(rule, dtstart=start).between(start, datetime(2027, 1, 1), inc=True))
        for offset in range(-12, 13):
            end = window.start.replace(tzinfo=None) + timedelta(days=offset, hours=7)
            count = sum(1 for o in walk if o <= end)
            for kind, part in (("count", f"COUNT={count}"),
                               ("until", f"UNTIL={end:%Y%m%dT%H%M%S}Z")):
                lines += ["BEGIN:VEVENT", f"UID:{kind}{offset}-{n}@test",
                          f"SUMMARY:{kind} {offset}", f"DTSTART{_fmt(start, form)}",
                          f"DTEND{_fmt(start + timedelta(hours=1), form)}",
                          f"RRULE:{rule};{part}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def _check_endings(rule: str, form: str, first: datetime,
                   starts: tuple[datetime, ...] = ENDING_STARTS) -> None:
    window = Window(first, first + timedelta(days=10))
    data = _ending_calendar(rule, form, window, starts)
    _check((data, window))
    events, _ = parse_ics(data, window, source="cal", default_tz=BERLIN)
    assert any(e.uid.startswith("count12-") for e in events), "some series reach in"


#: a Tuesday and a Sunday morning: the week's and the month's first occurrence in the window
ENDING_WINDOWS = (datetime(2026, 11, 24, 5, tzinfo=UTC), datetime(2026, 11, 22, 5, tzinfo=UTC))


@pytest.mark.parametrize(("rule", "start"), [("FREQ=WEEKLY;BYDAY=SU", ENDING_STARTS[0]),
                                             ("FREQ=MONTHLY;BYMONTHDAY=25", ENDING_STARTS[1])])
def test_series_that_end_at_every_day_around_the_window(rule: str, start: datetime) -> None:
    """COUNT and UNTIL ending on each day from 12 days before the window to 12 after,
    ten years after DTSTART (a day of the rule): where an off-by-one in the skipped count
    would show."""
    _check_endings(rule, "Europe/Berlin", ENDING_WINDOWS[1], (start,))


@pytest.mark.slow
@pytest.mark.parametrize("rule", ENDING_RULES)
@pytest.mark.parametrize("form", ["Europe/Berlin", "utc", "floating"])
@pytest.mark.parametrize("first", ENDING_WINDOWS, ids=["tuesday", "sunday"])
def test_series_that_end_at_every_day_around_the_window_all(
        rule: str, form: str, first: datetime) -> None:
    _check_endings(rule, form, first)
