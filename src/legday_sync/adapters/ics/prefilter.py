"""Cheap text-level work on .ics data, done before icalendar sees it.

``decode`` turns raw bytes into unfolded text (BOM, folds inside multi-byte
characters, Latin-1 files, mixed line endings); ``decode_lazily`` spares the usual
file that, for ``rawscan.prefilter_raw`` to read its bytes as they are. ``prefilter``
drops the VEVENTs a window cannot reach, with a line scan that is ~50x cheaper than a
full parse, so that years of history cost almost nothing. It is conservative: whatever
it can't read with certainty is kept, and it keeps or drops a series' components
together whenever dropping one could change how the others expand (see
``_decide_group``).
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ...core.model import ICS_MARKER
from . import one_off
from .rrule_skip import ends_before, parse_rule

__all__ = ["MARGIN", "Prefiltered", "decode", "decode_lazily", "prefilter"]

#: slack for time zones (a local time is within ±14 h of UTC) and rounding
MARGIN = timedelta(days=2)

_BOM_UTF8 = b"\xef\xbb\xbf"


def decode(data: bytes) -> tuple[str, list[str]]:
    """Bytes of an .ics file -> (unfolded text with ``\\n`` line ends, warnings)."""
    warnings: list[str] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 with a BOM: decode first, then unfold the text
        text = data.decode("utf-16")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return re.sub(r"\n[ \t]", "", text), warnings
    if data.startswith(_BOM_UTF8):
        data = data[len(_BOM_UTF8) :]
    # normalise line ends, then unfold at the byte level: a fold may split a
    # multi-byte UTF-8 character, which must be joined before decoding
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    data = data.replace(b"\n ", b"").replace(b"\n\t", b"")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
            enc = "Windows-1252"
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            enc = "Latin-1"
        warnings.append(f"the file is not valid UTF-8; read it as {enc}")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, warnings


_LONE_CR = re.compile(rb"\r[^\n]")  # and one at the end (a regex finds these faster
_SPACE_TAB_FOLD = re.compile(rb"\n \t")  # than ``bytes.find``)


def decode_lazily(data: bytes) -> bytes | None:
    """The bytes of the usual file, to be read as they are (``prefilter_raw``), or None:
    then ``decode`` it. The usual file is UTF-8 with LF or CRLF line ends; ``decode`` of
    the bytes returned gives what ``decode(data)`` gives. Most of a big calendar is then
    dropped before anything is normalised or decoded into one (4 bytes a character) str.
    """
    body = data[len(_BOM_UTF8) :] if data.startswith(_BOM_UTF8) else data
    # lone CRs, a BOM a fold could move, another BOM, or "\n \t": where decode's two
    # rounds of unfolding take out more than each line's folds ("a\n\n \tb" -> "ab")
    if (body.startswith((b"\r", b"\n", _BOM_UTF8)) or body.endswith(b"\r")
            or _SPACE_TAB_FOLD.search(body) or _LONE_CR.search(body)):
        return None
    # valid as read, so valid unfolded (a fold only takes ASCII out between characters);
    # else not UTF-8, UTF-16, or a fold splits a character
    return body if _is_utf8(body) else None


def _is_utf8(data: bytes, piece: int = 1 << 16) -> bool:
    """Whether ``data`` is UTF-8, decoded a piece at a time: no big str is made."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for at in range(0, len(data), piece):
            decoder.decode(view[at : at + piece])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# --- the line scan --------------------------------------------------------------------

_DT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$")
_DUR_RE = re.compile(r"^\+?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_UNTIL_RE = re.compile(r"(?:^|;)UNTIL=([0-9TZ]+)(?:;|$)", re.IGNORECASE)
_NEVER = datetime.max


class _Unreadable(Exception):
    """A value the scan can't interpret with certainty: keep the component."""


def _split(line: str) -> tuple[str, str, str]:
    """'NAME;P=1:value' -> ('NAME', ';P=1', 'value'); handles quoted ':' in params."""
    if '"' in line:
        quoted = False
        for i, ch in enumerate(line):
            if ch == '"':
                quoted = not quoted
            elif ch == ":" and not quoted:
                head, value = line[:i], line[i + 1 :]
                break
        else:
            return line.upper(), "", ""
    else:
        head, sep, value = line.partition(":")
        if not sep:
            return line.upper(), "", ""
    name, _, params = head.partition(";")
    return name.upper().strip(), params.upper(), value.strip()


def _dt(value: str) -> tuple[datetime, bool]:
    """A DATE or DATE-TIME value -> (naive datetime read as if UTC, is_date)."""
    n = len(value)
    # the usual shapes, by the C parser (10x faster); only all-digit basic forms, so
    # that nothing it reads more liberally (week dates, offsets) gets through
    try:
        if n == 8 and value.isdigit():
            return datetime.fromisoformat(value), True
        if (
            (n == 15 or (n == 16 and value[15] == "Z"))
            and value[8] == "T"
            and value[:8].isdigit()
            and value[9:15].isdigit()
        ):
            return datetime.fromisoformat(value[:15]), False
    except ValueError:
        pass  # e.g. a leap second: the careful reading below
    try:
        if (
            (n == 15 or (n == 16 and value[15] in "Zz"))
            and value[8] in "Tt"
            and value[:8].isdigit()
            and value[9:15].isdigit()
        ):
            return datetime(
                int(value[0:4]),
                int(value[4:6]),
                int(value[6:8]),
                int(value[9:11]),
                int(value[11:13]),
                min(int(value[13:15]), 59),
            ), False
        if n == 8 and value.isdigit():
            return datetime(int(value[0:4]), int(value[4:6]), int(value[6:8])), True
    except ValueError as exc:
        raise _Unreadable(value) from exc
    m = _DT_RE.match(value)
    if not m:
        raise _Unreadable(value)
    y, mo, d, hh, mm, ss, _z = m.groups()
    try:
        if hh is None:
            return datetime(int(y), int(mo), int(d)), True
        return datetime(int(y), int(mo), int(d), int(hh), int(mm), min(int(ss), 59)), False
    except ValueError as exc:
        raise _Unreadable(value) from exc


def _dur(value: str) -> timedelta:
    m = _DUR_RE.match(value)
    if not m or value in ("P", "PT", "+P"):
        raise _Unreadable(value)
    w, d, h, mi, s = (int(x) if x else 0 for x in m.groups())
    return timedelta(weeks=w, days=d, hours=h, minutes=mi, seconds=s)


@dataclass(slots=True)
class _Comp:
    """One top-level VEVENT: its character span and what the scan could read of it."""

    first: int
    last: int  # offset just after END:VEVENT
    uid: str | None = None
    start: datetime | None = None
    start_is_date: bool = False
    start_is_utc: bool = False
    end: datetime | None = None
    duration: timedelta | None = None
    rid: datetime | None = None
    rid_range: bool = False
    rrules: list[str] = field(default_factory=list)
    rdates: list[tuple[datetime, timedelta | None]] = field(default_factory=list)
    unreadable: bool = False
    seen: set[str] = field(default_factory=set)

    def span(self) -> tuple[datetime, datetime]:
        """[start, end] of this component's own time (not its recurrences)."""
        if self.start is None:
            raise _Unreadable("no DTSTART")
        return self.start, self.start + self.length()

    def length(self) -> timedelta:
        if self.start is None:
            raise _Unreadable("no DTSTART")
        if self.end is not None:
            length = self.end - self.start
        elif self.duration is not None:
            length = self.duration
        else:
            length = timedelta(days=1) if self.start_is_date else timedelta(0)
        if length < timedelta(0):
            raise _Unreadable("ends before it starts")
        return length

    def max_length(self) -> timedelta:
        """The longest any occurrence of this component's recurrences can last."""
        length = self.length()
        for _, period in self.rdates:
            if period is not None:
                length = max(length, period)
        return length

    def reach(self, lo: datetime, utc_moves: bool) -> tuple[datetime, datetime]:
        """[earliest start, latest end] of every occurrence this component makes, where
        an end before ``lo`` may be rounded up to a bound that is still before it.

        ``utc_moves``: x-wr-timezone will move a UTC DTSTART into the calendar's zone
        (so a rule's wall-clock dates aren't known here)."""
        start, end = self.span()
        if not self.rrules and not self.rdates:
            return start, end
        length = self.max_length()
        first, last = start, end
        for rdate, period in self.rdates:
            first = min(first, rdate)
            last = max(last, rdate + (period if period is not None else length))
        for rule in self.rrules:
            m = _UNTIL_RE.search(rule)
            if not m:
                bound = None if self.start_is_utc and utc_moves else self._count_end(rule, lo)
                last = _NEVER if bound is None else max(last, bound)
                continue
            until, is_date = _dt(m.group(1))
            last = max(last, until + (timedelta(days=1) if is_date else timedelta(0)) + length)
        return first, last


    def _count_end(self, rule: str, lo: datetime) -> datetime | None:
        """A bound before ``lo`` on the ends of a COUNT rule's occurrences, when its COUNT
        runs out before then (by arithmetic: ``rrule_skip``); else None."""
        parsed = parse_rule(rule)
        if parsed is None or parsed.count is None or self.start is None:
            return None
        length = self.length()
        first = self.start.date()
        cut = (lo - length).date() - timedelta(days=1)
        if not ends_before(parsed.with_defaults(first), first, cut):
            return None
        # every occurrence starts before cut
        return datetime.combine(cut, datetime.min.time()) + length


_SINGLE = {"UID", "DTSTART", "DTEND", "DURATION", "RECURRENCE-ID"}


def _read_property(comp: _Comp, name: str, params: str, value: str) -> None:
    if name in _SINGLE and name in comp.seen:
        raise _Unreadable(f"{name} twice")
    comp.seen.add(name)
    if name == "UID":
        comp.uid = value
    elif name == "DTSTART":
        comp.start, comp.start_is_date = _dt(value)
        comp.start_is_utc = value[-1:] in "Zz"
    elif name == "DTEND":
        comp.end, _ = _dt(value)
    elif name == "DURATION":
        comp.duration = _dur(value)
    elif name == "RECURRENCE-ID":
        comp.rid, _ = _dt(value)
        if "RANGE=" in params:
            comp.rid_range = True
    elif name == "RRULE":
        comp.rrules.append(value)
    elif name == "RDATE":
        for item in value.split(","):
            if "/" in item:
                a, b = item.split("/", 1)
                start, _ = _dt(a)
                period = _dur(b) if b.startswith(("P", "+P")) else _dt(b)[0] - start
                comp.rdates.append((start, period))
            else:
                comp.rdates.append((_dt(item)[0], None))


@dataclass
class Prefiltered:
    text: str
    kept: int
    dropped: int
    #: kept one-off events taken out of ``text`` (``prefilter(..., direct=True)``)
    direct: one_off.Direct | None = None


def _overlaps(a: tuple[datetime, datetime], lo: datetime, hi: datetime) -> bool:
    """Whether ``a`` comes within MARGIN of [lo, hi] (``lo``/``hi`` already widened)."""
    return a[0] <= hi and a[1] >= lo


def _decide_group(
    comps: list[_Comp], lo: datetime, hi: datetime, utc_moves: bool = True
) -> list[bool]:
    """Which components of one UID to keep.

    The rules mirror how recurring-ical-events builds a series: a modification
    (RECURRENCE-ID) hides the master's occurrence at its slot, so it is kept when
    either its own time or that slot is near the window; several masters or
    modifications of one slot are resolved by SEQUENCE, RANGE=THISANDFUTURE moves
    later occurrences: such groups are kept whole.
    """
    try:
        if any(c.unreadable for c in comps):
            raise _Unreadable("unreadable component")
        cores = [c for c in comps if c.rid is None]
        mods = [c for c in comps if c.rid is not None]
        rids = [c.rid for c in mods]
        if len(cores) > 1 or len(set(rids)) != len(rids):
            raise _Unreadable("ambiguous series")
        if any(c.rid_range or c.rrules or c.rdates for c in mods):
            raise _Unreadable("modification that recurs")
        keep: list[bool] = []
        slot_length = cores[0].max_length() if cores else None
        core_keep = bool(cores) and _overlaps(cores[0].reach(lo, utc_moves), lo, hi)
        any_mod = False
        for c in comps:
            if c.rid is None:
                keep.append(core_keep)
                continue
            length = slot_length if slot_length is not None else c.length()
            rid = c.rid
            k = _overlaps(c.span(), lo, hi) or _overlaps((rid, rid + length), lo, hi)
            any_mod = any_mod or k
            keep.append(k)
        if any_mod:
            keep = [True if c.rid is None else k for c, k in zip(comps, keep, strict=True)]
        return keep
    except (_Unreadable, OverflowError):
        return [True] * len(comps)


_NAMES = r"(?:UID|DTSTART|DTEND|DURATION|RECURRENCE-ID|RRULE|RDATE|X-WR-TIMEZONE)"
_LINES = re.compile(
    r"^(?:(BEGIN|END):([A-Za-z0-9-]+)[ \t]*"
    # a property without quoted parameters, in parts: name, ;params, value
    r"|(" + _NAMES + r")(?:;([^:\"\n]*))?:(.*)"
    # with quoted parameters (a ':' may hide in the quotes): split in Python
    r"|" + _NAMES + r"[;:].*)$",
    re.MULTILINE | re.IGNORECASE,
)
_DROPPABLE = frozenset({"VTODO", "VJOURNAL", "VFREEBUSY"})


def prefilter(
    text: str, start: datetime, end: datetime, *, direct: bool = False
) -> Prefiltered | None:
    """Drop the VEVENTs that can't have an occurrence near [start, end).

    Returns None when the text's structure is unusual (not exactly one
    VCALENDAR, unbalanced BEGIN/END): the caller then parses everything.
    Only top-level VEVENTs are ever dropped; VTIMEZONEs and calendar
    properties stay. VTODO/VJOURNAL/VFREEBUSY are dropped (never expanded).
    ``direct``: also take the kept plain one-off events out of the text, read
    (``one_off``), into ``Prefiltered.direct``.
    """
    scanned = _scan(text)
    if scanned is None:
        return None
    comps, drop, utc_moves = scanned
    lo = start.astimezone(UTC).replace(tzinfo=None) - MARGIN
    hi = end.astimezone(UTC).replace(tzinfo=None) + MARGIN
    dropped = _decide(comps, lo, hi, utc_moves, drop)
    if direct:
        return _rewrite_direct(text, comps, drop, dropped, utc_moves)
    return _rewrite(text, comps, drop, dropped)


def _rewrite_direct(text: str, comps: list[_Comp], drop: list[tuple[int, int]],
                    dropped: int, utc_moves: bool) -> Prefiltered:
    """``_rewrite`` that also takes the kept one-offs out of the text, when what is left
    for icalendar shows that to be safe (see ``one_off.safe``)."""
    readable, zone = one_off.calendar_zone(text[: comps[0].first] if comps else "", utc_moves)
    found = one_off.take(text, comps, drop, zone) if readable else []
    if not found:
        return _rewrite(text, comps, drop, dropped)
    result = _rewrite(text, comps, drop + [span for _, span in found], dropped)
    kept = len(comps) - dropped
    if not one_off.safe(result.text, kept - len(found), zone):
        return _rewrite(text, comps, drop, dropped)
    result.direct = one_off.Direct([one for one, _ in found], kept, zone)
    return result


def _scan(text: str) -> tuple[list[_Comp], list[tuple[int, int]], bool] | None:
    """The top-level VEVENTs with what the decision needs, the spans of droppable other
    components, and whether x-wr-timezone will move UTC times into a zone; None when the
    structure is unusual.

    One regular expression over the whole text (C speed) finds the BEGIN/END lines and the
    few properties the decision needs; only those are looked at in Python.
    """
    depth = 0
    calendars = 0
    comps: list[_Comp] = []
    drop: list[tuple[int, int]] = []  # character spans to cut
    current: _Comp | None = None
    other_start, other_kind = -1, ""
    utc_moves = False
    for m in _LINES.finditer(text):
        edge, kind, name, params, value = m.groups()  # one call: this loop is the cost
        if edge is None:  # a property line: only a top-level VEVENT's own lines count
            if current is not None and depth == 2 and not current.unreadable:
                try:
                    if name is None:
                        name, params, value = _split(m.group(0))
                    else:
                        name, params, value = name.upper(), (params or "").upper(), value.strip()
                    _read_property(current, name, params, value)
                except (_Unreadable, ValueError, IndexError, OverflowError):
                    current.unreadable = True
            elif depth == 1 and m.group(0)[:13].upper() == "X-WR-TIMEZONE":
                utc_moves = True
            continue
        kind = kind.upper()
        if edge.upper() == "BEGIN":
            depth += 1
            if depth == 1:
                calendars += 1
                if kind != "VCALENDAR" or calendars > 1:
                    return None
            elif depth == 2:
                if kind == "VEVENT":
                    current = _Comp(first=m.start(), last=-1)
                else:
                    other_start, other_kind = m.start(), kind
        else:
            depth -= 1
            if depth < 0:
                return None
            if depth == 1:
                if current is not None:
                    current.last = m.end()
                    comps.append(current)
                    current = None
                elif other_kind in _DROPPABLE:
                    drop.append((other_start, m.end()))
                other_kind = ""
    if depth != 0 or calendars != 1:
        return None
    return comps, drop, utc_moves


def _decide(comps: list[_Comp], lo: datetime, hi: datetime, utc_moves: bool,
            drop: list[tuple[int, int]]) -> int:
    """Add the spans of the VEVENTs that can't reach [lo, hi) to ``drop``; how many.

    Components sharing a UID (a series and its overrides) are decided together."""
    groups: dict[str, list[int]] = {}
    for idx, comp in enumerate(comps):
        key = comp.uid if comp.uid is not None else f"\x00{idx}"
        groups.setdefault(key, []).append(idx)
    dropped = 0
    for members in groups.values():
        if len(members) == 1:
            keep = [_keep_single(comps[members[0]], lo, hi, utc_moves)]
        else:
            keep = _decide_group([comps[m] for m in members], lo, hi, utc_moves)
        for m, k in zip(members, keep, strict=True):
            if not k:
                drop.append((comps[m].first, comps[m].last))
                dropped += 1
    return dropped


def _rewrite(text: str, comps: list[_Comp], drop: list[tuple[int, int]],
             dropped: int) -> Prefiltered:
    """The text without the dropped spans, and with kept events made lean: they lose the
    properties nothing downstream reads (parse less)."""
    edits = [(first, last, "") for first, last in drop]
    dropped_spans = set(drop)
    # (among the kept ones: what is dropped never reaches recurring-ical-events)
    uids = Counter(c.uid for c in comps if (c.first, c.last) not in dropped_spans)
    for comp in comps:
        # a blank UID is invented from a hash of the whole component: keep it whole
        if comp.uid and (comp.first, comp.last) not in dropped_spans:
            block = text[comp.first : comp.last]
            lean = _lean(block, alone=uids[comp.uid] == 1)
            if len(lean) != len(block):
                edits.append((comp.first, comp.last, lean))
    if not edits:
        return Prefiltered(text, len(comps), 0)
    edits.sort()
    out: list[str] = []
    pos = 0
    for first, last, replacement in edits:
        out.append(text[pos:first])
        out.append(replacement)
        pos = last + 1 if not replacement and text[last : last + 1] == "\n" else last
    out.append(text[pos:])
    return Prefiltered("".join(out), len(comps) - dropped, dropped)


#: the VEVENT properties something reads: the source (times, text, status, the tool's
#: own marker), recurring-ical-events (rules, exceptions, overrides, SEQUENCE)
_USED = ("BEGIN", "END", "UID", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE",
         "EXRULE", "RECURRENCE-ID", "SEQUENCE", "STATUS", "SUMMARY", "DESCRIPTION",
         "CATEGORIES", "TRANSP", "URL", ICS_MARKER)
_UNUSED = r"^(?:(?!(?:" + "|".join(map(re.escape, _USED)) + r")[;:])[A-Za-z0-9-]+[;:][^\n]*"
_UNUSED_LINE = re.compile(
    _UNUSED
    # STATUS and TRANSP are read only for CANCELLED and TRANSPARENT: their other values
    # say what their absence says (unless there are several: then all are read as a list)
    + r"|STATUS:(?:CONFIRMED|TENTATIVE)[ \t]*|TRANSP:OPAQUE[ \t]*)\n",
    re.MULTILINE | re.IGNORECASE,
)
_UNUSED_ONLY = re.compile(_UNUSED + r")\n", re.MULTILINE | re.IGNORECASE)
_STATUS_OR_TRANSP = re.compile(r"^(STATUS|TRANSP)[;:]", re.MULTILINE | re.IGNORECASE)
_SEQUENCE = re.compile(r"^SEQUENCE[;:]", re.MULTILINE | re.IGNORECASE)
_PLAIN_SEQUENCE = re.compile(r"^SEQUENCE:[0-9]+[ \t]*\n", re.MULTILINE | re.IGNORECASE)
_BEGIN_LINE = re.compile(r"^BEGIN:", re.MULTILINE | re.IGNORECASE)
_LEAN_MAX = 64 * 1024


def _lean(block: str, alone: bool = False) -> str:
    """A top-level VEVENT's text without the property lines nobody reads (ATTENDEE,
    LOCATION, DTSTAMP, …). Events with subcomponents (alarms) are left whole, and so are
    huge ones (a 50 MB description): the savings are in the many small events.

    ``alone``: no other kept component shares its UID. recurring-ical-events reads SEQUENCE
    only to choose between components of one UID, so a single well-formed one goes too
    (two, or one it can't read, make it fail the series: those stay, as it would fail)."""
    if len(block) > _LEAN_MAX or _BEGIN_LINE.search(block, 1):
        return block
    if block[:13].upper() != "BEGIN:VEVENT\n":
        return block  # 'BEGIN:VEVENT ' is another component to icalendar: a strict one
    names = [name.upper() for name in _STATUS_OR_TRANSP.findall(block)]
    if len(names) != len(set(names)):
        lean = _UNUSED_ONLY.sub("", block)
    else:
        lean = _UNUSED_LINE.sub("", block)
    if alone and len(_SEQUENCE.findall(lean)) == 1:
        lean = _PLAIN_SEQUENCE.sub("", lean)
    return lean


def _keep_single(comp: _Comp, lo: datetime, hi: datetime, utc_moves: bool) -> bool:
    """``_decide_group([comp], …)[0]``, with a shortcut for a plain one-off event."""
    if comp.unreadable or comp.rid is not None or comp.rrules or comp.rdates:
        return _decide_group([comp], lo, hi, utc_moves)[0]
    try:
        return _overlaps(comp.span(), lo, hi)
    except (_Unreadable, OverflowError):
        return True
