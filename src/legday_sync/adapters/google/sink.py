"""Suggestions in a Google calendar of the tool's own.

The calendar is created on the first write (scope ``calendar.app.created``) and
its id kept in the state (meta ``google_calendar:<name>``); if a crash lost the
id, the calendar is found again in the calendar list by its name and marker, so
there is never a second one. Each event's id is its suggestion id (hex, which is
valid base32hex) and it carries ``extendedProperties.private`` {legday_sync: id,
legday_sync_run: the run's start}; it is transparent and has no reminders.

Writes go in batch requests, and each write is recorded in the ledger as soon as
Google acknowledges it (per batch, before the next goes out), with the tool's own
deletions kept as tombstones of its own: a crash loses nothing Google confirmed.
Every write is safe to repeat: an insert answered 409 (written before a crash, or a
lost response re-sent) is read back and patched only if it differs. A cancelled
event with the marker is the user's dismissal unless the tool deleted it itself:
such an insert is never patched back (a new machine or a lost ledger must not
overturn the user's "no"). A delete of something already gone is done. Only
events in the tool's calendar that carry the marker are ever changed.

Google lets an OAuth client with ``calendar.app.created`` manage only calendars that
same client made. A suggestions calendar made by an earlier client is detected
(its events can't be written, though the calendar is still in the user's list)
and reported with the way out: ``legday-sync auth --new-calendar``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from ...core.model import MARKER, Action, Suggestion, fingerprint
from ...core.ports import Held
from ...errors import AuthError, SinkError
from . import scopes
from .api import (
    QUOTA_REASONS,
    ApiFailure,
    GoogleClient,
    describe,
    error_reason,
    http_status,
    is_transient,
)

log = logging.getLogger(__name__)

PROP_RUN = "legday_sync_run"
PROP_KIND = "legday_sync_kind"
#: which config wrote the event (Settings.config_id): another config's sync leaves it alone
PROP_OWNER = "legday_sync_config"
#: the fingerprint of what was written: an edit shows even to a machine with no ledger
PROP_FP = "legday_sync_fingerprint"
#: the calendar's description carries this, to find it again after a crash
CALENDAR_MARKER = "legday-sync:"
#: what follows the suggestion's own description in the event (not part of its fingerprint)
LINK_PREFIX = "\n\nOriginal event: "
#: meta key prefix of calendars given up with `auth --new-calendar` (JSON list of ids)
ABANDONED = "google_calendar_abandoned:"


class GoogleSink:
    """A ``Sink`` writing suggestions into a secondary Google calendar it creates."""

    user_editable: ClassVar[bool] = True
    #: it records each write in the ledger as Google acknowledges it (see _acknowledged)
    records_writes: ClassVar[bool] = True

    def __init__(self, calendar_name: str, *, state: Any, tz_name: str, connect: Any,
                 name: str = "google", owner: str = "") -> None:
        self.name = name
        self.owner = owner
        self.calendar_name = calendar_name
        self.state = state
        self.tz_name = tz_name
        self._connect = connect
        self._client: GoogleClient | None = None
        self._calendar_id: str | None = None
        self._gone: str | None = None
        self._looked = False

    @classmethod
    def from_settings(cls, settings: Any, state: Any) -> GoogleSink:
        state_dir = settings.state_dir
        readonly = bool(getattr(state, "readonly", False))

        def connect() -> GoogleClient:
            return GoogleClient.connect(state_dir, save_refreshed=not readonly)

        return cls(settings.output.google.calendar, state=state, tz_name=settings.tz.key,
                   connect=connect, owner=settings.config_id)

    @property
    def client(self) -> GoogleClient:
        if self._client is None:
            self._client = self._connect()
        return self._client

    @property
    def meta_key(self) -> str:
        return f"google_calendar:{self.name}"

    @property
    def marker(self) -> str:
        return f"{CALENDAR_MARKER}{self.name}"

    # -- the calendar ---------------------------------------------------------------------
    def calendar_id(self, *, create: bool) -> str | None:
        if self._calendar_id is None:
            stored = self.state.meta(self.meta_key)
            if stored is not None and stored == self._gone:
                stored = None
            if stored is None and not self._looked and self._can_list:
                self._looked = True
                stored = self._find_calendar()
            self._calendar_id = stored
        if self._calendar_id is not None and create:
            self._remember(self._calendar_id)
        elif self._calendar_id is None and create:
            body = {"summary": self.calendar_name, "timeZone": self.tz_name,
                    "description": "Recovery-aware suggestions written by legday-sync. "
                                   "Delete or edit any of them: legday-sync respects that. "
                                   f"({self.marker})"}
            self._calendar_id = self._create_calendar(body)
            self._remember(self._calendar_id)
        return self._calendar_id

    def _create_calendar(self, body: dict) -> str:
        """Insert the calendar; after a failed try, look for it first (the insert may have
        happened with its answer lost), so there is never a second one."""
        what = "creating the suggestions calendar"
        try:
            for attempt in self.client.retrying(is_transient):
                with attempt:
                    if attempt.retry_state.attempt_number > 1 and self._can_list:
                        found = self._find_calendar()
                        if found is not None:
                            return found
                    cal = self.client.service.calendars().insert(body=body).execute(
                        num_retries=0)
                    created = str(cal["id"])
                    self._drop_twins(created)
                    return created
        except ApiFailure:
            raise
        except Exception as e:
            raise describe(e, what) from e
        raise AssertionError("unreachable")

    @property
    def _can_list(self) -> bool:
        """Whether the user granted the calendar list (else only the stored id finds it)."""
        return scopes.has(self.client.granted, scopes.CALENDAR_LIST)

    def _drop_twins(self, keep: str) -> None:
        """A lost answer re-sent by the HTTP layer can create the calendar twice: delete
        the empty twins (ours by their marker) so there is only one."""
        if not self._can_list:
            return
        for c in self._find_calendars():
            if c != keep and not self._events(c):
                log.warning("deleting a duplicate suggestions calendar %s", c)
                self.client.call(self.client.service.calendars().delete(calendarId=c),
                                 "deleting a duplicate suggestions calendar")

    def _remember(self, calendar_id: str) -> None:
        if self.state.meta(self.meta_key) != calendar_id:
            with self.state.transaction():
                self.state.set_meta(self.meta_key, calendar_id)

    def _find_calendar(self) -> str | None:
        """The tool's calendar in the user's calendar list (after a crash lost its id)."""
        found = self._find_calendars()
        return found[0] if found else None

    def _find_calendars(self) -> list[str]:
        service = self.client.service

        def request(page_token: str | None):
            extra = {"pageToken": page_token} if page_token else {}
            return service.calendarList().list(maxResults=250, **extra)

        items, _ = self.client.pages(request, "looking for the suggestions calendar")
        abandoned = abandoned_calendars(self.state, self.name)
        return [str(c["id"]) for c in items
                if self.marker in (c.get("description") or "") and c.get("accessRole") == "owner"
                and str(c["id"]) not in abandoned]

    def _listed(self, cal: str) -> dict | None:
        """The calendar's entry in the user's calendar list; None if it isn't there (or the
        list may not be read)."""
        if not self._can_list:
            return None
        try:
            return self.client.call(self.client.service.calendarList().get(calendarId=cal),
                                    "looking for the suggestions calendar")
        except ApiFailure as e:
            if e.status in (403, 404, 410):
                return None
            raise

    def _unreachable(self, cal: str, entry: dict | None) -> SinkError:
        name = (entry or {}).get("summary") or self.calendar_name
        return SinkError(
            self.name,
            f"the suggestions calendar “{name}” was made by an earlier OAuth client, and Google "
            f"lets this one change only calendars it made itself (calendar.app.created)",
            f"run `legday-sync auth --new-calendar` to start a fresh suggestions calendar; the "
            f"old one stays in Google Calendar as “{name}” (id {cal}) for you to keep or delete")

    def unavailable(self) -> str | None:
        """Why this sink stands aside this sync (None: it takes part)."""
        try:
            granted = self.client.granted
        except AuthError:
            return None  # load() reports it as the error it is
        if scopes.has(granted, scopes.APP_CALENDAR):
            return None
        return ("read-only: the permission to make and manage a calendar of its own "
                "(“Make secondary calendars…”) was not granted, so suggestions go only to the "
                ".ics feed; run `legday-sync auth` again and tick every box to have them in "
                "Google Calendar")

    # -- the port ----------------------------------------------------------------------
    def load(self) -> dict[str, Held]:
        try:
            cal = self.calendar_id(create=False)
            if cal is None:
                return {}
            try:
                items = self._events(cal)
            except ApiFailure as e:
                if e.status not in (403, 404, 410) or e.reason in QUOTA_REASONS:
                    raise
                entry = self._listed(cal)
                if entry is not None or e.status == 403:
                    raise self._unreachable(cal, entry) from None
                # the user deleted the whole calendar: everything in it counts as deleted
                log.warning("the suggestions calendar %s is gone; a new one is made when "
                            "there is something new to write", cal)
                self._calendar_id = None
                self._gone = cal
                return {}
        except AuthError:
            raise
        except ApiFailure as e:
            raise SinkError(self.name, e.message, e.fix) from None
        out: dict[str, Held] = {}
        ours = self.state.own_deletions(self.name)
        for item in items:
            held = to_held(item, self.tz_name)
            if held is None:
                continue
            # a tombstone the tool made is nothing; one it didn't make is the user's "no"
            # (what the ledger recorded and the calendar lacks was deleted by the user too)
            if held.deleted and held.suggestion_id in ours:
                continue
            out[held.suggestion_id] = held
        return out

    def _events(self, cal: str) -> list[dict]:
        service = self.client.service

        def request(page_token: str | None):
            extra = {"pageToken": page_token} if page_token else {}
            # tombstones too: a cancelled event of ours the tool didn't delete is a dismissal
            return service.events().list(calendarId=cal, maxResults=2500, showDeleted=True,
                                         **extra)

        items, _ = self.client.pages(request, "reading the suggestions calendar")
        return items

    def apply(self, actions: Sequence[Action], now: datetime) -> None:
        if not actions:
            return
        try:
            self._apply(actions)
        except AuthError:
            raise
        except ApiFailure as e:
            raise SinkError(self.name, e.message, e.fix, detail=e.detail) from None

    def _apply(self, actions: Sequence[Action]) -> None:
        cal = self.calendar_id(create=True)
        assert cal is not None
        events = self.client.service.events()
        parts: list[tuple[str, Any]] = []
        by_key: dict[str, Action] = {}
        for a in actions:
            key = a.suggestion_id
            by_key[key] = a
            if a.op == "delete":
                parts.append((key, events.delete(calendarId=cal, eventId=a.suggestion_id,
                                                 sendUpdates="none")))
                continue
            assert a.suggestion is not None, "create and update carry their suggestion"
            body = event_body(a.suggestion, self.owner, self.tz_name)
            if a.op == "create":
                parts.append((key, events.insert(calendarId=cal, body=body,
                                                  sendUpdates="none")))
            else:
                parts.append((key, events.patch(calendarId=cal, eventId=a.suggestion_id,
                                                body=_patch_body(body), sendUpdates="none")))
        def acknowledged(answers: dict[str, tuple[Any, BaseException | None]]) -> None:
            self._acknowledged(by_key, answers)

        results = self.client.batch(parts, "writing suggestions", on_answer=acknowledged)
        follow_ups: list[tuple[str, Any]] = []
        failures: list[ApiFailure] = []
        denied = 0
        for key, (_, exc) in results.items():
            if exc is None:
                continue
            a, status = by_key[key], http_status(exc)
            if a.op == "delete" and status in (404, 410):
                continue  # already gone
            if a.op == "create" and status == 409:
                follow_ups.append((key, a))  # already there: reconcile
                continue
            if a.op == "update" and status in (404, 410):
                continue  # gone meanwhile: the next sync sees it as deleted by the user
            failure = describe(exc, f"writing “{_title(a)}”")
            if _denied(a, status, error_reason(exc), failure):
                denied += 1
            failures.append(failure)
        if denied:
            raise self._unreachable(cal, self._listed(cal))
        for _key, a in follow_ups:
            self._reconcile(cal, a)
        if failures:
            first = failures[0]
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            raise SinkError(self.name, first.message + more,
                            first.fix or "run `legday-sync sync` again",
                            detail={"retry_after": max(f.retry_after for f in failures)})

    def _acknowledged(self, by_key: dict[str, Action],
                      answers: dict[str, tuple[Any, BaseException | None]]) -> None:
        """Record what Google just confirmed, before anything else is sent."""
        with self.state.transaction():
            for key, (_, exc) in answers.items():
                a, status = by_key[key], http_status(exc) if exc is not None else None
                if a.op == "delete" and (exc is None or status in (404, 410)):
                    if exc is None:  # a 404/410 means someone else deleted it first
                        self.state.note_own_deletion(self.name, a.suggestion_id,
                                                     self._run_start(a))
                    self.state.forget(self.name, a.suggestion_id)
                elif a.op != "delete" and exc is None:
                    self._record(a.suggestion, "active")

    def _run_start(self, a: Action) -> datetime:
        if a.suggestion is not None:
            return a.suggestion.run.start
        led = self.state.ledger(self.name).get(a.suggestion_id)
        return led.run_start if led is not None else datetime.now(UTC)

    def _record(self, s: Suggestion | None, status: str) -> None:
        assert s is not None
        self.state.clear_own_deletion(self.name, s.id)
        self.state.record(self.name, s.id, s.fingerprint, status, s.run.start)

    def _reconcile(self, cal: str, a: Action) -> None:
        """An insert met an event with the same id: make it current, if it is ours and the
        user did not delete it."""
        s = a.suggestion
        assert s is not None
        events = self.client.service.events()
        existing = self.client.call(events.get(calendarId=cal, eventId=s.id),
                                    f"reading “{s.title}”")
        private = (existing.get("extendedProperties") or {}).get("private") or {}
        cancelled = existing.get("status") == "cancelled"
        if not cancelled and private.get(MARKER) not in (None, s.id):
            raise SinkError(self.name, f"event {s.id} in the suggestions calendar is not one "
                                       "legday-sync wrote; leaving it alone")
        if cancelled and s.id not in self.state.own_deletions(self.name):
            # the user deleted it (we have no record of deleting it): their "no" stands
            log.info("“%s” was deleted in Google Calendar; it stays dismissed", s.title)
            with self.state.transaction():
                self._record(s, "dismissed")
            return
        held = to_held(existing, self.tz_name)
        if not cancelled and held is not None and held.fingerprint == s.fingerprint:
            with self.state.transaction():
                self._record(s, "active")
            return
        body = _patch_body(event_body(s, self.owner, self.tz_name))
        body["status"] = "confirmed"
        self.client.call(events.patch(calendarId=cal, eventId=s.id, body=body,
                                      sendUpdates="none"), f"writing “{s.title}”")
        with self.state.transaction():
            self._record(s, "active")


def _denied(a: Action, status: int | None, reason: str, failure: ApiFailure) -> bool:
    """A write refused because this client may not touch the calendar at all."""
    if status == 403:
        return not failure.retry_after and reason not in ("rateLimitExceeded",
                                                          "userRateLimitExceeded")
    return status == 404 and a.op == "create"


def abandoned_calendars(state: Any, sink_name: str) -> set[str]:
    raw = state.meta_json(ABANDONED + sink_name)
    return {str(c) for c in raw} if isinstance(raw, list) else set()


def start_new_calendar(state: Any, sink_name: str = "google") -> str | None:
    """Give up the stored suggestions calendar (it stays in Google, untouched) so that the
    next sync makes a fresh one; its ledger goes with it. Returns the old calendar's id."""
    key = f"google_calendar:{sink_name}"
    old = state.meta(key)
    with state.transaction():
        if old is not None:
            gone = sorted(abandoned_calendars(state, sink_name) | {old})
            state.set_meta(ABANDONED + sink_name, json.dumps(gone))
            state.db.execute("DELETE FROM meta WHERE key=?", (key,))
        state.forget_sink(sink_name)
    return old


def event_body(s: Suggestion, owner: str = "", tz_name: str = "UTC") -> dict[str, Any]:
    description = s.description
    url = s.run.event.url
    if url.startswith(("https://", "http://")):
        description += LINK_PREFIX + url
    return {
        "id": s.id,
        "summary": s.title,
        "description": description,
        **_span(s, tz_name),
        "transparency": "transparent",
        "reminders": {"useDefault": False, "overrides": []},
        "extendedProperties": {"private": {
            MARKER: s.id, PROP_RUN: s.run.start.astimezone(UTC).isoformat(),
            PROP_KIND: s.kind, PROP_FP: s.fingerprint,
            **({PROP_OWNER: owner} if owner else {})}},
    }


def _patch_body(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "id"}


def _span(s: Suggestion, tz_name: str) -> dict[str, Any]:
    """Start and end: dates for a date-only suggestion (a day, not 24 hours), else times."""
    if s.all_day:
        tz = ZoneInfo(tz_name or "UTC")
        return {"start": {"date": s.start.astimezone(tz).date().isoformat()},
                "end": {"date": s.end.astimezone(tz).date().isoformat()}}
    return {"start": {"dateTime": _rfc3339(s.start)}, "end": {"dateTime": _rfc3339(s.end)}}


def _when(value: dict[str, str], tz_name: str) -> datetime:
    if "dateTime" in value:
        return _utc(value["dateTime"])
    day = date.fromisoformat(value["date"])  # a date-only suggestion: local midnight
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz_name or "UTC")).astimezone(UTC)


def to_held(item: dict, tz_name: str = "UTC") -> Held | None:
    """An event of the suggestions calendar as the sink holds it (None: not ours)."""
    private = (item.get("extendedProperties") or {}).get("private") or {}
    sid = private.get(MARKER)
    if item.get("status") == "cancelled":
        # tombstones may carry nothing but the id, which is the suggestion id
        return Held(str(sid or item["id"]), "", deleted=True, start=_run_start(private))
    if not sid:
        return None
    try:
        start = _when(item["start"], tz_name)
        end = _when(item["end"], tz_name)
    except (KeyError, ValueError):
        return Held(str(sid), "edited", start=_run_start(private))  # made all-day by hand
    description = item.get("description", "")
    head, sep, _ = description.rpartition(LINK_PREFIX)
    if sep:
        description = head
    held = fingerprint(start, end, item.get("summary", ""), description)
    return Held(str(sid), held, start=_run_start(private),
                owner=private.get(PROP_OWNER) or None, written=private.get(PROP_FP, ""))


def _run_start(private: dict) -> datetime | None:
    try:
        return datetime.fromisoformat(private[PROP_RUN])
    except (KeyError, ValueError, TypeError):
        return None


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _rfc3339(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _title(a: Action) -> str:
    return a.suggestion.title if a.suggestion is not None else a.suggestion_id[:8]
