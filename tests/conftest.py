"""Shared fixtures. The Calendar v3 emulator's fixtures come from tests/google_emulator."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.caldav_support import radicale_server, xandikos_server  # noqa: F401
from tests.google_emulator.fixtures import calendar_emulator, calendar_service  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
#: the clock the example calendar is written around (a Monday morning in Berlin)
EXAMPLE_NOW = "2026-11-23T06:00:00+01:00"


@pytest.fixture
def example_dir(tmp_path: Path) -> Path:
    """A private copy of examples/ whose state lives in the temp dir."""
    dst = tmp_path / "examples"
    dst.mkdir()
    shutil.copy(EXAMPLES / "training.ics", dst / "training.ics")
    shutil.copy(EXAMPLES / "legday-sync.toml", dst / "legday-sync.toml")
    return dst
