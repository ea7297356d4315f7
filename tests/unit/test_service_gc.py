"""A sync holds Python's cyclic garbage collector and gives it back afterwards."""

from __future__ import annotations

import gc
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from legday_sync import config
from legday_sync.adapters.memory import FakeSource
from legday_sync.adapters.state import State
from legday_sync.core.model import Window
from legday_sync.core.ports import FetchResult
from legday_sync.service import sync_once
from tests.helpers import event

NOW = datetime(2026, 11, 23, 6, tzinfo=ZoneInfo("Europe/Berlin"))


class _Watching(FakeSource):
    """Notes whether the collector ran while its events were read."""

    def fetch(self, window: Window) -> FetchResult:
        self.collector_on = gc.isenabled()
        return super().fetch(window)


class _Broken(FakeSource):
    def fetch(self, window: Window) -> FetchResult:
        raise RuntimeError("a bug in an adapter")


def _sync(tmp_path: Path, source: FakeSource):
    settings = config.parse({"timezone": "Europe/Berlin"}, base=tmp_path)
    state = State(tmp_path / "state", readonly=True)
    try:
        return sync_once(settings, NOW, dry_run=True, state=state, sources=[source], sinks=[])
    finally:
        state.close()


def test_the_collector_waits_during_a_sync_and_runs_again_after(tmp_path: Path) -> None:
    assert gc.isenabled()
    source = _Watching("cal", [event("Leg day", "2026-11-23 18:00")])
    report = _sync(tmp_path, source)
    assert source.collector_on is False
    assert report.workouts  # the sync did its work
    assert gc.isenabled()


def test_the_collector_runs_again_after_a_failed_sync(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        _sync(tmp_path, _Broken("cal"))
    assert gc.isenabled()


def test_a_sync_leaves_a_paused_collector_paused(tmp_path: Path) -> None:
    """An embedding program that switched it off keeps it off."""
    gc.disable()
    try:
        _sync(tmp_path, _Watching("cal", [event("Leg day", "2026-11-23 18:00")]))
        assert not gc.isenabled()
    finally:
        gc.enable()
