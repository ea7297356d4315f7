"""Shared fixtures. The Calendar v3 emulator's fixtures come from tests/google_emulator."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.caldav_support import radicale_server, xandikos_server  # noqa: F401
from tests.google_emulator.fixtures import calendar_emulator, calendar_service  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
#: the clock the example calendar is written around (a Monday morning in Berlin)
EXAMPLE_NOW = "2026-11-23T06:00:00+01:00"


def pytest_configure(config: pytest.Config) -> None:
    """Subprocesses (`python -m legday_sync` in another cwd) run the code under test.

    A relative PYTHONPATH such as `src` stops resolving once a test changes directory, and
    the child would then import whatever legday_sync is installed instead.
    """
    import legday_sync

    here = str(Path(legday_sync.__file__).resolve().parents[1])
    rest = [str(Path(p).resolve()) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
            if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([here, *rest]))


#: test folders whose tests start processes, servers or read big files: `-m slow`
SLOW_FOLDERS = ("system", "reliability")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep `pytest -m "not slow"` an inner loop of seconds: the end-to-end folders (every
    test a subprocess, a server or a 50 MB file) are slow as a whole, so a test added
    there later needs no marker to stay out of the loop. `pytest` alone still runs all."""
    tests = Path(__file__).resolve().parent
    for item in items:
        rel = Path(str(item.path)).resolve().relative_to(tests)
        if rel.parts[0] in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def example_dir(tmp_path: Path) -> Path:
    """A private copy of examples/ whose state lives in the temp dir."""
    dst = tmp_path / "examples"
    dst.mkdir()
    shutil.copy(EXAMPLES / "training.ics", dst / "training.ics")
    shutil.copy(EXAMPLES / "legday-sync.toml", dst / "legday-sync.toml")
    return dst
