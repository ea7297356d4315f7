"""A CalDAV calendar as a source.

First sync: discovery (principal -> calendar home -> the calendar named in the
config; its URL is kept in the state), then the calendar's ctag and sync-token
(one PROPFIND) and a calendar-query REPORT with a time-range over the window and
a month beyond it. The resources (href, ETag, iCalendar text) are kept in the
state with that window and token.

Later syncs inside the stored window: with a sync-token, one RFC 6578
sync-collection REPORT says what changed (nothing: that was the only request);
changed resources come in one calendar-multiget. Without sync-token support, one
PROPFIND of the ctag says whether anything changed; if so, the window is read
again. An expired token (403/409/410) means a full read, nothing worse.

The resources are expanded here, with the .ics source's own parser (recurring
events, overrides, cancelled instances, time zones), one resource at a time so
a broken one costs a warning, not the calendar. Server-side expansion is not
asked for: the kept resources must serve later windows, and servers differ in
how they expand overrides and zones. Parsed events are cached by the token too.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ...core.model import Event, Window
from ...core.ports import FetchResult
from ...errors import CalDavError, SourceError
from ..ics.source import PARSER_VERSION, parse_ics
from .account import Account, Session, no_such_calendar
from .client import Resource

log = logging.getLogger(__name__)

#: how far past the asked window a full read reaches, so later syncs stay incremental
AHEAD = timedelta(days=30)


class CalDavSource:
    """A ``Source`` reading one calendar of a CalDAV account."""

    def __init__(self, name: str, account: Account, calendar: str, *, tz: ZoneInfo,
                 state: Any, readonly: bool = False) -> None:
        self.name = name
        self.calendar_spec = calendar
        self.tz = tz
        self.state = state
        self.readonly = readonly
        self.session = Session(account, state, readonly=readonly)

    @classmethod
    def from_settings(cls, settings: Any, s: Any, state: Any, *, readonly: bool
                      ) -> CalDavSource:
        return cls(s.display_name, Account.of(s), s.calendar, tz=settings.tz, state=state,
                   readonly=readonly)

    @property
    def requests_sent(self) -> int:
        conn = self.session._conn
        return conn.requests_sent if conn is not None else 0

    @property
    def calendar_key(self) -> str:
        return f"caldav_calendar:{self.name}"

    @property
    def items_key(self) -> str:
        return f"caldav_items:{self.name}"

    # -- the port ----------------------------------------------------------------------
    def fetch(self, window: Window) -> FetchResult:
        window = Window(window.start.astimezone(UTC), window.end.astimezone(UTC))
        try:
            try:
                events, warnings = self._fetch(window)
            except CalDavError as e:
                if e.status not in (404, 410):
                    raise
                # the calendar moved or was deleted: find it again by its name, once
                events, warnings = self._fetch(window, rediscover=True)
            self.session.remember_auth()
        except CalDavError as e:
            raise SourceError(self.name, e.message, e.fix,
                              detail={"status": e.status}) from None
        inside = sorted((e for e in events if _overlaps(e, window)),
                        key=lambda e: (e.start, e.uid, e.original_start or e.start))
        return FetchResult(tuple(inside), tuple(self.session.warnings + warnings))

    def calendar_url(self, *, rediscover: bool = False) -> str:
        url = self.session.calendar(self.calendar_spec, self.calendar_key,
                                    rediscover=rediscover)
        if url is None:
            raise no_such_calendar(self.calendar_spec, self.session.conn.calendars())
        return url

    # -- reading ---------------------------------------------------------------------------
    def _fetch(self, window: Window, *, rediscover: bool = False
               ) -> tuple[list[Event], list[str]]:
        cal = self.calendar_url(rediscover=rediscover)
        conn = self.session.conn
        stored = self.state.meta_json(self.items_key)
        if isinstance(stored, dict) and stored.get("url") == cal:
            span = Window(datetime.fromisoformat(stored["window"][0]),
                          datetime.fromisoformat(stored["window"][1]))
            if span.start <= window.start and window.end <= span.end:
                items: dict[str, list[str]] = stored["items"]
                if stored.get("token"):
                    got = conn.sync_collection(cal, stored["token"])
                    if got is not None:
                        changes, token = got
                        if changes or token != stored["token"]:
                            self._merge(cal, items, changes)
                            self._store(cal, span, items, token or stored["token"], "")
                        return self._events(items, span, token or stored["token"])
                    log.info("%s: sync token no longer valid; reading the calendar again",
                             self.name)
                elif stored.get("ctag"):
                    ctag, _ = conn.collection_state(cal)
                    if ctag == stored["ctag"]:
                        return self._events(items, span, "ctag:" + ctag)
        # a full read: the change markers first, so a change during the read shows next time
        ctag, token = conn.collection_state(cal)
        # RFC 4791's time-range test leaves out an event with DTSTART = DTEND = the range's
        # start, which Window.overlaps counts in: ask from a minute earlier, cut locally
        wide = Window(window.start - timedelta(minutes=1), window.end + AHEAD)
        found = conn.query(cal, start=_stamp(wide.start), end=_stamp(wide.end))
        items = {r.href: [r.etag, r.data] for r in found if r.data}
        self._store(cal, wide, items, token, ctag)
        return self._events(items, wide, token or ("ctag:" + ctag if ctag else ""))

    def _merge(self, cal: str, items: dict[str, list[str]], changes: list[Resource]) -> None:
        for r in changes:
            if r.gone:
                items.pop(r.href, None)
        changed = [r.href for r in changes if not r.gone
                   and (r.href not in items or not r.etag or items[r.href][0] != r.etag)]
        for r in self.session.conn.multiget(cal, changed):
            if r.gone or not r.data:
                items.pop(r.href, None)
            else:
                items[r.href] = [r.etag, r.data]

    def _store(self, cal: str, span: Window, items: dict[str, list[str]], token: str,
               ctag: str) -> None:
        if self.readonly:
            return
        self.state.set_meta(self.items_key, json.dumps(
            {"url": cal, "window": [span.start.isoformat(), span.end.isoformat()],
             "token": token, "ctag": ctag, "items": items}, separators=(",", ":")))

    def _events(self, items: dict[str, list[str]], span: Window, marker: str
                ) -> tuple[list[Event], list[str]]:
        """The resources' events over ``span``, parsed once per version of the calendar."""
        if not marker:  # no ctag, no token: the resources' ETags name the version
            marker = "etags:" + hashlib.sha256(json.dumps(
                sorted((h, e) for h, (e, _) in items.items())).encode()).hexdigest()
        validator = f"caldav:{marker}|tz={self.tz.key}|v={PARSER_VERSION}"
        hit = self.state.get(self.name, validator)
        if hit is not None and hit[0].start <= span.start and span.end <= hit[0].end:
            return hit[1], []
        events: list[Event] = []
        warnings: list[str] = []
        for href, (_etag, data) in sorted(items.items()):
            try:
                got, more = parse_ics(data.encode("utf-8"), span, source=self.name,
                                      default_tz=self.tz)
            except SourceError as e:
                warnings.append(f"{href.rpartition('/')[2]} skipped: {e.message}")
                continue
            events.extend(got)
            warnings.extend(more)
        self.state.put(self.name, validator, span, events)
        return events, warnings


def _stamp(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _overlaps(e: Event, w: Window) -> bool:
    return w.overlaps(e.start, e.end)
