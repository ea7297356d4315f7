"""The four Google permissions legday-sync asks for, and what each one is for.

Google's consent screen shows one checkbox per permission (granular consent), so
a user may grant only some of them. The tool then keeps the login and works
with what it has: each permission missing takes away one thing, said here once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_BASE = "https://www.googleapis.com/auth/"
EVENTS_READ = _BASE + "calendar.events.readonly"
APP_CALENDAR = _BASE + "calendar.app.created"
FREEBUSY = _BASE + "calendar.freebusy"
CALENDAR_LIST = _BASE + "calendar.calendarlist.readonly"
#: scopes that include one of ours (a token made by another tool, or a broader grant)
_BROADER = {
    EVENTS_READ: (_BASE + "calendar", _BASE + "calendar.readonly", _BASE + "calendar.events"),
    APP_CALENDAR: (_BASE + "calendar",),
    FREEBUSY: (_BASE + "calendar", _BASE + "calendar.readonly"),
    CALENDAR_LIST: (_BASE + "calendar", _BASE + "calendar.readonly",
                    _BASE + "calendar.calendarlist"),
}


@dataclass(frozen=True)
class Permission:
    scope: str
    #: the checkbox's words on Google's consent screen
    label: str
    #: what legday-sync uses it for
    use: str
    #: what happens without it
    without: str


PERMISSIONS = (
    Permission(EVENTS_READ, "View events on all your calendars",
               "read the events of the calendars you name as sources",
               "Google sources can't be read (every sync reports them as failed)"),
    Permission(APP_CALENDAR, "Make secondary calendars and manage the events in them",
               "keep a calendar of suggestions of its own",
               "read-only: suggestions go only to the .ics feed, not to Google Calendar"),
    Permission(FREEBUSY, "View your availability in your calendars",
               "see busy time without reading event details",
               "busy time comes from the events of the calendars you name"),
    Permission(CALENDAR_LIST, "See the list of Google calendars you're subscribed to",
               "find the suggestions calendar again if the state folder lost its id",
               "the suggestions calendar is found only by the id in the state folder"),
)
SCOPES = tuple(p.scope for p in PERMISSIONS)


def has(granted: Iterable[str], scope: str) -> bool:
    got = set(granted)
    return scope in got or any(b in got for b in _BROADER.get(scope, ()))


def granted_scopes(credentials: Any) -> frozenset[str]:
    """What the user granted: the refreshed token's answer if there was one, else the scopes
    saved with the login (`auth` saves what Google granted); an old login saved without
    any is taken to hold all four, as it was made before consent became granular."""
    got = getattr(credentials, "granted_scopes", None) or getattr(credentials, "scopes", None)
    if isinstance(got, str):
        got = got.split()
    return frozenset(got) if got else frozenset(SCOPES)


def missing(granted: Iterable[str]) -> list[Permission]:
    got = list(granted)
    return [p for p in PERMISSIONS if not has(got, p.scope)]


def summary(granted: Iterable[str]) -> list[tuple[bool, Permission]]:
    """Each permission with whether it was granted, in the consent screen's order."""
    got = list(granted)
    return [(has(got, p.scope), p) for p in PERMISSIONS]
