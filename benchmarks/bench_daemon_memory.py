"""(f) The daemon's resident memory when idle: < 120 MB.

``legday-sync daemon`` runs as a subprocess on a copy of ``examples/`` (the example
config and calendar, in a temp folder), with a one-day interval and the feed on a free
loopback port. Once the first sync has written its status (``/healthz`` says
``last_sync``), and 2 s later, VmRSS is read from ``/proc/<pid>/status`` (median of 3
reads, 0.5 s apart). The floor to compare with: a bare
``python -c "import time; time.sleep(5)"``, measured the same way.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from benchmarks.common import (
    PYTHON,
    ROOT,
    Figure,
    free_port,
    median,
    out_dir,
    stop_process,
    wait_for_port,
)

TARGET_MB = 120.0


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    m = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
    assert m, text
    return int(m.group(1)) / 1024


def _rss_median(pid: int) -> float:
    reads = []
    for _ in range(3):
        reads.append(rss_mb(pid))
        time.sleep(0.5)
    return median(reads)


def run(quick: bool = False) -> Figure:
    folder = out_dir("daemon")
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(ROOT / "examples", folder / "examples",
                    ignore=shutil.ignore_patterns(".state"))
    cfg = folder / "examples" / "legday-sync.toml"
    port = free_port()
    text = cfg.read_text(encoding="utf-8")
    text += f'\n[daemon]\ninterval_minutes = 1440\n\n[feed]\nlisten = "127.0.0.1:{port}"\n'
    cfg.write_text(text, encoding="utf-8")

    proc = subprocess.Popen([PYTHON, "-m", "legday_sync", "--config", str(cfg), "daemon"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=str(cfg.parent))
    try:
        wait_for_port(port, timeout=60)
        deadline = time.monotonic() + 60
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                health = json.loads(r.read())
            if health.get("last_sync"):
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the daemon's first sync did not finish within 60 s")
            time.sleep(0.2)
        time.sleep(2)
        daemon_mb = _rss_median(proc.pid)
    finally:
        stop_process(proc)

    floor = subprocess.Popen([PYTHON, "-c", "import time; time.sleep(5)"])
    try:
        time.sleep(1)
        floor_mb = _rss_median(floor.pid)
    finally:
        floor.kill()
        floor.wait()
    return Figure(
        key="f", name="daemon resident memory when idle",
        target=f"< {TARGET_MB:g} MB",
        ours=f"{daemon_mb:.1f} MB",
        comparison=f"bare Python sleeping: {floor_mb:.1f} MB",
        ratio=f"+{daemon_mb - floor_mb:.1f} MB",
        met=daemon_mb < TARGET_MB,
        how=("VmRSS from /proc/<pid>/status of `legday-sync daemon` (example config, feed "
             "on loopback) 2 s after /healthz showed the first sync; median of 3 reads"),
        details={"daemon_mb": daemon_mb, "floor_mb": floor_mb, "health_ok": health.get("ok")})


if __name__ == "__main__":
    print(run(quick=True))
