"""What the plain pipeline finds, judged by the tool's own classifier and rules.

The plain pipeline (``benchmarks.plain_pipeline``: full icalendar parse +
x-wr-timezone + recurring-ical-events over the whole file) gives occurrences; this
module turns them into ``model.Event``s the way the tool does (cancelled
occurrences dropped, times in UTC, dates and floating times in the default zone),
then runs ``classify_all`` + ``without_duplicates`` + ``find_conflicts`` and the core's
own window cuts (``core.judge.cut``, ``core.judge.widened``). The results are sets of keys
that compare across runs and processes:

- workouts: ``(uid, start UTC ISO)``
- conflicts: ``(rule, leg uid, leg start UTC ISO, run uid, run start UTC ISO)``
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from benchmarks import plain_pipeline
from legday_sync.adapters.ics.source import _categories, _text  # how the tool reads fields
from legday_sync.core.classify import Classifier, classify_all, without_duplicates
from legday_sync.core.judge import cut, widened
from legday_sync.core.model import Conflict, Event, Window, Workout
from legday_sync.core.rules import Profile, find_conflicts

WorkoutKey = tuple[str, str]
ConflictKey = tuple[str, str, str, str, str]


@dataclass(frozen=True)
class Judged:
    #: sorted, duplicates kept (a multiset)
    workouts: tuple[WorkoutKey, ...]
    conflicts: tuple[ConflictKey, ...]


def _utc(value: date | datetime, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            value = value.replace(tzinfo=tz)
        return value.astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=tz).astimezone(UTC)


def to_events(components: Iterable, *, source: str, tz: ZoneInfo) -> list[Event]:
    """recurring-ical-events' occurrence components -> ``Event``s, cancelled ones dropped."""
    out: list[Event] = []
    for comp in components:
        if str(comp.get("STATUS", "")).strip().upper() == "CANCELLED":
            continue
        raw = comp["DTSTART"].dt
        start = _utc(raw, tz)
        end = _utc(comp["DTEND"].dt, tz) if comp.get("DTEND") is not None else start
        all_day = not isinstance(raw, datetime)
        rid = comp.get("RECURRENCE-ID")
        out.append(Event(
            source=source, uid=str(comp["UID"]), start=start, end=max(start, end),
            title=_text(comp.get("SUMMARY")),
            original_start=_utc(rid.dt, tz) if rid is not None else start,
            all_day=all_day, categories=_categories(comp.get("CATEGORIES")),
            description=_text(comp.get("DESCRIPTION")),
            transparent=_text(comp.get("TRANSP")).strip().upper() == "TRANSPARENT"))
    return out


def workout_key(w: Workout) -> WorkoutKey:
    return (w.event.uid, w.event.start.astimezone(UTC).isoformat())


def conflict_key(c: Conflict) -> ConflictKey:
    return (c.rule, *workout_key(c.leg_day), *workout_key(c.run))


def judge(events: Sequence[Event], window: Window, profile: Profile,
          classifier: Classifier | None = None) -> Judged:
    """Classify + rules, cut to ``window`` by the core's own cut."""
    # one workout found twice (the same calendar added twice, a series and its override)
    # counts once in the tool (judge.without_duplicates): count it once here too
    workouts, _ = without_duplicates(classify_all(classifier or Classifier(), events))
    shown, conflicts = cut(workouts, find_conflicts(workouts, profile), window)
    return Judged(tuple(sorted(workout_key(w) for w in shown)),
                  tuple(sorted(conflict_key(c) for c in conflicts)))


#: the span the tool reads for a window
fetch_window = widened


def plain_judged(data: bytes, window: Window, profile: Profile, *, horizon_days: int = 7,
                 source: str = "cal") -> Judged:
    """Parse everything, expand the tool's fetch window, judge."""
    wide = fetch_window(window, profile, horizon_days)
    cal = plain_pipeline.parse(data)
    comps = plain_pipeline.expand(cal, wide.start, wide.end)
    events = [e for e in to_events(comps, source=source, tz=profile.tz)
              if wide.overlaps(e.start, e.end)]
    return judged_events(events, window, profile)


def judged_events(events: Sequence[Event], window: Window, profile: Profile) -> Judged:
    return judge(events, window, profile)


def from_report_json(doc: dict) -> Judged:
    """The same keys from the JSON of ``legday-sync sync --json``."""
    def key(e: dict) -> WorkoutKey:
        return (e["uid"], datetime.fromisoformat(e["start"]).astimezone(UTC).isoformat())

    return Judged(
        tuple(sorted(key(w) for w in doc["workouts"])),
        tuple(sorted((c["rule"], *key(c["leg_day"]), *key(c["run"])) for c in doc["conflicts"])))
