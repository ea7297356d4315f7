"""A Google calendar as a source: events.list with singleEvents and sync tokens.

The first sync lists the calendar's events in a window somewhat wider than asked
(so the next syncs' windows fall inside it) and keeps them, with the sync token,
in the state database. Later syncs send that token and get only what changed:
changed events replace their copies, tombstones (``status: cancelled``) remove
them. A 410 (the token expired) or a window the stored one doesn't cover means a
full sync again; the suggestion ledger is never touched by any of this.

Occurrences: an instance of a series has ``recurringEventId`` (the series id,
used as the uid) and ``originalStartTime`` (its slot in the series), so a moved
instance stays the same occurrence. All-day dates are local midnights in the
configured timezone. The tool's own suggestion events are skipped.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ...core.model import MARKER, Event, Window
from ...core.ports import FetchResult
from ...errors import AuthError, SourceError
from .api import ApiFailure, GoogleClient

log = logging.getLogger(__name__)

#: how far past the asked window a full sync reads, so later syncs stay incremental
AHEAD = timedelta(days=30)
_KEEP = ("id", "status", "summary", "description", "start", "end", "recurringEventId",
         "originalStartTime", "transparency", "htmlLink")
#: event types that are not appointments (Google's working-location chips)
_SKIP_TYPES = frozenset({"workingLocation"})


class GoogleSource:
    """A ``Source`` reading one Google calendar (``primary`` unless ``calendar_id`` is set)."""

    #: events.list page size (Google's maximum is 2500)
    page_size: int = 2500

    def __init__(self, name: str, calendar_id: str, *, tz: ZoneInfo, state: Any,
                 connect: Any, readonly: bool = False) -> None:
        self.name = name
        self.calendar_id = calendar_id
        self.tz = tz
        self.state = state
        self.readonly = readonly
        self._connect = connect
        self._client: GoogleClient | None = None

    @classmethod
    def from_settings(cls, settings: Any, source_settings: Any, state: Any, *,
                      readonly: bool) -> GoogleSource:
        state_dir = settings.state_dir

        def connect() -> GoogleClient:
            return GoogleClient.connect(state_dir, save_refreshed=not readonly)

        return cls(source_settings.display_name, source_settings.calendar_id or "primary",
                   tz=settings.tz, state=state, connect=connect, readonly=readonly)

    @property
    def client(self) -> GoogleClient:
        if self._client is None:
            self._client = self._connect()
        return self._client

    # -- the port ----------------------------------------------------------------------
    def fetch(self, window: Window) -> FetchResult:
        try:
            raw, stored, changed = self._sync(window)
            busy = [(s, e) for s, e in self._busy_cached(stored, changed)
                    if window.overlaps(s, e)]
        except AuthError as e:
            raise SourceError(self.name, e.message, e.fix) from None
        except ApiFailure as e:
            raise SourceError(self.name, e.message, e.fix,
                              detail={"status": e.status, "reason": e.reason}) from None
        events: list[Event] = []
        warnings: list[str] = []
        for item in raw.values():
            try:
                ev = self.to_event(item)
            except (KeyError, ValueError, TypeError) as e:
                warnings.append(f"event {item.get('id', '?')} skipped: unreadable time ({e})")
                continue
            if ev is not None and window.overlaps(ev.start, ev.end):
                events.append(ev)
        events.sort(key=lambda e: (e.start, e.uid))
        return FetchResult(tuple(events), tuple(warnings), tuple(busy))

    # -- events --------------------------------------------------------------------------
    def _sync(self, window: Window) -> tuple[dict[str, dict], Window, bool]:
        """The calendar's events over a stored window covering ``window``, that window, and
        whether anything changed since the last sync."""
        cached = self.state.google_events(self.name)
        token = self.state.sync_token(self.name)
        if cached is not None and token:
            calendar, stored, events = cached
            if calendar == self.calendar_id and stored.start <= window.start \
                    and window.end <= stored.end:
                try:
                    changes, page = self._list(syncToken=token)
                except ApiFailure as e:
                    if e.status != 410:
                        raise
                    log.info("%s: sync token expired (410), doing a full sync", self.name)
                else:
                    merge(events, changes, stored)
                    self.state.store_google(self.name, self.calendar_id, stored, events,
                                            page.get("nextSyncToken"))
                    return events, stored, bool(changes)
        wide = Window(window.start, window.end + AHEAD)
        items, page = self._list(timeMin=_rfc3339(wide.start), timeMax=_rfc3339(wide.end))
        events = {}
        merge(events, items, wide)
        self.state.store_google(self.name, self.calendar_id, wide, events,
                                page.get("nextSyncToken"))
        return events, wide, True

    def _list(self, **params: Any) -> tuple[list[dict], dict]:
        service = self.client.service

        def request(page_token: str | None):
            extra = {"pageToken": page_token} if page_token else {}
            return service.events().list(calendarId=self.calendar_id, singleEvents=True,
                                         maxResults=self.page_size, **params, **extra)

        return self.client.pages(request, f"reading calendar {self.calendar_id!r}")

    def to_event(self, item: dict) -> Event | None:
        start, all_day = self._time(item["start"])
        end, _ = self._time(item["end"])
        original = item.get("originalStartTime")
        return Event(
            source=self.name,
            uid=item.get("recurringEventId") or item["id"],
            start=start,
            end=max(end, start),
            title=item.get("summary", ""),
            original_start=self._time(original)[0] if original else None,
            all_day=all_day,
            description=item.get("description", ""),
            transparent=item.get("transparency") == "transparent",
            url=item.get("htmlLink", ""),
        )

    def _time(self, value: dict) -> tuple[datetime, bool]:
        if value.get("dateTime"):
            t = datetime.fromisoformat(value["dateTime"])
            if t.tzinfo is None:  # not sent by Google, but be safe
                t = t.replace(tzinfo=ZoneInfo(value.get("timeZone") or "UTC"))
            return t.astimezone(UTC), False
        day = date.fromisoformat(value["date"])
        return datetime.combine(day, time(), tzinfo=self.tz).astimezone(UTC), True

    # -- free/busy ----------------------------------------------------------------------
    def _busy_cached(self, stored: Window, changed: bool) -> list[tuple[datetime, datetime]]:
        """Free/busy over the stored window, asked again only when the calendar changed
        (its sync said so) or the window moved: a quiet calendar costs one request a sync."""
        key = f"google_busy:{self.name}"
        span = [stored.start.isoformat(), stored.end.isoformat()]
        cached = self.state.meta_json(key)
        if not changed and isinstance(cached, dict) and cached.get("window") == span:
            return [(datetime.fromisoformat(s), datetime.fromisoformat(e))
                    for s, e in cached["busy"]]
        busy = self._busy(stored)
        if not self.readonly:
            self.state.set_meta(key, json.dumps(
                {"window": span, "busy": [[s.isoformat(), e.isoformat()] for s, e in busy]}))
        return busy

    def _busy(self, window: Window) -> list[tuple[datetime, datetime]]:
        body = {"timeMin": _rfc3339(window.start), "timeMax": _rfc3339(window.end),
                "items": [{"id": self.calendar_id}]}
        resp = self.client.call(self.client.service.freebusy().query(body=body),
                                f"reading free/busy of {self.calendar_id!r}")
        calendars = resp.get("calendars") or {}
        entry = calendars.get(self.calendar_id) or (next(iter(calendars.values()), {})
                                                    if len(calendars) == 1 else {})
        out = []
        for b in entry.get("busy", []):
            s = datetime.fromisoformat(b["start"]).astimezone(UTC)
            e = datetime.fromisoformat(b["end"]).astimezone(UTC)
            if e > s:
                out.append((s, e))
        return out


def merge(events: dict[str, dict], items: list[dict], window: Window) -> None:
    """Apply listed items (a full list or a sync's changes) to ``events`` by Google id."""
    for item in items:
        ev_id = item["id"]
        if item.get("status") == "cancelled" or not _wanted(item):
            events.pop(ev_id, None)
            if item.get("status") == "cancelled" and not item.get("recurringEventId"):
                # a whole series deleted: its instances go with it
                for other in [k for k, v in events.items() if v.get("recurringEventId") == ev_id]:
                    events.pop(other, None)
            continue
        if _overlaps(item, window):
            events[ev_id] = {k: item[k] for k in _KEEP if k in item}
        else:
            events.pop(ev_id, None)


def _wanted(item: dict) -> bool:
    private = (item.get("extendedProperties") or {}).get("private") or {}
    if MARKER in private:
        return False  # one of the tool's own suggestions
    return item.get("eventType") not in _SKIP_TYPES and "start" in item and "end" in item


def _overlaps(item: dict, window: Window) -> bool:
    """A rough test on the raw times (all-day dates widened by a day for any timezone)."""
    try:
        s = _rough(item["start"], -1)
        e = _rough(item["end"], 1)
    except (KeyError, ValueError):
        return True  # keep it; to_event will report it
    return e >= window.start and s < window.end


def _rough(value: dict, days: int) -> datetime:
    if value.get("dateTime"):
        t = datetime.fromisoformat(value["dateTime"])
        return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC)
    return datetime.combine(date.fromisoformat(value["date"]), time(), tzinfo=UTC) \
        + timedelta(days=days)


def _rfc3339(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
