"""The prefilter's first pass, over a file's bytes as read: CRLF line ends and folds still
in, nothing decoded.

``prefilter_raw(raw, …)`` gives what ``prefilter(decode(raw)[0], …)`` gives, for bytes
``decode_lazily`` passed (UTF-8, LF or CRLF line ends), but most of a big calendar is
dropped before anything is unfolded or decoded. One regular expression finds the lines
that matter (ASCII spellings; a line a fold follows, or any other spelling, is unfolded,
decoded and read the careful way) and matches a plain one-off VEVENT whole; such an event
whose DTSTART/DTEND are years away is dropped by comparing the values' digits, with no
``datetime`` made. Every other event is read by the careful functions (``_read_property``,
``_keep_single``, ``_decide_group``) from the same values. The kept bytes are then
decoded and given to ``prefilter``, which decides the same again (its decisions are
stable under dropping what it drops) and makes the kept events lean.
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
    decode,
    prefilter,
)

__all__ = ["prefilter_raw"]

_EOL = rb"(?=\r?\n(?![ \t])|\Z)"  # at a line end that no fold follows
_NF = rb"(?!\r?\n[ \t])"  # after a value read (possessively) to its line end: no fold
# a DATE or DATE-TIME that ``_dt`` reads without fail (no 29 February, no leap second),
# in years where adding a day can't overflow
_DATE = (
    rb"(?:19|2[01])[0-9]{2}(?:(?:0[1-9]|1[0-2])(?:0[1-9]|1[0-9]|2[0-8])"
    rb"|(?:0[13-9]|1[0-2])(?:29|30)|(?:0[13578]|1[02])31)"
)
_PLAIN = _DATE + rb"(?:T(?:[01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]Z?)?"
_PARAMS = rb"(;[^:\"\r\n]*)?"
# What re.IGNORECASE matches for an ASCII letter (``_LINES`` is read that way), beyond
# its two cases, in UTF-8: İ ı, the Kelvin sign, ſ
_MORE_CASES = {"i": [b"\xc4\xb0", b"\xc4\xb1"], "k": [b"\xe2\x84\xaa"], "s": [b"\xc5\xbf"]}
_LETTER = b"(?:[A-Za-z-]|" + b"|".join(b for more in _MORE_CASES.values() for b in more) + b")"


def _spelled(word: str, *, ascii_only: bool = False) -> bytes:
    """A pattern for ``word`` in any case: as re.IGNORECASE matches it in a str, or in
    ASCII letters only."""
    out = []
    for ch in word:
        if not ch.isalpha():
            out.append(re.escape(ch.encode()))
            continue
        cases = f"[{ch.upper()}{ch.lower()}]".encode()
        more = [] if ascii_only else _MORE_CASES.get(ch.lower(), [])
        out.append(b"(?:" + b"|".join([cases, *more]) + b")" if more else cases)
    return b"".join(out)


def _any_of(words: list[str]) -> bytes:
    """``(?:w1|w2|…)`` spelled as re.IGNORECASE matches them, as a tree of common
    beginnings (each letter is then tried once: most lines start with a name's letter)."""
    if "" in words:
        rest = [w for w in words if w]
        return b"(?:" + _any_of(rest) + b")?" if rest else b""
    by_first: dict[str, list[str]] = {}
    for word in words:
        by_first.setdefault(word[0].upper(), []).append(word[1:])
    branches = [_spelled(first) + _any_of(rest) for first, rest in by_first.items()]
    return branches[0] if len(branches) == 1 else b"(?:" + b"|".join(branches) + b")"


_NAMES_ANY_CASE = _any_of(["BEGIN", "END", *_NAMES[3:-1].split("|")])
_BEGIN_VEVENT = _spelled("BEGIN:VEVENT", ascii_only=True) + rb"[ \t]*" + _EOL
_END_VEVENT = _spelled("END:VEVENT", ascii_only=True) + rb"[ \t]*" + _EOL
# Groups 1-3: a whole VEVENT whose only property lines ``_scan`` reads are one UID (1),
# DTSTART (2) and DTEND (3) with plain values: one match instead of five. Its other lines
# start with none of B, E, U, D, R, X, or with one but name nothing ``_LINES`` matches,
# not even once a fold is undone (an empty line or a name's first letters, then a fold).
_PLAIN_EVENT = (
    _BEGIN_VEVENT + rb"(?:\r?\n(?:"
    rb"(?![BEUDRXbeudrx]|\r?\n[ \t])[^\r\n]*+"
    # (a UID that starts and ends with a printable ASCII character: nothing to strip)
    rb"|(?(1)(?!)|" + _spelled("UID", ascii_only=True) + rb"(?:;[^:\"\r\n]*)?:"
    rb"(?=[!-~])([^\r\n]*+)(?<=[!-~])" + _NF + b")"
    rb"|(?(2)(?!)|" + _spelled("DTSTART", ascii_only=True) + rb"(?:;[^:\"\r\n]*)?:("
    + _PLAIN + b")" + _EOL + b")"
    rb"|(?(3)(?!)|" + _spelled("DTEND", ascii_only=True) + rb"(?:;[^:\"\r\n]*)?:("
    + _PLAIN + b")" + _EOL + b")"
    rb"|(?!" + _NAMES_ANY_CASE + rb"[;:]|[BEUDRXbeudrx]" + _LETTER + rb"{0,12}+\r?\n[ \t])"
    rb"[BEUDRXbeudrx][^\r\n]*+"
    rb"))*+\r?\n" + _END_VEVENT + rb"\r?"  # up to the \n: ``last`` is one on
)
# Else one line at a time. Groups: 4 BEGIN's kind, 5 END's kind, 6 UID's value, 7/8/9
# DTSTART's params and plain or other value, 10/11/12 the same for DTEND, 13/14/15 name,
# params and value of the other names in capitals, 16 any other line the careful reading
# may see: other spellings, lines a fold follows, the first letters of a name a fold
# splits.
_RAW_LINE = re.compile(
    rb"\n(?=[BEUDRXbeudrx]|\r?\n[ \t])(?:" + _PLAIN_EVENT
    + b"|" + _spelled("BEGIN:", ascii_only=True) + rb"([A-Za-z0-9-]+)[ \t]*" + _EOL
    + b"|" + _spelled("END:", ascii_only=True) + rb"([A-Za-z0-9-]+)[ \t]*" + _EOL
    + b"|" + _spelled("UID", ascii_only=True) + rb"(?:;[^:\"\r\n]*)?:([^\r\n]*+)" + _NF
    + b"|" + _spelled("DTSTART", ascii_only=True) + _PARAMS + b":(?:(" + _PLAIN + b")"
    + _EOL + rb"|([^\r\n]*+)" + _NF + b")"
    + b"|" + _spelled("DTEND", ascii_only=True) + _PARAMS + b":(?:(" + _PLAIN + b")"
    + _EOL + rb"|([^\r\n]*+)" + _NF + b")"
    + rb"|(DURATION|RECURRENCE-ID|RRULE|RDATE)" + _PARAMS + rb":([^\r\n]*+)" + _NF
    + b"|(" + _NAMES_ANY_CASE + rb"[^\r\n]*"
    + rb"|[BEUDRXbeudrx]" + _LETTER + rb"{0,12}+(?=\r?\n[ \t])|(?=\r?\n[ \t])))"
)
_EVENT, _BEGIN, _END, _OTHER = 3, 4, 5, 16
#: lastindex -> name (or its group), params' group, value's group
_TRIPLE: dict[int, tuple[str | int, int, int]] = {
    6: ("UID", 0, 6), 8: ("DTSTART", 7, 8), 9: ("DTSTART", 7, 9),
    11: ("DTEND", 10, 11), 12: ("DTEND", 10, 12), 15: (13, 14, 15)}
#: the fast pass reads a file that starts the usual way; else the careful one does
_FIRST = re.compile(rb"BEGIN:VCALENDAR[ \t]*\r?\n(?![ \t])")

_Prop = re.Match[bytes] | tuple[str, str, str]
#: a plain one-off event as matched: (first, last, UID, DTSTART, DTEND or None); its UID
#: is what ``_scan`` reads, encoded
_Plain = tuple[int, int, bytes, bytes, bytes | None]


class _Unsure(Exception):
    """The fast pass can't vouch for this file: the careful path reads it."""


def prefilter_raw(
    raw: bytes, start: datetime, end: datetime, *, direct: bool = False
) -> Prefiltered | None:
    """``prefilter(decode(raw)[0], start, end, direct=direct)``, for bytes from
    ``decode_lazily``."""
    try:
        scanned = _scan_raw(raw)
    except _Unsure:
        scanned = None
    if scanned is None:  # odd structure or an odd start: the careful path decides
        return prefilter(decode(raw)[0], start, end, direct=direct)
    plains, comps, utc_moves = scanned
    lo = start.astimezone(UTC).replace(tzinfo=None) - MARGIN
    hi = end.astimezone(UTC).replace(tzinfo=None) + MARGIN
    cuts = _drop_spans(plains, comps, lo, hi, utc_moves)
    reduced = prefilter(decode(_cut(raw, cuts))[0], start, end, direct=direct)
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

    def careful_line(self, raw: bytes, m: re.Match[bytes]) -> bool:
        """A line that ``_LINES`` reads once unfolded and decoded; False as ``edge``."""
        line, line_end = _logical_line(raw, m.start() + 1)
        cm = _LINES.match(line)
        if cm is None:
            return True
        edge, kind, name, params, value = cm.groups()
        if edge is not None:
            last = _past_line_end(raw, line_end)
            return self.edge(edge.upper() == "BEGIN", kind.upper(), m.start() + 1, last)
        if self.props is not None and self.depth == 2:
            self.props.append(_careful_triple(cm, name, params, value))
        elif self.depth == 1 and line[:13].upper() == "X-WR-TIMEZONE":
            self.utc_moves = True
        return True

    def plain_event(self, m: re.Match[bytes]) -> bool:
        """A whole VEVENT matched at once, not a top-level one with UID and DTSTART (the
        scan's loop takes those); False as ``edge``."""
        if self.depth != 1:  # not a top-level one: ``_scan`` passes over it
            return self.depth != 0
        triples = [(name, "", value.decode().strip()) for name, value
                   in zip(("UID", "DTSTART", "DTEND"), m.group(1, 2, 3), strict=True)
                   if value is not None]  # nothing that can't be read, all once
        self.comps.append(_comp(m.start() + 1, m.end() + 1, triples))
        return True


def _scan_raw(raw: bytes) -> tuple[list[_Plain], list[_Comp], bool] | None:
    """The top-level VEVENTs (spans with their line end): plain one-offs as matched, the
    others read as ``_scan`` reads them; whether x-wr-timezone moves UTC times; None for
    the structures ``_scan`` gives up on."""
    if not _FIRST.match(raw):
        raise _Unsure("starts oddly")
    scan = _Scan()
    plains = scan.plains.append
    for m in _RAW_LINE.finditer(raw):
        i = m.lastindex
        if i is None or i <= _EVENT:  # most of the file: as little work as can be
            uid, start, end = m.group(1, 2, 3)
            if scan.depth == 1 and uid is not None and start is not None:
                plains((m.start() + 1, m.end() + 1, uid, start, end))
                continue
            ok = scan.plain_event(m)
        elif i == _BEGIN:
            ok = scan.edge(True, m.group(_BEGIN).decode().upper(), m.start() + 1, -1)
        elif i == _END:
            last = _past_line_end(raw, m.end())
            ok = scan.edge(False, m.group(_END).decode().upper(), -1, last)
        elif i == _OTHER:
            ok = scan.careful_line(raw, m)
        else:
            if scan.props is not None and scan.depth == 2:
                scan.props.append(m)
            continue
        if not ok:
            return None
    if scan.depth != 0 or scan.calendars != 1:
        return None
    return scan.plains, scan.comps, scan.utc_moves


def _logical_line(raw: bytes, start: int) -> tuple[str, int]:
    """The line that starts at ``start``, unfolded and decoded, and where its content
    ends in ``raw``."""
    end = raw.find(b"\n", start)
    while end != -1 and raw[end + 1 : end + 2] in (b" ", b"\t"):
        end = raw.find(b"\n", end + 1)
    if end == -1:
        end = len(raw)
    if end > start and raw[end - 1] == 13:  # \r
        end -= 1
    return raw[start:end].replace(b"\r\n", b"\n").replace(b"\n ", b"").replace(
        b"\n\t", b"").decode(), end


def _past_line_end(raw: bytes, pos: int) -> int:
    """``pos`` (the end of a line's content) moved past the line end, as ``_rewrite``
    cuts a dropped component with the newline after it."""
    if raw.startswith(b"\r\n", pos):
        return pos + 2
    return pos + 1 if raw.startswith(b"\n", pos) else pos


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
    return (name if isinstance(name, str) else prop.group(name).decode(),
            params[1:].decode().upper() if params else "",
            prop.group(value_group).decode().strip())


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
    triples = [("UID", "", uid.decode()), ("DTSTART", "", start.decode())]
    if end is not None:
        triples.append(("DTEND", "", end.decode()))
    return _comp(first, last, triples)  # type: ignore[arg-type]


def _far(start: bytes, end: bytes | None, bounds: tuple[bytes, bytes, bytes]) -> bool:
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


def _ymd(d: datetime) -> bytes:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}".encode()


def _drop_spans(plains: list[_Plain], comps: list[_Comp], lo: datetime, hi: datetime,
                utc_moves: bool) -> list[tuple[int, int]]:
    """The spans of the events ``_decide`` would drop, in text order."""
    bounds = (_ymd(lo - timedelta(days=1)), _ymd(lo), _ymd(hi) + b"~")
    uids = [p[2] for p in plains]  # UIDs as UTF-8: equal bytes, equal strs
    uids.extend(c.uid.encode() for c in comps if c.uid is not None)
    shared = set() if len(set(uids)) == len(uids) else _repeated(uids)
    cuts: list[tuple[int, int]] = []
    groups: dict[bytes, list[_Comp]] = {}
    for plain in plains:
        if shared and plain[2] in shared:
            groups.setdefault(plain[2], []).append(_plain_comp(plain))
        elif _far(plain[3], plain[4], bounds) or not _keep_single(
            _plain_comp(plain), lo, hi, utc_moves
        ):
            cuts.append((plain[0], plain[1]))
    for comp in comps:
        if comp.uid is not None and shared and comp.uid.encode() in shared:
            groups.setdefault(comp.uid.encode(), []).append(comp)
        elif not _keep_single(comp, lo, hi, utc_moves):
            cuts.append((comp.first, comp.last))
    for members in groups.values():
        keep = _decide_group(members, lo, hi, utc_moves)
        cuts.extend((c.first, c.last) for c, k in zip(members, keep, strict=True) if not k)
    cuts.sort()
    return cuts


def _repeated(uids: list[bytes]) -> set[bytes]:
    seen: set[bytes] = set()
    repeated: set[bytes] = set()
    for uid in uids:
        (repeated if uid in seen else seen).add(uid)
    return repeated


def _cut(raw: bytes, spans: list[tuple[int, int]]) -> bytes:
    """``raw`` without ``spans`` (sorted, not overlapping)."""
    out: list[bytes] = []
    pos = 0
    for first, last in spans:
        if first > pos:
            out.append(raw[pos:first])
        pos = last
    out.append(raw[pos:])
    return b"".join(out)
