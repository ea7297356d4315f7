"""A Google calendar as a source: events.list with singleEvents and sync tokens.

The first sync lists the calendar's events in a window somewhat wider than asked
(so the next syncs' windows fall inside it) and keeps them, with the sync token,
in the state database. Later syncs send that token and get only what changed:
changed events replace their copies, tombstones (``status: cancelled``) remove
them. A 410 (the token expired) or a window the stored one doesn't cover means a
full sync again; the suggestion ledger is never touched by any of this.

Google sends no tombstones for the instances a recurrence edit drops (new
weekdays, "this and following"): when a sync's changes hold an instance of a
series, that series' instances in the window are read again (``events.instances``)
and replace what the cache holds for it.

Free/busy: Google refuses spans over about 90 days, so the window is asked in
pieces of at most 60 days; a calendar's own ``errors`` and a failed query are
warnings, never a reason to drop the events that were read. Invitations the user
declined are not events of theirs; tentative ones count, with a warning.

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
from . import scopes
from .api import ApiFailure, GoogleClient

log = logging.getLogger(__name__)

#: how far past the asked window a full sync reads, so later syncs stay incremental
AHEAD = timedelta(days=30)
_KEEP = ("id", "status", "summary", "description", "start", "end", "recurringEventId",
         "originalStartTime", "transparency", "htmlLink")
#: the cached copy's note of the user's own answer to an invitation
SELF_RESPONSE = "selfResponse"
#: Google refuses free/busy spans over about 90 days (timeRangeTooLong)
FREEBUSY_SPAN = timedelta(days=60)
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
        warnings: list[str] = []
        try:
            if not scopes.has(self.client.granted, scopes.EVENTS_READ):
                raise SourceError(self.name, "the permission to view events was not granted "
                                  "when connecting to Google",
                                  "run `legday-sync auth` again and tick “View events on all "
                                  "your calendars”")
            raw, stored, changed = self._sync(window)
            busy = []
            if scopes.has(self.client.granted, scopes.FREEBUSY):
                busy = [(s, e) for s, e in self._busy_cached(stored, changed, warnings)
                        if window.overlaps(s, e)]
        except AuthError as e:
            raise SourceError(self.name, e.message, e.fix) from None
        except ApiFailure as e:
            raise SourceError(self.name, e.message, e.fix, detail=e.detail) from None
        events: list[Event] = []
        for item in raw.values():
            if item.get(SELF_RESPONSE) == "declined":
                continue  # an invitation the user said no to is not on their plan
            try:
                ev = self.to_event(item)
            except (KeyError, ValueError, TypeError) as e:
                warnings.append(f"event {item.get('id', '?')} skipped: unreadable time ({e})")
                continue
            if ev is not None and window.overlaps(ev.start, ev.end):
                events.append(ev)
                if item.get(SELF_RESPONSE) == "tentative" or item.get("status") == "tentative":
                    when = ev.start.astimezone(self.tz).strftime("%a %d %b %H:%M")
                    warnings.append(f"“{ev.title}” on {when} is tentative (you answered "
                                    f"“maybe”); it counts as planned")
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
                    self._reread_series(events, changes, stored)
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

    def _reread_series(self, events: dict[str, dict], changes: list[dict],
                       stored: Window) -> None:
        """Replace the cached instances of every series the changes touched with the series'
        instances as Google has them now: an edit of its rule drops instances silently."""
        series = sorted({c["recurringEventId"] for c in changes if c.get("recurringEventId")}
                        | {c["id"] for c in changes if c.get("recurrence")})
        service = self.client.service
        for sid in series:

            def request(page_token: str | None, sid: str = sid):
                extra = {"pageToken": page_token} if page_token else {}
                return service.events().instances(
                    calendarId=self.calendar_id, eventId=sid, timeMin=_rfc3339(stored.start),
                    timeMax=_rfc3339(stored.end), maxResults=self.page_size, **extra)

            try:
                instances, _ = self.client.pages(request, f"reading the series {sid!r}")
            except ApiFailure as e:
                if e.status not in (404, 410):
                    raise
                instances = []  # the whole series is gone
            for key in [k for k, v in events.items() if v.get("recurringEventId") == sid]:
                del events[key]
            merge(events, instances, stored)

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
    def _busy_cached(self, stored: Window, changed: bool,
                     warnings: list[str]) -> list[tuple[datetime, datetime]]:
        """Free/busy over the stored window, asked again only when the calendar changed
        (its sync said so) or the window moved: a quiet calendar costs one request a sync
        (a piece per 60 days). A failure is a warning: the events themselves stay busy."""
        key = f"google_busy:{self.name}"
        span = [stored.start.isoformat(), stored.end.isoformat()]
        cached = self.state.meta_json(key)
        if not changed and isinstance(cached, dict) and cached.get("window") == span:
            return [(datetime.fromisoformat(s), datetime.fromisoformat(e))
                    for s, e in cached["busy"]]
        try:
            busy, problems = self._busy(stored)
        except ApiFailure as e:
            warnings.append(f"free/busy unavailable ({e.message}); busy time comes from the "
                            f"events read")
            return []
        warnings.extend(problems)
        if not self.readonly and not problems:
            self.state.set_meta(key, json.dumps(
                {"window": span, "busy": [[s.isoformat(), e.isoformat()] for s, e in busy]}))
        return busy

    def _busy(self, window: Window) -> tuple[list[tuple[datetime, datetime]], list[str]]:
        """Busy intervals over ``window`` in pieces Google accepts, and the calendar's own
        errors (``notFound``, ``groupTooBig``…) as words."""
        out: list[tuple[datetime, datetime]] = []
        problems: list[str] = []
        for piece in pieces(window, FREEBUSY_SPAN):
            body = {"timeMin": _rfc3339(piece.start), "timeMax": _rfc3339(piece.end),
                    "items": [{"id": self.calendar_id}]}
            resp = self.client.call(self.client.service.freebusy().query(body=body),
                                    f"reading free/busy of {self.calendar_id!r}")
            calendars = resp.get("calendars") or {}
            entry = calendars.get(self.calendar_id) or (next(iter(calendars.values()), {})
                                                        if len(calendars) == 1 else {})
            reasons = sorted({str(e.get("reason", "?")) for e in entry.get("errors") or []})
            if reasons:
                problems.append(f"free/busy of {self.calendar_id!r} not available "
                                f"({', '.join(reasons)}); busy time comes from the events read")
                return [], problems
            for b in entry.get("busy", []):
                s = datetime.fromisoformat(b["start"]).astimezone(UTC)
                e = datetime.fromisoformat(b["end"]).astimezone(UTC)
                if e > s:
                    out.append((s, e))
        return out, problems


def pieces(window: Window, span: timedelta) -> list[Window]:
    """``window`` cut into consecutive pieces no longer than ``span``."""
    out = []
    start = window.start
    while start < window.end:
        end = min(window.end, start + span)
        out.append(Window(start, end))
        start = end
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
            kept = {k: item[k] for k in _KEEP if k in item}
            answer = _self_response(item)
            if answer:
                kept[SELF_RESPONSE] = answer
            events[ev_id] = kept
        else:
            events.pop(ev_id, None)


def _self_response(item: dict) -> str:
    """The user's own answer to an invitation ("" when they are not an invited guest)."""
    for a in item.get("attendees") or ():
        if isinstance(a, dict) and a.get("self"):
            return str(a.get("responseStatus") or "")
    return ""


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
