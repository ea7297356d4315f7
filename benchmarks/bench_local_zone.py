"""The machine's zone for a config without `timezone`: our lookup vs tzlocal's alone.

    python -m benchmarks.bench_local_zone [rounds]

Each round starts a fresh interpreter per side (imports counted, as a command pays them),
interleaved; medians are printed. Standalone: it is not one of the run.py targets.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

from benchmarks.common import ROOT

# config itself is imported by every command anyway: not counted; tzlocal's import is
OURS = ("import time; from legday_sync.config import local_timezone; t = time.perf_counter(); "
        "z = local_timezone(); print(time.perf_counter() - t, z.key)")
PLAIN = ("import time; t = time.perf_counter(); import tzlocal; "
         "z = tzlocal.get_localzone_name(); print(time.perf_counter() - t, z)")


def once(code: str) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("TZ", None)  # the common case: the zone comes from /etc/localtime
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return float(out[0]), out[1]


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    ours, plain, zones = [], [], set()
    once(OURS)  # warm the file cache for both sides
    once(PLAIN)
    for _ in range(rounds):
        t, z = once(OURS)
        ours.append(t)
        zones.add(z)
        t, z = once(PLAIN)
        plain.append(t)
        zones.add(z)
    a, b = statistics.median(ours) * 1000, statistics.median(plain) * 1000
    print(f"local zone lookup, median of {rounds}: ours {a:.1f} ms, tzlocal alone {b:.1f} ms "
          f"({b / a:.0f}x), zones seen: {', '.join(sorted(zones))}; "
          f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
