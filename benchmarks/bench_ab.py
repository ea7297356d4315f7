"""A/B of a cold `sync --dry-run --json` between a git revision and this tree.

    python -m benchmarks.bench_ab REV [ROUNDS]

Checks REV out (detached) under ``benchmarks/out/ab/<rev>``, then runs the whole process
on both benchmark calendars (``gen_calendar`` 20k events, ``gen_old_series``), the two
trees alternating round by round, each with its own ``src`` first on ``PYTHONPATH`` and
its bytecode compiled before timing (``benchmarks.common.run_cli``). Prints the medians
and whether both trees found the same workouts and conflicts (suggestions may differ on
purpose).
Not a ``run.py`` target: it answers "what did this change cost or save?".
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from benchmarks.common import (
    NOW_ARG,
    ROOT,
    calendar,
    checkout,
    ics_source,
    median,
    old_series_calendar,
    out_dir,
    run_cli,
    warm_bytecode,
    write_config,
)


def _once(tree: Path, cfg: Path) -> tuple[float, dict]:
    shutil.rmtree(cfg.parent / "state", ignore_errors=True)
    elapsed, proc = run_cli(cfg, "sync", "--dry-run", "--json", "--now", NOW_ARG,
                            src=tree / "src")
    return elapsed, json.loads(proc.stdout)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    rounds = int(argv[1]) if len(argv) > 1 else 9
    trees = {argv[0]: checkout(argv[0]), "this tree": ROOT}
    for tree in trees.values():
        warm_bytecode(tree / "src")
    for label, cal in (("generated", calendar(20000)), ("old series", old_series_calendar())):
        cfg = write_config(out_dir("ab", "run", label.replace(" ", "-")),
                           sources=ics_source(cal), past_days=7, future_days=14)
        times: dict[str, list[float]] = {name: [] for name in trees}
        docs: dict[str, dict] = {}
        for r in range(rounds):
            for name in (list(trees) if r % 2 == 0 else list(trees)[::-1]):
                elapsed, docs[name] = _once(trees[name], cfg)
                times[name].append(elapsed)
        a, b = docs.values()
        same = a["workouts"] == b["workouts"] and a["conflicts"] == b["conflicts"]
        figures = ", ".join(f"{name} {1000 * median(t):.0f} ms" for name, t in times.items())
        print(f"{label}: {figures} (medians of {rounds}); same workouts and conflicts: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
