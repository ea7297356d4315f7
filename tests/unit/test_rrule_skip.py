"""rrule_skip's arithmetic against dateutil's own walk of the same rule.

For generated steppable rules and DTSTARTs up to 30 years back: the occurrences
counted before the jump are exactly the ones dateutil yields before that day, the
new DTSTART is dateutil's next occurrence, and COUNT's end is found where dateutil
stops. Rules that can't be stepped are refused.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from itertools import takewhile

import pytest
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legday_sync.adapters.ics.rrule_skip import (
    _SCAN_PERIODS as SCAN,
)
from legday_sync.adapters.ics.rrule_skip import (
    Rule,
    _period,
    _period_days,
    _period_start,
    ends_before,
    first_on_or_after,
    occurrences_in,
    parse_rule,
    skip_before,
)
from tests.rrule_text import finish_rule

CUT = date(2026, 11, 20)


@st.composite
def steppable_rules(draw: st.DrawFn) -> tuple[str, date]:
    """(RRULE text without COUNT/UNTIL, DTSTART date) that yields occurrences forever."""
    freq = draw(st.sampled_from(("DAILY", "WEEKLY", "MONTHLY", "YEARLY")))
    start = CUT - timedelta(days=draw(st.integers(0, 30 * 366)))
    parts = [f"FREQ={freq}"]
    interval = draw(st.sampled_from((1, 1, 2, 3, 4, 5, 7, 13)))
    if interval != 1:
        parts.append(f"INTERVAL={interval}")
    months = draw(st.sets(st.integers(1, 12), max_size=3))
    if months and freq == "MONTHLY":
        months.add(start.month)  # else INTERVAL may never visit those months
    weekdays = draw(st.sets(st.integers(0, 6), max_size=3))
    nth: set[tuple[int, int]] = set()
    if freq in ("MONTHLY", "YEARLY") and draw(st.booleans()):
        reach = 53 if freq == "YEARLY" and not months else 4
        ordinal = st.integers(-reach, reach).filter(bool)
        nth = draw(st.sets(st.tuples(st.integers(0, 6), ordinal), min_size=1, max_size=3))
        weekdays = set()  # dateutil ANDs plain and ordinal weekdays: mixing finds nothing
    monthdays: set[int] = set()
    if not nth and draw(st.booleans()):
        # every month has these days; without BYMONTH the 29th-31st are fine too
        span = 28 if months else 31
        monthdays = draw(st.sets(st.integers(-span, span).filter(bool), min_size=1, max_size=3))
    if freq == "YEARLY" and months and not (weekdays or nth or monthdays):
        months.add(start.month)  # DTSTART's day of the month may not exist in the others
    if freq == "DAILY" and interval % 7 == 0 and weekdays:
        weekdays.add(start.weekday())  # else no active day is ever on those weekdays
    text = finish_rule(draw, parts, start, months=months, monthdays=monthdays,
                       weekdays=weekdays, nth=nth)
    return text, start


def _dateutil(rule_text: str, start: date) -> rrulestr:
    return rrulestr(rule_text, dtstart=datetime.combine(start, time(9, 30)))


def _with_count(rule: Rule, count: int | None) -> Rule:
    return replace(rule, count=count)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steppable_rules(), st.integers(0, 40))
def test_skip_counts_what_dateutil_walks(case: tuple[str, date], spare: int) -> None:
    _check_skip(case, spare)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steppable_rules(), st.integers(0, 40))
def test_skip_counts_what_dateutil_walks_many(case: tuple[str, date], spare: int) -> None:
    _check_skip(case, spare)


def _check_skip(case: tuple[str, date], spare: int) -> None:
    text, start = case
    rule = parse_rule(text)
    assert rule is not None, text
    rule = rule.with_defaults(start)
    skip = skip_before(rule, start, CUT)
    walk = _dateutil(text, start)
    if skip is None:  # only when CUT is still in DTSTART's own period
        assert _period(rule, CUT) - _period(rule, start) < rule.interval
        return
    assert start < skip.boundary <= CUT
    boundary = datetime.combine(skip.boundary, time(0))
    before = sum(1 for _ in takewhile(lambda o: o < boundary, walk))
    assert skip.skipped == before, text
    _check_first(rule, start, skip.boundary, walk.after(boundary, inc=True).date())

    # with a COUNT that runs out before CUT, the jump lands where occurrences are left
    count = max(1, before - spare)
    counted = _with_count(rule, count)
    occurrences = [o.date() for o in _dateutil(f"{text};COUNT={count}", start)]
    assert len(occurrences) == count
    assert ends_before(counted, start, CUT) == (occurrences[-1] < skip.boundary)
    limited = skip_before(counted, start, CUT)
    if limited is None:  # COUNT runs out within DTSTART's period
        first_boundary = _period_start(rule, _period(rule, start) + rule.interval)
        assert occurrences[-1] < first_boundary
        return
    assert limited.boundary <= skip.boundary
    left = [o for o in occurrences if o >= limited.boundary]
    assert limited.skipped == count - len(left) < count
    _check_first(counted, start, limited.boundary, left[0])


def _check_first(rule: Rule, start: date, boundary: date, expected: date) -> None:
    found = first_on_or_after(rule, start, boundary)
    if found is None:  # it gives up only beyond the periods it promises to look through
        assert _period(rule, expected) - _period(rule, boundary) >= SCAN * rule.interval
    else:
        assert found == expected


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steppable_rules(), st.integers(1, 60))
def test_periods_hold_dateutils_occurrences(case: tuple[str, date], k: int) -> None:
    """One active period's dates, computed directly, against dateutil walking into it."""
    text, start = case
    rule = parse_rule(text).with_defaults(start)  # type: ignore[union-attr]
    p = _period(rule, start) + k * rule.interval
    first, length = _period_days(rule, p)
    lo = datetime.combine(first, time(0))
    hi = lo + timedelta(days=length)
    expected = [o.date() for o in _dateutil(text, start).between(lo, hi, inc=True)]
    assert occurrences_in(rule, p) == [d for d in expected if d < hi.date()]


@pytest.mark.parametrize("text", [
    "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR",
    "FREQ=YEARLY;BYWEEKNO=20",
    "FREQ=YEARLY;BYYEARDAY=100",
    "FREQ=DAILY;BYHOUR=9,17",
    "FREQ=HOURLY",
    "FREQ=MINUTELY;INTERVAL=15",
    "FREQ=SECONDLY",
    "FREQ=WEEKLY;BYDAY=1MO",  # an ordinal means nothing in a week
    "FREQ=WEEKLY;INTERVAL=0",
    "FREQ=WEEKLY;COUNT=0",
    "FREQ=WEEKLY;COUNT=-1",
    "FREQ=WEEKLY;BYDAY=MO;BYDAY=TU",
    "FREQ=WEEKLY;",
    "FREQ=MONTHLY;BYMONTHDAY=0",
    "FREQ=YEARLY;BYMONTH=13",
    "FREQ=YEARLY;RSCALE=CHINESE",
    "BYDAY=MO",
    "",
])
def test_rules_that_cant_be_stepped_are_refused(text: str) -> None:
    assert parse_rule(text) is None


def test_a_ten_year_old_weekly_rule_is_skipped_in_one_step() -> None:
    parsed = parse_rule("FREQ=WEEKLY;BYDAY=MO,TH;COUNT=2000")
    assert parsed is not None
    rule = parsed.with_defaults(date(2016, 11, 24))
    skip = skip_before(rule, date(2016, 11, 24), date(2026, 11, 20))
    assert skip is not None
    assert skip.boundary == date(2026, 11, 16)  # the Monday of the cut's week
    # 2016-11-24 is a Thursday: 1 occurrence that week, then 521 whole weeks of 2
    assert skip.skipped == 1 + 2 * ((date(2026, 11, 16) - date(2016, 11, 28)).days // 7)
