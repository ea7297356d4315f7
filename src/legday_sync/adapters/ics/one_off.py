"""Plain one-off VEVENTs read straight from the text, without icalendar.

Most kept events of a real calendar are one-offs: no recurrence, no subcomponent, a UID
nothing else shares. Parsing them with icalendar and passing them through x-wr-timezone
and recurring-ical-events only to get one ``Event`` each is the biggest cost after the
prefilter. ``read`` turns such a block into a ``OneOff`` (what the reference pipeline
would make of it, in two steps: this text-only reading, then ``to_event`` with the
default zone), or says "not sure" (None): then the block stays in the text for
icalendar. It accepts only shapes whose reading by icalendar 7, x-wr-timezone,
recurring-ical-events and ``source._Expander`` was checked; anything else falls back.
"""

from __future__ import annotations

import os
import re
import zoneinfo
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from operator import attrgetter
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ...core.model import ICS_MARKER, Event

if TYPE_CHECKING:
    from .prefilter import _Comp

__all__ = ["Direct", "OneOff", "read", "take", "to_event"]

#: NAME(;PARAM=value|"quoted")*:value, with nothing icalendar would read differently
#: before the value (no backslash, no stray quote)
_LINE = re.compile(
    r'^([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+=(?:"[^"\n]*"|[^";:,\\\n]*)'
    r'(?:,(?:"[^"\n]*"|[^";:,\\\n]*))*)*):(.*)$',
    re.MULTILINE,
)
#: the parameters accepted on a property that is read: single plain tokens or quoted text
_SAFE_PARAMS = re.compile(r'(?:;[A-Za-z0-9-]+=(?:"[^"\\^]*"|[A-Za-z0-9_./+@-]+))*')
_PARAM = re.compile(r';([A-Za-z0-9-]+)=("[^"]*"|[^";]*)')
_ZONE_KEY = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")
#: ASCII digits only (``\d`` would take any script's)
_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
_DATE_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)", re.ASCII)
_DURATION = re.compile(
    r"P(?:(\d+)W|(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?)", re.ASCII)
_ESCAPE = re.compile(r"\\([\\,;:nN])")

#: properties that make an event more than a one-off (or change its occurrences)
_NOT_ONE_OFF = frozenset({"RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID",
                          "BEGIN", "END"})
#: properties read here (SEQUENCE: by recurring-ical-events) that must appear at most once
_ONCE = frozenset({"UID", "DTSTART", "DTEND", "DURATION", "STATUS", "TRANSP", "SEQUENCE"})
_TEXTS = ("SUMMARY", "DESCRIPTION", "URL")
_READ = frozenset({*_ONCE, *_TEXTS, "CATEGORIES", ICS_MARKER})

#: a local time: (wall clock or date, zone) with zone None (floating), "UTC" or a key
_Time = tuple[date, str | None]


class _Unsure(Exception):
    """A shape this reader doesn't read with certainty: icalendar reads the block."""


@dataclass(frozen=True, slots=True)
class OneOff:
    """What one plain VEVENT block says, before the default zone is known."""

    ordinal: int  # its place among the kept top-level VEVENTs (for the zone sample)
    tzid: str | None  # DTSTART's TZID
    event: bool  # False: cancelled or the tool's own (no event, but still a VEVENT)
    uid: str = ""
    start: _Time = (date.min, None)
    end: _Time | None = None
    duration: timedelta | None = None
    title: str = ""
    categories: tuple[str, ...] = ()
    description: str = ""
    transparent: bool = False
    url: str = ""


@dataclass(frozen=True, slots=True)
class Direct:
    """The one-offs taken out of a prefiltered text, and what reading them needs."""

    one_offs: list[OneOff]
    kept: int  # top-level VEVENTs kept (direct or left in the text)
    floating_zone: str | None  # X-WR-TIMEZONE: where floating times live


# --- reading a block ---------------------------------------------------------------------


def read(block: str, ordinal: int = 0, calendar_zone: str | None = None) -> OneOff | None:
    """One top-level VEVENT block (unfolded, ``\\n`` line ends) -> a ``OneOff``, or None
    when not sure. ``calendar_zone``: the calendar's X-WR-TIMEZONE."""
    try:
        return _read(block, ordinal, calendar_zone)
    except (_Unsure, ValueError, OverflowError):
        return None


def _read(block: str, ordinal: int, calendar_zone: str | None) -> OneOff:
    head, _, rest = block.partition("\n")
    inner, _, tail = rest.rpartition("\n")
    if (head.upper() != "BEGIN:VEVENT" or tail.upper() != "END:VEVENT" or not inner
            or "\n " in block or "\n\t" in block or "\n\n" in rest):
        raise _Unsure("not a plain block")
    rows = _LINE.findall(inner)  # (name, params, value) of each line, at C speed
    if len(rows) != inner.count("\n") + 1:
        raise _Unsure("a line that is not a plain property")
    props: dict[str, list[tuple[str, str]]] = {}
    for name, params, value in rows:
        name = name.upper()
        if name in _READ:
            props.setdefault(name, []).append((params, value))
        elif name in _NOT_ONE_OFF:
            raise _Unsure(name)
    for name in _ONCE:
        if len(props.get(name, ())) > 1:
            raise _Unsure(f"{name} twice")
    sequence = props.get("SEQUENCE")
    if sequence and (sequence[0][0] or not (sequence[0][1].isascii() and sequence[0][1].isdigit())):
        raise _Unsure("a SEQUENCE recurring-ical-events can't compare")
    return _one_off(props, ordinal, calendar_zone)


def _one_off(props: dict[str, list[tuple[str, str]]], ordinal: int,
             calendar_zone: str | None) -> OneOff:
    uid = _plain(props, "UID")
    if not uid or uid != uid.strip():
        raise _Unsure("no UID, or one the reference reads differently")
    if "DTSTART" not in props:
        raise _Unsure("no DTSTART")
    start, tzid = _time(*props["DTSTART"][0])
    end = duration = None
    if "DTEND" in props:
        if "DURATION" in props:
            raise _Unsure("DTEND and DURATION")
        end, _ = _time(*props["DTEND"][0])
        _check_order(start, end, calendar_zone)
    elif "DURATION" in props:
        duration = _duration(props["DURATION"][0], all_day=start[1] is None
                             and not isinstance(start[0], datetime))
    cancelled = _plain(props, "STATUS").strip().upper() == "CANCELLED"
    if cancelled or ICS_MARKER in props:
        return OneOff(ordinal, tzid, False)
    url = _joined(props, "URL")
    if "\\" in url:
        raise _Unsure("escapes in URL")
    return OneOff(
        ordinal, tzid, True, uid=uid, start=start, end=end, duration=duration,
        title=_joined(props, "SUMMARY"), categories=_categories(props.get("CATEGORIES", [])),
        description=_joined(props, "DESCRIPTION"),
        transparent=_plain(props, "TRANSP").strip().upper() == "TRANSPARENT", url=url,
    )


def _params(raw: str) -> dict[str, str]:
    """';A=1;B="x"' -> {'A': '1', 'B': '"x"'}; every value must be one safe token."""
    if not raw:
        return {}
    if not _SAFE_PARAMS.fullmatch(raw):
        raise _Unsure(f"parameters {raw}")
    out: dict[str, str] = {}
    for m in _PARAM.finditer(raw):
        key = m.group(1).upper()
        if key in out:
            raise _Unsure(f"{key} twice")
        out[key] = m.group(2)
    return out


def _plain(props: dict[str, list[tuple[str, str]]], name: str) -> str:
    """The one value of a text property, unescaped as icalendar does ('' if absent)."""
    items = props.get(name)
    if not items:
        return ""
    return _text(*items[0])


def _joined(props: dict[str, list[tuple[str, str]]], name: str) -> str:
    """Several lines of one property: ``source._text`` joins them with ', '."""
    return ", ".join(_text(params, value) for params, value in props.get(name, []))


def _text(params: str, value: str) -> str:
    if params and "VALUE" in _params(params):  # VALUE= picks another type
        raise _Unsure("VALUE on a text property")
    if "\\" not in value:
        return value
    return _ESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _categories(items: list[tuple[str, str]]) -> tuple[str, ...]:
    """``source._categories`` of these lines; icalendar keeps some escapes as written,
    so any backslash falls back."""
    out: list[str] = []
    for params, value in items:
        if "VALUE" in _params(params) or "\\" in value:
            raise _Unsure("CATEGORIES with escapes")
        out.extend(cat.strip() for cat in value.split(",") if cat.strip())
    return tuple(out)


def _time(raw_params: str, value: str) -> tuple[_Time, str | None]:
    """A DTSTART/DTEND -> ((value, zone), TZID as written)."""
    params = _params(raw_params)
    if set(params) - {"TZID", "VALUE"}:
        raise _Unsure("other parameters on a time")
    kind = params.get("VALUE", "").upper()
    tzid = params.get("TZID")
    if tzid is not None:
        tzid = tzid[1:-1] if tzid.startswith('"') else tzid
        if not _known_zone(tzid):
            raise _Unsure(f"TZID {tzid}")
    m = _DATE.fullmatch(value)
    if m is not None:
        if kind not in ("", "DATE") or tzid is not None:
            raise _Unsure("a date with a zone or VALUE=DATE-TIME")
        return (_check_year(date(*map(int, m.groups()))), None), None
    m = _DATE_TIME.fullmatch(value)
    if m is None or kind not in ("", "DATE-TIME") or (m.group(7) and tzid is not None):
        raise _Unsure(value)
    y, mo, d, hh, mi, ss = map(int, m.groups()[:6])
    wall = _check_year(datetime(y, mo, d, hh, mi, ss))
    return (wall, "UTC" if m.group(7) else tzid), tzid


def _check_year(value: date) -> date:
    if not 2 <= value.year <= 9997:  # no overflow at the edges of what datetime holds
        raise _Unsure("extreme year")
    return value


def _check_order(start: _Time, end: _Time, calendar_zone: str | None) -> None:
    """Same kind of value on both sides, and the end not before the start as the
    expansion sees them (it swaps such ends; not worth reading here)."""
    (a, a_zone), (b, b_zone) = start, end
    if isinstance(a, datetime) != isinstance(b, datetime):
        raise _Unsure("DTSTART and DTEND of different types")
    if (a_zone is None) != (b_zone is None):
        raise _Unsure("floating and zoned times mixed")
    if a_zone is None or not isinstance(a, datetime) or not isinstance(b, datetime):
        length = b - a  # floating or dates: on the same clock
    else:
        moved = ZoneInfo(calendar_zone) if calendar_zone else None
        length = _local(b, b_zone, UTC, moved) - _local(a, a_zone, UTC, moved)
    if length < timedelta(0):
        raise _Unsure("ends before it starts")


def _duration(raw: tuple[str, str], *, all_day: bool) -> timedelta:
    params, value = raw
    m = _DURATION.fullmatch(value)
    if params or m is None or value in ("P", "PT"):
        raise _Unsure(f"DURATION {value}")
    w, d, h, mi, s = (int(x) if x else 0 for x in m.groups())
    if all_day and (h or mi or s or "T" in value):
        raise _Unsure("a date with a duration in hours")  # the reference makes it timed
    return timedelta(weeks=w, days=d, hours=h, minutes=mi, seconds=s)


@cache
def _known_zone(key: str) -> bool:
    """Whether icalendar reads this TZID with zoneinfo (an IANA key it knows: then a
    VTIMEZONE of that name in the file is not used)."""
    if not _ZONE_KEY.fullmatch(key) or not _available(key):
        return False
    try:
        ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _available(key: str) -> bool:
    """``key in zoneinfo.available_timezones()``, for one key: that walks and opens every
    file of the zone database (~10 ms on each cold sync); this looks at one file (once per
    key: ``_known_zone`` caches the answer)."""
    if key == "posixrules" or key.split("/", 1)[0] in ("right", "posix"):
        return False  # left out of the list by available_timezones itself
    for root in zoneinfo.TZPATH:
        path = os.path.join(root, *key.split("/"))
        try:
            with open(path, "rb") as f:
                if f.read(4) == b"TZif":
                    return True
        except OSError:
            continue
    return key in _tzdata_zones()


@cache
def _tzdata_zones() -> frozenset[str]:
    """The zones the ``tzdata`` package lists, when it is installed (one small file)."""
    try:
        from importlib import resources

        text = resources.files("tzdata").joinpath("zones").read_text("utf-8")
    except (ImportError, FileNotFoundError, ModuleNotFoundError):
        return frozenset()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


# --- the event ---------------------------------------------------------------------------


def _aware(wall: datetime, zone: str) -> datetime:
    return wall.replace(tzinfo=UTC if zone == "UTC" else ZoneInfo(zone))


def _local(value: datetime, zone: str | None, floating: tzinfo,
           moved: ZoneInfo | None) -> datetime:
    """A DTSTART/DTEND date-time as the reference has it when it is expanded; ``moved``:
    the X-WR-TIMEZONE zone."""
    if zone is None:
        return value.replace(tzinfo=floating)
    aware = _aware(value, zone)
    if moved is not None and (aware.tzname() or "").upper() == "UTC":
        # x-wr-timezone moves UTC times into the calendar's zone, and the expansion drops
        # the fold: a UTC time in the hour that repeats when clocks go back ends up an
        # hour early (as the reference has it)
        aware = aware.astimezone(moved).replace(fold=0)
    return aware


def to_event(one: OneOff, source: str, default_tz: ZoneInfo,
             floating_zone: str | None) -> Event | None:
    """The ``Event`` the reference makes of ``one`` (before the window cut)."""
    if not one.event:
        return None
    # x-wr-timezone: floating times are in the calendar's zone; dates stay in default_tz
    floating = ZoneInfo(floating_zone) if floating_zone else default_tz
    moved = floating if floating_zone else None
    wall, zone = one.start
    if not isinstance(wall, datetime):
        start = datetime.combine(wall, time(0), tzinfo=default_tz).astimezone(UTC)
        if one.end is not None:
            wall = one.end[0]
        else:
            wall += one.duration if one.duration is not None else timedelta(days=1)
        end = datetime.combine(wall, time(0), tzinfo=default_tz).astimezone(UTC)
        all_day = True
    else:
        local = _local(wall, zone, floating, moved)
        start = local.astimezone(UTC)
        if one.end is not None:  # the expansion keeps DTEND - DTSTART as a duration
            end_local = _local(one.end[0], one.end[1], floating, moved)  # type: ignore[arg-type]
            duration = end_local - local  # Python: wall clocks if the zone is the same
        else:
            duration = one.duration or timedelta(0)
        # a duration runs on the start's local clock
        end = (local + duration).astimezone(UTC)
        all_day = False
    return Event(
        source=source, uid=one.uid, start=start, end=max(end, start), title=one.title,
        all_day=all_day, categories=one.categories,
        description=one.description, transparent=one.transparent, url=one.url,
    )


# --- taking them out of the prefiltered text ---------------------------------------------

_UID_LINE = re.compile(r"^UID[;:](.*)$", re.MULTILINE | re.IGNORECASE)
_VEVENT_LINE = re.compile(r"^BEGIN:VEVENT", re.MULTILINE | re.IGNORECASE)
_XWR_LINE = re.compile(r"^X-WR-TIMEZONE[;:].*$", re.MULTILINE | re.IGNORECASE)


def _uid_key(raw: str) -> str:
    return _ESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), raw).strip()


def _shared_uids(text: str, comps: list[_Comp]) -> set[str]:
    """The UIDs (as icalendar reads them, unescaped) of more than one component, and
    the escaped ones (a candidate's UID has no backslash, so it equals no other)."""
    counts = Counter(map(attrgetter("uid"), comps))  # the scan's UIDs, stripped
    shared = {uid for uid, n in counts.items() if n > 1 and uid is not None}
    shared.update(_uid_key(uid) for uid in counts if uid is not None and "\\" in uid)
    for comp in comps:
        if comp.uid is None:  # an unreadable component's scan may have stopped early
            shared.update(map(_uid_key, _UID_LINE.findall(text, comp.first, comp.last)))
    return shared


def take(text: str, comps: list[_Comp], drop: list[tuple[int, int]],
         calendar_zone: str | None) -> list[tuple[OneOff, tuple[int, int]]]:
    """The kept top-level VEVENTs (not in ``drop``) that are plain one-offs, read, with
    their spans."""
    shared = _shared_uids(text, comps)
    dropped = {first for first, _ in drop}
    found: list[tuple[OneOff, tuple[int, int]]] = []
    ordinal = -1
    for comp in comps:
        if comp.first in dropped:
            continue
        ordinal += 1
        uid = comp.uid
        if (not uid or uid in shared or "\\" in uid or comp.unreadable or comp.rid is not None
                or comp.rrules or comp.rdates
                or text[comp.last : comp.last + 2] in ("\n ", "\n\t")):
            continue
        one = read(text[comp.first : comp.last], ordinal, calendar_zone)
        if one is not None:
            found.append((one, (comp.first, comp.last)))
    return found


def calendar_zone(head: str, utc_moves: bool) -> tuple[bool, str | None]:
    """The X-WR-TIMEZONE in the calendar's head (the text before its first VEVENT), and
    whether it is one the reference reads as a plain zone key (else: no direct path)."""
    lines = _XWR_LINE.findall(head)
    if not utc_moves:
        return not lines, None
    if len(lines) != 1 or lines[0][13] != ":":
        return False, None
    value = lines[0][14:]
    if not _ZONE_KEY.fullmatch(value):
        return False, None
    try:
        ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False, None
    return True, value


def safe(rest: str, expected_events: int, zone: str | None) -> bool:
    """Whether the text icalendar will get (``rest``) shows the direct path to be safe:
    every VEVENT in it is one the scan saw (a nested one may share a UID), and its only
    X-WR-TIMEZONE is the one ``calendar_zone`` read."""
    if len(_VEVENT_LINE.findall(rest)) != expected_events:
        return False
    lines = _XWR_LINE.findall(rest)
    if zone is None:
        return not lines
    return len(lines) == 1 and lines[0][13] == ":" and lines[0][14:] == zone
