"""What the multilingual classifier costs a cold sync: (a)'s run, before and after, interleaved.

    python -m benchmarks.bench_classify_cost [--before SRC] [--rounds N]

Runs the whole process ``python -m legday_sync sync --dry-run --json`` on the 20k-event
calendar of target (a), alternating between the code in ``--before`` (a checkout's ``src``,
e.g. the main branch's, with the English-only keyword classifier) and this checkout's, so
both see the same machine load; prints the medians and the ratio. Also times the classifier
alone on the window's events (cold: compiling the vocabularies and reading each distinct
event once), in this process.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from benchmarks.common import NOW_ARG, PYTHON, ROOT, calendar, ics_source, out_dir, write_config


def _once(src: str, cfg: Path) -> tuple[float, dict]:
    t0 = time.perf_counter()
    proc = subprocess.run([PYTHON, "-m", "legday_sync", "--config", str(cfg), "sync",
                           "--dry-run", "--json", "--now", NOW_ARG], capture_output=True,
                          text=True, check=True, env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"},
                          timeout=600)
    return time.perf_counter() - t0, json.loads(proc.stdout)


_CHILD = """
import random, sys, time
from datetime import datetime, timedelta, timezone
t0 = time.perf_counter()
from legday_sync.core.classify import Classifier, classify_all
from legday_sync.core.model import Event
from benchmarks import gen_calendar as g
titles = [*g.LEG_DAY_TITLES, *g.RUN_TITLES, *g.MEETING_TITLES, *g.OTHER_TITLES]
r = random.Random(1)
start = datetime(2026, 11, 1, tzinfo=timezone.utc)
events = [Event("cal", str(i), start + timedelta(hours=i), start + timedelta(hours=i, minutes=45),
                t, description="\\n".join(r.sample(g.WORKOUT_LINES + g.MEETING_LINES, 2))
                if i % 3 == 0 else "")
          for i, t in enumerate(r.choice(titles) for _ in range(int(sys.argv[1])))]
t1 = time.perf_counter()
ws = classify_all(Classifier(), events)
t2 = time.perf_counter()
print(f"{t1 - t0:.4f} {t2 - t1:.4f} {len(ws)}")
"""


def _classify_alone(src: str, n: int) -> tuple[float, float, int]:
    """(import seconds, cold classify_all seconds, workouts) in a fresh child."""
    proc = subprocess.run([PYTHON, "-c", _CHILD, str(n)], capture_output=True, text=True,
                          check=True, env={"PYTHONPATH": f"{src}:{ROOT}", "PATH": "/usr/bin:/bin"})
    imp, cls, n_w = proc.stdout.split()
    return float(imp), float(cls), int(n_w)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", default="/work/main/src", help="src folder of the code before")
    p.add_argument("--rounds", type=int, default=7)
    args = p.parse_args(argv)
    cal = calendar(20_000)
    after_src = str(ROOT / "src")
    times: dict[str, list[float]] = {"before": [], "after": []}
    docs: dict[str, dict] = {}
    for i in range(args.rounds):
        for label, src in (("before", args.before), ("after", after_src)):
            folder = out_dir("classify-cost") / f"{label}{i}"
            shutil.rmtree(folder, ignore_errors=True)
            cfg = write_config(folder, sources=ics_source(cal), past_days=7, future_days=14)
            elapsed, docs[label] = _once(src, cfg)
            times[label].append(elapsed)
    b, a = statistics.median(times["before"]), statistics.median(times["after"])
    print(f"cold sync --dry-run, 20k events: before {b:.3f} s, after {a:.3f} s "
          f"(medians of {args.rounds}, interleaved): {100 * (a / b - 1):+.1f}%")
    for label in ("before", "after"):
        d = docs[label]
        print(f"  {label}: {len(d['workouts'])} workouts, {len(d['conflicts'])} conflicts; "
              f"runs {', '.join(f'{t:.2f}' for t in times[label])}")
    alone: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(args.rounds):
        for label, src in (("before", args.before), ("after", after_src)):
            alone[label].append(_classify_alone(src, 1500)[1])
    b, a = statistics.median(alone["before"]), statistics.median(alone["after"])
    print(f"classify_all, 1500 events (a window's worth, every third with a "
          f"description), cold in a fresh process: before {1000 * b:.1f} ms, after "
          f"{1000 * a:.1f} ms (medians of {args.rounds})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
