"""Shared pieces of the benchmarks: calendars on disk, configs, timing, subprocesses.

Everything generated lives under ``benchmarks/out/`` (gitignored). Calendars are
cached there by (events, seed, around): generating 100k events takes a few seconds.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
#: the instant every benchmark pins ``--now`` to, and the centre of the generated calendars
AROUND = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
NOW_ARG = "2026-11-24T07:00:00+01:00"
PYTHON = sys.executable


@dataclass
class Figure:
    """One row of the results table."""

    key: str  # "a", "b", ...
    name: str
    target: str
    ours: str
    comparison: str
    ratio: str
    met: bool | None  # None: not measured
    how: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def out_dir(*parts: str) -> Path:
    path = OUT.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def calendar(n_events: int, seed: int = 1) -> Path:
    """Path of a generated calendar (made once, then reused)."""
    from benchmarks.gen_calendar import generate

    path = out_dir("calendars") / f"cal-{n_events}-s{seed}-{AROUND:%Y%m%d}.ics"
    if not path.exists():
        data = generate(n_events, seed=seed, around=AROUND)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


def old_series_calendar(age_days: int | None = None, seed: int = 1) -> Path:
    """The "old series" calendar (``gen_old_series``): 20k events of history plus 400
    weekly series started ``age_days`` back (None: anywhere up to ten years back)."""
    from benchmarks.gen_old_series import generate_old_series

    age = "mixed" if age_days is None else f"{age_days}d"
    path = out_dir("calendars") / f"old-series-{age}-s{seed}-{AROUND:%Y%m%d}.ics"
    if not path.exists():
        data = generate_old_series(seed=seed, around=AROUND, age_days=age_days)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


def write_config(folder: Path, *, sources: str, extra: str = "", state_dir: Path | None = None,
                 past_days: int = 7, future_days: int = 14) -> Path:
    """A legday-sync config in ``folder`` (3-week window: 7 days back, 14 ahead)."""
    folder.mkdir(parents=True, exist_ok=True)
    state = state_dir if state_dir is not None else folder / "state"
    text = f"""timezone = "Europe/Berlin"
goal = "balanced"

[window]
past_days = {past_days}
future_days = {future_days}

{sources.strip()}

[output.ics]
path = "{state / 'suggestions.ics'}"

[state]
dir = "{state}"
{extra}
"""
    path = folder / "legday-sync.toml"
    path.write_text(text, encoding="utf-8")
    return path


def ics_source(path: Path | None = None, *, url: str | None = None, name: str = "cal") -> str:
    where = f'path = "{path}"' if path is not None else f'url = "{url}"'
    return f'[[source]]\nname = "{name}"\ntype = "ics"\n{where}\n'


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


#: where the tool's bytecode is cached for the whole-process runs
PYCACHE = OUT / "pycache"


def cli_env(env: dict[str, str] | None = None, src: Path | None = None) -> dict[str, str]:
    """The environment of a whole-process run: the tree's ``src`` first (this tree's by
    default; a relative PYTHONPATH would not survive the child's own working directory,
    and the venv's editable install may point at another checkout), and bytecode cached as
    an installed package has it (pip compiles at install time; PYTHONDONTWRITEBYTECODE
    would make every run compile every module of the tool). One ``PYCACHE`` serves every
    tree: the prefix mirrors each source file's absolute path."""
    full = {**os.environ, **(env or {})}
    full["PYTHONPATH"] = os.pathsep.join(
        [str(src or ROOT / "src"), *(p for p in full.get("PYTHONPATH", "").split(os.pathsep)
                                     if p and Path(p).is_absolute())])
    full.pop("PYTHONDONTWRITEBYTECODE", None)
    full["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return full


def warm_bytecode(src: Path | None = None) -> None:
    """Compile a tree's modules (this one's by default) into ``PYCACHE`` once, so no timed
    run pays for it."""
    src = src or ROOT / "src"
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(src)], check=True,
                   env=cli_env(src=src), capture_output=True, timeout=300)


def run_cli(config: Path, *args: str, env: dict[str, str] | None = None,
            timeout: float = 300, src: Path | None = None
            ) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run ``python -m legday_sync --config CONFIG ARGS`` (the tree at ``src``, this one's
    by default) and time the whole process."""
    cmd = [PYTHON, "-m", "legday_sync", "--config", str(config), *args]
    full_env = cli_env(env, src)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env,
                          cwd=str(config.parent))
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return elapsed, proc


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def fmt_s(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1000:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def stop_process(proc: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM, then SIGKILL if it hasn't exited within ``timeout`` seconds."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def checkout(rev: str) -> Path:
    """This repository at ``rev``, checked out (detached) under ``benchmarks/out/ab/``
    once, for comparisons with an older tree."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    tree = OUT / "ab" / sha
    if not tree.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), sha], cwd=ROOT,
                       check=True, capture_output=True)
    return tree
