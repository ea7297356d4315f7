"""One suggestion as a CalDAV resource: what legday-sync writes, and how it reads it back.

A resource holds one VEVENT (and the VTIMEZONE its times use), marked ``X-LEGDAY-SYNC``
with the suggestion id, free (``TRANSP:TRANSPARENT``), carrying the run it stands for and
the fingerprint of what was written, so that a change made on the phone shows in the
event itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from ...core.model import Suggestion, fingerprint
from ...core.ports import Held
from ..ics.sink import PRODID, PROP_FP, PROP_ID, PROP_KIND, PROP_OWNER, PROP_RUN
from .client import Resource

ICS_TYPE = "text/calendar; charset=utf-8"


def render(s: Suggestion, tz: ZoneInfo, now: datetime, sequence: int, owner: str = "") -> str:
    """The resource: one VEVENT (and the VTIMEZONE its times use). ``owner``: the config
    that writes it, so two configs sharing a calendar leave each other's events alone."""
    now = now.astimezone(UTC).replace(microsecond=0)
    cal = icalendar.Calendar()
    cal.add("VERSION", "2.0")
    cal.add("PRODID", PRODID)
    local = tz.key != "UTC"
    if local:
        first, last = s.start.astimezone(tz).date(), s.end.astimezone(tz).date()
        cal.add_component(icalendar.Timezone.from_tzid(
            tz.key, first_date=first.replace(month=1, day=1),
            last_date=last.replace(month=12, day=31)))
    ev = icalendar.Event()
    ev.add("UID", f"{s.id}@legday-sync")
    ev.add("DTSTAMP", now)
    ev.add("LAST-MODIFIED", now)
    ev.add("SEQUENCE", sequence)
    ev.add("DTSTART", s.start.astimezone(tz) if local else s.start.astimezone(UTC))
    ev.add("DTEND", s.end.astimezone(tz) if local else s.end.astimezone(UTC))
    ev.add("SUMMARY", s.title)
    ev.add("DESCRIPTION", s.description)
    ev.add("TRANSP", "TRANSPARENT")
    ev.add("CATEGORIES", ["legday-sync", s.kind])
    ev.add(PROP_ID, s.id)
    ev.add(PROP_KIND, s.kind)
    ev.add(PROP_RUN, s.run.start.astimezone(UTC).isoformat())
    # what was written, inside the event: an edit shows even to a machine with no ledger
    ev.add(PROP_FP, s.fingerprint)
    if owner:
        ev.add(PROP_OWNER, owner)
    cal.add_component(ev)
    return cal.to_ical().decode("utf-8")


def to_held(r: Resource) -> Held | None:
    """A resource as the sink holds it; None when it isn't one of ours (no marker)."""
    try:
        cal = icalendar.Calendar.from_ical(r.data)
    except ValueError:
        return None
    for ev in cal.walk("VEVENT"):
        sid = str(ev.get(PROP_ID, "") or "").strip()
        if not sid:
            continue
        run_start = _run_start(ev)
        try:
            start, end = _utc(ev.decoded("DTSTART")), _utc(ev.decoded("DTEND"))
        except (KeyError, AssertionError, ValueError):
            # made all-day, or its end removed, on the phone: an edit
            return Held(sid, "edited", start=run_start)
        fp = fingerprint(start, end, str(ev.get("SUMMARY", "")), str(ev.get("DESCRIPTION", "")))
        return Held(sid, fp, start=run_start, owner=str(ev.get(PROP_OWNER, "")) or None,
                    written=str(ev.get(PROP_FP, "")))
    return None


def edited_by_user(r: Resource) -> bool:
    """Whether the resource no longer holds what legday-sync wrote into it (the fingerprint
    it wrote is inside; an event from before that property counts as unedited)."""
    held = to_held(r)
    if held is None:
        return True
    return bool(held.written) and held.written != held.fingerprint


def sequence(r: Resource) -> int:
    """The resource's SEQUENCE (an update sends it one higher, so phones take the change)."""
    try:
        cal = icalendar.Calendar.from_ical(r.data)
        return max((int(ev.get("SEQUENCE", 0)) for ev in cal.walk("VEVENT")), default=0)
    except (ValueError, TypeError):
        return 0


def _run_start(ev: Any) -> datetime | None:
    return parse_time(str(ev.get(PROP_RUN)))


def parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def _utc(value: object) -> datetime:
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
