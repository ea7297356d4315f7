"""Builders shared by the tests: events, workouts and calendars in a few words."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from legday_sync.core.model import Event, Workout

UTC = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str, tz: ZoneInfo = BERLIN) -> datetime:
    """'2026-11-23 18:00' in ``tz``, as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=tz).astimezone(UTC)


def event(title: str, start: str, minutes: int = 60, *, uid: str | None = None,
          source: str = "cal", tz: ZoneInfo = BERLIN, **kw: object) -> Event:
    s = at(start, tz)
    return Event(source, uid or f"{title}-{start}", s, s + timedelta(minutes=minutes), title,
                 **kw)  # type: ignore[arg-type]


def leg(start: str, minutes: int = 75, heavy: bool = False, **kw: object) -> Workout:
    title = "Heavy squats" if heavy else "Leg day"
    return Workout(event(title, start, minutes, **kw), "leg_day", "heavy" if heavy else "normal")


def run(start: str, intensity: str = "hard", minutes: int = 45, **kw: object) -> Workout:
    title = {"easy": "Easy run", "moderate": "Run", "hard": "Tempo run"}[intensity]
    return Workout(event(title, start, minutes, **kw), "run", intensity)  # type: ignore[arg-type]


def ics(*vevents: str, extra: str = "") -> bytes:
    body = "\r\n".join(v.strip().replace("\n", "\r\n") for v in vevents)
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{extra}"
            f"{body}\r\nEND:VCALENDAR\r\n").encode()
