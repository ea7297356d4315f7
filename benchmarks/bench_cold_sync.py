"""(a) Cold `legday-sync sync --dry-run` of the 20k-event feed vs the plain pipeline.

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
    out_dir,
    run_cli,
    write_config,
)

TARGET_RATIO = 8.0
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


def run(quick: bool = False) -> Figure:
    from benchmarks.plain_results import from_report_json, plain_judged
    from legday_sync.core.model import Window
    from legday_sync.core.rules import Profile

    cal = calendar(20_000)
    rounds = 3 if quick else 5
    plain_rounds = 1 if quick else 3
    ours: list[float] = []
    plain: list[dict[str, float]] = []
    doc = None
    for i in range(rounds):
        folder = out_dir("cold") / f"run{i}"
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
    same = expected == got

    ours_s = median(ours)
    parse_s = median([p["parse"] for p in plain])
    expand_s = median([p["expand"] for p in plain])
    plain_s = median([p["parse"] + p["expand"] for p in plain])
    ratio = plain_s / ours_s
    return Figure(
        key="a", name="cold sync --dry-run, 20k events, 3-week window",
        target=f"≥ {TARGET_RATIO:g}× faster than plain parse+expand; same results",
        ours=f"{fmt_s(ours_s)} (whole process)",
        comparison=f"{fmt_s(plain_s)} (parse {fmt_s(parse_s)} + expand {fmt_s(expand_s)})",
        ratio=f"{ratio:.1f}×",
        met=ratio >= TARGET_RATIO and same,
        how=(f"median of {rounds} whole-process runs `python -m legday_sync sync --dry-run "
             f"--json` (fresh state dir) vs median of {len(plain)} plain parse+expand timings "
             f"(perf_counter inside a child, imports not counted), interleaved; "
             f"{len(got.workouts)} workouts, {len(got.conflicts)} conflicts, "
             f"{'identical to' if same else 'DIFFERENT FROM'} the plain pipeline's"),
        details={"ours_runs": ours, "plain_runs": plain, "same_results": same,
                 "workouts": len(got.workouts), "conflicts": len(got.conflicts),
                 "calendar_bytes": cal.stat().st_size})


if __name__ == "__main__":
    print(run(quick=True))
