"""The values the core passes around: frozen, hashable, free of I/O.

Every datetime here is timezone-aware and normalised to UTC by whoever builds
it (the sources), so that subtracting two of them gives real elapsed time even
across a DST change. Local time matters only for display and training hours.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Literal

Kind = Literal["leg_day", "run"]
Intensity = Literal["easy", "moderate", "hard", "normal", "heavy"]
Severity = Literal["conflict", "info"]
SuggestionKind = Literal["instead", "move", "move-leg-day", "lighten"]
Target = Literal["run", "leg_day"]
Op = Literal["create", "update", "delete"]

#: The key every event the tool writes carries (Google: in ``extendedProperties.private``);
#: sources skip such events.
MARKER = "legday_sync"
#: The same mark as an iCalendar property (``X-LEGDAY-SYNC``: its value is the suggestion id).
ICS_MARKER = "X-" + MARKER.upper().replace("_", "-")


@dataclass(frozen=True, slots=True)
class Window:
    """The stretch of time a sync looks at, [start, end)."""

    start: datetime
    end: datetime

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether [start, end) shares time with the window.

        The one rule for every source, fake and cut: half-open intervals, so an event that
        ends when the window starts is outside; a zero-length event (a reminder at 07:00)
        is an instant, inside when ``window.start <= start < window.end``.
        """
        if start == end:
            return self.start <= start < self.end
        return start < self.end and end > self.start


@dataclass(frozen=True, slots=True)
class Event:
    """One occurrence of a calendar event, as a source read it.

    ``uid`` is the series UID for a recurring event; ``original_start`` is the
    occurrence's RECURRENCE-ID (its slot in the series) and equals ``start``
    unless the occurrence was moved. (source, uid, original_start) identifies
    an occurrence across syncs.
    """

    source: str
    uid: str
    start: datetime
    end: datetime
    title: str
    original_start: datetime | None = None
    all_day: bool = False
    categories: tuple[str, ...] = ()
    description: str = ""
    transparent: bool = False
    url: str = ""

    @property
    def occurrence(self) -> tuple[str, str, str]:
        start = self.original_start or self.start
        return (self.source, self.uid, start.isoformat())

    @property
    def busy(self) -> bool:
        """Whether the event blocks a slot for a moved run.

        All-day events (birthdays, holidays, "gym week") do not: Google marks
        them free by default and people rarely mean them as blocks of time.
        """
        return not self.transparent and not self.all_day


@dataclass(frozen=True, slots=True)
class TrainingRange:
    """A daily stretch of local time in which the person trains, e.g. 06:00-09:00."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class Workout:
    """A classified event. One event that is both a leg stressor and a run (HYROX) gives two
    workouts, a ``leg_day`` and a ``run``, sharing the event; rules never pair them."""

    event: Event
    kind: Kind
    intensity: Intensity
    #: a race keeps its date: never moved, never replaced (its leg day gives way)
    race: bool = False
    #: a long run: an endurance key session the planner protects like ``key``
    long: bool = False
    #: tagged ``#key`` (or a long run): resolved on the leg-day side first
    key: bool = False
    #: the words or fields that decided the verdict, for `legday-sync events`
    evidence: tuple[str, ...] = field(default=(), compare=False)

    @property
    def start(self) -> datetime:
        return self.event.start

    @property
    def end(self) -> datetime:
        return self.event.end


@dataclass(frozen=True, slots=True)
class Conflict:
    id: str
    rule: str
    severity: Severity
    leg_day: Workout
    run: Workout
    gap_hours: float
    window_hours: float | None
    explanation: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    id: str
    conflict_id: str
    kind: SuggestionKind
    activity: str
    start: datetime
    end: datetime
    title: str
    description: str
    #: the run of the conflict: what ``instead`` stands in for, what ``move`` relocates
    run: Workout = field(compare=False)
    #: the session the suggestion acts on: the run (``instead``, ``move``) or the leg day
    #: (``move-leg-day`` relocates it to [start, end), ``lighten`` sits on it)
    target: Target = "run"
    #: a date-only suggestion (for a date-only workout): [start, end) are local midnights
    all_day: bool = False
    #: the leg day of the conflict
    leg_day: Workout | None = field(default=None, compare=False)

    @property
    def fingerprint(self) -> str:
        """What a sink compares to tell whether the written event is current."""
        return fingerprint(self.start, self.end, self.title, self.description)


@dataclass(frozen=True, slots=True)
class Action:
    op: Op
    target: str
    suggestion_id: str
    suggestion: Suggestion | None = None
    reason: str = ""


def fingerprint(start: datetime, end: datetime, title: str, description: str) -> str:
    """What a written suggestion looks like, as one hash: the sink compares the fingerprint
    of what it holds with the suggestion's, and a difference means the user edited it. Every
    sink computes it here, or a drift would make each suggestion look user-edited."""
    return digest(start.isoformat(), end.isoformat(), title, description)


def digest(*parts: str, length: int = 32) -> str:
    """A stable hex id of ``parts``; hex is valid base32hex, so Google accepts it as an event id."""
    h = hashlib.sha256("\x1f".join(parts).encode("utf-8"))
    return h.hexdigest()[:length]
