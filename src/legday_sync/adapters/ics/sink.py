"""The .ics file of suggestions: what `[output.ics] path` holds and the feed serves.

The file is the sink's whole state: each VEVENT carries its suggestion id,
fingerprint, SEQUENCE and LAST-MODIFIED, so the file is rendered again from
itself plus the actions, and from nothing else. The rendering depends only on
that data (DTSTAMP is LAST-MODIFIED, not the render time), so the bytes stay
the same while nothing changes. Writes are atomic: a temp file, then rename.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import icalendar

from ...core.model import ICS_MARKER, Action
from ...core.ports import Held
from ...errors import SinkError
from ..files import write_private

PRODID = "-//legday-sync//legday-sync//EN"
UTC = ZoneInfo("UTC")
PROP_ID = ICS_MARKER
PROP_FP = f"{ICS_MARKER}-FINGERPRINT"
PROP_RUN = f"{ICS_MARKER}-RUN-START"
PROP_KIND = f"{ICS_MARKER}-KIND"
#: which config wrote the event (Settings.config_id): another config's sync leaves it alone
PROP_OWNER = f"{ICS_MARKER}-CONFIG"
REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class StoredEvent:
    suggestion_id: str
    kind: str
    start: datetime
    end: datetime
    title: str
    description: str
    fingerprint: str
    run_start: datetime
    sequence: int
    created: datetime
    last_modified: datetime
    owner: str = ""
    #: a date-only suggestion: written as DATE values (start and end are local midnights)
    all_day: bool = False


#: the last parse of a suggestions file: (path, inode, mtime_ns, size) -> read()'s result
_READ_CACHE: dict[tuple[str, int, int, int], tuple[dict[str, StoredEvent], datetime | None]] = {}


class IcsFileSink:
    """Suggestions kept in one .ics file that only legday-sync writes."""

    user_editable: ClassVar[bool] = False

    def __init__(self, path: Path, *, tz: ZoneInfo, calendar_name: str = "Legday suggestions",
                 name: str = "ics", owner: str = "") -> None:
        self.path = path
        self.owner = owner
        self.tz = tz
        self.calendar_name = calendar_name
        self.name = name

    @property
    def where(self) -> str:
        """Where the suggestions go, for the sync report (relative when below the cwd)."""
        try:
            shown = self.path.relative_to(Path.cwd())
        except ValueError:
            shown = self.path
        return f"the feed file {shown}"

    # -- reading our own file ------------------------------------------------------
    def stored(self) -> dict[str, StoredEvent]:
        return self.read()[0]

    def read(self) -> tuple[dict[str, StoredEvent], datetime | None]:
        """The events in the file, and the file's own LAST-MODIFIED.

        Parsed once per version of the file (by inode, mtime and size: every write
        replaces the file), so a daemon's steady-state sync doesn't re-parse it."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return {}, None
        except OSError as e:
            raise SinkError(self.name, f"can't read {self.path}: {e.strerror}") from None
        key = (str(self.path), st.st_ino, st.st_mtime_ns, st.st_size)
        hit = _READ_CACHE.get(key)
        if hit is not None:
            return dict(hit[0]), hit[1]
        events, modified = self._read()
        _READ_CACHE.clear()  # keep only the last file read: a process has one or two
        _READ_CACHE[key] = (dict(events), modified)
        return events, modified

    def _read(self) -> tuple[dict[str, StoredEvent], datetime | None]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return {}, None
        except OSError as e:
            raise SinkError(self.name, f"can't read {self.path}: {e.strerror}") from None
        if not data.strip():
            return {}, None
        try:
            cal = icalendar.Calendar.from_ical(data)
        except ValueError as e:
            raise SinkError(self.name, f"{self.path} is not a calendar legday-sync wrote ({e})",
                            "point [output.ics] path at a new file; legday-sync won't overwrite "
                            "a file it didn't write") from None
        if str(cal.get("PRODID", "")) != PRODID:
            raise SinkError(self.name, f"{self.path} was not written by legday-sync",
                            "point [output.ics] path at a new file; legday-sync won't overwrite "
                            "a file it didn't write")
        out = {}
        for ev in cal.walk("VEVENT"):
            sid = str(ev.get(PROP_ID, ""))
            if not sid:
                continue
            start, end = ev.decoded("DTSTART"), ev.decoded("DTEND")
            all_day = not isinstance(start, datetime)
            out[sid] = StoredEvent(
                suggestion_id=sid, kind=str(ev.get(PROP_KIND, "")), all_day=all_day,
                start=_midnight(start, self.tz) if all_day else _utc(start),
                end=_midnight(end, self.tz) if all_day else _utc(end),
                title=str(ev.get("SUMMARY", "")), description=str(ev.get("DESCRIPTION", "")),
                fingerprint=str(ev.get(PROP_FP, "")),
                run_start=datetime.fromisoformat(str(ev.get(PROP_RUN))),
                sequence=int(ev.get("SEQUENCE", 0)), created=_utc(ev.decoded("CREATED")),
                last_modified=_utc(ev.decoded("LAST-MODIFIED")),
                owner=str(ev.get(PROP_OWNER, "")))
        modified = cal.get("LAST-MODIFIED")
        return out, (_utc(modified.dt) if modified is not None else None)

    def load(self) -> dict[str, Held]:
        return {sid: Held(sid, e.fingerprint, start=e.run_start, owner=e.owner or None)
                for sid, e in self.stored().items()}

    # -- writing -------------------------------------------------------------------------
    def apply(self, actions: Sequence[Action], now: datetime) -> None:
        if not actions:
            return
        now = now.astimezone(UTC).replace(microsecond=0)
        events, _ = self.read()
        for a in actions:
            old = events.get(a.suggestion_id)
            if a.op == "delete":
                events.pop(a.suggestion_id, None)
                continue
            s = a.suggestion
            assert s is not None, "create and update carry their suggestion"
            new = StoredEvent(
                suggestion_id=s.id, kind=s.kind, start=s.start, end=s.end, title=s.title,
                description=s.description, fingerprint=s.fingerprint, run_start=s.run.start,
                sequence=0, created=now, last_modified=now, owner=self.owner,
                all_day=s.all_day)
            if old is not None:
                if old.fingerprint == s.fingerprint:
                    continue  # already current (a repeated apply)
                new = replace(new, sequence=old.sequence + 1, created=old.created)
            events[s.id] = new
        self.write(render(events.values(), tz=self.tz, name=self.calendar_name, modified=now))

    def write(self, data: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # writers hold the sync lock, so a temp file already here was left by a crash
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            stale.unlink(missing_ok=True)
        try:
            # 0600 from creation, whatever the umask: the feed is behind a secret token
            write_private(self.path, data)
        except OSError as e:
            raise SinkError(self.name, f"can't write {self.path}: {e.strerror}") from None


def render(events: Iterable[StoredEvent], *, tz: ZoneInfo, name: str,
           modified: datetime) -> bytes:
    """The feed's bytes: a pure function of the stored events and the last change's time.

    The calendar's own LAST-MODIFIED (RFC 7986) moves when an event leaves the
    feed too, which the events' stamps alone would not show.
    """
    events = sorted(events, key=lambda e: (e.start, e.suggestion_id))
    cal = icalendar.Calendar()
    cal.add("VERSION", "2.0")
    cal.add("PRODID", PRODID)
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("NAME", name)
    cal.add("X-WR-CALNAME", name)
    cal.add("X-WR-CALDESC", "Recovery-aware suggestions from legday-sync")
    cal.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", icalendar.vDuration(REFRESH))  # an X- property: say the type
    cal.add("LAST-MODIFIED", modified)
    tzid = str(tz.key)
    local = tzid != "UTC"
    if events and local:
        first = min(e.start for e in events).astimezone(tz).date()
        last = max(e.end for e in events).astimezone(tz).date()
        cal.add_component(icalendar.Timezone.from_tzid(
            tzid, first_date=date(first.year - 1, 1, 1), last_date=date(last.year + 1, 12, 31)))
    for e in events:
        ev = icalendar.Event()
        ev.add("UID", f"{e.suggestion_id}@legday-sync")
        ev.add("DTSTAMP", e.last_modified)
        ev.add("CREATED", e.created)
        ev.add("LAST-MODIFIED", e.last_modified)
        ev.add("SEQUENCE", e.sequence)
        if e.all_day:  # a day, not 24 hours: DATE values, as the plan exported them
            ev.add("DTSTART", e.start.astimezone(tz).date())
            ev.add("DTEND", e.end.astimezone(tz).date())
        else:
            ev.add("DTSTART", e.start.astimezone(tz) if local else e.start)
            ev.add("DTEND", e.end.astimezone(tz) if local else e.end)
        ev.add("SUMMARY", e.title)
        ev.add("DESCRIPTION", e.description)
        ev.add("TRANSP", "TRANSPARENT")
        ev.add("CATEGORIES", ["legday-sync", e.kind])
        ev.add(PROP_ID, e.suggestion_id)
        ev.add(PROP_KIND, e.kind)
        ev.add(PROP_FP, e.fingerprint)
        ev.add(PROP_RUN, e.run_start.isoformat())
        if e.owner:
            ev.add(PROP_OWNER, e.owner)
        cal.add_component(ev)
    return cal.to_ical()


def _midnight(value: object, tz: ZoneInfo) -> datetime:
    assert isinstance(value, date)
    return datetime.combine(value, time(0), tzinfo=tz).astimezone(UTC)


def _utc(value: object) -> datetime:
    assert isinstance(value, datetime)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
