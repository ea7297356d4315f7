"""(c) classify + rules + suggest on 100k synthetic workouts: < 1 s, 10k→100k ratio ≤ 15.

The core alone, in this process (no I/O), the way ``service._sync`` runs it: ``n``
Events with realistic workout titles (the generator's leg-day and run titles; one in
ten carries a unique suffix, so 10% of the titles are distinct), one every 12–56 h
(seeded), so the number of leg days near each run is the same at any ``n`` — as in a
real calendar, where more history means more weeks, not busier ones. Timed with
``perf_counter``: ``classify_all`` over all events, ``find_conflicts`` over all
workouts, then ``suggest`` for the conflicts of a 3-week window in the middle (what a
sync writes) against the index of *all* leg days and *all* events as busy intervals.
Median of 3 runs (1 with ``--quick``).

The comparison (the plain way): every (leg day, run) pair checked against the
recovery window — ``O(n²)`` — on the 10k set, which must find exactly the
run-within-recovery pairs ``find_conflicts`` found.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from benchmarks.common import Figure, fmt_s, median, timed
from benchmarks.gen_calendar import LEG_DAY_TITLES, RUN_TITLES

TARGET_S = 1.0
TARGET_RATIO = 15.0
START = datetime(1990, 1, 1, 6, 0, tzinfo=UTC)


def make_events(n: int, seed: int = 1) -> list:
    from legday_sync.core.model import Event

    rng = random.Random(seed)
    titles = [*LEG_DAY_TITLES, *RUN_TITLES]
    weights = [2] * len(LEG_DAY_TITLES) + [1] * len(RUN_TITLES)
    events = []
    t = START
    for i in range(n):
        t += timedelta(minutes=rng.randrange(12 * 60, 56 * 60, 15))
        title = rng.choices(titles, weights)[0]
        if rng.random() < 0.1:
            title = f"{title} · {i}"
        length = timedelta(minutes=rng.choice((30, 45, 60, 75, 90)))
        events.append(Event("bench", f"w{i}@bench", t, t + length, title,
                            original_start=None))
    return events


def core_once(events: list) -> tuple[dict[str, float], dict[str, int]]:
    from legday_sync.config import TrainingRange
    from legday_sync.core.classify import Classifier, classify_all
    from legday_sync.core.planner import Schedule, plan_week
    from legday_sync.core.rules import Profile, find_conflicts

    profile = Profile(tz=ZoneInfo("Europe/Berlin"))
    schedule = Schedule((TrainingRange(time(6), time(9)), TrainingRange(time(17), time(20, 30))),
                        7)
    now = events[len(events) // 2].start
    window_end = now + timedelta(days=21)
    t_classify, workouts = timed(lambda: classify_all(Classifier(), events))
    t_rules, conflicts = timed(lambda: find_conflicts(workouts, profile))

    def suggest_window():
        in_window = [c for c in conflicts if now <= c.run.start < window_end]
        return plan_week(in_window, workouts, events, profile, schedule, now)

    t_suggest, (suggestions, _notes) = timed(suggest_window)
    return ({"classify": t_classify, "rules": t_rules, "suggest": t_suggest,
             "total": t_classify + t_rules + t_suggest},
            {"events": len(events), "workouts": len(workouts), "conflicts": len(conflicts),
             "suggestions": len(suggestions)})


def brute_force(workouts: list) -> set[tuple[str, str]]:
    """All (leg, run) pairs with 0 ≤ gap < window: the quadratic way."""
    from legday_sync.core.rules import Profile

    profile = Profile(tz=ZoneInfo("Europe/Berlin"))
    legs = [w for w in workouts if w.kind == "leg_day"]
    runs = [w for w in workouts if w.kind == "run"]
    found = set()
    for run in runs:
        for leg in legs:
            if run.start < leg.start:
                continue
            window = profile.window_hours(leg, run)
            if window is None:
                continue
            gap = max(0.0, (run.start - leg.end).total_seconds() / 3600)
            if gap < window:
                found.add((leg.event.uid, run.event.uid))
    return found


def run(quick: bool = False) -> Figure:
    from legday_sync.core.classify import Classifier, classify_all
    from legday_sync.core.rules import Profile, find_conflicts

    rounds = 1 if quick else 3
    sizes = (10_000, 100_000)
    results: dict[int, list[dict[str, float]]] = {n: [] for n in sizes}
    counts: dict[int, dict[str, int]] = {}
    events_by_n = {n: make_events(n) for n in sizes}
    for _ in range(rounds):
        for n in sizes:
            times, counts[n] = core_once(events_by_n[n])
            results[n].append(times)
    med = {n: {k: median([r[k] for r in results[n]]) for k in results[n][0]} for n in sizes}

    ev10 = events_by_n[10_000]
    workouts = classify_all(Classifier(), ev10)
    profile = Profile(tz=ZoneInfo("Europe/Berlin"))
    t_brute, pairs = timed(lambda: brute_force(workouts))
    ours_pairs = {(c.leg_day.event.uid, c.run.event.uid) for c in find_conflicts(workouts, profile)
                  if c.rule == "run-within-recovery"}
    same = pairs == ours_pairs

    t100, t10 = med[100_000]["total"], med[10_000]["total"]
    ratio = t100 / t10
    met = t100 < TARGET_S and ratio <= TARGET_RATIO and same
    b = med[100_000]
    return Figure(
        key="c", name="classify + rules + suggest, 100k workouts",
        target=f"< {TARGET_S:g} s at 100k; 10k→100k ratio ≤ {TARGET_RATIO:g}",
        ours=(f"100k: {fmt_s(t100)} (classify {fmt_s(b['classify'])}, rules "
              f"{fmt_s(b['rules'])}, suggest {fmt_s(b['suggest'])}); 10k: {fmt_s(t10)}; "
              f"ratio {ratio:.1f}"),
        comparison=f"all-pairs rules on 10k: {fmt_s(t_brute)} vs ours "
                   f"{fmt_s(med[10_000]['rules'])}",
        ratio=f"{t_brute / med[10_000]['rules']:.0f}× (rules, 10k)",
        met=met,
        how=(f"in-process perf_counter, median of {rounds}; 100k: {counts[100_000]['workouts']} "
             f"workouts, {counts[100_000]['conflicts']} conflicts, "
             f"{counts[100_000]['suggestions']} suggestions; the all-pairs check found "
             f"{'the same' if same else 'DIFFERENT'} {len(pairs)} run-within-recovery pairs"),
        details={"median": med, "counts": counts, "brute_s": t_brute, "same_pairs": same})


if __name__ == "__main__":
    print(run(quick=True))
