"""(h) Series age: the same 400 weekly series started 1 month, 1 year, 5 and 10 years back.

Each calendar is ``gen_old_series`` with every series started ``age`` days back: the
same 20k events of history, the same weekdays, times, titles, exceptions, and COUNTs
that end on the same occurrence, so every age holds the same occurrences in the window
(checked: the JSON's workouts and conflicts must be identical across ages).

Ours: the whole process ``legday-sync sync --dry-run --json`` (cold, fresh state dir),
rounds alternating between the ages so they share the machine's load. Comparison: the
plain parse+expand (``benchmarks.plain_pipeline``, timed inside a child) on the same
files, which walks every series from its DTSTART. Target: 10 years within 1.2× of 1
month.
"""

from __future__ import annotations

import json
import shutil

from benchmarks.bench_cold_sync import WINDOW_FUTURE_DAYS, WINDOW_PAST_DAYS, _plain_once
from benchmarks.common import (
    NOW_ARG,
    Figure,
    fmt_s,
    ics_source,
    median,
    old_series_calendar,
    out_dir,
    run_cli,
    write_config,
)

AGES = {"1 month": 30, "1 year": 365, "5 years": 1826, "10 years": 3652}
TARGET = 1.2


def run(quick: bool = False) -> Figure:
    from benchmarks.plain_results import from_report_json

    rounds = 3 if quick else 7
    plain_rounds = 1 if quick else 2
    cals = {name: old_series_calendar(days) for name, days in AGES.items()}
    ours: dict[str, list[float]] = {name: [] for name in AGES}
    plain: dict[str, list[float]] = {name: [] for name in AGES}
    results = {}
    for i in range(rounds):
        for name, cal in cals.items():
            folder = out_dir("age", name.replace(" ", "-")) / f"run{i}"
            shutil.rmtree(folder, ignore_errors=True)
            cfg = write_config(folder, sources=ics_source(cal), past_days=WINDOW_PAST_DAYS,
                               future_days=WINDOW_FUTURE_DAYS)
            elapsed, proc = run_cli(cfg, "sync", "--dry-run", "--json", "--now", NOW_ARG)
            doc = json.loads(proc.stdout)
            if doc["errors"]:
                raise RuntimeError(f"the sync reported errors: {doc['errors']}")
            ours[name].append(elapsed)
            results[name] = from_report_json(doc)
            if i < plain_rounds:
                p = _plain_once(cal)
                plain[name].append(p["parse"] + p["expand"])
    same = len(set(results.values())) == 1
    med = {name: median(xs) for name, xs in ours.items()}
    plain_med = {name: median(xs) for name, xs in plain.items()}
    ratio = med["10 years"] / med["1 month"]
    plain_ratio = plain_med["10 years"] / plain_med["1 month"]
    first = results["1 month"]
    return Figure(
        key="h", name="series age: 400 weekly series started 1 month … 10 years back",
        target=f"10 years within {TARGET:g}× of 1 month (whole process, cold); same results",
        ours=", ".join(f"{name} {fmt_s(med[name])}" for name in AGES),
        comparison="plain parse+expand: " + ", ".join(
            f"{name} {fmt_s(plain_med[name])}" for name in AGES),
        ratio=f"{ratio:.2f}× (plain {plain_ratio:.2f}×)",
        met=ratio <= TARGET and same,
        how=(f"median of {rounds} whole-process runs `python -m legday_sync sync --dry-run "
             f"--json` per age, the ages alternating round by round, vs median of "
             f"{plain_rounds} plain parse+expand timings per age; `gen_old_series` calendars "
             f"(20k events of history + 400 weekly series, half ending by COUNT) that differ "
             f"only in the series' DTSTART; {len(first.workouts)} workouts and "
             f"{len(first.conflicts)} conflicts at every age: "
             f"{'identical' if same else 'NOT identical'} across ages"),
        details={"ours_runs": ours, "plain_runs": plain, "medians": med,
                 "plain_medians": plain_med, "same_results": same})


if __name__ == "__main__":
    print(run(quick=True))
