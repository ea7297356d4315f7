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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
