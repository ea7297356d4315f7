"""Workouts + profile -> conflicts. The recovery guidance of DESIGN §1 as code.

Gaps are real elapsed hours: every datetime is UTC-aware, so a DST change
inside a gap is counted as the hour it really is.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from .model import Conflict, Severity, Workout, digest

RUN_WITHIN_RECOVERY = "run-within-recovery"
SAME_DAY_ORDER = "same-day-order"

SEED_000 = "“Should You Run after Leg Day? (3 Great Exercises for Recovery)”"
SEED_001 = "“Running After Leg Workout (Positives & Negatives)”"
EVIDENCE = {
    "doma2019": "Doma et al. 2019: after a lower-body session, running economy and soreness "
                "stay impaired for 48 h",
    "doma2013": "Doma & Deakin 2013: running first and lifting second is the less harmful order",
    "wilson2012": "Wilson et al. 2012: running, unlike cycling, interferes with strength gains",
}
GUIDANCE = {
    "strength": f"when building muscle, allow at least 48 h before a high-intensity run and "
                f"don't run right after leg day — {SEED_000}",
    "balanced": f"recovery from leg day takes “a day to 2 days or more”; easy runs are fine, "
                f"harder ones wait — {SEED_001}, {SEED_000}",
    "running": f"easy and moderate runs after leg day are fine and help recovery; "
               f"high-intensity runs are not — {SEED_001}",
}


PRE_RACE = "pre-race"

#: DESIGN §1's table: per goal, which of the profile's hours applies to an easy, moderate
#: or hard run after leg day (None: the goal allows that run straight after).
RECOVERY_TABLE: dict[str, dict[str, str | None]] = {
    "strength": {"easy": "same_day_gap_hours", "moderate": "recovery_hours",
                 "hard": "recovery_hours"},
    "balanced": {"easy": None, "moderate": "moderate_hours", "hard": "recovery_hours"},
    "running": {"easy": None, "moderate": None, "hard": "recovery_hours"},
}


@dataclass(frozen=True)
class Profile:
    goal: str = "balanced"
    recovery_hours: float = 48
    moderate_hours: float = 24
    same_day_gap_hours: float = 6
    heavy_extra_hours: float = 24
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    #: a run this close to the end of its window is reported (info) but not rescheduled
    tolerance_hours: float = 1
    #: a heavy leg day this many days before a race is reported (info)
    pre_race_days: float = 7

    def window_hours(self, leg: Workout, run: Workout) -> float | None:
        """The recovery window for this pair, or None when the goal allows the run at once."""
        hours = self._table[run.intensity]
        if hours is not None and leg.intensity == "heavy" and run.intensity != "easy":
            hours += self.heavy_extra_hours
        return hours

    @cached_property
    def _table(self) -> dict[str, float | None]:
        """The goal's row of :data:`RECOVERY_TABLE` in hours (built once: asked per pair)."""
        return {intensity: (None if key is None else getattr(self, key))
                for intensity, key in RECOVERY_TABLE[self.goal].items()}

    @cached_property
    def _max_window(self) -> timedelta:
        return timedelta(hours=self.max_window_hours)

    @property
    def max_window_hours(self) -> float:
        return max(self.recovery_hours, self.moderate_hours, self.same_day_gap_hours) + \
            self.heavy_extra_hours


def gap_hours(leg: Workout, run: Workout) -> float | None:
    """Elapsed hours from the end of the leg day to the start of the run.

    0 for a run that starts during the leg day; None for a run that starts
    before the leg day does (no recovery question then).
    """
    if run.start < leg.start:
        return None
    return max(0.0, (run.start - leg.end).total_seconds() / 3600)


def span_gap(leg_start: datetime, leg_end: datetime, run_start: datetime, date_only: bool,
             tz: ZoneInfo) -> float | None:
    """The gap in hours between a leg day and a run placed at these times (None: the run
    comes first). Date-only (all-day) workouts are judged in days: ``gap_days × 24``."""
    if date_only:
        days = (run_start.astimezone(tz).date() - leg_start.astimezone(tz).date()).days
        return None if days < 0 else days * 24.0
    if run_start < leg_start:
        return None
    return max(0.0, (run_start - leg_end).total_seconds() / 3600)


def run_within_recovery(leg: Workout, run: Workout, profile: Profile
                        ) -> tuple[float, float, Severity] | None:
    """Rule ``run-within-recovery``: (gap, window, severity) when ``run`` starts inside the
    recovery window of ``leg``, else None. Within ``tolerance_hours`` of the window's end
    the conflict is only ``info``."""
    window = profile.window_hours(leg, run)
    if window is None or leg.event is run.event:
        return None
    gap = span_gap(leg.start, leg.end, run.start, leg.event.all_day or run.event.all_day,
                   profile.tz)
    if gap is None or gap >= window:
        return None
    return gap, window, ("info" if gap >= window - profile.tolerance_hours else "conflict")


class LegDayIndex:
    """Leg days sorted by end, so the ones a run can be near are found by bisection."""

    def __init__(self, leg_days: Iterable[Workout]) -> None:
        self.legs = sorted(leg_days, key=lambda w: (w.end, w.start, w.event.uid))
        self._ends = [w.end for w in self.legs]
        longest = max((w.end - w.start for w in self.legs), default=timedelta(0))
        self._longest = longest

    def near(self, start: datetime, before: timedelta,
             after: timedelta = timedelta(0)) -> Sequence[Workout]:
        """Leg days ending in [start - before, start + after + longest leg day]."""
        lo = bisect.bisect_left(self._ends, start - before)
        hi = bisect.bisect_right(self._ends, start + after + self._longest)
        return self.legs[lo:hi]

    def violations(self, run: Workout, profile: Profile
                   ) -> list[tuple[Workout, float, float, Severity]]:
        """(leg day, gap, window, severity) for every leg day whose recovery window ``run``
        falls in."""
        if profile._table[run.intensity] is None:
            return []  # the goal allows this run right after any leg day
        out = []
        # a date-only leg day counts from its local midnight, so look a day further back
        # a date-only run is judged against its whole day
        after = run.end - run.start if run.event.all_day else timedelta(0)
        for leg in self.near(run.start, profile._max_window + _DAY, after):
            found = run_within_recovery(leg, run, profile)
            if found is not None:
                out.append((leg, *found))
        return out


_DAY = timedelta(days=1)


def conflict_id(rule: str, leg: Workout, run: Workout) -> str:
    return digest(rule, *leg.event.occurrence, *run.event.occurrence)


def explain(leg: Workout, run: Workout, gap: float, window: float, profile: Profile) -> str:
    if leg.event.all_day or run.event.all_day:
        days = round(gap / 24)
        return (f"{run.intensity.capitalize()} run “{run.event.title}” is {days} day(s) after "
                f"the{' heavy' if leg.intensity == 'heavy' else ''} leg day "
                f"“{leg.event.title}” (date-only workouts are judged in days); with goal "
                f"“{profile.goal}” a {run.intensity} run needs {window:g} h, i.e. "
                f"{-(-window // 24):g} day(s). Guidance: {GUIDANCE[profile.goal]}.")

    heavy = " heavy" if leg.intensity == "heavy" else ""
    extra = (f" (+{profile.heavy_extra_hours:g} h after a heavy leg day: recovery from vigorous "
             f"strength work takes 72–96 h)" if leg.intensity == "heavy" and
             run.intensity != "easy" else "")
    cite = EVIDENCE["wilson2012"] if profile.goal == "strength" else EVIDENCE["doma2019"]
    return (f"{run.intensity.capitalize()} run “{run.event.title}” starts {gap:.1f} h after the"
            f"{heavy} leg day “{leg.event.title}” ends; with goal “{profile.goal}” a "
            f"{run.intensity} run needs {window:g} h{extra}. Guidance: {GUIDANCE[profile.goal]}. "
            f"Evidence: {cite}." + (
                f" It is within {profile.tolerance_hours:g} h of the window's end: close enough "
                f"that it is reported, not rescheduled."
                if gap >= window - profile.tolerance_hours else ""))


def find_conflicts(workouts: Iterable[Workout], profile: Profile) -> list[Conflict]:
    """Every rule violation, sorted by run start then leg day."""
    workouts = list(workouts)
    index = LegDayIndex(w for w in workouts if w.kind == "leg_day")
    runs = sorted((w for w in workouts if w.kind == "run"),
                  key=lambda w: (w.start, w.event.uid))
    out: list[Conflict] = []
    for run in runs:
        flagged = set()
        for leg, gap, window, severity in index.violations(run, profile):
            flagged.add(id(leg))
            out.append(Conflict(
                id=conflict_id(RUN_WITHIN_RECOVERY, leg, run), rule=RUN_WITHIN_RECOVERY,
                severity=severity, leg_day=leg, run=run, gap_hours=round(gap, 2),
                window_hours=window, explanation=explain(leg, run, gap, window, profile)))
        out.extend(_same_day(index, run, profile, flagged))
        if run.race:
            out.extend(_pre_race(index, run, profile, flagged))
    out.sort(key=lambda c: (c.run.start, c.leg_day.start, c.rule, c.id))
    return out


def _same_day(index: LegDayIndex, run: Workout, profile: Profile,
              flagged: set[int]) -> list[Conflict]:
    """The info rule: a run and a leg day on one local day in the order the goal advises against."""
    if profile.goal == "balanced":
        return []
    day = run.start.astimezone(profile.tz).date()
    out = []
    for leg in index.near(run.start, timedelta(hours=24), timedelta(hours=24)):
        if (id(leg) in flagged or leg.event is run.event
                or leg.start.astimezone(profile.tz).date() != day):
            continue
        run_first = run.start < leg.start
        if profile.goal == "strength" and not run_first:
            advice = f"when building muscle, run first and lift second — {SEED_000}; " \
                     f"{EVIDENCE['doma2013']}"
        elif profile.goal == "running" and run_first:
            advice = ("when running is the goal, do the leg workout first and run after — "
                      f"{SEED_000}")
        else:
            continue
        gap = gap_hours(leg, run)
        out.append(Conflict(
            id=conflict_id(SAME_DAY_ORDER, leg, run), rule=SAME_DAY_ORDER, severity="info",
            leg_day=leg, run=run, gap_hours=round(gap if gap is not None else 0.0, 2),
            window_hours=None,
            explanation=f"“{run.event.title}” and “{leg.event.title}” are on the same day in the "
                        f"order goal “{profile.goal}” advises against: {advice}."))
    return out


def _pre_race(index: LegDayIndex, race: Workout, profile: Profile,
              flagged: set[int]) -> list[Conflict]:
    """The info rule: a heavy leg day in the days before a race (not already a conflict)."""
    before = timedelta(days=profile.pre_race_days)
    out = []
    for leg in index.near(race.start, before):
        if id(leg) in flagged or leg.intensity != "heavy" or leg.event is race.event \
                or not leg.start <= race.start or race.start - leg.end >= before:
            continue
        days = (race.start - leg.end).total_seconds() / 86400
        out.append(Conflict(
            id=conflict_id(PRE_RACE, leg, race), rule=PRE_RACE, severity="info", leg_day=leg,
            run=race, gap_hours=round(max(0.0, days * 24), 2), window_hours=None,
            explanation=f"Heavy leg day “{leg.event.title}” is {max(days, 0):.1f} days before "
                        f"the race “{race.event.title}”: in the last "
                        f"{profile.pre_race_days:g} days before a race keep leg work light "
                        f"(no 1RM, RPE ≤ 7, half the sets) so the legs arrive fresh — "
                        f"{SEED_001}; {EVIDENCE['doma2019']}."))
    return out
