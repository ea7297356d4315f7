"""Move old series' DTSTART up to the window before recurring-ical-events expands them.

``fast_forward(cal, start)`` rewrites, in a parsed calendar, every series whose rule
``rrule_skip`` can step: DTSTART becomes the rule's first occurrence in the last
active period before ``start`` (minus the series' length and slack for time zones),
DTEND moves with it, COUNT loses the occurrences skipped. The library then expands
from there with its own semantics; everything it would have produced before that
point ends before ``start``, and everything after it is the same occurrence
sequence (see ``rrule_skip`` for the argument).

Runs after x-wr-timezone (which may move a UTC DTSTART into the calendar's zone and
so change the wall clock a rule is expanded in). A series is left alone when the
rewrite could change anything else the library looks at: several masters, a rule that
can't be stepped, DTSTART and DTEND of different kinds or zones, overrides with
RANGE=THISANDFUTURE or their own RRULE/RDATE/EXDATE, an UNTIL or COUNT that ends
before the jump.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from .rrule_skip import first_on_or_after, parse_rule, skip_before

__all__ = ["SLACK", "fast_forward"]

#: between a UTC instant and any wall clock (UTC-12 … UTC+14), plus a day for safety
SLACK = timedelta(days=2)


def fast_forward(cal: Any, start: datetime) -> int:
    """Rewrite the steppable series of ``cal`` to start near ``start`` (aware or UTC
    naive); returns how many were rewritten."""
    if start.tzinfo is not None:
        start = _utc_naive(start)
    groups: dict[str, list[Any]] = {}
    for comp in cal.walk("VEVENT"):
        groups.setdefault(str(comp.get("UID")), []).append(comp)
    moved = 0
    for comps in groups.values():
        masters = [c for c in comps if c.get("RECURRENCE-ID") is None]
        if len(masters) != 1 or not _plain_overrides(c for c in comps if c not in masters):
            continue
        try:
            moved += _jump(masters[0], start)
        except Exception:  # an optimisation: whatever it can't read stays as it was
            continue
    return moved


def _utc_naive(value: datetime) -> datetime:
    offset = value.utcoffset() or timedelta(0)
    return value.replace(tzinfo=None) - offset


def _plain_overrides(mods: Any) -> bool:
    for mod in mods:
        rid = mod.get("RECURRENCE-ID")
        if isinstance(rid, list) or "RANGE" in getattr(rid, "params", {}):
            return False
        if any(key in mod for key in ("RRULE", "RDATE", "EXDATE")):
            return False
    return True


def _jump(master: Any, start: datetime) -> int:
    rrule = master.get("RRULE")
    if rrule is None or isinstance(rrule, list) or "EXRULE" in master:
        return 0
    rule = parse_rule(_rule_text(rrule))
    if rule is None:
        return 0
    begin = master["DTSTART"].dt
    end_prop = master.get("DTEND")
    if end_prop is not None:
        end = end_prop.dt
        if type(end) is not type(begin) or getattr(end, "tzinfo", None) is not getattr(
                begin, "tzinfo", None):
            return 0
        length = abs(end - begin)  # same zone object: the wall-clock difference
    elif master.get("DURATION") is not None:
        end = None
        length = abs(master["DURATION"].dt)
    else:
        end = None
        length = timedelta(days=1)
    first = begin if not isinstance(begin, datetime) else begin.date()
    rule = rule.with_defaults(first)
    cut = (start - length - SLACK).date()
    skip = skip_before(rule, first, cut)
    if skip is None:
        return 0
    new_first = first_on_or_after(rule, first, skip.boundary)
    if new_first is None:
        return 0
    if rule.has_until and not _before_until(new_first, rrule["UNTIL"][0]):
        return 0
    if isinstance(begin, datetime):
        # fold=0: the occurrence dateutil would build for this wall-clock time
        new_begin: date | datetime = datetime.combine(
            new_first, begin.time(), tzinfo=begin.tzinfo).replace(fold=0)
    else:
        new_begin = new_first
    shift = new_begin - begin  # the same zone on both sides: a wall-clock difference
    master["DTSTART"].dt = new_begin
    if end is not None:
        end_prop.dt = end + shift
    if rule.count is not None:
        rrule["COUNT"] = [rule.count - skip.skipped]
    return 1


def _rule_text(rrule: Any) -> str:
    """What ``rrule_skip`` reads of an icalendar vRecur, without its (slow) to_ical:
    parts as ``KEY=v1,v2``; UNTIL's value isn't needed, only that there is one."""
    parts = []
    for key, values in rrule.items():
        if str(key).upper() == "UNTIL":
            parts.append("UNTIL=1")
            continue
        items = values if isinstance(values, list) else [values]
        parts.append(f"{key}={','.join(str(v) for v in items)}")
    return ";".join(parts)


def _before_until(first: date, until: date | datetime) -> bool:
    """Whether ``first`` (a wall-clock date) surely isn't after UNTIL."""
    last = until.date() if isinstance(until, datetime) else until
    return first + timedelta(days=1) < last
