"""A sync Report as a week of local days: the model the status page and `week` draw.

Pure: no I/O, no clock (``now`` is passed in). Every datetime in the model is in
the display timezone; positions on a day are real elapsed hours since local
midnight (computed in UTC), so a 23- or 25-hour DST day is drawn as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from ..core.model import Conflict, Suggestion, Workout
from .report import Report, not_judged

MIN_DAYS, MAX_DAYS, DEFAULT_DAYS = 1, 14, 7
_UTC = ZoneInfo("UTC")

T = TypeVar("T")


@dataclass(frozen=True)
class WorkoutView:
    kind: str  # "leg_day" | "run"
    intensity: str  # easy/moderate/hard for runs, normal/heavy for leg days
    title: str
    source: str
    start: datetime
    end: datetime
    #: ids of the conflicts this workout is part of (as run or as leg day)
    conflict_ids: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Words for what it is, never colour alone: "Hard run", "Heavy leg day"."""
        if self.kind == "run":
            return f"{self.intensity.capitalize()} run"
        return "Heavy leg day" if self.intensity == "heavy" else "Leg day"

    @property
    def in_conflict(self) -> bool:
        return bool(self.conflict_ids)


@dataclass(frozen=True)
class SuggestionView:
    id: str
    conflict_id: str
    kind: str  # "instead" | "move" | "move-leg-day" | "lighten"
    activity: str
    title: str
    description: str
    start: datetime
    end: datetime
    #: the user dismissed it: it is in no calendar while its conflict stands
    dismissed: bool = False
    #: what it acts on: "run" or "leg_day"
    target: str = "run"
    all_day: bool = False

    @property
    def verb(self) -> str:
        """The kind in words: "Instead", "Move", "Move leg day", "Lighten"."""
        return VERBS.get(self.kind, self.kind)

    @property
    def what(self) -> str:
        """The title without the "instead of …" / "(moved from …)" tail."""
        if self.kind == "instead":
            return self.title.split(" instead of ", 1)[0]
        return self.title.split(" (moved", 1)[0]


#: each suggestion kind in words (the status page, `week`, the dry-run table)
VERBS = {"instead": "Instead", "move": "Move", "move-leg-day": "Move leg day",
         "lighten": "Lighten"}


@dataclass(frozen=True)
class ConflictView:
    id: str
    rule: str
    severity: str  # "conflict" | "info"
    leg_day: WorkoutView
    run: WorkoutView
    gap_hours: float
    window_hours: float | None
    explanation: str
    suggestions: tuple[SuggestionView, ...] = ()

    @property
    def recovery_end(self) -> datetime | None:
        """When the leg day's recovery window for this run closes (None: an order hint)."""
        if self.window_hours is None:
            return None
        return _add(self.leg_day.end, self.window_hours)


@dataclass(frozen=True)
class Placed(Generic[T]):
    """An item as it falls on one day: its part clipped to the day (and to the view)."""

    item: T
    start: datetime
    end: datetime
    #: it began before this day/view (``cut_start``) or goes on after it (``cut_end``)
    cut_start: bool = False
    cut_end: bool = False


@dataclass(frozen=True)
class Day:
    date: date
    start: datetime  # local midnight
    end: datetime  # the next local midnight
    workouts: tuple[Placed[WorkoutView], ...] = ()
    #: recovery windows of conflicts (leg-day end -> window end), clipped to this day
    recovery: tuple[Placed[ConflictView], ...] = ()
    #: suggested events that fall on this day
    suggestions: tuple[Placed[SuggestionView], ...] = ()
    #: conflicts whose run starts on this day (each carries its suggestions)
    conflicts: tuple[ConflictView, ...] = ()

    @property
    def hours(self) -> float:
        """Real length of the day: 24, or 23/25 on a DST change."""
        return _hours(self.start, self.end)

    def offset(self, t: datetime) -> float:
        """Elapsed hours from local midnight to ``t``, clamped to the day."""
        return min(max(_hours(self.start, t), 0.0), self.hours)

    def hour_ticks(self, step: int = 6) -> list[tuple[int, float]]:
        """(local hour, offset) for the wall-clock hours 0, step, 2*step … 24."""
        tz = self.start.tzinfo
        out = []
        for h in range(0, 25, step):
            if h == 24:
                out.append((24, self.hours))
                continue
            local = datetime.combine(self.date, time(h), tzinfo=tz)
            out.append((h, self.offset(local)))
        return out


@dataclass(frozen=True)
class Week:
    now: datetime
    tz: tzinfo
    start: datetime
    end: datetime
    days: tuple[Day, ...]
    goal: str = ""
    #: every conflict whose run or recovery window touches the view
    conflicts: tuple[ConflictView, ...] = ()
    #: suggestions that fall in the view
    suggestions: tuple[SuggestionView, ...] = ()
    errors: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: what a failed source left unjudged, in words ("" when every source was read)
    not_judged: str = ""
    #: events in the window but no recognised workout: the header must not read as clear
    recognised_nothing: bool = False


# -- building -----------------------------------------------------------------------
def _utc(t: datetime) -> datetime:
    return t.astimezone(_UTC)


def _hours(a: datetime, b: datetime) -> float:
    """Real elapsed hours from a to b (UTC arithmetic: same-tzinfo subtraction is wall time)."""
    return (_utc(b) - _utc(a)).total_seconds() / 3600


def _add(t: datetime, hours: float) -> datetime:
    return (_utc(t) + timedelta(hours=hours)).astimezone(t.tzinfo)


def local_midnight(d: date, tz: tzinfo) -> datetime:
    return datetime.combine(d, time(0), tzinfo=tz)


def _workout(w: Workout, tz: tzinfo, ids: dict[int, list[str]]) -> WorkoutView:
    return WorkoutView(kind=w.kind, intensity=w.intensity, title=w.event.title,
                       source=w.event.source, start=w.start.astimezone(tz),
                       end=w.end.astimezone(tz), conflict_ids=tuple(ids.get(_key(w), ())))


def _key(w: Workout) -> tuple[str, str, str]:
    return w.event.occurrence


def _suggestion(s: Suggestion, tz: tzinfo, dismissed: bool = False) -> SuggestionView:
    return SuggestionView(id=s.id, conflict_id=s.conflict_id, kind=s.kind, activity=s.activity,
                          title=s.title, description=s.description,
                          start=s.start.astimezone(tz), end=s.end.astimezone(tz),
                          dismissed=dismissed, target=s.target, all_day=s.all_day)


def _place(item: T, start: datetime, end: datetime, day: Day,
           view_start: datetime, view_end: datetime) -> Placed[T] | None:
    lo = max(_utc(start), _utc(day.start), _utc(view_start))
    hi = min(_utc(end), _utc(day.end), _utc(view_end))
    zero_length_inside = start == end and _utc(day.start) <= _utc(start) < _utc(day.end)
    if hi <= lo and not zero_length_inside:
        return None
    tz = day.start.tzinfo
    return Placed(item, lo.astimezone(tz), max(hi, lo).astimezone(tz),
                  cut_start=_utc(start) < lo, cut_end=_utc(end) > hi)


def _sorted(items: Iterable[Placed[T]]) -> tuple[Placed[T], ...]:
    return tuple(sorted(items, key=lambda p: (_utc(p.start), _utc(p.end))))


def build_week(report: Report, now: datetime, tz: tzinfo, days: int = DEFAULT_DAYS) -> Week:
    """The ``days`` local days from the one holding ``now``, with what happens on each."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"days must be between {MIN_DAYS} and {MAX_DAYS}, not {days}")
    today = now.astimezone(tz).date()
    bounds = [local_midnight(today + timedelta(days=i), tz) for i in range(days + 1)]
    view_start, view_end = bounds[0], bounds[-1]

    ids: dict[tuple[str, str, str], list[str]] = {}
    for c in report.conflicts:
        ids.setdefault(_key(c.run), []).append(c.id)
        ids.setdefault(_key(c.leg_day), []).append(c.id)
    sugg = [_suggestion(s, tz, s.id in report.dismissed)
            for s in sorted(report.suggestions, key=lambda s: (s.start, s.kind, s.id))]
    by_conflict: dict[str, list[SuggestionView]] = {}
    for s in sugg:
        by_conflict.setdefault(s.conflict_id, []).append(s)

    conflicts = []
    for c in report.conflicts:
        cv = _conflict(c, tz, ids, by_conflict)
        reach_end = cv.recovery_end or cv.run.end
        if _utc(cv.leg_day.start) < _utc(view_end) and (
                _utc(max(reach_end, cv.run.end, key=_utc)) > _utc(view_start)):
            conflicts.append(cv)
    workouts = [_workout(w, tz, ids) for w in report.workouts]

    out = []
    for i in range(days):
        day = Day(date=today + timedelta(days=i), start=bounds[i], end=bounds[i + 1])
        placed_w = (_place(w, w.start, w.end, day, view_start, view_end) for w in workouts)
        placed_r = (_place(c, c.leg_day.end, c.recovery_end, day, view_start, view_end)
                    for c in conflicts if c.recovery_end is not None)
        placed_s = (_place(s, s.start, s.end, day, view_start, view_end) for s in sugg)
        on_day = tuple(c for c in conflicts
                       if _utc(day.start) <= _utc(c.run.start) < _utc(day.end))
        out.append(Day(
            date=day.date, start=day.start, end=day.end,
            workouts=_sorted(p for p in placed_w if p is not None),
            recovery=_sorted(p for p in placed_r if p is not None),
            suggestions=_sorted(p for p in placed_s if p is not None),
            conflicts=on_day))
    in_view = tuple(s for s in sugg
                    if _utc(s.end) > _utc(view_start) and _utc(s.start) < _utc(view_end))
    return Week(now=now.astimezone(tz), tz=tz, start=view_start, end=view_end, days=tuple(out),
                goal=report.profile.goal if report.profile is not None else "",
                conflicts=tuple(conflicts), suggestions=in_view,
                errors=tuple((e.source, e.message + (f" — {e.fix}" if e.fix else ""))
                             for e in report.errors),
                warnings=tuple(report.warnings), notes=tuple(report.notes),
                not_judged=not_judged(report) or "",
                recognised_nothing=report.recognised_nothing)


def _conflict(c: Conflict, tz: tzinfo, ids: dict[tuple[str, str, str], list[str]],
              by_conflict: dict[str, list[SuggestionView]]) -> ConflictView:
    return ConflictView(id=c.id, rule=c.rule, severity=c.severity,
                        leg_day=_workout(c.leg_day, tz, ids), run=_workout(c.run, tz, ids),
                        gap_hours=c.gap_hours, window_hours=c.window_hours,
                        explanation=c.explanation,
                        suggestions=tuple(by_conflict.get(c.id, ())))


# -- small formatting helpers shared by the page and the terminal view ----------------
def hm(t: datetime) -> str:
    return f"{t:%H:%M}"


def day_name(t: datetime | date) -> str:
    return f"{t:%a %d %b}"


def when(t: datetime) -> str:
    return f"{t:%a %d %b %H:%M}"


def span_text(start: datetime, end: datetime) -> str:
    """"07:00–07:45", or with the end's date when it ends on another day."""
    if end.date() != start.date():
        return f"{hm(start)}–{when(end)}"
    return f"{hm(start)}–{hm(end)}"


def hours_text(h: float) -> str:
    return f"{h:.1f}".rstrip("0").rstrip(".") + " h"
