"""The Sink port's contract, run against every adapter and the in-memory fake."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from legday_sync.adapters.ics.sink import IcsFileSink
from legday_sync.adapters.memory import FakeSink
from legday_sync.config import parse_training_range
from legday_sync.core.model import Action, Suggestion
from legday_sync.core.planner import Schedule, plan_week
from legday_sync.core.ports import Sink
from legday_sync.core.rules import Profile, find_conflicts
from tests.caldav_support import caldav_sink
from tests.google_support import contract_google_sink
from tests.helpers import BERLIN, at, leg, run

NOW = at("2026-11-23 06:00")

SINKS: dict[str, Callable[[Path], Sink]] = {
    "fake": lambda tmp: FakeSink(),
    "ics-file": lambda tmp: IcsFileSink(tmp / "out.ics", tz=BERLIN),
    "google": contract_google_sink,
}


#: sinks on a real CalDAV server: the server's fixture name
SERVED = {"caldav-radicale": "radicale_server", "caldav-xandikos": "xandikos_server"}


@pytest.fixture(params=sorted(SINKS) + sorted(SERVED))
def sink(request: pytest.FixtureRequest, tmp_path: Path) -> Sink:
    if request.param in SERVED:
        return caldav_sink(request.getfixturevalue(SERVED[request.param]), tmp_path)
    return SINKS[request.param](tmp_path)


def two_suggestions() -> list[Suggestion]:
    workouts = [leg("2026-11-23 18:00"), run("2026-11-24 07:00", "hard")]
    profile = Profile(tz=BERLIN)
    conflicts = find_conflicts(workouts, profile)
    sched = Schedule((parse_training_range("06:00-09:00"), parse_training_range("17:00-20:00")))
    out, _ = plan_week(conflicts, workouts, [w.event for w in workouts], profile, sched, NOW)
    assert len(out) == 2
    return out


class TestSinkContract:
    def test_starts_empty(self, sink: Sink) -> None:
        assert sink.load() == {}

    def test_created_suggestions_are_held_with_their_fingerprint(self, sink: Sink) -> None:
        sugg = two_suggestions()
        sink.apply([Action("create", sink.name, s.id, s) for s in sugg], NOW)
        held = sink.load()
        assert set(held) == {s.id for s in sugg}
        for s in sugg:
            assert held[s.id].fingerprint == s.fingerprint
            assert not held[s.id].deleted
            assert held[s.id].start == s.run.start

    def test_update_changes_the_fingerprint(self, sink: Sink) -> None:
        s = two_suggestions()[0]
        sink.apply([Action("create", sink.name, s.id, s)], NOW)
        changed = replace(s, title=s.title + " (changed)")
        sink.apply([Action("update", sink.name, s.id, changed)], NOW)
        assert sink.load()[s.id].fingerprint == changed.fingerprint != s.fingerprint

    def test_delete_removes_only_that_suggestion(self, sink: Sink) -> None:
        a, b = two_suggestions()
        sink.apply([Action("create", sink.name, a.id, a), Action("create", sink.name, b.id, b)],
                   NOW)
        sink.apply([Action("delete", sink.name, a.id)], NOW)
        assert set(sink.load()) == {b.id}

    def test_applying_the_same_actions_twice_is_harmless(self, sink: Sink) -> None:
        sugg = two_suggestions()
        actions = [Action("create", sink.name, s.id, s) for s in sugg]
        sink.apply(actions, NOW)
        first = sink.load()
        sink.apply(actions, NOW)
        assert sink.load() == first
