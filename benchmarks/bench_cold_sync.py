"""(a) Cold `legday-sync sync --dry-run` of 20k-event feeds vs the plain pipeline.

Two calendars: the generated Google-like export (``gen_calendar``) and the same history
plus 400 weekly series started up to ten years back, half with COUNT
(``gen_old_series``), where a naive expansion walks every series from its DTSTART.

Ours: the whole process ``python -m legday_sync --config CFG sync --dry-run --json --now
…`` (interpreter start, imports, config, read, prefilter, parse, expand, rules, JSON), a
fresh state folder each run so no cache can help (a dry run doesn't write one anyway).

Plain: ``benchmarks.plain_pipeline`` parse + expand of the same 3-week window, timed
inside a child process with ``time.perf_counter`` around the two calls only (its
interpreter start and imports are *not* counted: that favours the plain way).

Runs alternate (ours, plain, ours, plain, …) so both see the same machine load. Then
the results are checked: the plain pipeline's occurrences over the tool's fetch window,
through the same classifier and rules, must give the same workouts and conflicts as the
JSON the tool printed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.common import (
    NOW_ARG,
    PYTHON,
    ROOT,
    Figure,
    calendar,
    fmt_s,
    ics_source,
    median,
    old_series_calendar,
    out_dir,
    run_cli,
    write_config,
)

TARGET_RATIO = 10.0
WINDOW_PAST_DAYS, WINDOW_FUTURE_DAYS = 7, 14

_PLAIN_CHILD = """
import json, sys, time
from datetime import datetime, timedelta
from benchmarks import plain_pipeline as pp
data = open(sys.argv[1], "rb").read()
now = datetime.fromisoformat(sys.argv[2])
start, end = now - timedelta(days=int(sys.argv[3])), now + timedelta(days=int(sys.argv[4]))
t0 = time.perf_counter()
cal = pp.parse(data)
t1 = time.perf_counter()
events = pp.expand(cal, start, end)
t2 = time.perf_counter()
print(json.dumps({"parse": t1 - t0, "expand": t2 - t1, "occurrences": len(events)}))
"""


def _plain_once(path) -> dict[str, float]:
    proc = subprocess.run(
        [PYTHON, "-c", _PLAIN_CHILD, str(path), NOW_ARG, str(WINDOW_PAST_DAYS),
         str(WINDOW_FUTURE_DAYS)],
        capture_output=True, text=True, check=True, cwd=str(ROOT), timeout=600,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    return json.loads(proc.stdout)


def measure(cal: Path, *, label: str, rounds: int, plain_rounds: int) -> dict[str, Any]:
    """Whole-process cold dry-runs of ``cal`` interleaved with plain parse+expand
    timings, and whether both find the same workouts and conflicts."""
    from benchmarks.plain_results import from_report_json, plain_judged
    from legday_sync.core.model import Window
    from legday_sync.core.rules import Profile

    ours: list[float] = []
    plain: list[dict[str, float]] = []
    doc = None
    for i in range(rounds):
        folder = out_dir("cold", label) / f"run{i}"
        shutil.rmtree(folder, ignore_errors=True)
        cfg = write_config(folder, sources=ics_source(cal), past_days=WINDOW_PAST_DAYS,
                           future_days=WINDOW_FUTURE_DAYS)
        elapsed, proc = run_cli(cfg, "sync", "--dry-run", "--json", "--now", NOW_ARG)
        ours.append(elapsed)
        doc = json.loads(proc.stdout)
        if doc["errors"]:
            raise RuntimeError(f"the sync reported errors: {doc['errors']}")
        if (folder / "state").exists() and any((folder / "state").iterdir()):
            raise RuntimeError("a dry run wrote to the state folder")
        if i < plain_rounds:
            plain.append(_plain_once(cal))
    assert doc is not None

    # correctness: the same workouts and conflicts as the plain pipeline
    tz = ZoneInfo("Europe/Berlin")
    now = datetime.fromisoformat(NOW_ARG)
    window = Window(now - timedelta(days=WINDOW_PAST_DAYS),
                    now + timedelta(days=WINDOW_FUTURE_DAYS))
    expected = plain_judged(cal.read_bytes(), window, Profile(tz=tz), horizon_days=7)
    got = from_report_json(doc)
    ours_s = median(ours)
    plain_s = median([p["parse"] + p["expand"] for p in plain])
    return {
        "label": label, "ours": ours_s, "ours_runs": ours, "plain_runs": plain,
        "plain": plain_s, "parse": median([p["parse"] for p in plain]),
        "expand": median([p["expand"] for p in plain]), "ratio": plain_s / ours_s,
        "same": expected == got, "workouts": len(got.workouts),
        "conflicts": len(got.conflicts), "calendar_bytes": cal.stat().st_size,
    }


def run(quick: bool = False) -> Figure:
    rounds = 3 if quick else 5
    plain_rounds = 1 if quick else 3
    results = [
        measure(calendar(20_000), label="generated", rounds=rounds, plain_rounds=plain_rounds),
        measure(old_series_calendar(), label="old-series", rounds=rounds,
                plain_rounds=plain_rounds),
    ]
    gen, old = results

    def part(r: dict[str, Any]) -> str:
        return (f"{r['workouts']} workouts, {r['conflicts']} conflicts, "
                f"{'identical to' if r['same'] else 'DIFFERENT FROM'} the plain pipeline's")

    return Figure(
        key="a", name="cold sync --dry-run, 20k events, 3-week window",
        target=f"≥ {TARGET_RATIO:g}× faster than plain parse+expand on both calendars "
               "(generated; old series); same results",
        ours=f"generated {fmt_s(gen['ours'])}; old series {fmt_s(old['ours'])} (whole process)",
        comparison=(f"generated {fmt_s(gen['plain'])} (parse {fmt_s(gen['parse'])} + expand "
                    f"{fmt_s(gen['expand'])}); old series {fmt_s(old['plain'])} (parse "
                    f"{fmt_s(old['parse'])} + expand {fmt_s(old['expand'])})"),
        ratio=f"{gen['ratio']:.1f}× / {old['ratio']:.1f}×",
        met=all(r["ratio"] >= TARGET_RATIO and r["same"] for r in results),
        how=(f"median of {rounds} whole-process runs `python -m legday_sync sync --dry-run "
             f"--json` (fresh state dir) vs median of {plain_rounds} plain parse+expand timings "
             f"(perf_counter inside a child, imports not counted), interleaved, on each "
             f"calendar. Generated: `gen_calendar` 20k events, {part(gen)}. Old series: "
             f"`gen_old_series` — the same 20k events plus 400 weekly series started up to "
             f"ten years back, half ending by COUNT ({old['calendar_bytes'] / 1e6:.1f} MB), "
             f"{part(old)}"),
        details={"calendars": results, "same_results": all(r["same"] for r in results)})


if __name__ == "__main__":
    print(run(quick=True))
