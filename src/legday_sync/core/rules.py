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

from .model import Conflict, Workout, digest

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


@dataclass(frozen=True)
class Profile:
    goal: str = "balanced"
    recovery_hours: float = 48
    moderate_hours: float = 24
    same_day_gap_hours: float = 6
    heavy_extra_hours: float = 24
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    def window_hours(self, leg: Workout, run: Workout) -> float | None:
        """The recovery window for this pair, or None when the goal allows the run at once."""
        hours = self._table[run.intensity]
        if hours is not None and leg.intensity == "heavy" and run.intensity != "easy":
            hours += self.heavy_extra_hours
        return hours

    @cached_property
    def _table(self) -> dict[str, float | None]:
        """The goal's row of DESIGN §1's table (built once: rules ask for it per pair)."""
        return {
            "strength": {"easy": self.same_day_gap_hours, "moderate": self.recovery_hours,
                         "hard": self.recovery_hours},
            "balanced": {"easy": None, "moderate": self.moderate_hours,
                         "hard": self.recovery_hours},
            "running": {"easy": None, "moderate": None, "hard": self.recovery_hours},
        }[self.goal]

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

    def violations(self, run: Workout, profile: Profile) -> list[tuple[Workout, float, float]]:
        """(leg day, gap, window) for every leg day whose recovery window ``run`` falls in."""
        if profile._table[run.intensity] is None:
            return []  # the goal allows this run right after any leg day
        out = []
        start = run.start
        for leg in self.near(start, profile._max_window):
            if start < leg.start or leg.event is run.event:  # not after it; one HYROX event
                continue
            gap = max(0.0, (start - leg.end).total_seconds() / 3600)
            window = profile.window_hours(leg, run)
            if window is not None and gap < window:
                out.append((leg, gap, window))
        return out


def conflict_id(rule: str, leg: Workout, run: Workout) -> str:
    return digest(rule, *leg.event.occurrence, *run.event.occurrence)


def explain(leg: Workout, run: Workout, gap: float, window: float, profile: Profile) -> str:
    heavy = " heavy" if leg.intensity == "heavy" else ""
    extra = (f" (+{profile.heavy_extra_hours:g} h after a heavy leg day: recovery from vigorous "
             f"strength work takes 72–96 h)" if leg.intensity == "heavy" and
             run.intensity != "easy" else "")
    cite = EVIDENCE["wilson2012"] if profile.goal == "strength" else EVIDENCE["doma2019"]
    return (f"{run.intensity.capitalize()} run “{run.event.title}” starts {gap:.1f} h after the"
            f"{heavy} leg day “{leg.event.title}” ends; with goal “{profile.goal}” a "
            f"{run.intensity} run needs {window:g} h{extra}. Guidance: {GUIDANCE[profile.goal]}. "
            f"Evidence: {cite}.")


def find_conflicts(workouts: Iterable[Workout], profile: Profile) -> list[Conflict]:
    """Every rule violation, sorted by run start then leg day."""
    workouts = list(workouts)
    index = LegDayIndex(w for w in workouts if w.kind == "leg_day")
    runs = sorted((w for w in workouts if w.kind == "run"),
                  key=lambda w: (w.start, w.event.uid))
    out: list[Conflict] = []
    for run in runs:
        flagged = set()
        for leg, gap, window in index.violations(run, profile):
            flagged.add(id(leg))
            out.append(Conflict(
                id=conflict_id(RUN_WITHIN_RECOVERY, leg, run), rule=RUN_WITHIN_RECOVERY,
                severity="conflict", leg_day=leg, run=run, gap_hours=round(gap, 2),
                window_hours=window, explanation=explain(leg, run, gap, window, profile)))
        out.extend(_same_day(index, run, profile, flagged))
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
