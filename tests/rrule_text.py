"""The end both RRULE generators share (``test_rrule_skip``, ``test_series_jump_equivalence``):
the BY* parts as text, a drawn WKST, and no rule that never occurs."""

from __future__ import annotations

from datetime import date

from hypothesis import assume
from hypothesis import strategies as st

from legday_sync.adapters.ics.rrule_skip import first_on_or_after, parse_rule

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def finish_rule(draw: st.DrawFn, parts: list[str], start: date, *, months: set[int],
                monthdays: set[int], weekdays: set[int], nth: set[tuple[int, int]]) -> str:
    """``parts`` (FREQ, INTERVAL) with BYMONTH, BYMONTHDAY, BYDAY (weekday numbers 0-6;
    ``nth``: (weekday, ordinal)) and maybe WKST, as RRULE text. A rule with no occurrence
    on or after ``start`` for centuries is assumed away: dateutil would walk to the year
    9999 looking for one."""
    parts = list(parts)
    if months:
        parts.append("BYMONTH=" + ",".join(map(str, sorted(months))))
    if monthdays:
        parts.append("BYMONTHDAY=" + ",".join(map(str, sorted(monthdays))))
    bydays = [DAYS[d] for d in sorted(weekdays)] + [f"{n}{DAYS[d]}" for d, n in sorted(nth)]
    if bydays:
        parts.append("BYDAY=" + ",".join(bydays))
    if draw(st.booleans()):
        parts.append("WKST=" + draw(st.sampled_from(DAYS)))
    text = ";".join(parts)
    rule = parse_rule(text)
    assume(rule is not None and first_on_or_after(
        rule.with_defaults(start), start, start) is not None)
    return text
