"""The Sink port's contract, run against every adapter and the in-memory fake."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from legday_sync.adapters.google.sink import GoogleSink
from legday_sync.adapters.ics.sink import IcsFileSink
from legday_sync.adapters.memory import FakeSink
from legday_sync.config import parse_training_range
from legday_sync.core.model import Action, Suggestion
from legday_sync.core.planner import Schedule, plan_week
from legday_sync.core.ports import Sink
from legday_sync.core.rules import Profile, find_conflicts
from tests.caldav_support import caldav_sink
from tests.google_support import contract_google_sink, shared_emulator
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


class User:
    """The person, in their calendar app, acting on a sink's events."""

    def __init__(self, delete: Callable[[str], None], edit: Callable[[str], None]) -> None:
        self.delete, self.edit = delete, edit


def _fake_user(sink: FakeSink) -> User:
    return User(sink.user_delete, sink.user_edit)


def _google_user(sink: GoogleSink) -> User:
    emu = shared_emulator()

    def calendar() -> str:
        cal = sink.calendar_id(create=False)
        assert cal is not None
        return cal

    return User(lambda sid: emu.user_delete(calendar(), sid),
                lambda sid: emu.user_edit(calendar(), sid, summary="My own plan"))


#: the sinks people edit by hand (the .ics feed is read-only to its subscribers)
EDITABLE: dict[str, Callable[[Path], tuple[Sink, User]]] = {
    "fake": lambda tmp: (lambda k: (k, _fake_user(k)))(FakeSink()),
    "google": lambda tmp: (lambda k: (k, _google_user(k)))(contract_google_sink(tmp)),
}


@pytest.fixture(params=sorted(EDITABLE))
def editable(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Sink, User]:
    sink, user = EDITABLE[request.param](tmp_path)
    assert sink.user_editable
    return sink, user


def two_suggestions(workouts: list | None = None) -> list[Suggestion]:
    workouts = workouts or [leg("2026-11-23 18:00"), run("2026-11-24 07:00", "hard")]
    profile = Profile(tz=BERLIN)
    conflicts = find_conflicts(workouts, profile)
    sched = Schedule((parse_training_range("06:00-09:00"), parse_training_range("17:00-20:00")))
    out, _ = plan_week(conflicts, workouts, [w.event for w in workouts], profile, sched, NOW)
    assert out, "the week has a conflict, so there is a suggestion"
    return out


def create(sink: Sink, suggestions: list[Suggestion]) -> None:
    sink.apply([Action("create", sink.name, s.id, s) for s in suggestions], NOW)


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

    def test_applying_nothing_changes_nothing(self, sink: Sink) -> None:
        sink.apply([], NOW)
        assert sink.load() == {}
        create(sink, two_suggestions())
        before = sink.load()
        sink.apply([], NOW)
        assert sink.load() == before

    def test_occurrences_of_one_recurring_run_are_held_apart(self, sink: Sink) -> None:
        """A weekly tempo run after a weekly leg day: same series uid, one suggestion each."""
        week = [leg("2026-11-23 18:00", uid="legs"), run("2026-11-24 07:00", uid="tempo"),
                leg("2026-11-30 18:00", uid="legs"), run("2026-12-01 07:00", uid="tempo")]
        sugg = [s for s in two_suggestions(week) if s.kind == "instead"]
        assert len({s.run.event.uid for s in sugg}) == 1 and len(sugg) == 2
        create(sink, sugg)
        held = sink.load()
        assert {held[s.id].start for s in sugg} == {s.run.start for s in sugg}

    def test_a_suggestion_for_an_all_day_run_is_held(self, sink: Sink) -> None:
        workouts = [leg("2026-11-23 18:00"), run("2026-11-24 00:00", minutes=24 * 60,
                                                  all_day=True)]
        sugg = two_suggestions(workouts)
        create(sink, sugg)
        held = sink.load()
        assert {sid: h.fingerprint for sid, h in held.items()} == {
            s.id: s.fingerprint for s in sugg}

    def test_a_zero_length_suggestion_round_trips(self, sink: Sink) -> None:
        s = two_suggestions()[0]
        instant = replace(s, end=s.start)
        create(sink, [instant])
        assert sink.load()[s.id].fingerprint == instant.fingerprint


class TestUserEditableSinkContract:
    """What the person does in their calendar shows in ``load()``, so the plan respects it."""

    def test_a_user_deletion_shows_as_gone_and_touches_nothing_else(
            self, editable: tuple[Sink, User]) -> None:
        sink, user = editable
        a, b = two_suggestions()
        create(sink, [a, b])
        user.delete(a.id)
        held = sink.load()
        assert a.id not in held or held[a.id].deleted
        assert not held[b.id].deleted and held[b.id].fingerprint == b.fingerprint

    def test_a_user_edit_shows_as_a_different_fingerprint(
            self, editable: tuple[Sink, User]) -> None:
        sink, user = editable
        a, b = two_suggestions()
        create(sink, [a, b])
        user.edit(a.id)
        held = sink.load()
        assert not held[a.id].deleted and held[a.id].fingerprint != a.fingerprint
        assert held[b.id].fingerprint == b.fingerprint
