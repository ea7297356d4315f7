"""Conflicts + busy time -> suggestions: what to do instead, and where the run can go.

For each future run in conflict there is one ``instead`` suggestion at the run's
time and, when a slot exists, one ``move`` suggestion. A run in conflict with
several leg days gets one pair, tied to the conflict whose recovery ends last
(that one decides when the legs are ready). Slots are handed out in run order
and each taken slot is busy for the next, so suggestions never collide.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .model import Conflict, Event, Suggestion, TrainingRange, Workout, digest
from .rules import (
    EVIDENCE,
    RUN_WITHIN_RECOVERY,
    SEED_000,
    SEED_001,
    LegDayIndex,
    Profile,
)

STEP = timedelta(minutes=15)
UTC = ZoneInfo("UTC")
EASY_RUN_MAX = timedelta(minutes=30)

ACTIVITIES = {
    "upper_body": ("Upper-body workout",
                   f"Upper-body work (push-ups, pull-ups, presses) keeps you training while the "
                   f"legs recover — {SEED_000}."),
    "walk": ("Walk", f"Walking keeps you moving at low impact on a recovery day — {SEED_000}."),
    "yoga": ("Yoga & stretching",
             f"Yoga and stretching ease sore legs without impact — {SEED_000}."),
    "easy_run": ("Easy recovery run (≤ 30 min, warm up first)",
                 f"An easy recovery run brings blood flow to tired legs; keep it short and "
                 f"low-intensity and warm up first — {SEED_001}."),
}


@dataclass(frozen=True)
class Schedule:
    training_hours: tuple[TrainingRange, ...]
    horizon_days: int = 7


@dataclass
class Busy:
    """Disjoint, sorted busy intervals; taking a slot merges it in."""

    starts: list[datetime] = field(default_factory=list)
    ends: list[datetime] = field(default_factory=list)

    @classmethod
    def of(cls, intervals: Iterable[tuple[datetime, datetime]]) -> Busy:
        busy = cls()
        for s, e in sorted(i for i in intervals if i[1] > i[0]):
            if busy.ends and s <= busy.ends[-1]:
                busy.ends[-1] = max(busy.ends[-1], e)
            else:
                busy.starts.append(s)
                busy.ends.append(e)
        return busy

    def clash(self, start: datetime, end: datetime) -> datetime | None:
        """The end of a busy interval overlapping [start, end), or None if free."""
        i = bisect.bisect_right(self.ends, start)
        if i < len(self.starts) and self.starts[i] < end:
            return self.ends[i]
        return None

    def add(self, start: datetime, end: datetime) -> None:
        i = bisect.bisect_left(self.starts, start)
        j = i
        # absorb neighbours that overlap or touch
        if i > 0 and self.ends[i - 1] >= start:
            i -= 1
            start = self.starts[i]
        while j < len(self.starts) and self.starts[j] <= end:
            end = max(end, self.ends[j])
            j += 1
        end = max(end, self.ends[i]) if i < j else end
        self.starts[i:j] = [start]
        self.ends[i:j] = [end]


def choose_activity(goal: str, binding: Conflict) -> str:
    if goal == "strength":
        return "upper_body"
    if goal == "running":
        return "easy_run"
    # Soon after leg day, or after a heavy one, legs are sorest: stretch rather than walk.
    if binding.leg_day.intensity == "heavy" or binding.gap_hours < 12:
        return "yoga"
    return "walk"


def suggest(conflicts: Sequence[Conflict], workouts: Sequence[Workout],
            busy_events: Iterable[Event], profile: Profile, schedule: Schedule,
            now: datetime) -> tuple[list[Suggestion], list[str]]:
    """Suggestions for every future run in conflict, and notes on runs that can't be moved."""
    by_run: dict[tuple[str, str, str], list[Conflict]] = {}
    for c in conflicts:
        if c.rule == RUN_WITHIN_RECOVERY and c.run.start >= now:
            by_run.setdefault(c.run.event.occurrence, []).append(c)
    index = LegDayIndex(w for w in workouts if w.kind == "leg_day")
    busy = Busy.of((e.start, e.end) for e in busy_events if e.busy)
    suggestions: list[Suggestion] = []
    notes: list[str] = []
    ordered = sorted(by_run.values(), key=lambda cs: (cs[0].run.start, cs[0].run.event.uid))
    for group in ordered:
        binding = max(group, key=lambda c: (c.leg_day.end + timedelta(hours=c.window_hours or 0),
                                            c.id))
        run = binding.run
        suggestions.append(_instead(binding, profile))
        busy.add(run.start, run.end)
        if run.race:
            notes.append(
                f"“{run.event.title}” ({_local(run.start, profile.tz)}) looks like a race, which "
                f"keeps its date: no new time is suggested for it. Consider moving or lightening "
                f"“{binding.leg_day.event.title}” ({_local(binding.leg_day.start, profile.tz)}) "
                f"instead.")
            continue
        ready = max(c.leg_day.end + timedelta(hours=c.window_hours or 0) for c in group)
        slot = find_slot(run, max(ready, now), index, busy, profile, schedule)
        if slot is None:
            notes.append(
                f"No slot to move “{run.event.title}” ({_local(run.start, profile.tz)}): nothing "
                f"free inside training hours {', '.join(map(str, schedule.training_hours))} "
                f"between {_local(max(ready, now), profile.tz)} and "
                f"{_local(run.start + timedelta(days=schedule.horizon_days), profile.tz)} "
                f"that is clear of busy events and of every leg day's recovery window.")
            continue
        busy.add(*slot)
        suggestions.append(_move(binding, slot, profile))
    return suggestions, notes


def find_slot(run: Workout, earliest: datetime, index: LegDayIndex, busy: Busy, profile: Profile,
              schedule: Schedule) -> tuple[datetime, datetime] | None:
    """The earliest [start, end) for ``run`` in training hours, free, and clear of every window."""
    duration = max(run.end - run.start, timedelta(minutes=1))
    last_start = run.start + timedelta(days=schedule.horizon_days)
    tz = profile.tz
    day = earliest.astimezone(tz).date()
    while _day_start(day, tz) <= last_start:
        for rng in schedule.training_hours:
            lo = max(_at(day, rng.start, tz), _ceil(earliest))
            hi = (_day_start(day + timedelta(days=1), tz) if rng.end == time.max
                  else _at(day, rng.end, tz))
            start = lo
            while start + duration <= hi and start <= last_start:
                end = start + duration
                blocked_until = busy.clash(start, end)
                if blocked_until is not None:
                    start = _ceil(blocked_until)
                    continue
                if not index.violations(_at_time(run, start, end), profile):
                    return start, end
                start += STEP
        day += timedelta(days=1)
    return None


def _at_time(w: Workout, start: datetime, end: datetime) -> Workout:
    return Workout(replace(w.event, start=start, end=end, original_start=None), w.kind, w.intensity)


def _at(day: date, t: time, tz: ZoneInfo) -> datetime:
    # fold=0 and zoneinfo's normalisation pick a real instant even for a time skipped by DST
    local = datetime.combine(day, t).replace(tzinfo=tz)
    return local.astimezone(UTC)


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time()).replace(tzinfo=tz).astimezone(UTC)


def _ceil(t: datetime) -> datetime:
    """Round up to the next quarter hour (UTC; every real zone is a multiple of 15 min)."""
    t = t.astimezone(UTC)
    rem = (t - t.replace(minute=0, second=0, microsecond=0)) % STEP
    return t if not rem else t + (STEP - rem)


def _local(t: datetime, tz: ZoneInfo) -> str:
    return t.astimezone(tz).strftime("%a %d %b %H:%M")


def suggestion_id(binding: Conflict, kind: str) -> str:
    return digest(binding.rule, *binding.leg_day.event.occurrence, *binding.run.event.occurrence,
                  kind)


def how_to_dismiss(suggestion_id: str) -> str:
    """The description's last line: how to be rid of a suggestion, in every kind of calendar
    (a subscribed feed can't be edited, so "delete this event" is not enough)."""
    short = suggestion_id[:8]
    return (f"Suggested by legday-sync (id {short}). Not for you? Run `legday-sync dismiss "
            f"{short}` or press Dismiss on the status page; in a Google or CalDAV calendar, "
            f"deleting this event works too. It stays away while this conflict stands.")


def _why(binding: Conflict, profile: Profile, suggestion_id: str) -> str:
    run, leg = binding.run.event, binding.leg_day.event
    return (f"Why: {binding.explanation}\n\n"
            f"Rule: {binding.rule} (gap {binding.gap_hours:g} h, window "
            f"{binding.window_hours:g} h, goal {profile.goal}).\n"
            f"Leg day: “{leg.title}”, {_local(leg.start, profile.tz)}–"
            f"{leg.end.astimezone(profile.tz):%H:%M} (calendar “{leg.source}”).\n"
            f"Original run: “{run.title}”, {_local(run.start, profile.tz)}–"
            f"{run.end.astimezone(profile.tz):%H:%M} (calendar “{run.source}”, uid {run.uid})"
            + (f"\n{run.url}" if run.url else "") +
            f"\n\n{how_to_dismiss(suggestion_id)}")


def _instead(binding: Conflict, profile: Profile) -> Suggestion:
    run = binding.run
    activity = choose_activity(profile.goal, binding)
    label, reason = ACTIVITIES[activity]
    end = min(run.end, run.start + EASY_RUN_MAX) if activity == "easy_run" else run.end
    if end <= run.start:
        end = run.start + EASY_RUN_MAX
    sid = suggestion_id(binding, "instead")
    return Suggestion(
        id=sid, conflict_id=binding.id, kind="instead",
        activity=activity, start=run.start, end=end,
        title=f"{label} instead of {run.event.title}",
        description=f"{reason}\n\n{_why(binding, profile, sid)}", run=run)


def _move(binding: Conflict, slot: tuple[datetime, datetime], profile: Profile) -> Suggestion:
    run = binding.run
    start, end = slot
    recovered = (start - binding.leg_day.end).total_seconds() / 3600
    sid = suggestion_id(binding, "move")
    return Suggestion(
        id=sid, conflict_id=binding.id, kind="move", activity="run",
        start=start, end=end,
        title=f"{run.event.title} (moved from {_local(run.start, profile.tz)})",
        description=(f"Your legs have had {recovered:.0f} h to recover by now. "
                     f"{EVIDENCE['doma2019']}.\n\n"
                     f"{_why(binding, profile, sid)}"),
        run=run)
