"""Jump a recurrence rule over the years before a window, by arithmetic.

dateutil (under recurring-ical-events) expands an RRULE by walking every period from
DTSTART: a weekly series started ten years ago costs 520 steps before the first
occurrence a three-week window can see. This module finds, without walking, a later
occurrence ``o`` of the rule and the number ``k`` of occurrences before it, so that the
series can be handed to the library as ``DTSTART = o`` and ``COUNT = COUNT - k``: the
library then expands the same occurrences from ``o`` on, with its own semantics for time
zones, DST, EXDATE, RDATE and overrides.

The maths
---------
Everything here works on *wall-clock dates*: RFC 5545 expands a rule in the local time
of DTSTART, and dateutil does exactly that (it builds naive date + time and attaches
DTSTART's zone afterwards). Without BYHOUR/BYMINUTE/BYSECOND every occurrence has
DTSTART's time of day, so an occurrence is a date.

A rule with FREQ = DAILY, WEEKLY, MONTHLY or YEARLY cuts time into *periods* (days,
weeks starting on WKST, months, years), numbered by an integer ``p``. dateutil visits
the periods ``p0, p0 + n, p0 + 2n, …`` (``p0`` holds DTSTART, ``n`` = INTERVAL) and in
each keeps the days that pass the BY* filters; in ``p0`` only days ≥ DTSTART count.
Which days of a period pass depends on that period alone (BYMONTH, BYMONTHDAY,
BYDAY and, for MONTHLY/YEARLY, BYDAY's ordinals such as ``-1FR`` are all relative
to the period or its months), never on earlier periods. Hence:

* The active period at or before a date ``c`` is ``p = p0 + ⌊(P(c) - p0) / n⌋·n``.
* The occurrences before period ``p`` are ``k = k(p0, from DTSTART) + Σ k(q)`` over the
  active ``q`` in ``(p0, p)``. The sum is closed-form where the days form a residue
  pattern: for DAILY and WEEKLY, a day ``d`` occurs iff ``(d - base) mod 7n`` is in a
  fixed set ``R`` (the interval's phase and the weekdays), and a range of ``m`` days
  holds ``⌊m / 7n⌋·|R|`` plus a remainder counted with a binary search. BYMONTH /
  BYMONTHDAY break the pattern: the range is then summed month by month (each month
  again closed-form). For MONTHLY and YEARLY ``k(q)`` depends only on the period's
  shape (month number, length and weekday of the 1st; leap year and weekday of 1
  January): at most 14 or 84 shapes, each computed once, summed per period (≤ 12 a
  year).
* The new DTSTART is the first occurrence in or after period ``p``; every skipped
  occurrence lies in an earlier period, so it starts before ``p``'s first day.

dateutil's defaults are applied first (WEEKLY without BYDAY takes DTSTART's weekday,
MONTHLY without BYMONTHDAY/BYDAY DTSTART's day, YEARLY also its month); a later
occurrence shares them, so the rewritten rule means the same. Rules this can't model
— BYSETPOS, BYWEEKNO, BYYEARDAY, BYHOUR/BYMINUTE/BYSECOND, BYEASTER, SECONDLY to HOURLY,
RSCALE, several RRULEs, a non-positive COUNT or INTERVAL, anything unparsable — give
``None`` and keep the library's full walk.
"""

from __future__ import annotations

import bisect
import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta

__all__ = ["Rule", "Skip", "ends_before", "first_on_or_after", "parse_rule", "skip_before"]

_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_KNOWN = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "WKST"}
#: how many periods ``first_on_or_after`` looks through before giving up
_SCAN_PERIODS = 500


@dataclass(frozen=True)
class Rule:
    """The parts of an RRULE that steppable rules use (dateutil's reading of them)."""

    freq: str
    interval: int = 1
    count: int | None = None
    has_until: bool = False
    weekdays: frozenset[int] = frozenset()  # BYDAY without ordinal, 0 = Monday
    nth_weekdays: tuple[tuple[int, int], ...] = ()  # BYDAY with ordinal: (weekday, n)
    monthdays: frozenset[int] = frozenset()  # BYMONTHDAY > 0
    neg_monthdays: frozenset[int] = frozenset()  # BYMONTHDAY < 0
    months: frozenset[int] = frozenset()
    wkst: int = 0

    def with_defaults(self, start: date) -> Rule:
        """dateutil's implied BY* parts, taken from DTSTART."""
        if self.weekdays or self.nth_weekdays or self.monthdays or self.neg_monthdays:
            return self
        if self.freq == "YEARLY":
            months = self.months or frozenset({start.month})
            return replace(self, months=months, monthdays=frozenset({start.day}))
        if self.freq == "MONTHLY":
            return replace(self, monthdays=frozenset({start.day}))
        if self.freq == "WEEKLY":
            return replace(self, weekdays=frozenset({start.weekday()}))
        return self


@dataclass(frozen=True)
class Skip:
    """The first period that is kept (``boundary``, its first day) and how many
    occurrences come before it (counted from DTSTART)."""

    boundary: date
    skipped: int


def parse_rule(text: str) -> Rule | None:
    """An RRULE value (``FREQ=WEEKLY;BYDAY=MO``) -> ``Rule``, or None if not steppable."""
    parts: dict[str, str] = {}
    for part in text.strip().split(";"):
        name, sep, value = part.partition("=")
        name = name.strip().upper()
        if not sep or not value or name in parts or name not in _KNOWN:
            return None
        parts[name] = value.strip().upper()
    freq = parts.get("FREQ")
    if freq not in _FREQS:
        return None
    try:
        interval = int(parts.get("INTERVAL", "1"))
        count = int(parts["COUNT"]) if "COUNT" in parts else None
        months = _ints(parts.get("BYMONTH"), 1, 12)
        monthdays = _ints(parts.get("BYMONTHDAY"), -31, 31)
        weekdays, nth = _bydays(parts.get("BYDAY"), freq)
        wkst = _WEEKDAYS[parts.get("WKST", "MO")]
    except (ValueError, KeyError):
        return None
    if interval < 1 or (count is not None and count < 1):
        return None
    return Rule(
        freq=freq,
        interval=interval,
        count=count,
        has_until="UNTIL" in parts,
        weekdays=weekdays,
        nth_weekdays=nth,
        monthdays=frozenset(d for d in monthdays if d > 0),
        neg_monthdays=frozenset(d for d in monthdays if d < 0),
        months=months,
        wkst=wkst,
    )


def _ints(value: str | None, low: int, high: int) -> frozenset[int]:
    if value is None:
        return frozenset()
    out = set()
    for item in value.split(","):
        n = int(item)
        if n == 0 or not low <= n <= high:
            raise ValueError(item)
        out.add(n)
    return frozenset(out)


def _bydays(value: str | None, freq: str) -> tuple[frozenset[int], tuple[tuple[int, int], ...]]:
    if value is None:
        return frozenset(), ()
    plain: set[int] = set()
    nth: set[tuple[int, int]] = set()
    for item in value.split(","):
        item = item.strip()
        day = _WEEKDAYS[item[-2:]]
        ordinal = item[:-2]
        if not ordinal:
            plain.add(day)
            continue
        n = int(ordinal)
        # an ordinal only means something within a month or a year; dateutil would
        # silently drop it for DAILY/WEEKLY: leave such rules to the library
        if freq not in ("MONTHLY", "YEARLY") or n == 0 or abs(n) > 53:
            raise ValueError(item)
        nth.add((day, n))
    return frozenset(plain), tuple(sorted(nth))


# --- periods -------------------------------------------------------------------------


def _period(rule: Rule, d: date) -> int:
    if rule.freq == "DAILY":
        return d.toordinal()
    if rule.freq == "WEEKLY":
        return (d.toordinal() - (d.weekday() - rule.wkst) % 7) // 7
    if rule.freq == "MONTHLY":
        return d.year * 12 + d.month - 1
    return d.year


def _period_start(rule: Rule, p: int) -> date:
    if rule.freq == "DAILY":
        return date.fromordinal(p)
    if rule.freq == "WEEKLY":
        # the week's first day is the one ordinal in [7p, 7p + 7) on WKST
        first = 7 * p
        return date.fromordinal(first + (rule.wkst - date.fromordinal(first).weekday()) % 7)
    if rule.freq == "MONTHLY":
        return date(p // 12, p % 12 + 1, 1)
    return date(p, 1, 1)


def _period_days(rule: Rule, p: int) -> tuple[date, int]:
    """First day and length in days of period ``p``."""
    first = _period_start(rule, p)
    if rule.freq == "DAILY":
        return first, 1
    if rule.freq == "WEEKLY":
        return first, 7
    if rule.freq == "MONTHLY":
        return first, calendar.monthrange(first.year, first.month)[1]
    return first, 366 if calendar.isleap(first.year) else 365


def _passes(rule: Rule, d: date) -> bool:
    """dateutil's per-day filters other than BYDAY's ordinals."""
    if rule.months and d.month not in rule.months:
        return False
    if rule.weekdays and d.weekday() not in rule.weekdays:
        return False
    if rule.monthdays or rule.neg_monthdays:
        if d.day in rule.monthdays:
            return True
        length = calendar.monthrange(d.year, d.month)[1]
        return d.day - length - 1 in rule.neg_monthdays
    return True


def _nth_days(rule: Rule, p: int) -> set[date] | None:
    """The days BYDAY's ordinals pick in period ``p`` (None: no ordinals)."""
    if not rule.nth_weekdays:
        return None
    first, _ = _period_days(rule, p)
    if rule.freq == "MONTHLY":
        ranges = [(first, calendar.monthrange(first.year, first.month)[1])]
    elif rule.months:
        ranges = [
            (date(first.year, m, 1), calendar.monthrange(first.year, m)[1])
            for m in sorted(rule.months)
        ]
    else:
        ranges = [(first, 366 if calendar.isleap(first.year) else 365)]
    out: set[date] = set()
    for start, length in ranges:
        last = start + timedelta(days=length - 1)
        for weekday, n in rule.nth_weekdays:
            if n > 0:
                d = start + timedelta(days=(weekday - start.weekday()) % 7 + 7 * (n - 1))
            else:
                d = last - timedelta(days=(last.weekday() - weekday) % 7 + 7 * (-n - 1))
            if start <= d <= last:
                out.add(d)
    return out


def occurrences_in(rule: Rule, p: int) -> list[date]:
    """The dates the rule (defaults applied) gives in period ``p``, if ``p`` is active."""
    first, length = _period_days(rule, p)
    nth = _nth_days(rule, p)
    days = (first + timedelta(days=i) for i in range(length))
    return [d for d in days if _passes(rule, d) and (nth is None or d in nth)]


# --- counting --------------------------------------------------------------------------


def _residues(rule: Rule, start: date) -> tuple[int, int, list[int]]:
    """DAILY/WEEKLY as a residue pattern: (base ordinal, cycle L = 7n, sorted R)."""
    n = rule.interval
    cycle = 7 * n
    if rule.freq == "DAILY":
        base = start.toordinal()
        picks = [r for r in range(0, cycle, n)]
    else:
        base = _period_start(rule, _period(rule, start)).toordinal()
        picks = list(range(7))
    if rule.weekdays:
        picks = [r for r in picks if date.fromordinal(base + r).weekday() in rule.weekdays]
    return base, cycle, picks


def _count_residues(lo: int, hi: int, base: int, cycle: int, picks: list[int]) -> int:
    """How many ordinals in [lo, hi) have ``(d - base) mod cycle`` in ``picks``."""
    if hi <= lo or not picks:
        return 0

    def upto(x: int) -> int:  # ordinals in [base, x) for x >= base, by whole cycles
        full, rest = divmod(x - base, cycle)
        return full * len(picks) + bisect.bisect_left(picks, rest)

    # shift both ends by whole cycles so that they are >= base
    shift = 0 if lo >= base else ((base - lo) // cycle + 1) * cycle
    return upto(hi + shift) - upto(lo + shift)


def _count_days(rule: Rule, start: date, lo: date, hi: date) -> int:
    """DAILY/WEEKLY: the occurrences on days in [lo, hi), for a rule starting ``start``."""
    base, cycle, picks = _residues(rule, start)
    if not rule.months and not rule.monthdays and not rule.neg_monthdays:
        return _count_residues(lo.toordinal(), hi.toordinal(), base, cycle, picks)
    # BYMONTH / BYMONTHDAY: month by month, each one closed-form
    total = 0
    pick_set = set(picks)
    month = date(lo.year, lo.month, 1)
    while month < hi:
        length = calendar.monthrange(month.year, month.month)[1]
        following = month + timedelta(days=length)
        if not rule.months or month.month in rule.months:
            a, b = max(lo, month).toordinal(), min(hi, following).toordinal()
            if rule.monthdays or rule.neg_monthdays:
                for day in range(1, length + 1):
                    if day in rule.monthdays or day - length - 1 in rule.neg_monthdays:
                        o = month.toordinal() + day - 1
                        if a <= o < b and (o - base) % cycle in pick_set:
                            total += 1
            else:
                total += _count_residues(a, b, base, cycle, picks)
        month = following
    return total


def _shape(rule: Rule, p: int) -> tuple[int, ...]:
    """What ``len(occurrences_in(rule, p))`` depends on, for MONTHLY and YEARLY."""
    first, length = _period_days(rule, p)
    if rule.freq == "MONTHLY":
        return (first.month, length, first.weekday())
    return (length, first.weekday())


def _skip(rule: Rule, start: date, k: int) -> Skip:
    """Period ``p0 + k·INTERVAL``: its first day and the occurrences before it."""
    p0 = _period(rule, start)
    n = rule.interval
    p = p0 + k * n
    boundary = _period_start(rule, p)
    if rule.freq in ("DAILY", "WEEKLY"):
        return Skip(boundary, _count_days(rule, start, start, boundary))
    skipped = sum(1 for d in occurrences_in(rule, p0) if d >= start)
    sizes: dict[tuple[int, ...], int] = {}
    for q in range(p0 + n, p, n):
        key = _shape(rule, q)
        size = sizes.get(key)
        if size is None:
            size = sizes[key] = len(occurrences_in(rule, q))
        skipped += size
    return Skip(boundary, skipped)


def _steps_before(rule: Rule, start: date, cut: date) -> int:
    """How many INTERVALs after DTSTART's period the last period starting by ``cut`` is."""
    p0 = _period(rule, start)
    return max(0, (_period(rule, cut) - p0) // rule.interval)


def skip_before(rule: Rule, start: date, cut: date) -> Skip | None:
    """The last active period that starts on or before ``cut`` and still has occurrences
    left under COUNT, and the occurrences before it.

    ``rule`` must have its defaults applied (``with_defaults(start)``). None when that
    period would be DTSTART's own (nothing to skip).
    """
    steps = _steps_before(rule, start, cut)
    if steps == 0:
        return None
    found = _skip(rule, start, steps)
    if rule.count is None or found.skipped < rule.count:
        return found
    # COUNT runs out before cut: the last period before it runs out, by bisection
    lo, hi = 0, steps  # skipped(lo) < count <= skipped(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _skip(rule, start, mid).skipped < rule.count:
            lo = mid
        else:
            hi = mid
    return _skip(rule, start, lo) if lo > 0 else None


def ends_before(rule: Rule, start: date, cut: date) -> bool:
    """Whether COUNT runs out before the first active period that starts after ``cut``
    (so every occurrence starts before that period's first day, which is ≤ ``cut``)."""
    if rule.count is None:
        return False
    steps = _steps_before(rule, start, cut)
    return steps > 0 and _skip(rule, start, steps).skipped >= rule.count


def first_on_or_after(rule: Rule, start: date, boundary: date) -> date | None:
    """The first occurrence on or after ``boundary`` (the first day of an active period
    after DTSTART's), looking through a bounded number of periods."""
    p = _period(rule, boundary)
    for _ in range(_SCAN_PERIODS):
        for d in occurrences_in(rule, p):
            if d >= boundary:
                return d
        p += rule.interval
        if _period_start(rule, p).year > 9000:
            return None
    return None
