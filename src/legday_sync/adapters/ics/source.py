"""The .ics source: a local file or an http(s)/webcal URL, read into ``Event``s.

Pipeline: read bytes (file, or ``httpfetch`` with conditional GET and a last good
copy) -> event cache keyed on a validator (mtime+size, or the body's hash) ->
``rawscan.prefilter_raw`` over the bytes as read (drop what the window can't reach; the
usual UTF-8 file is never decoded whole), else ``decode`` (BOM, byte-level unfolding,
UTF-8 else Windows-1252) + ``prefilter`` -> plain one-off events read straight from the
kept text (``one_off``) -> icalendar for the rest -> x-wr-timezone ->
``series_jump`` (old series start near the window) -> recurring-ical-events, one series
at a time so that a bad series costs a warning and not the source -> ``Event``s in UTC,
sorted. Every fast step must give what ``use_prefilter=False`` (the whole file through
icalendar and recurring-ical-events) gives: docs/ics.md lists the tests that hold it to
that.

A source that can't be read raises ``SourceError``; it never yields "no events".
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import re
import warnings as warnings_module
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events
import x_wr_timezone

from ...core.model import ICS_MARKER, Event, Window
from ...core.ports import FetchResult
from ...errors import SourceError
from .fetch import HttpFetcher, redact_url
from .one_off import Direct, to_event
from .prefilter import decode, decode_lazily, prefilter
from .rawscan import prefilter_raw
from .series_jump import fast_forward

__all__ = ["MAX_OCCURRENCES_PER_SERIES", "EventCache", "IcsSource", "parse_ics"]

#: bump when parsing changes, so cached events from an older version aren't used
PARSER_VERSION = "2"
#: how much wider than asked a parse looks, so the next sync's window hits the cache
PARSE_BEFORE = timedelta(days=1)
PARSE_AFTER = timedelta(days=7)
#: a series with more occurrences than this inside one window is cut off (MINUTELY rules…)
MAX_OCCURRENCES_PER_SERIES = 10_000
#: a rule that would need more steps than this to reach the window's end is not expanded:
#: the cap above can't help there, as dateutil steps through every candidate from DTSTART
#: (an open-ended FREQ=SECONDLY from 1970 would take hours; INTERVAL=0 never ends)
MAX_RULE_STEPS = 250_000
_STEP_SECONDS = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86400,
                 "WEEKLY": 7 * 86400}

_NOT_ICS_FIX = "check that the source points at an iCalendar (.ics) file"


class EventCache(Protocol):
    """Parsed events by (source, validator); the state layer implements it."""

    def get(self, source: str, validator: str) -> tuple[Window, list[Event]] | None: ...

    def put(self, source: str, validator: str, window: Window, events: Sequence[Event]) -> None: ...


class IcsSource:
    """A ``Source`` reading one .ics file or URL."""

    def __init__(
        self,
        name: str,
        *,
        path: Path | None = None,
        url: str | None = None,
        default_tz: ZoneInfo,
        cache: EventCache | None = None,
        http_cache_dir: Path | None = None,
        readonly: bool = False,
        timeout: float = 30.0,
        max_bytes: int = 50 * 1024 * 1024,
        max_redirects: int = 5,
    ) -> None:
        if (path is None) == (url is None):
            raise ValueError("IcsSource needs exactly one of path= or url=")
        self.name = name
        self.path = Path(path) if path is not None else None
        self.default_tz = default_tz
        self.cache = cache
        self.readonly = readonly
        self.url: str | None = None
        self._http: HttpFetcher | None = None
        if url is not None:
            url = url.strip()
            low = url.lower()
            if low.startswith("webcals://"):
                url = "https://" + url[len("webcals://") :]
            elif low.startswith("webcal://"):
                url = "https://" + url[len("webcal://") :]
            if not url.lower().startswith(("http://", "https://")):
                raise ValueError(f"unsupported URL scheme: {redact_url(url)}")
            self.url = url
            self._http = HttpFetcher(
                name,
                url,
                cache_dir=http_cache_dir,
                readonly=readonly,
                timeout=timeout,
                max_bytes=max_bytes,
                max_redirects=max_redirects,
            )

    def __repr__(self) -> str:
        where = str(self.path) if self.path is not None else redact_url(self.url or "")
        return f"IcsSource({self.name!r}, {where})"

    # --- Source protocol ---------------------------------------------------------------

    def fetch(self, window: Window) -> FetchResult:
        window = _utc_window(window)
        if self._http is not None:
            return self._fetch_url(window)
        return self._fetch_path(window)

    def _fetch_path(self, window: Window) -> FetchResult:
        assert self.path is not None
        try:
            st = os.stat(self.path)
            validator = self._validator(f"file:{st.st_mtime_ns}:{st.st_size}")
            hit = self._from_cache(validator, window)
            if hit is not None:
                return FetchResult(events=hit)
            data = self.path.read_bytes()
        except FileNotFoundError:
            raise SourceError(
                self.name, f"file not found: {self.path}", fix="check the path in the config"
            ) from None
        except IsADirectoryError:
            raise SourceError(
                self.name, f"{self.path} is a folder, not an .ics file", fix=_NOT_ICS_FIX
            ) from None
        except OSError as exc:
            raise SourceError(
                self.name,
                f"could not read {self.path}: {exc.strerror or exc}",
                fix="check the file's permissions",
            ) from None
        events, warnings = self._parse_and_cache(data, validator, window)
        return FetchResult(events=events, warnings=tuple(warnings))

    def _fetch_url(self, window: Window) -> FetchResult:
        assert self._http is not None
        fetched = self._http.fetch()
        warnings = list(fetched.warnings)
        validator = self._validator(f"sha256:{fetched.sha256}")
        hit = self._from_cache(validator, window)
        if hit is not None:
            fetched.commit()
            return FetchResult(events=hit, warnings=tuple(warnings))
        try:
            events, more = self._parse_and_cache(fetched.body, validator, window)
        except SourceError as err:
            stored = fetched.stored
            if not fetched.fresh or stored is None:
                raise
            # the server sent something unreadable: fall back to the last good copy
            warnings.append(
                f"{redact_url(self._http.url)} returned an unreadable calendar "
                f"({err.message}); using the stale copy from {stored.fetched_at}"
            )
            validator = self._validator(f"sha256:{stored.sha256}")
            hit = self._from_cache(validator, window)
            if hit is not None:
                return FetchResult(events=hit, warnings=tuple(warnings))
            events, more = self._parse_and_cache(stored.body, validator, window)
        else:
            fetched.commit()
        return FetchResult(events=events, warnings=tuple(warnings + more))

    # --- cache -------------------------------------------------------------------------

    def _validator(self, base: str) -> str:
        # cached events depend on the default zone (floating times) and the parser
        return f"{base}|tz={self.default_tz.key}|v={PARSER_VERSION}"

    def _from_cache(self, validator: str, window: Window) -> tuple[Event, ...] | None:
        if self.cache is None:
            return None
        got = self.cache.get(self.name, validator)
        if got is None:
            return None
        cached_window, events = got
        if cached_window.start > window.start or cached_window.end < window.end:
            return None
        return tuple(e for e in events if _overlaps(e, window))

    def _parse_and_cache(
        self, data: bytes, validator: str, window: Window
    ) -> tuple[tuple[Event, ...], list[str]]:
        caching = self.cache is not None and not self.readonly
        # parse a little wider only when the result is cached for the next sync's window
        wide = Window(window.start - PARSE_BEFORE, window.end + PARSE_AFTER) if caching else window
        events, warnings = parse_ics(data, wide, source=self.name, default_tz=self.default_tz)
        if caching:
            assert self.cache is not None
            self.cache.put(self.name, validator, wide, events)
        return tuple(e for e in events if _overlaps(e, window)), warnings


# --- parsing -----------------------------------------------------------------------------

_BEGIN_CAL = re.compile(r"^BEGIN:VCALENDAR[ \t]*$", re.IGNORECASE | re.MULTILINE)
_END_CAL = re.compile(r"^END:VCALENDAR[ \t]*$", re.IGNORECASE | re.MULTILINE)
# the same lines (spelled in ASCII) in bytes as read: a CR before the line end, no fold
# after it; what they don't find there, the careful path looks for again
_BEGIN_CAL_RAW = re.compile(rb"^BEGIN:VCALENDAR[ \t]*\r?$(?!\n[ \t])", re.I | re.M)
_END_CAL_RAW = re.compile(rb"^END:VCALENDAR[ \t]*\r?$(?!\n[ \t])", re.I | re.M)


def parse_ics(
    data: bytes,
    window: Window,
    *,
    source: str,
    default_tz: ZoneInfo,
    use_prefilter: bool = True,
) -> tuple[list[Event], list[str]]:
    """The events of an .ics file overlapping ``window``, sorted, and warnings.

    Raises ``SourceError`` when ``data`` is not a calendar at all.
    ``use_prefilter=False`` parses everything and expands every series from its
    DTSTART (the reference the fast path is tested against).
    """
    window = _utc_window(window)
    if not data.strip():
        raise SourceError(source, "the calendar file is empty", fix=_NOT_ICS_FIX)
    # the usual file is read as it is (bytes: CRLF, folds), decoded only where kept
    raw = decode_lazily(data) if use_prefilter else None
    if raw is not None and (b"\x00" in raw or not (
            _BEGIN_CAL_RAW.search(raw) and _END_CAL_RAW.search(raw, max(0, len(raw) - 4096)))):
        raw = None  # the careful path says what is wrong (or finds it right after all)
    full, warnings = ("", []) if raw is not None else _decode_calendar(data, source)
    text, direct = full, None
    if use_prefilter:
        text, direct = _reduce(raw, full, window, direct=True)
    calendars, messages = _parse(text, source)
    if direct is not None and not _as_scanned(calendars, direct):
        # icalendar read the structure otherwise than the prefilter's scan (odd BEGIN
        # lines): the direct path can't be trusted; parse as without it
        text, direct = _reduce(raw, full, window, direct=False)
        calendars, messages = _parse(text, source)
    warnings.extend(messages)
    events: list[Event] = []
    for cal in calendars:  # just one when there are direct events (_as_scanned)
        expander = _Expander(source, default_tz, warnings, fast=use_prefilter, direct=direct)
        events.extend(expander.run(cal, window))
    events.sort(key=_sort_key)
    return events, warnings


def _reduce(raw: bytes | None, text: str, window: Window, *,
            direct: bool) -> tuple[str, Direct | None]:
    """The prefiltered text of ``raw`` (bytes as read) or else ``text`` (the whole text
    if the prefilter gives up), and the one-off events taken out of it."""
    try:
        reduced = (prefilter_raw(raw, window.start, window.end, direct=direct)
                   if raw is not None else prefilter(text, window.start, window.end,
                                                     direct=direct))
    except Exception:  # the fast path is an optimisation: never let it fail a source
        reduced = None
    if reduced is not None:
        return reduced.text, reduced.direct
    return (decode(raw)[0] if raw is not None else text), None


def _parse(text: str, source: str) -> tuple[list[icalendar.Calendar], list[str]]:
    """icalendar's VCALENDARs of ``text``, and its warnings."""
    try:
        with warnings_module.catch_warnings(record=True) as caught:
            warnings_module.simplefilter("always")
            calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except Exception as exc:  # icalendar raises ValueError and friends on garbage
        raise SourceError(
            source, f"not a valid iCalendar file: {_short(exc)}", fix=_NOT_ICS_FIX
        ) from None
    messages = list(dict.fromkeys(str(w.message) for w in caught))
    calendars = [c for c in calendars if getattr(c, "name", "") == "VCALENDAR"]
    if not calendars:
        raise SourceError(source, "no VCALENDAR in the file", fix=_NOT_ICS_FIX)
    return calendars, messages


def _as_scanned(calendars: list[icalendar.Calendar], direct: Direct) -> bool:
    """Whether icalendar found the VEVENTs the prefilter's scan left in the text."""
    if len(calendars) != 1:
        return False
    found = sum(1 for comp in calendars[0].walk() if comp.name == "VEVENT")
    return found == direct.kept - len(direct.one_offs)


def _decode_calendar(data: bytes, source: str) -> tuple[str, list[str]]:
    """``decode(data)``, raising ``SourceError`` when the text is not a calendar."""
    try:
        text, warnings = decode(data)
    except UnicodeError as exc:
        raise SourceError(source, f"could not decode the file: {exc}", fix=_NOT_ICS_FIX) from None
    if "\x00" in text:
        raise SourceError(source, "binary data, not an iCalendar file", fix=_NOT_ICS_FIX)
    if not _BEGIN_CAL.search(text):
        raise SourceError(source, "not an iCalendar file (no BEGIN:VCALENDAR)", fix=_NOT_ICS_FIX)
    # the end is almost always in the last bytes: look there before scanning megabytes
    if not (_END_CAL.search(text, max(0, len(text) - 4096)) or _END_CAL.search(text)):
        raise SourceError(
            source,
            "the calendar is truncated (no END:VCALENDAR)",
            fix="the file or download was cut short; try again or re-export it",
        )
    return text, warnings


class _Expander:
    def __init__(
        self, source: str, default_tz: ZoneInfo, warnings: list[str], *, fast: bool = True,
        direct: Direct | None = None,
    ) -> None:
        self.source = source
        self.fast = fast
        #: one-off events read straight from the text (not in the calendar icalendar made)
        self.direct = direct
        self.default_tz = default_tz
        self.warnings = warnings
        #: per component (by id; they all live as long as this expander's run)
        self._text_cache: dict[int, tuple[str, str, tuple[str, ...], str, bool, str] | None] = {}

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def run(self, cal: icalendar.Calendar, window: Window) -> list[Event]:
        calscale = str(cal.get("CALSCALE", "GREGORIAN")).upper()
        if calscale != "GREGORIAN":
            raise SourceError(
                self.source,
                f"the calendar uses CALSCALE:{calscale}; only Gregorian calendars are supported",
                fix="export the calendar with the Gregorian calendar scale",
            )
        order = self._ordinals(cal)
        self._clean(cal, window.end + timedelta(days=1))
        self._check_zone(cal, window, order)
        recurring = self._recurring_uids(cal)
        try:
            standard = x_wr_timezone.to_standard(cal)
        except Exception as exc:
            self.warn(f"ignored X-WR-TIMEZONE {str(cal.get('X-WR-TIMEZONE'))!r}: {_short(exc)}")
            standard = cal
        if self.fast:  # old series start near the window instead of at their DTSTART
            fast_forward(standard, window.start - timedelta(days=1))
        # floating times are read in the zone the span is given in (recurring-ical-events)
        start = (window.start - timedelta(days=1)).astimezone(self.default_tz)
        end = (window.end + timedelta(days=1)).astimezone(self.default_tz)
        events: list[Event] = []
        for series in self._series(standard):
            for occurrence in self._occurrences(series, start, end):
                try:
                    event = self._to_event(occurrence, recurring)
                except Exception as exc:
                    self.warn(f"skipped an occurrence of {_label(occurrence.comp)}: {_short(exc)}")
                    continue
                if event is not None and _overlaps(event, window):
                    events.append(event)
        return events + self._direct_events(cal, window)

    def _direct_events(self, cal: icalendar.Calendar, window: Window) -> list[Event]:
        if self.direct is None:
            return []
        # x-wr-timezone moves floating times into the calendar's zone; with a zone it
        # can't read it warns (above) and leaves them: then the direct path is not taken
        zone = self.direct.floating_zone
        events = []
        for one in self.direct.one_offs:
            event = to_event(one, self.source, self.default_tz, zone)
            if event is not None and _overlaps(event, window):
                events.append(event)
        return events

    # -- before expansion

    def _clean(self, cal: icalendar.Calendar, until: datetime) -> None:
        """Drop VEVENTs without DTSTART or with a rule too costly to expand up to ``until``,
        give UID-less ones a stable UID, flag unknown TZIDs."""
        local = str(cal.get("X-WR-TIMEZONE", "") or "") or self.default_tz.key
        for parent in cal.walk():
            kept = []
            for comp in parent.subcomponents:
                if comp.name != "VEVENT":
                    kept.append(comp)
                    continue
                if comp.get("DTSTART") is None:
                    self.warn(f"skipped event {_label(comp)}: it has no DTSTART")
                    continue
                if not _readable_time(comp.get("DTSTART")):
                    self.warn(f"skipped event {_label(comp)}: its DTSTART is unreadable")
                    continue
                problem = _rule_problem(comp, until)
                if problem:
                    self.warn(f"skipped event {_label(comp)}: {problem}")
                    continue
                if comp.get("UID") is None or not str(comp.get("UID")).strip():
                    uid = "legday-nouid-" + _component_hash(comp)
                    comp.pop("UID", None)
                    comp.add("UID", uid)
                    self.warn(f"event {_label(comp)} has no UID; using {uid}")
                self._check_tzids(comp, local)
                kept.append(comp)
            parent.subcomponents[:] = kept

    def _check_zone(self, cal: icalendar.Calendar, window: Window,
                    order: dict[int, int] | None = None) -> None:
        """Warn when the calendar lives in another zone than the config's: its day
        boundaries, training hours and suggestions would be read in the wrong one."""
        own = str(cal.get("X-WR-TIMEZONE", "") or "").strip()
        if not own:
            counts: dict[str, int] = {}
            # a sample is enough to tell the calendar's zone; a huge history costs nothing more
            for tzid in itertools.islice(self._start_tzids(cal, order), 500):
                if tzid:
                    counts[str(tzid)] = counts.get(str(tzid), 0) + 1
            own = max(counts, key=lambda k: counts[k]) if counts else ""
        if not own or own == self.default_tz.key:
            return
        try:
            theirs = ZoneInfo(own)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            return  # a Windows or made-up name: the per-event checks speak for it
        ours = self.default_tz
        if all(t.astimezone(theirs).utcoffset() == t.astimezone(ours).utcoffset()
               for t in (window.start, window.end)):
            return  # another name for the same clock (Europe/Paris vs Europe/Berlin)
        self.warn(f"the calendar's own time zone is {own}, but the config's timezone is "
                  f"{ours.key}: days, training hours and suggestions are in {ours.key}. If you "
                  f"live in {own}, set timezone = \"{own}\"")

    def _ordinals(self, cal: icalendar.Calendar) -> dict[int, int] | None:
        """With one-offs read directly: each top-level VEVENT's place among all kept ones
        (by id), so that the zone sample sees them in the file's order."""
        if self.direct is None:
            return None
        taken = {one.ordinal for one in self.direct.one_offs}
        places = [i for i in range(self.direct.kept) if i not in taken]
        comps = [c for c in cal.subcomponents if c.name == "VEVENT"]
        if len(comps) != len(places):
            return {}  # can't be (the prefilter counted them): an approximate order
        return {id(c): place for c, place in zip(comps, places, strict=True)}

    def _start_tzids(self, cal: icalendar.Calendar, order: dict[int, int] | None
                     ) -> Iterator[Any]:
        """The DTSTART TZIDs of the VEVENTs, in the file's order."""
        def tzid(comp: Any) -> Any:
            prop = comp.get("DTSTART")
            return prop.params.get("TZID") if hasattr(prop, "params") else None

        if order is None or self.direct is None:
            yield from (tzid(comp) for comp in cal.walk("VEVENT"))
            return
        last = self.direct.kept
        placed = [(order.get(id(c), last), tzid(c)) for c in cal.walk("VEVENT")]
        placed += [(one.ordinal, one.tzid) for one in self.direct.one_offs]
        placed.sort(key=lambda p: p[0])  # stable
        yield from (t for _, t in placed)

    def _check_tzids(self, comp: icalendar.cal.Component, local: str) -> None:
        for key in ("DTSTART", "DTEND", "RECURRENCE-ID"):
            prop = comp.get(key)
            if prop is None or isinstance(prop, list) or not _readable_time(prop):
                continue
            tzid = prop.params.get("TZID") if hasattr(prop, "params") else None
            value = prop.dt
            if tzid and isinstance(value, datetime) and value.tzinfo is None:
                self.warn(
                    f"event {_label(comp)} uses the unknown time zone {str(tzid)!r} "
                    f"(no VTIMEZONE for it); read its times in {local}"
                )
                return

    @staticmethod
    def _recurring_uids(cal: icalendar.Calendar) -> set[str]:
        return {
            str(comp.get("UID"))
            for comp in cal.walk("VEVENT")
            if "RRULE" in comp or "RDATE" in comp or "RECURRENCE-ID" in comp
        }

    # -- expansion

    def _series(self, cal: icalendar.Calendar) -> list[Any]:
        try:
            return list(recurring_ical_events.of(cal).series)
        except Exception:
            pass
        # some series breaks the whole query: build it UID by UID to find the culprit
        groups: dict[str, list[icalendar.cal.Component]] = {}
        for comp in cal.walk("VEVENT"):
            groups.setdefault(str(comp.get("UID")), []).append(comp)
        others = [c for c in cal.subcomponents if c.name != "VEVENT"]
        result: list[Any] = []
        for comps in groups.values():
            mini = icalendar.Calendar()
            mini.update(cal)
            mini.subcomponents = [*others, *comps]
            try:
                result.extend(recurring_ical_events.of(mini).series)
            except Exception as exc:
                self.warn(f"skipped the series {_label(comps[0])}: {_short(exc)}")
        return result

    def _occurrences(self, series: Any, start: datetime, end: datetime) -> list[_Occurrence]:
        found = []
        try:
            for n, occurrence in enumerate(series.between(start, end)):
                if n >= MAX_OCCURRENCES_PER_SERIES:
                    self.warn(
                        f"the series UID {series.uid} has more than "
                        f"{MAX_OCCURRENCES_PER_SERIES} occurrences in the window; "
                        "the rest are ignored"
                    )
                    break
                found.append(_Occurrence.of(occurrence))
        except Exception as exc:
            self.warn(f"skipped the series UID {series.uid}: {_short(exc)}")
            return []
        return found

    # -- after expansion

    def _to_utc(self, value: date | datetime) -> tuple[datetime, bool]:
        if isinstance(value, datetime):
            if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
                value = value.replace(tzinfo=self.default_tz)
            return value.astimezone(UTC), False
        if isinstance(value, date):
            return datetime.combine(value, time(0), tzinfo=self.default_tz).astimezone(UTC), True
        raise ValueError(f"not a date or time: {value!r}")

    def _to_event(self, occurrence: _Occurrence, recurring: set[str]) -> Event | None:
        texts = self._texts(occurrence.comp)
        if texts is None:
            return None
        uid, title, categories, description, transparent, url = texts
        start, all_day = self._to_utc(occurrence.start)
        end = max(self._to_utc(occurrence.end)[0], start)
        original: datetime | None = None
        if uid in recurring:
            original = self._to_utc(occurrence.recurrence_id)[0]
        return Event(
            source=self.source,
            uid=uid,
            start=start,
            end=end,
            title=title,
            original_start=original,
            all_day=all_day,
            categories=categories,
            description=description,
            transparent=transparent,
            url=url,
        )

    def _texts(self, comp: Any) -> tuple[str, str, tuple[str, ...], str, bool, str] | None:
        """What an event takes from its component (the same for all of a master's
        occurrences: read once); None for a cancelled one or the tool's own."""
        key = id(comp)
        if key in self._text_cache:
            return self._text_cache[key]
        texts = None
        cancelled = str(comp.get("STATUS", "")).strip().upper() == "CANCELLED"
        if ICS_MARKER not in comp and not cancelled:
            texts = (
                str(comp.get("UID")),
                _text(comp.get("SUMMARY")),
                _categories(comp.get("CATEGORIES")),
                _text(comp.get("DESCRIPTION")),
                _text(comp.get("TRANSP")).strip().upper() == "TRANSPARENT",
                _text(comp.get("URL")),
            )
        self._text_cache[key] = texts
        return texts


@dataclass(frozen=True, slots=True)
class _Occurrence:
    """One occurrence as recurring-ical-events' ``as_component(False)`` would give it,
    without copying the component: the properties come from ``comp`` (the master or
    the override it was made from), the times from the occurrence."""

    comp: Any
    start: date | datetime
    end: date | datetime
    #: the copy's RECURRENCE-ID: the override's own, else the occurrence's start
    recurrence_id: date | datetime

    @classmethod
    def of(cls, occurrence: Any) -> _Occurrence:
        comp = getattr(getattr(occurrence, "_adapter", None), "_component", None)
        if comp is None:  # a recurring-ical-events without these internals: copy
            copy = occurrence.as_component(False)
            return cls(copy, copy["DTSTART"].dt, copy["DTEND"].dt, copy["RECURRENCE-ID"].dt)
        rid = comp.get("RECURRENCE-ID")
        return cls(comp, occurrence.start, occurrence.end,
                   occurrence.start if rid is None else rid.dt)


# --- helpers -----------------------------------------------------------------------------


def _readable_time(prop: Any) -> bool:
    try:
        return isinstance(prop.dt, date)
    except Exception:  # icalendar 7 raises BrokenCalendarProperty on access
        return False


def _rule_problem(comp: Any, until: datetime) -> str | None:
    """Why ``comp``'s RRULE can't be expanded up to ``until`` in bounded time, if it can't."""
    rules = comp.get("RRULE")
    if rules is None:
        return None
    try:
        start = comp["DTSTART"].dt
        if not isinstance(start, datetime):
            start = datetime.combine(start, time(0))
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
    except Exception:
        return None  # the expansion reports it
    for rule in rules if isinstance(rules, list) else [rules]:
        try:
            freq = str((rule.get("FREQ") or [""])[0]).upper()
            interval = int((rule.get("INTERVAL") or [1])[0])
        except (TypeError, ValueError, IndexError, AttributeError):
            continue  # the expansion reports it
        if interval < 1:
            return f"its RRULE has INTERVAL={interval}, which never advances"
        step = _STEP_SECONDS.get(freq)
        if step is None:
            continue
        end = until
        with contextlib.suppress(Exception):
            stop = (rule.get("UNTIL") or [None])[0]
            if stop is not None:
                if not isinstance(stop, datetime):
                    stop = datetime.combine(stop, time(0))
                end = min(end, stop if stop.tzinfo else stop.replace(tzinfo=UTC))
        steps = (end - start).total_seconds() / (step * interval)
        count = (rule.get("COUNT") or [None])[0]
        if isinstance(count, int) and not any(k.startswith("BY") for k in rule):
            steps = min(steps, count)
        if steps > MAX_RULE_STEPS:
            return (f"its RRULE (FREQ={freq}) would take about {steps:,.0f} steps to expand "
                    f"up to the window; at most {MAX_RULE_STEPS:,} are taken")
    return None


def _utc_window(window: Window) -> Window:
    def utc(value: datetime) -> datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    return Window(utc(window.start), utc(window.end))


def _overlaps(event: Event, window: Window) -> bool:
    return window.overlaps(event.start, event.end)


def _sort_key(event: Event) -> tuple[Any, ...]:
    return (event.start, event.uid, event.original_start or event.start, event.end, event.title)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _categories(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    out: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        cats = getattr(item, "cats", None)
        if cats is None:
            cats = str(item).split(",")
        for cat in cats:
            text = str(cat).strip()
            if text:
                out.append(text)
    return tuple(out)


def _label(comp: Any) -> str:
    summary = _text(comp.get("SUMMARY")) if hasattr(comp, "get") else ""
    uid = _text(comp.get("UID")) if hasattr(comp, "get") else ""
    parts = []
    if summary:
        parts.append(repr(summary))
    parts.append(f"(UID {uid})" if uid else "(no UID)")
    return " ".join(parts)


def _component_hash(comp: icalendar.cal.Component) -> str:
    try:
        raw = comp.to_ical()
    except Exception:
        raw = repr(sorted((str(k), str(v)) for k, v in comp.items())).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:16]


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "…"
