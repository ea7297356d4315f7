"""Run .ics inputs through ``IcsSource.fetch`` in worker processes with hard limits.

A worker (``python -m tests.reliability.isolated``) caps its address space with
``RLIMIT_AS`` and its CPU time with ``RLIMIT_CPU``, then reads one job per line
(JSON) from stdin and answers one line per job. The parent gives each job a
wall-clock deadline: a worker that does not answer in time is killed, the job is
recorded as a hang, and a fresh worker takes the remaining jobs. So a hang or a
memory blow-up fails a test instead of taking the suite down.
"""

from __future__ import annotations

import json
import os
import resource
import select
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: address-space cap of a worker (the interpreter with icalendar loaded takes ~250 MB)
MEMORY_LIMIT = 1536 * 1024 * 1024
#: wall-clock seconds a job may take before its worker is killed
JOB_TIMEOUT = 30.0
#: window the jobs are read in: the example calendar's weeks (UTC)
WINDOW = ("2026-11-09T00:00:00+00:00", "2026-12-21T00:00:00+00:00")


@dataclass
class Result:
    id: str
    #: "events", "source_error", "crash" (any other exception), "hang" or "died"
    kind: str
    events: int = 0
    titles: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    message: str = ""
    source: str = ""
    seconds: float = 0.0
    max_rss_mb: float = 0.0


def run_jobs(jobs: Sequence[tuple[str, Path]], *, workers: int = 2,
             timeout: float = JOB_TIMEOUT, memory: int = MEMORY_LIMIT,
             window: tuple[str, str] = WINDOW) -> dict[str, Result]:
    """Each (id, path) through the .ics source in isolated workers; results by id."""
    results: dict[str, Result] = {}
    lock = threading.Lock()
    queue = list(jobs)

    def take() -> tuple[str, Path] | None:
        with lock:
            return queue.pop(0) if queue else None

    def worker_loop() -> None:
        proc: subprocess.Popen | None = None
        try:
            while (job := take()) is not None:
                if proc is None:
                    proc = _spawn(memory, timeout)
                jid, path = job
                line = json.dumps({"id": jid, "path": str(path), "start": window[0],
                                   "end": window[1]}) + "\n"
                began = time.monotonic()
                try:
                    assert proc.stdin is not None
                    proc.stdin.write(line.encode())
                    proc.stdin.flush()
                    answer = _read_line(proc, timeout)
                except (BrokenPipeError, OSError):
                    answer = None
                if answer is None:
                    alive = proc.poll() is None
                    _kill(proc)
                    proc = None
                    res = Result(jid, "hang" if alive else "died",
                                 seconds=time.monotonic() - began,
                                 message=f"no answer within {timeout:g} s" if alive
                                 else "the worker died")
                else:
                    res = Result(**json.loads(answer))
                with lock:
                    results[jid] = res
        finally:
            if proc is not None:
                _kill(proc)

    threads = [threading.Thread(target=worker_loop) for _ in range(max(1, workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _spawn(memory: int, timeout: float) -> subprocess.Popen:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.isolated", str(memory), str(int(timeout) + 5)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        cwd=ROOT)


def _read_line(proc: subprocess.Popen, timeout: float) -> str | None:
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout
    buf = b""
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return None
        buf += chunk
    return buf.decode()


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)
    for f in (proc.stdin, proc.stdout):
        if f is not None:
            f.close()


# -- the worker ------------------------------------------------------------------------
def _worker(memory: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from legday_sync.adapters.ics.source import IcsSource
    from legday_sync.core.model import Window
    from legday_sync.errors import SourceError

    for line in sys.stdin:
        job = json.loads(line)
        # the CPU cap is per job: a runaway loop dies even if the parent were gone
        used = resource.getrusage(resource.RUSAGE_SELF)
        spent = int(used.ru_utime + used.ru_stime)
        # (soft limit only: raising a hard limit needs privileges); SIGXCPU ends the worker
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        soft = spent + cpu_seconds
        resource.setrlimit(resource.RLIMIT_CPU,
                           (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
        window = Window(datetime.fromisoformat(job["start"]), datetime.fromisoformat(job["end"]))
        began = time.perf_counter()
        out: dict[str, object] = {"id": job["id"]}
        try:
            source = IcsSource(job["id"], path=Path(job["path"]),
                               default_tz=ZoneInfo("Europe/Berlin"))
            result = source.fetch(window)
            out.update(kind="events", events=len(result.events),
                       titles=[e.title for e in result.events][:20],
                       warnings=list(result.warnings)[:50])
        except SourceError as e:
            out.update(kind="source_error", message=e.message, source=e.source)
        except BaseException as e:  # MemoryError, RecursionError, …: what the test forbids
            out.update(kind="crash", message=f"{type(e).__name__}: {str(e)[:300]}")
        out["seconds"] = time.perf_counter() - began
        out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _worker(int(sys.argv[1]), int(sys.argv[2]))
