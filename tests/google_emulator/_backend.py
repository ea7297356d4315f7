"""In-memory Google Calendar v3 state and request handlers (no HTTP here)."""

from __future__ import annotations

import base64
import copy
import re
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ._errors import ApiError, not_found
from ._timeutil import (
    DEFAULT_HORIZON,
    Series,
    event_interval,
    normalize_time,
    parse_rfc3339,
    render,
    render_utc_ms,
    to_utc_bounds,
    zone,
)

_B32HEX = re.compile(r"^[a-v0-9]{5,1024}$")
_READ_ONLY = ("kind", "etag", "htmlLink", "created", "updated", "iCalUID", "creator", "organizer")
_WHOLE_VALUE_FIELDS = ("start", "end", "originalStartTime", "recurrence", "attendees", "reminders")
_SYNC_FORBIDDEN = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)
MAX_RESULTS_DEFAULT = 250
MAX_RESULTS_LIMIT = 2500


def _gen_id(n: int = 26) -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuv"
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _deep_merge(target: dict, patch: dict) -> None:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif (
            isinstance(value, dict)
            and isinstance(target.get(key), dict)
            and key not in _WHOLE_VALUE_FIELDS
        ):
            _deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


#: the maximum free/busy span; Google documents none but refuses about 90 days and more
FREEBUSY_MAX_SPAN = timedelta(days=90)


def _public(ev: dict) -> dict:
    return {k: copy.deepcopy(v) for k, v in ev.items() if not k.startswith("_")}


def _mark_self(ev: dict, me: str) -> None:
    """Google marks the attendee that is the calendar's owner with ``self: true``."""
    for a in ev.get("attendees") or ():
        if isinstance(a, dict) and a.get("email") == me:
            a["self"] = True
            a.setdefault("responseStatus", "needsAction")


def _bool_param(query: dict, name: str, default: bool = False) -> bool:
    if name not in query:
        return default
    return str(query[name]).lower() == "true"


class Backend:
    """All emulator state. Every public method takes the lock."""

    def __init__(
        self, *, primary_id: str, time_zone: str, now: Callable[[], datetime] | None = None
    ):
        self.lock = threading.RLock()
        self._now_fn = now or (lambda: datetime.now(UTC))
        self._last_now: datetime | None = None
        self._seq = 0
        self.primary_id = primary_id
        self.calendars: dict[str, dict] = {}
        self.events: dict[str, dict[str, dict]] = {}
        self.sync_tokens: dict[str, tuple[str, int]] = {}
        self.page_tokens: dict[str, dict] = {}
        self.create_calendar(
            {"summary": primary_id, "timeZone": time_zone}, cal_id=primary_id, primary=True
        )

    # ------------------------------------------------------------------ basics
    def now(self) -> datetime:
        now = self._now_fn().astimezone(UTC)
        if self._last_now is not None and now <= self._last_now:
            now = self._last_now + timedelta(milliseconds=1)
        self._last_now = now
        return now

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def resolve_calendar(self, cal_id: str) -> dict:
        if cal_id == "primary":
            cal_id = self.primary_id
        cal = self.calendars.get(cal_id)
        if cal is None or cal.get("_deleted"):
            raise not_found()
        return cal

    def _etag(self, seq: int) -> str:
        return f'"{3_400_000_000_000_000 + seq * 1000}"'

    # ------------------------------------------------------------------ calendars
    def create_calendar(
        self, body: dict, *, cal_id: str | None = None, primary: bool = False
    ) -> dict:
        with self.lock:
            if not primary and not body.get("summary"):
                raise ApiError(400, "required", "Missing title.")
            cal_id = cal_id or f"{_gen_id(52)}@group.calendar.google.com"
            tz = body.get("timeZone") or (
                self.calendars[self.primary_id]["timeZone"]
                if self.primary_id in self.calendars
                else "UTC"
            )
            zone(tz, "UTC")
            cal = {
                "kind": "calendar#calendar",
                "etag": self._etag(self.next_seq()),
                "id": cal_id,
                "summary": body.get("summary", cal_id),
                "timeZone": tz,
                "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
            }
            if body.get("description"):
                cal["description"] = body["description"]
            if body.get("location"):
                cal["location"] = body["location"]
            cal["_primary"] = primary
            if body.get("_client"):  # the OAuth client that made it (calendar.app.created)
                cal["_client"] = body["_client"]
            self.calendars[cal_id] = cal
            self.events[cal_id] = {}
            return _public(cal)

    def calendar_resource(self, cal_id: str) -> dict:
        with self.lock:
            return _public(self.resolve_calendar(cal_id))

    def calendar_list_entry(self, cal_id: str) -> dict:
        with self.lock:
            cal = self.resolve_calendar(cal_id)
            entry = {
                "kind": "calendar#calendarListEntry",
                "etag": cal["etag"],
                "id": cal["id"],
                "summary": cal["summary"],
                "timeZone": cal["timeZone"],
                "colorId": "14",
                "backgroundColor": "#9fe1e7",
                "foregroundColor": "#000000",
                "selected": True,
                "accessRole": "owner",
                "defaultReminders": [{"method": "popup", "minutes": 30}] if cal["_primary"] else [],
                "conferenceProperties": cal["conferenceProperties"],
            }
            if cal.get("description"):
                entry["description"] = cal["description"]
            if cal["_primary"]:
                entry["primary"] = True
                entry["notificationSettings"] = {"notifications": []}
            return entry

    def calendar_list(self) -> dict:
        with self.lock:
            items = [
                self.calendar_list_entry(cid)
                for cid, c in self.calendars.items()
                if not c.get("_deleted")
            ]
            return {
                "kind": "calendar#calendarList",
                "etag": self._etag(self._seq),
                "items": items,
                "nextSyncToken": "calendarlist-" + secrets.token_hex(8),
            }

    def patch_calendar(self, cal_id: str, body: dict, *, replace: bool) -> dict:
        with self.lock:
            cal = self.resolve_calendar(cal_id)
            if replace and not body.get("summary"):
                raise ApiError(400, "required", "Missing title.")
            for key in ("summary", "description", "location", "timeZone"):
                if key in body:
                    if body[key] is None:
                        cal.pop(key, None)
                    else:
                        cal[key] = body[key]
            cal["etag"] = self._etag(self.next_seq())
            return _public(cal)

    def delete_calendar(self, cal_id: str) -> None:
        with self.lock:
            cal = self.resolve_calendar(cal_id)
            if cal["_primary"]:
                raise ApiError(
                    400, "cannotDeletePrimaryCalendar", "Cannot delete primary calendar."
                )
            cal["_deleted"] = True

    # ------------------------------------------------------------------ event storage
    def _store(self, cal: dict) -> dict[str, dict]:
        return self.events[cal["id"]]

    def _touch(self, ev: dict, *, bump_sequence: bool = False) -> None:
        seq = self.next_seq()
        ev["_seq"] = seq
        ev["etag"] = self._etag(seq)
        ev["updated"] = render_utc_ms(self.now())
        if bump_sequence:
            ev["sequence"] = ev.get("sequence", 0) + 1

    def _validate_times(self, ev: dict, cal: dict) -> None:
        tz = cal["timeZone"]
        if "start" not in ev or ev["start"] is None:
            raise ApiError(400, "required", "Missing start time.")
        if "end" not in ev or ev["end"] is None:
            raise ApiError(400, "required", "Missing end time.")
        start = normalize_time(ev["start"], tz, which="start")
        end = normalize_time(ev["end"], tz, which="end")
        if ("date" in start) != ("date" in end):
            raise ApiError(
                400, "invalid", "Start and end times must either both be date or both be dateTime."
            )
        if ev.get("recurrence") and "dateTime" in start and not ev["start"].get("timeZone"):
            raise ApiError(400, "required", "Missing time zone definition for start time.")
        if ev.get("recurrence") and "dateTime" in end and not ev["end"].get("timeZone"):
            raise ApiError(400, "required", "Missing time zone definition for end time.")
        ev["start"], ev["end"] = start, end
        if ev.get("originalStartTime"):
            ev["originalStartTime"] = normalize_time(
                ev["originalStartTime"], tz, which="originalStart"
            )
        s, e = event_interval(ev, tz)
        if e < s or ("date" in start and e <= s):
            raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
        if ev.get("recurrence"):
            if not isinstance(ev["recurrence"], list):
                raise ApiError(400, "invalid", "Invalid recurrence rule.")
            Series(ev, tz)  # validates

    def _html_link(self, cal_id: str, ev_id: str) -> str:
        eid = base64.urlsafe_b64encode(f"{ev_id} {cal_id}".encode()).decode().rstrip("=")
        return f"https://www.google.com/calendar/event?eid={eid}"

    def _new_event(self, cal: dict, body: dict, ev_id: str) -> dict:
        ev = {k: copy.deepcopy(v) for k, v in body.items() if k not in _READ_ONLY and v is not None}
        ev["id"] = ev_id
        ev.setdefault("status", "confirmed")
        if ev["status"] not in ("confirmed", "tentative", "cancelled"):
            raise ApiError(400, "invalid", "Invalid value for: status")
        self._validate_times(ev, cal)
        ev["kind"] = "calendar#event"
        _mark_self(ev, cal["id"])
        ev["htmlLink"] = self._html_link(cal["id"], ev_id)
        ev["creator"] = {"email": self.primary_id, "self": True}
        ev["organizer"] = {"email": cal["id"], "self": True}
        ev.setdefault("sequence", 0)
        ev.setdefault("reminders", {"useDefault": True})
        ev.setdefault("eventType", "default")
        ev["_created_seq"] = self._seq + 1
        self._touch(ev)
        ev["created"] = ev["updated"]
        return ev

    def _series_for(self, cal: dict, master_id: str) -> Series | None:
        master = self._store(cal).get(master_id)
        if master is None or not master.get("recurrence"):
            return None
        return Series(master, cal["timeZone"])

    def _split_instance_id(self, cal: dict, ev_id: str) -> tuple[dict, Series, datetime] | None:
        if "_" not in ev_id:
            return None
        base, suffix = ev_id.rsplit("_", 1)
        series = self._series_for(cal, base)
        if series is None:
            return None
        occ = series.occurrence_for_suffix(suffix)
        if occ is None:
            return None
        return series.master, series, occ

    def _virtual_instance(self, cal: dict, series: Series, occ: datetime) -> dict:
        master = series.master
        inst = {k: copy.deepcopy(v) for k, v in master.items() if k not in ("recurrence",)}
        inst["id"] = f"{master['id']}_{series.suffix(occ)}"
        inst["recurringEventId"] = master["id"]
        inst["originalStartTime"] = series.original_start(occ)
        inst["start"], inst["end"] = series.instance_times(occ)
        inst["htmlLink"] = self._html_link(cal["id"], inst["id"])
        return inst

    def _lookup(self, cal: dict, ev_id: str, *, materialize: bool = False) -> dict:
        """Stored event, or virtual instance (optionally materialized as an exception)."""
        store = self._store(cal)
        if ev_id in store:
            return store[ev_id]
        split = self._split_instance_id(cal, ev_id)
        if split is None:
            raise not_found()
        master, series, occ = split
        if master.get("status") == "cancelled":
            raise not_found()
        inst = self._virtual_instance(cal, series, occ)
        if materialize:
            inst["_created_seq"] = self._seq + 1
            store[inst["id"]] = inst
        return inst

    # ------------------------------------------------------------------ event API
    def insert_event(self, cal_id: str, body: dict) -> dict:
        with self.lock:
            cal = self.resolve_calendar(cal_id)
            store = self._store(cal)
            ev_id = body.get("id")
            if ev_id is not None:
                if (
                    not isinstance(ev_id, str)
                    or not _B32HEX.match(ev_id.split("_", 1)[0])
                    or not re.match(r"^[a-v0-9_TZ]{5,1024}$", ev_id)
                ):
                    raise ApiError(400, "invalid", "Invalid resource id value.")
                if ev_id in store:
                    raise ApiError(409, "duplicate", "The requested identifier already exists.")
                if body.get("recurringEventId"):
                    # creating an exception for an instance of a recurring series
                    inst = self._lookup(cal, ev_id, materialize=False)
                    merged = {
                        **_public(inst),
                        **{k: v for k, v in body.items() if k not in _READ_ONLY},
                    }
                    ev = self._new_event(cal, merged, ev_id)
                    store[ev_id] = ev
                    return _public(ev)
                if "_" in ev_id:
                    raise ApiError(400, "invalid", "Invalid resource id value.")
            else:
                ev_id = _gen_id()
            ev = self._new_event(cal, body, ev_id)
            ev["iCalUID"] = body.get("iCalUID") or f"{ev_id}@google.com"
            store[ev_id] = ev
            return _public(ev)

    def get_event(self, cal_id: str, ev_id: str) -> dict:
        with self.lock:
            cal = self.resolve_calendar(cal_id)
            return _public(self._lookup(cal, ev_id))

    def modify_event(
        self,
        cal_id: str,
        ev_id: str,
        body: dict,
        *,
        replace: bool,
        bump_sequence: bool | None = None,
    ) -> dict:
        with self.lock:
            cal = self.resolve_calendar(cal_id)
            ev = self._lookup(cal, ev_id, materialize=False)
            candidate = copy.deepcopy(ev)
            if replace:
                keep = {
                    k: v
                    for k, v in candidate.items()
                    if k.startswith("_")
                    or k in _READ_ONLY
                    or k in ("id", "recurringEventId", "originalStartTime", "sequence")
                }
                candidate = {
                    **keep,
                    **{
                        k: copy.deepcopy(v)
                        for k, v in body.items()
                        if k not in _READ_ONLY and k != "id" and v is not None
                    },
                }
                candidate.setdefault("status", "confirmed")
            else:
                _deep_merge(
                    candidate, {k: v for k, v in body.items() if k not in _READ_ONLY and k != "id"}
                )
            if "id" in body and body["id"] != ev["id"]:
                raise ApiError(400, "invalid", "Invalid resource id value.")
            if candidate.get("recurringEventId") and candidate.get("recurrence"):
                candidate.pop("recurrence")
            self._validate_times(candidate, cal)
            _mark_self(candidate, cal["id"])
            if bump_sequence is None:
                bump_sequence = any(
                    candidate.get(k) != ev.get(k) for k in ("start", "end", "recurrence")
                )
            if "sequence" in body and isinstance(body["sequence"], int):
                candidate["sequence"] = max(body["sequence"], ev.get("sequence", 0))
            store = self._store(cal)
            if candidate["id"] not in store:
                candidate["_created_seq"] = self._seq + 1
            self._touch(candidate, bump_sequence=bump_sequence)
            store[candidate["id"]] = candidate
            return _public(candidate)

    def delete_event(self, cal_id: str, ev_id: str) -> None:
        with self.lock:
            cal = self.resolve_calendar(cal_id)
            ev = self._lookup(cal, ev_id, materialize=True)
            if ev.get("status") == "cancelled":
                raise ApiError(410, "deleted", "Resource has been deleted")
            ev["status"] = "cancelled"
            self._touch(ev)
            if ev.get("recurrence"):
                for other in self._store(cal).values():
                    if (
                        other.get("recurringEventId") == ev["id"]
                        and other.get("status") != "cancelled"
                    ):
                        other["status"] = "cancelled"
                        self._touch(other)

    # ------------------------------------------------------------------ listing
    def _tombstone(self, ev: dict) -> dict:
        out = {
            "kind": "calendar#event",
            "etag": ev["etag"],
            "id": ev["id"],
            "status": "cancelled",
            "updated": ev["updated"],
        }
        if ev.get("recurringEventId"):
            out["recurringEventId"] = ev["recurringEventId"]
            out["originalStartTime"] = copy.deepcopy(ev["originalStartTime"])
        return out

    def _expand(
        self,
        cal: dict,
        master: dict,
        wmin: datetime | None,
        wmax: datetime | None,
        *,
        include_cancelled: bool,
    ) -> list[dict]:
        """Instances of a master (exceptions applied), overlapping [wmin, wmax)."""
        store = self._store(cal)
        tz = cal["timeZone"]
        series = Series(master, tz)
        horizon = wmax or (max(self.now(), series._utc(series.dtstart)) + DEFAULT_HORIZON)
        # look a bit before wmin for instances that were moved into the window
        out: list[dict] = []
        seen: set[str] = set()
        for occ in series.occurrences(wmin, horizon):
            inst_id = f"{master['id']}_{series.suffix(occ)}"
            seen.add(inst_id)
            if inst_id in store:
                continue  # handled with the exceptions below
            out.append(self._virtual_instance(cal, series, occ))
        for ev in store.values():
            if ev.get("recurringEventId") != master["id"]:
                continue
            if ev.get("status") == "cancelled":
                if include_cancelled and (
                    ev["id"] in seen or self._overlaps_original(ev, tz, wmin, horizon)
                ):
                    out.append(ev)
                continue
            s, e = event_interval(ev, tz)
            if self._overlaps(s, e, wmin, horizon):
                out.append(ev)
        return out

    @staticmethod
    def _overlaps(s: datetime, e: datetime, wmin: datetime | None, wmax: datetime | None) -> bool:
        if wmin is not None and not (e > wmin or (s == e and s >= wmin)):
            return False
        return wmax is None or s < wmax

    def _overlaps_original(
        self, ev: dict, tz: str, wmin: datetime | None, wmax: datetime | None
    ) -> bool:
        ost = ev.get("originalStartTime")
        if not ost:
            return True
        s = to_utc_bounds(ost, tz, which="originalStart")
        return self._overlaps(s, s + timedelta(seconds=1), wmin, wmax)

    def list_events(self, cal_id: str, query: dict[str, list[str]]) -> dict:
        with self.lock:
            cal = self.resolve_calendar(cal_id)
            q1 = {k: v[-1] for k, v in query.items() if v}
            page_token = q1.get("pageToken")
            max_results = MAX_RESULTS_DEFAULT
            if "maxResults" in q1:
                try:
                    max_results = int(q1["maxResults"])
                except ValueError as exc:
                    raise ApiError(400, "invalid", "Invalid value for: maxResults") from exc
                if max_results < 1:
                    raise ApiError(400, "invalid", "Invalid value for: maxResults")
                max_results = min(max_results, MAX_RESULTS_LIMIT)
            if page_token:
                state = self.page_tokens.pop(page_token, None)
                if state is None or state["cal"] != cal["id"]:
                    raise ApiError(400, "invalid", "Invalid page token value.")
                return self._page(cal, state["items"], state["sync_seq"], max_results)
            items, sync_seq = self._compute_list(cal, q1, query)
            return self._page(cal, items, sync_seq, max_results)

    def _page(self, cal: dict, items: list[dict], sync_seq: int, max_results: int) -> dict:
        page, rest = items[:max_results], items[max_results:]
        resp = {
            "kind": "calendar#events",
            "etag": self._etag(self._seq),
            "summary": cal["summary"],
            "description": cal.get("description", ""),
            "updated": render_utc_ms(self.now()),
            "timeZone": cal["timeZone"],
            "accessRole": "owner",
            "defaultReminders": [{"method": "popup", "minutes": 30}] if cal["_primary"] else [],
            "items": page,
        }
        if rest:
            token = "pt" + secrets.token_urlsafe(16)
            self.page_tokens[token] = {"cal": cal["id"], "items": rest, "sync_seq": sync_seq}
            resp["nextPageToken"] = token
        else:
            token = "CP" + secrets.token_urlsafe(18)
            self.sync_tokens[token] = (cal["id"], sync_seq)
            resp["nextSyncToken"] = token
        return resp

    def _compute_list(
        self, cal: dict, q1: dict[str, str], query: dict[str, list[str]]
    ) -> tuple[list[dict], int]:
        tz = cal["timeZone"]
        single = _bool_param(q1, "singleEvents")
        order_by = q1.get("orderBy")
        sync_token = q1.get("syncToken")
        store = self._store(cal)
        if order_by is not None and order_by not in ("startTime", "updated"):
            raise ApiError(400, "invalid", "Invalid value for: orderBy")
        if order_by == "startTime" and not single:
            raise ApiError(
                400,
                "badRequest",
                "The requested ordering is not available for the particular query.",
            )
        if sync_token:
            bad = [p for p in _SYNC_FORBIDDEN if p in query]
            if bad:
                raise ApiError(
                    400, "invalid", f"Sync token cannot be used with the {bad[0]} parameter."
                )
            if "showDeleted" in q1 and not _bool_param(q1, "showDeleted"):
                raise ApiError(400, "invalid", "Sync token cannot be used with showDeleted=false.")
            entry = self.sync_tokens.get(sync_token)
            if entry is None or entry[0] != cal["id"]:
                raise ApiError(
                    410,
                    "fullSyncRequired",
                    "Sync token is no longer valid, a full sync is required.",
                )
            since = entry[1]
            out: list[dict] = []
            for ev in sorted(store.values(), key=lambda e: e["_seq"]):
                if ev["_seq"] <= since:
                    continue
                if ev.get("status") == "cancelled":
                    out.append(self._tombstone(ev))
                elif single and ev.get("recurrence"):
                    for inst in self._expand(cal, ev, None, None, include_cancelled=True):
                        out.append(
                            self._tombstone(inst)
                            if inst.get("status") == "cancelled"
                            else _public(inst)
                        )
                else:
                    out.append(_public(ev))
            return self._dedupe(out), self._seq

        wmin = parse_rfc3339(q1["timeMin"], param="timeMin") if "timeMin" in q1 else None
        wmax = parse_rfc3339(q1["timeMax"], param="timeMax") if "timeMax" in q1 else None
        if wmin is not None and wmax is not None and wmax <= wmin:
            raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
        updated_min = (
            parse_rfc3339(q1["updatedMin"], param="updatedMin") if "updatedMin" in q1 else None
        )
        show_deleted = _bool_param(q1, "showDeleted") or updated_min is not None
        props = []
        for raw in query.get("privateExtendedProperty", []):
            key, sep, value = raw.partition("=")
            if not sep:
                raise ApiError(400, "invalid", "Invalid value for: privateExtendedProperty")
            props.append((key, value))
        shared = [tuple(r.partition("=")[::2]) for r in query.get("sharedExtendedProperty", [])]
        text = q1.get("q", "").lower()
        ical = q1.get("iCalUID")

        def matches(ev: dict) -> bool:
            priv = (ev.get("extendedProperties") or {}).get("private") or {}
            shr = (ev.get("extendedProperties") or {}).get("shared") or {}
            if any(priv.get(k) != v for k, v in props) or any(shr.get(k) != v for k, v in shared):
                return False
            if text and not any(
                text in str(ev.get(f, "")).lower() for f in ("summary", "description", "location")
            ):
                return False
            if ical and ev.get("iCalUID") != ical:
                return False
            return updated_min is None or datetime.fromisoformat(ev["updated"]) >= updated_min

        out = []
        for ev in sorted(store.values(), key=lambda e: e["_created_seq"]):
            cancelled = ev.get("status") == "cancelled"
            if ev.get("recurringEventId"):
                master = store.get(ev["recurringEventId"])
                if single:
                    continue  # emitted via the master's expansion
                if (
                    cancelled
                    and not show_deleted
                    and (master is None or master.get("status") == "cancelled")
                ):
                    continue
                # cancelled exceptions are included when singleEvents=false (as Google does)
                if not cancelled:
                    s, e = event_interval(ev, tz)
                    if not self._overlaps(s, e, wmin, wmax):
                        continue
                elif not self._overlaps_original(ev, tz, wmin, wmax):
                    continue
                if matches(ev):
                    out.append(self._tombstone(ev) if cancelled else _public(ev))
                continue
            if cancelled:
                if show_deleted and matches(ev):
                    out.append(self._tombstone(ev))
                continue
            if ev.get("recurrence"):
                insts = self._expand(cal, ev, wmin, wmax, include_cancelled=show_deleted)
                if single:
                    out.extend(
                        self._tombstone(i) if i.get("status") == "cancelled" else _public(i)
                        for i in insts
                        if matches(i)
                    )
                elif insts and matches(ev):
                    out.append(_public(ev))
                continue
            s, e = event_interval(ev, tz)
            if self._overlaps(s, e, wmin, wmax) and matches(ev):
                out.append(_public(ev))
        if order_by == "startTime":

            def key(item: dict) -> datetime:
                if item.get("status") == "cancelled" and "start" not in item:
                    src = item.get("originalStartTime")
                    return (
                        event_interval({"start": src, "end": src}, tz)[0]
                        if src
                        else datetime.min.replace(tzinfo=UTC)
                    )
                return event_interval(item, tz)[0]

            out.sort(key=key)
        elif order_by == "updated":
            out.sort(key=lambda i: i.get("updated", ""))
        return out, self._seq

    @staticmethod
    def _dedupe(items: list[dict]) -> list[dict]:
        seen: set[str] = set()
        out = []
        for item in items:
            if item["id"] not in seen:
                seen.add(item["id"])
                out.append(item)
        return out

    def instances(self, cal_id: str, ev_id: str, query: dict[str, list[str]]) -> dict:
        with self.lock:
            cal = self.resolve_calendar(cal_id)
            master = self._store(cal).get(ev_id)
            if master is None:
                raise not_found()
            if master.get("status") == "cancelled":
                raise ApiError(410, "deleted", "Resource has been deleted")
            q1 = {k: v[-1] for k, v in query.items() if v}
            if not master.get("recurrence"):
                return {"kind": "calendar#events", "items": [_public(master)]}
            wmin = parse_rfc3339(q1["timeMin"], param="timeMin") if "timeMin" in q1 else None
            wmax = parse_rfc3339(q1["timeMax"], param="timeMax") if "timeMax" in q1 else None
            insts = self._expand(
                cal, master, wmin, wmax, include_cancelled=_bool_param(q1, "showDeleted")
            )
            tz = cal["timeZone"]
            insts.sort(
                key=lambda i: event_interval(
                    {"start": i["originalStartTime"], "end": i["originalStartTime"]}, tz
                )[0]
            )
            items = [
                self._tombstone(i) if i.get("status") == "cancelled" else _public(i) for i in insts
            ]
            max_results = min(int(q1.get("maxResults", MAX_RESULTS_DEFAULT)), MAX_RESULTS_LIMIT)
            if "pageToken" in q1:
                state = self.page_tokens.pop(q1["pageToken"], None)
                if state is None:
                    raise ApiError(400, "invalid", "Invalid page token value.")
                items = state["items"]
            resp = self._page(cal, items, self._seq, max_results)
            resp.pop("nextSyncToken", None)
            return resp

    # ------------------------------------------------------------------ freebusy
    def freebusy(self, body: dict, errors: dict[str, str] | None = None) -> dict:
        with self.lock:
            if not body.get("timeMin") or not body.get("timeMax"):
                raise ApiError(400, "required", "Missing timeMin or timeMax.")
            wmin = parse_rfc3339(body["timeMin"], param="timeMin")
            wmax = parse_rfc3339(body["timeMax"], param="timeMax")
            if wmax <= wmin:
                raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
            if wmax - wmin > FREEBUSY_MAX_SPAN:
                raise ApiError(400, "timeRangeTooLong", "The requested time range is too long.")
            out_tz = zone(body.get("timeZone"), "UTC")
            cals: dict[str, dict] = {}
            for item in body.get("items") or []:
                cid = item.get("id")
                reason = (errors or {}).get(self.primary_id if cid == "primary" else cid)
                if reason:  # a per-calendar error; the query itself still succeeds
                    cals[cid] = {"errors": [{"domain": "global", "reason": reason}], "busy": []}
                    continue
                try:
                    cal = self.resolve_calendar(cid)
                except ApiError:
                    cals[cid] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
                    continue
                tz = cal["timeZone"]
                intervals = []
                for ev in self._store(cal).values():
                    if ev.get("status") == "cancelled" or ev.get("transparency") == "transparent":
                        continue
                    if ev.get("recurringEventId"):
                        continue  # covered by the master's expansion
                    if ev.get("recurrence"):
                        cands = self._expand(cal, ev, wmin, wmax, include_cancelled=False)
                    else:
                        cands = [ev]
                    for c in cands:
                        if c.get("status") == "cancelled" or c.get("transparency") == "transparent":
                            continue
                        s, e = event_interval(c, tz)
                        if self._overlaps(s, e, wmin, wmax) and e > s:
                            intervals.append((max(s, wmin), min(e, wmax)))
                intervals.sort()
                merged: list[list[datetime]] = []
                for s, e in intervals:
                    if merged and s <= merged[-1][1]:
                        merged[-1][1] = max(merged[-1][1], e)
                    else:
                        merged.append([s, e])
                cals[cid] = {
                    "busy": [
                        {"start": render(s, out_tz), "end": render(e, out_tz)} for s, e in merged
                    ]
                }
            return {
                "kind": "calendar#freeBusy",
                "timeMin": render(wmin, UTC),
                "timeMax": render(wmax, UTC),
                "calendars": cals,
            }

    # ------------------------------------------------------------------ test controls
    def stored_events(self, cal_id: str, include_deleted: bool) -> list[dict]:
        with self.lock:
            cal = self.resolve_calendar(cal_id)
            return [
                _public(e)
                for e in sorted(self._store(cal).values(), key=lambda e: e["_created_seq"])
                if include_deleted or e.get("status") != "cancelled"
            ]

    def expire_sync_tokens(self) -> None:
        with self.lock:
            self.sync_tokens.clear()
            self.page_tokens.clear()

    def snapshot(self) -> Any:
        with self.lock:
            return copy.deepcopy(self.events)
