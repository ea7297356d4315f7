"""The prefilter's first pass, over text as read: CRLF line ends and folds still in.

``prefilter_raw`` gives what ``prefilter(unfold(raw), …)`` gives, but most of a big
calendar is dropped before anything is unfolded: one regular expression finds the lines
that matter (ASCII names; a line a fold follows, or any other spelling, is re-read the
careful way), and a one-off event whose DTSTART/DTEND are plain dates years away is
dropped by comparing the dates' digits, with no ``datetime`` made. Everything else is
read by the careful functions (``_read_property``, ``_keep_single``, ``_decide_group``)
from the same values. The kept text is then unfolded and given to ``prefilter``, which
decides the same again (its decisions are stable under dropping what it drops) and makes
the kept events lean.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from .prefilter import (
    _LINES,
    _NAMES,
    MARGIN,
    Prefiltered,
    _Comp,
    _decide_group,
    _keep_single,
    _read_property,
    _split,
    _Unreadable,
    prefilter,
    unfold,
)

__all__ = ["prefilter_raw"]

_EOL = r"(?=\r?\n(?![ \t])|\Z)"  # at a line end that no fold follows
_NF = r"(?!\r?\n[ \t])"  # after a value read up to its line end: no fold follows
# a DATE or DATE-TIME that ``_dt`` reads without fail (no 29 February, no leap second),
# in years where adding a day can't overflow
_DATE = (
    r"(?:19|2[01])[0-9]{2}(?:(?:0[1-9]|1[0-2])(?:0[1-9]|1[0-9]|2[0-8])"
    r"|(?:0[13-9]|1[0-2])(?:29|30)|(?:0[13578]|1[02])31)"
)
_PLAIN = _DATE + r"(?:T(?:[01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]Z?)?"
_PARAMS = r"(;[^:\"\r\n]*)?"
# No re.IGNORECASE (it makes every character cost more): spellings are spelled out. What
# re.IGNORECASE matches for an ASCII letter, beyond its two cases:
_MORE_CASES = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}
_LETTER = "[A-Za-z" + "".join(_MORE_CASES.values()) + "-]"  # re.I's [A-Z-]


def _spelled(word: str, *, ascii_only: bool = False) -> str:
    """A pattern for ``word`` in any case: as re.IGNORECASE matches it (``_LINES``
    does), or in ASCII letters only."""
    out = []
    for ch in word:
        more = "" if ascii_only else _MORE_CASES.get(ch.lower(), "")
        out.append(f"[{ch.upper()}{ch.lower()}{more}]" if ch.isalpha() else re.escape(ch))
    return "".join(out)


_NAMES_ANY_CASE = "(?:" + "|".join(
    _spelled(n) for n in ("BEGIN", "END", *_NAMES[3:-1].split("|"))) + ")"
_BEGIN_VEVENT = _spelled("BEGIN:VEVENT", ascii_only=True) + r"[ \t]*" + _EOL
_END_VEVENT = _spelled("END:VEVENT", ascii_only=True) + r"[ \t]*" + _EOL
# Groups 1-3: a whole VEVENT whose only property lines ``_scan`` reads are one UID (1),
# DTSTART (2) and DTEND (3) with plain values: one match instead of five. Its other lines
# start with none of B, E, U, D, R, X, or with one but name nothing ``_LINES`` matches,
# not even once a fold is undone (an empty line or a name's first letters, then a fold).
_PLAIN_EVENT = (
    _BEGIN_VEVENT + r"(?:\r?\n(?:"
    r"(?![BEUDRXbeudrx]|\r?\n[ \t])[^\r\n]*"
    r"|(?(1)(?!)|" + _spelled("UID", ascii_only=True) + r"(?:;[^:\"\r\n]*)?:([^\r\n]*)"
    + _NF + ")"
    r"|(?(2)(?!)|" + _spelled("DTSTART", ascii_only=True) + r"(?:;[^:\"\r\n]*)?:("
    + _PLAIN + ")" + _EOL + ")"
    r"|(?(3)(?!)|" + _spelled("DTEND", ascii_only=True) + r"(?:;[^:\"\r\n]*)?:("
    + _PLAIN + ")" + _EOL + ")"
    r"|(?!" + _NAMES_ANY_CASE + r"[;:]|[BEUDRXbeudrx]" + _LETTER + r"{0,12}+\r?\n[ \t])"
    r"[BEUDRXbeudrx][^\r\n]*"
    r"))*+\r?\n" + _END_VEVENT + r"\r?"  # up to the \n: ``last`` is one on
)
# Else one line at a time. Groups: 4 BEGIN's kind, 5 END's kind, 6 UID's value, 7/8/9
# DTSTART's params and plain or other value, 10/11/12 the same for DTEND, 13/14/15 name,
# params and value of the other names in capitals, 16 any other line the careful reading
# may see: other spellings (re.I lets 'ı' stand for 'i'), lines a fold follows, the first
# letters of a name a fold splits.
_RAW_LINE = re.compile(
    r"\n(?=[BEUDRXbeudrx]|\r?\n[ \t])(?:" + _PLAIN_EVENT
    + "|" + _spelled("BEGIN:", ascii_only=True) + r"([A-Za-z0-9-]+)[ \t]*" + _EOL
    + "|" + _spelled("END:", ascii_only=True) + r"([A-Za-z0-9-]+)[ \t]*" + _EOL
    + "|" + _spelled("UID", ascii_only=True) + r"(?:;[^:\"\r\n]*)?:([^\r\n]*)" + _NF
    + "|" + _spelled("DTSTART", ascii_only=True) + _PARAMS + ":(?:(" + _PLAIN + ")" + _EOL
    + r"|([^\r\n]*)" + _NF + ")"
    + "|" + _spelled("DTEND", ascii_only=True) + _PARAMS + ":(?:(" + _PLAIN + ")" + _EOL
    + r"|([^\r\n]*)" + _NF + ")"
    + r"|(DURATION|RECURRENCE-ID|RRULE|RDATE)" + _PARAMS + ":([^\r\n]*)" + _NF
    + "|(" + _NAMES_ANY_CASE + r"[^\r\n]*"
    + r"|[BEUDRXbeudrx]" + _LETTER + r"{0,12}+(?=\r?\n[ \t])|(?=\r?\n[ \t])))"
)
_EVENT, _BEGIN, _END, _OTHER = 3, 4, 5, 16
#: lastindex -> name (or its group), params' group, value's group
_TRIPLE: dict[int, tuple[str | int, int, int]] = {
    6: ("UID", 0, 6), 8: ("DTSTART", 7, 8), 9: ("DTSTART", 7, 9),
    11: ("DTEND", 10, 11), 12: ("DTEND", 10, 12), 15: (13, 14, 15)}
#: the fast pass reads a text that starts the usual way; else the careful one does
_FIRST = re.compile(r"BEGIN:VCALENDAR[ \t]*\r?\n(?![ \t])")

_Prop = re.Match[str] | tuple[str, str, str]
#: a plain one-off event as matched: (first, last, UID, DTSTART, DTEND or None)
_Plain = tuple[int, int, str, str, str | None]


class _Unsure(Exception):
    """The fast pass can't vouch for this text: the careful path reads it."""


def prefilter_raw(raw: str, start: datetime, end: datetime) -> Prefiltered | None:
    """``prefilter(unfold(raw), start, end)``, for ``raw`` from ``decode_lazily``."""
    try:
        scanned = _scan_raw(raw)
    except _Unsure:
        scanned = None
    if scanned is None:  # odd structure or an odd start: the careful path decides
        return prefilter(unfold(raw), start, end)
    plains, comps, utc_moves = scanned
    lo = start.astimezone(UTC).replace(tzinfo=None) - MARGIN
    hi = end.astimezone(UTC).replace(tzinfo=None) + MARGIN
    cuts = _drop_spans(plains, comps, lo, hi, utc_moves)
    reduced = prefilter(unfold(_cut(raw, cuts)), start, end)
    if reduced is None:
        return None
    return replace(reduced, dropped=reduced.dropped + len(cuts))


class _Scan:
    """What ``_scan_raw`` has seen so far."""

    __slots__ = ("calendars", "comps", "depth", "first", "plains", "props", "utc_moves")

    def __init__(self) -> None:
        self.depth = 1  # inside the VCALENDAR of the first line
        self.calendars = 1
        self.plains: list[_Plain] = []
        self.comps: list[_Comp] = []
        self.props: list[_Prop] | None = None  # the current top-level VEVENT's lines
        self.first = -1
        self.utc_moves = False

    def edge(self, begin: bool, kind: str, start: int, last: int) -> bool:
        """A BEGIN/END line as ``_scan`` takes it; False for a structure it gives up on."""
        if begin:
            self.depth += 1
            if self.depth == 1:
                self.calendars += 1
                return kind == "VCALENDAR" and self.calendars == 1
            if self.depth == 2 and kind == "VEVENT":
                self.props, self.first = [], start
            return True
        self.depth -= 1
        if self.depth < 0:
            return False
        if self.depth == 1 and self.props is not None:
            self.comps.append(_comp(self.first, last, self.props))
            self.props = None
        return True

    def careful_line(self, text: str, m: re.Match[str]) -> bool:
        """A line that ``_LINES`` reads after unfolding; False as ``edge``."""
        line, line_end = _logical_line(text, m.start() + 1)
        cm = _LINES.match(line)
        if cm is None:
            return True
        edge, kind, name, params, value = cm.groups()
        if edge is not None:
            last = _past_line_end(text, line_end)
            return self.edge(edge.upper() == "BEGIN", kind.upper(), m.start() + 1, last)
        if self.props is not None and self.depth == 2:
            self.props.append(_careful_triple(cm, name, params, value))
        elif self.depth == 1 and line[:13].upper() == "X-WR-TIMEZONE":
            self.utc_moves = True
        return True

    def plain_event(self, m: re.Match[str]) -> bool:
        """A whole VEVENT matched at once, not a top-level one with UID and DTSTART (the
        scan's loop takes those); False as ``edge``."""
        if self.depth != 1:  # not a top-level one: ``_scan`` passes over it
            return self.depth != 0
        triples = [(name, "", value) for name, value
                   in zip(("UID", "DTSTART", "DTEND"), m.group(1, 2, 3), strict=True)
                   if value is not None]  # nothing that can't be read, all once
        self.comps.append(_comp(m.start() + 1, m.end() + 1, triples))
        return True


def _scan_raw(text: str) -> tuple[list[_Plain], list[_Comp], bool] | None:
    """The top-level VEVENTs (spans with their line end): plain one-offs as matched, the
    others read as ``_scan`` reads them; whether x-wr-timezone moves UTC times; None for
    the structures ``_scan`` gives up on."""
    if not _FIRST.match(text):
        raise _Unsure("starts oddly")
    scan = _Scan()
    plains = scan.plains.append
    for m in _RAW_LINE.finditer(text):
        i = m.lastindex
        if i is None or i <= _EVENT:  # most of the text: as little work as can be
            uid, start, end = m.group(1, 2, 3)
            if scan.depth == 1 and uid is not None and start is not None:
                plains((m.start() + 1, m.end() + 1, uid.strip(), start, end))
                continue
            ok = scan.plain_event(m)
        elif i == _BEGIN:
            ok = scan.edge(True, m.group(_BEGIN).upper(), m.start() + 1, -1)
        elif i == _END:
            ok = scan.edge(False, m.group(_END).upper(), -1, _past_line_end(text, m.end()))
        elif i == _OTHER:
            ok = scan.careful_line(text, m)
        else:
            if scan.props is not None and scan.depth == 2:
                scan.props.append(m)
            continue
        if not ok:
            return None
    if scan.depth != 0 or scan.calendars != 1:
        return None
    return scan.plains, scan.comps, scan.utc_moves


def _logical_line(text: str, start: int) -> tuple[str, int]:
    """The unfolded line that starts at ``start``, and where its content ends in ``text``."""
    end = text.find("\n", start)
    while end != -1 and text[end + 1 : end + 2] in (" ", "\t"):
        end = text.find("\n", end + 1)
    if end == -1:
        end = len(text)
    if end > start and text[end - 1] == "\r":
        end -= 1
    return unfold(text[start:end]), end


def _past_line_end(text: str, pos: int) -> int:
    """``pos`` (the end of a line's content) moved past the line end, as ``_rewrite``
    cuts a dropped component with the newline after it."""
    if text.startswith("\r\n", pos):
        return pos + 2
    return pos + 1 if text.startswith("\n", pos) else pos


def _careful_triple(cm: re.Match[str], name: str | None, params: str | None,
                    value: str | None) -> tuple[str, str, str]:
    """(name, params, value) as ``_scan`` reads a line ``_LINES`` matched."""
    if name is None:
        return _split(cm.group(0))
    return name.upper(), (params or "").upper(), value.strip() if value else ""


def _triple(prop: _Prop) -> tuple[str, str, str]:
    """(name, params, value) of a property line, as ``_scan`` reads it."""
    if isinstance(prop, tuple):
        return prop
    name, params_group, value_group = _TRIPLE[prop.lastindex or 0]
    params = prop.group(params_group) if params_group else None
    return (name if isinstance(name, str) else prop.group(name),
            params[1:].upper() if params else "", prop.group(value_group).strip())


def _comp(first: int, last: int, props: list[_Prop]) -> _Comp:
    """The ``_Comp`` that ``_scan`` makes of these property lines: it stops reading at
    the first one it can't read."""
    comp = _Comp(first=first, last=last)
    for prop in props:
        try:
            _read_property(comp, *_triple(prop))
        except (_Unreadable, ValueError, IndexError, OverflowError):
            comp.unreadable = True
            break
    return comp


def _plain_comp(plain: _Plain) -> _Comp:
    first, last, uid, start, end = plain
    triples = [("UID", "", uid), ("DTSTART", "", start)]
    return _comp(first, last, [*triples, ("DTEND", "", end)] if end is not None else triples)


def _far(start: str, end: str | None, bounds: tuple[str, str, str]) -> bool:
    """Whether a plain one-off event certainly can't reach [lo, hi], by its values as
    strings (a plain value's YYYYMMDD sorts as the dates do) against ``bounds``: lo - 1
    day and lo as YYYYMMDD, hi as YYYYMMDD~ (after any value of that day). Only sure
    answers are True; the careful reading decides the rest."""
    before_lo, lo, hi = bounds
    if end is None:  # it lasts a day (DATE) or nothing: over by the next midnight
        return start > hi or start < before_lo
    # ... and it must not end before it starts (unreadable: kept); as strings, a DATE
    # sorts before the DATE-TIMEs of its day, 'Z' after the time it follows
    return (start > hi or end < lo) and start <= end


def _ymd(d: datetime) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def _drop_spans(plains: list[_Plain], comps: list[_Comp], lo: datetime, hi: datetime,
                utc_moves: bool) -> list[tuple[int, int]]:
    """The spans of the events ``_decide`` would drop, in text order."""
    bounds = (_ymd(lo - timedelta(days=1)), _ymd(lo), _ymd(hi) + "~")
    uids = [p[2] for p in plains]
    uids.extend(c.uid for c in comps if c.uid is not None)
    shared = set() if len(set(uids)) == len(uids) else _repeated(uids)
    cuts: list[tuple[int, int]] = []
    groups: dict[str, list[_Comp]] = {}
    for plain in plains:
        first, last, uid, start, end = plain
        if shared and uid in shared:
            groups.setdefault(uid, []).append(_plain_comp(plain))
        elif _far(start, end, bounds) or not _keep_single(
            _plain_comp(plain), lo, hi, utc_moves
        ):
            cuts.append((first, last))
    for comp in comps:
        if comp.uid is not None and comp.uid in shared:
            groups.setdefault(comp.uid, []).append(comp)
        elif not _keep_single(comp, lo, hi, utc_moves):
            cuts.append((comp.first, comp.last))
    for members in groups.values():
        keep = _decide_group(members, lo, hi, utc_moves)
        cuts.extend((c.first, c.last) for c, k in zip(members, keep, strict=True) if not k)
    cuts.sort()
    return cuts


def _repeated(uids: list[str]) -> set[str]:
    seen: set[str] = set()
    repeated: set[str] = set()
    for uid in uids:
        (repeated if uid in seen else seen).add(uid)
    return repeated


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` without ``spans`` (sorted, not overlapping)."""
    out: list[str] = []
    pos = 0
    for first, last in spans:
        if first > pos:
            out.append(text[pos:first])
        pos = last
    out.append(text[pos:])
    return "".join(out)
