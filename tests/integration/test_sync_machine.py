"""The promises of DESIGN §6 under any sequence of syncs, user actions, source failures
and time passing: a Hypothesis state machine (after vdirsyncer's SyncMachine).

The machine drives the real composition root (``service.sync_once``, with the real SQLite
ledger) against the in-memory source, and against two sinks: the in-memory fake (many
runs, fast) and a real GoogleSink on the Calendar v3 emulator (fewer runs), where the user's
deletions and edits are made through the emulator as Google would record them.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from legday_sync.adapters.google.api import GoogleClient
from legday_sync.adapters.google.sink import GoogleSink
from legday_sync.adapters.memory import FakeSink, FakeSource
from legday_sync.adapters.state import State
from legday_sync.config import parse
from legday_sync.core.ports import Held, Sink
from legday_sync.service import sync_once
from tests.google_support import shared_emulator
from tests.helpers import at, event

START = at("2026-11-23 06:00")


class SyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="sync-machine-"))
        self.settings = parse({"timezone": "Europe/Berlin", "state": {"dir": str(self.dir)}},
                              base=self.dir)
        self.state = State(self.dir)
        self.source = FakeSource("cal")
        self.sink = self.make_sink()
        self.now = START
        self.created: set[str] = set()       # every id the tool ever created in the sink
        self.user_deleted: set[str] = set()
        self.user_edited: set[str] = set()
        self.written: dict[str, str] = {}   # id -> the fingerprint the tool last wrote

    # -- the sink and the user's hands on it (the Google machine overrides these) ----------
    def make_sink(self) -> Sink:
        return FakeSink()

    def held(self) -> dict[str, Held]:
        return self.sink.load()

    def user_delete(self, sid: str) -> None:
        self.sink.user_delete(sid)

    def user_edit(self, sid: str) -> None:
        self.sink.user_edit(sid)

    def teardown(self) -> None:
        self.state.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- the calendar changes --------------------------------------------------------------
    @rule(day=st.integers(0, 6), gap=st.sampled_from([10, 13, 30, 60]),
          hard=st.booleans())
    def plan_a_leg_day_and_a_run(self, day: int, gap: int, hard: bool) -> None:
        leg = event("Leg day", f"2026-11-{23 + day} 18:00", 75, uid=f"leg{day}")
        run_at = leg.start + timedelta(hours=gap)
        title = "Tempo run" if hard else "Run"
        run = event(title, "2026-11-23 00:00", 45, uid=f"run{day}-{gap}")
        run = type(run)(run.source, run.uid, run_at, run_at + timedelta(minutes=45), title)
        self.source.events = [e for e in self.source.events if e.uid not in (leg.uid, run.uid)]
        self.source.events += [leg, run]

    @precondition(lambda self: self.source.events)
    @rule(data=st.data())
    def the_user_drops_an_event(self, data: st.DataObject) -> None:
        victim = data.draw(st.sampled_from(self.source.events))
        self.source.events.remove(victim)

    @rule(down=st.booleans())
    def the_source_goes_down_or_up(self, down: bool) -> None:
        self.source.failure = "feed down" if down else None

    @rule(hours=st.sampled_from([1, 6, 24, 72]))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    # -- the user, in their calendar app ---------------------------------------------------
    def _live(self) -> list[str]:
        return sorted(sid for sid, h in self.held().items() if not h.deleted)

    @precondition(lambda self: self._live())
    @rule(data=st.data())
    def the_user_deletes_a_suggestion(self, data: st.DataObject) -> None:
        sid = data.draw(st.sampled_from(self._live()))
        self.user_delete(sid)
        self.user_deleted.add(sid)
        self.user_edited.discard(sid)  # edited, then deleted: the deletion is what stands

    @precondition(lambda self: [s for s in self._live() if s not in self.user_edited])
    @rule(data=st.data())
    def the_user_edits_a_suggestion(self, data: st.DataObject) -> None:
        sid = data.draw(st.sampled_from([s for s in self._live() if s not in self.user_edited]))
        self.user_edit(sid)
        self.user_edited.add(sid)

    # -- the tool, and the promises about what it did ---------------------------------------
    @rule()
    def sync(self) -> None:
        report = sync_once(self.settings, self.now, state=self.state, sources=[self.source],
                           sinks=[self.sink])
        actions = report.actions  # what was handed to the sink's apply()
        for a in actions:
            # it changes or deletes only what it created
            assert a.op == "create" or a.suggestion_id in self.created, a
            # a suggestion the user deleted stays deleted; one they edited is theirs
            assert a.suggestion_id not in self.user_deleted, f"{a.op} on a user-deleted one"
            assert a.suggestion_id not in self.user_edited, f"{a.op} on a user-edited one"
            if a.op == "create":
                self.created.add(a.suggestion_id)
            if a.suggestion is not None:
                self.written[a.suggestion_id] = a.suggestion.fingerprint
        if not report.ok:
            # a failing source is never "no events": nothing is deleted or rewritten
            assert all(a.op == "create" for a in actions), actions
            return
        # a deletion stands even when its conflict goes and comes back: the sink keeps the
        # user's tombstone, and the plan takes a tombstone for the user's "no"
        # after a good sync the sink holds every wanted suggestion the user left alone
        now_held = self.held()
        for s in report.suggestions:
            if s.id in self.user_deleted or s.id in self.user_edited:
                continue
            held = now_held.get(s.id)
            assert held is not None and not held.deleted, s.title
            assert held.fingerprint == s.fingerprint, s.title

    @invariant()
    def the_users_edits_and_deletions_stand(self) -> None:
        held = self.held()
        for sid in self.user_edited:
            assert sid in held and held[sid].fingerprint != self.written[sid], sid
        for sid in self.user_deleted - self.user_edited:
            assert sid not in held or held[sid].deleted, sid


class GoogleSyncMachine(SyncMachine):
    """The same promises with a real GoogleSink writing to the emulator."""

    def make_sink(self) -> Sink:
        # the sink shares the sync's state, as in the product: it records its writes in the
        # same ledger as Google acknowledges them
        emu = shared_emulator()
        self.google = GoogleSink("Legday suggestions", state=self.state,
                                 tz_name="Europe/Berlin", name=f"google-{self.dir.name}",
                                 connect=lambda: GoogleClient(emu.credentials(),
                                                              base_url=emu.base_url))
        return self.google

    def _calendar(self) -> str:
        cal = self.google.calendar_id(create=False)
        assert cal is not None
        return cal

    def user_delete(self, sid: str) -> None:
        shared_emulator().user_delete(self._calendar(), sid)

    def user_edit(self, sid: str) -> None:
        shared_emulator().user_edit(self._calendar(), sid, summary="My own plan")


HEALTH = [HealthCheck.too_slow, HealthCheck.filter_too_much]
SyncMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=25,
                                         deadline=None, suppress_health_check=HEALTH)
GoogleSyncMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=15,
                                               deadline=None, suppress_health_check=HEALTH)
TestSyncMachine = pytest.mark.slow(SyncMachine.TestCase)
TestGoogleSyncMachine = pytest.mark.slow(
    pytest.mark.filterwarnings("ignore::DeprecationWarning")(GoogleSyncMachine.TestCase))


def test_an_edited_suggestion_outlives_its_conflict(tmp_path: Path) -> None:
    """The user edits a suggestion, then the run it stands for goes away: the edited event is
    theirs, and no later sync deletes it (found while writing the machine above)."""
    settings = parse({"timezone": "Europe/Berlin", "state": {"dir": str(tmp_path)}},
                     base=tmp_path)
    state = State(tmp_path)
    leg = event("Leg day", "2026-11-24 18:00", 75, uid="leg")
    run = event("Tempo run", "2026-11-25 07:00", 45, uid="run")
    source, sink = FakeSource("cal", [leg, run]), FakeSink()
    try:
        sync_once(settings, START, state=state, sources=[source], sinks=[sink])
        edited = sorted(sink.held)[0]
        sink.user_edit(edited)
        source.events = [leg]  # the run is cancelled: its conflict is gone
        sync_once(settings, START, state=state, sources=[source], sinks=[sink])
        # a new conflict makes the next sync read the sink again
        source.events += [event("Leg day", "2026-11-26 18:00", 75, uid="leg2"),
                          event("Tempo run", "2026-11-27 07:00", 45, uid="run2")]
        for _ in range(2):
            report = sync_once(settings, START, state=state, sources=[source], sinks=[sink])
            assert edited not in {a.suggestion_id for a in report.actions}
        assert sink.held[edited].fingerprint.startswith("edited-")
    finally:
        state.close()
