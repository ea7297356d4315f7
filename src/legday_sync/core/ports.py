"""The two ports of the shell: where events come from and where suggestions go.

Each port has one contract test class (tests/contract) run against every
adapter and against the in-memory fakes in ``legday_sync.adapters.memory``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

from .model import Action, Event, Window


@dataclass(frozen=True)
class FetchResult:
    events: tuple[Event, ...]
    #: per-event problems ("event X has no DTSTART, skipped"); the source still counts as read
    warnings: tuple[str, ...] = ()
    #: extra busy intervals (e.g. Google free/busy) beyond the events themselves
    busy: tuple[tuple[object, object], ...] = ()


class Source(Protocol):
    name: str

    def fetch(self, window: Window) -> FetchResult:
        """Events overlapping ``window``; raises SourceError when the source can't be read."""
        ...


@dataclass(frozen=True)
class Held:
    """A suggestion event as a sink currently holds it."""

    suggestion_id: str
    fingerprint: str
    #: the user deleted it (Google keeps a cancelled tombstone)
    deleted: bool = False
    start: datetime | None = None
    #: the config that wrote it (Settings.config_id), where the sink records it
    owner: str | None = None
    #: the fingerprint the tool wrote, kept inside the event where the sink can (Google,
    #: CalDAV): a difference from ``fingerprint`` is the user's edit, seen without a ledger
    written: str = ""


class Sink(Protocol):
    name: str
    #: whether people edit and delete the sink's events by hand (a Google calendar: yes;
    #: the .ics file behind the feed: no, so a difference there is repaired, not respected)
    user_editable: ClassVar[bool]

    def load(self) -> dict[str, Held]:
        """What the sink holds now, by suggestion id. Raises SinkError."""
        ...

    def apply(self, actions: Sequence[Action], now: datetime) -> Mapping[str, str] | None:
        """Carry out ``actions`` (all targeting this sink). Idempotent: safe to repeat.

        ``now`` stamps LAST-MODIFIED/DTSTAMP of what changes; nothing else reads the clock.
        A sink that writes conditionally (CalDAV's If-Match) may return the suggestions the
        user changed meanwhile, id -> "edited" or "dismissed": those were left as they are.
        """
        ...
