"""GoogleSink (and sync_once with a Google source and sink) against the Calendar emulator."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from legday_sync.adapters.google import api as google_api
from legday_sync.adapters.google.sink import GoogleSink
from legday_sync.adapters.state import State
from legday_sync.core.model import MARKER
from legday_sync.service import sync_once
from tests.google_support import NOW, GoogleEnv, at, genv, leg_and_tempo, timed  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def sync(genv: GoogleEnv, *, dry_run: bool = False, **kw):  # noqa: F811
    report = sync_once(genv.settings(**kw), NOW, dry_run=dry_run)
    assert report.ok, report.errors
    return report


def sink(genv: GoogleEnv, state: State) -> GoogleSink:  # noqa: F811
    return GoogleSink.from_settings(genv.settings(), state)


def calendar_state(genv: GoogleEnv) -> dict:  # noqa: F811
    """What a person sees in the suggestions calendar (ids are deterministic)."""
    return {e["id"]: (e["summary"], e["start"]["dateTime"], e["end"]["dateTime"],
                      e.get("description"))
            for e in genv.suggestion_events()}


def foreign_mutations(genv: GoogleEnv, own: set[str]) -> list:  # noqa: F811
    cal = genv.suggestions_calendar()
    return [m for m in genv.emu.mutations()
            if m.calendar_id != cal or (m.event_id or (m.body or {}).get("id")) not in own]


def test_dry_run_and_load_create_nothing(genv):  # noqa: F811
    leg_and_tempo(genv.emu)
    report = sync(genv, dry_run=True)
    assert [a.op for a in report.actions if a.target == "google"] == ["create", "create"]
    assert len(genv.emu.backend.calendars) == 1  # no suggestions calendar
    assert genv.emu.mutations() == []
    assert not any(r.operation == "calendars.insert" for r in genv.emu.requests)


def test_first_write_creates_one_calendar_with_marked_transparent_events(genv):  # noqa: F811
    _, run = leg_and_tempo(genv.emu)
    report = sync(genv)
    wanted = {s.id: s for s in report.suggestions}
    assert len(wanted) == 2
    cal = genv.suggestions_calendar()
    assert genv.emu.backend.calendars[cal]["summary"] == "Legday suggestions"
    events = genv.suggestion_events()
    assert {e["id"] for e in events} == set(wanted)
    for e in events:
        s = wanted[e["id"]]
        assert e["extendedProperties"]["private"][MARKER] == s.id
        assert e["transparency"] == "transparent"
        assert e["summary"] == s.title
        assert e["description"].startswith(s.description)
        assert e["description"].endswith("Original event: " + run["htmlLink"])
        start = datetime.fromisoformat(e["start"]["dateTime"]).astimezone(UTC)
        assert start == s.start
    # writes went in one batch request
    inserts = [m for m in genv.emu.mutations() if m.operation == "events.insert"]
    assert len(inserts) == 2 and all(m.is_batch_part for m in inserts)
    assert len({m.batch_id for m in inserts}) == 1
    # the same state and a fresh process: the calendar is reused, never a second one
    genv.emu.add_event("primary", timed(at(3, 18), at(3, 19), "Squats"))
    genv.emu.add_event("primary", timed(at(4, 7), at(4, 8), "Intervals 6x800m"))
    sync(genv)
    assert len(genv.suggestion_events()) == 4
    assert [r.operation for r in genv.emu.requests].count("calendars.insert") == 1


def test_calendar_found_again_after_its_id_was_lost(genv):  # noqa: F811
    leg_and_tempo(genv.emu)
    sync(genv)
    cal = genv.suggestions_calendar()
    state = State(genv.state_dir)
    with state.transaction():
        state.db.execute("DELETE FROM meta WHERE key LIKE 'google_calendar:%'")
    state.close()
    genv.emu.add_event("primary", timed(at(3, 18), at(3, 19), "Squats"))
    genv.emu.add_event("primary", timed(at(4, 7), at(4, 8), "Tempo run"))
    sync(genv)
    assert genv.suggestions_calendar() == cal  # asserts there is exactly one
    assert len(genv.suggestion_events()) == 4
    state = State(genv.state_dir)
    assert state.meta("google_calendar:google") == cal
    state.close()


def test_idempotent_rerun_sends_no_write(genv):  # noqa: F811
    leg_and_tempo(genv.emu)
    sync(genv)
    before = calendar_state(genv)
    genv.emu.clear_requests()
    report = sync(genv)
    assert report.actions == []
    assert genv.emu.mutations() == []
    assert not any(r.operation == "batch" for r in genv.emu.requests)
    assert calendar_state(genv) == before


def test_insert_409_is_reconciled_not_failed(genv):  # noqa: F811
    from legday_sync.core.model import Action

    leg_and_tempo(genv.emu)
    s1, s2 = sync(genv, dry_run=True).suggestions
    creates = [Action("create", "google", s.id, s) for s in (s1, s2)]
    state = State(genv.state_dir)
    try:
        sink(genv, state).apply(creates, NOW)
        cal = genv.suggestions_calendar()
        genv.emu.backend.modify_event(cal, s2.id, {"summary": "stale"}, replace=False)
        genv.emu.clear_requests()
        # the same creates again (a response lost, a crash before the ledger was written)
        sink(genv, state).apply(creates, NOW)
    finally:
        state.close()
    ops = [(m.operation, m.status, m.event_id or m.body.get("id")) for m in genv.emu.mutations()]
    assert sorted(ops) == sorted([("events.insert", 409, s1.id), ("events.insert", 409, s2.id),
                                  ("events.patch", 200, s2.id)])
    assert calendar_state(genv)[s2.id][0] == s2.title
    assert len(genv.suggestion_events()) == 2


def test_user_delete_stays_deleted_and_user_edit_is_left_alone(genv):  # noqa: F811
    leg_and_tempo(genv.emu)
    report = sync(genv)
    instead = next(s for s in report.suggestions if s.kind == "instead")
    move = next(s for s in report.suggestions if s.kind == "move")
    cal = genv.suggestions_calendar()
    genv.emu.user_delete(cal, instead.id)
    genv.emu.user_edit(cal, move.id, summary="Tempo run, Thursday with Anna")
    genv.emu.clear_requests()

    report = sync(genv)
    assert [a for a in report.actions if a.target == "google"] == []
    assert genv.emu.mutations() == []
    assert genv.emu.get_event(cal, instead.id)["status"] == "cancelled"
    assert genv.emu.get_event(cal, move.id)["summary"] == "Tempo run, Thursday with Anna"
    # nothing was to be written, so the suggestions calendar was not even read
    assert not any(r.calendar_id == cal for r in genv.emu.requests)

    # a new conflict makes the sink look: the user's decisions are recorded and kept
    leg_and_tempo(genv.emu, 3)
    genv.emu.clear_requests()
    report = sync(genv)
    created = {a.suggestion_id for a in report.actions if a.target == "google"}
    assert len(created) == 2 and not created & {instead.id, move.id}
    assert {m.event_id or m.body["id"] for m in genv.emu.mutations()} == created
    assert genv.emu.get_event(cal, instead.id)["status"] == "cancelled"
    assert genv.emu.get_event(cal, move.id)["summary"] == "Tempo run, Thursday with Anna"
    ledger = State(genv.state_dir).ledger("google")
    assert ledger[instead.id].status == "dismissed" and ledger[move.id].status == "edited"
    # and again: still nothing
    genv.emu.clear_requests()
    sync(genv)
    assert genv.emu.mutations() == []


def _world(genv: GoogleEnv) -> None:  # noqa: F811
    leg_and_tempo(genv.emu, 0)
    leg_and_tempo(genv.emu, 3)
    genv.emu.add_event("primary", timed(at(1, 12), at(1, 13), "Team lunch", id="lunch0001"))


FAULTS = [429, "403_rate", "403_user_rate", 500, 502, 503, "drop", "drop_after"]


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_every_fault_ends_in_the_fault_free_state(genv, fault, tmp_path_factory):  # noqa: F811
    # the fault-free run, in a separate emulator, gives the reference state
    from tests.google_emulator import CalendarEmulator
    from tests.google_support import GoogleEnv as Env

    with CalendarEmulator() as ref_emu, pytest.MonkeyPatch.context() as mp:
        ref = Env(ref_emu, tmp_path_factory.mktemp("ref"),
                  tmp_path_factory.mktemp("refstate"))
        mp.setenv(google_api.ENV_ENDPOINT, ref_emu.base_url)
        mp.setenv(google_api.ENV_TOKEN_URI, ref_emu.token_uri)
        ref.write_token()
        _world(ref)
        sync(ref)
        expected = calendar_state(ref)
    assert len(expected) == 4

    _world(genv)
    emu = genv.emu
    emu.script_faults("GET", r"/events$", [fault])           # source and sink reads
    emu.script_faults("POST", r"/freeBusy$", [fault])
    emu.script_faults("POST", r"/users/me/calendarList|/calendars$", [fault])
    if fault != "drop_after":  # the emulator can't drop a whole batch after answering
        emu.script_faults("POST", r"^/batch/", [fault])       # the whole batch
    emu.script_faults("POST", r"/events$", [fault, fault])   # parts of it
    emu.script_faults("GET", r"/calendarList$", [fault])
    sync(genv)
    assert calendar_state(genv) == expected
    assert emu.pending_faults() == 0
    # and the next run agrees there is nothing to do
    emu.clear_requests()
    sync(genv)
    assert emu.mutations() == []
    assert foreign_mutations(genv, set(expected)) == []


def test_a_failing_batch_part_is_an_error_and_the_rerun_completes(genv, monkeypatch):  # noqa: F811
    _world(genv)
    genv.emu.script_faults("POST", r"/events$", [{"status": 400, "reason": "invalid"}])
    report = sync_once(genv.settings(), NOW)
    assert [e.source for e in report.errors] == ["google"]
    assert "400" in report.errors[0].message
    assert len([m for m in genv.emu.mutations() if m.status == 400]) == 1  # not retried
    assert len(genv.suggestion_events()) == 3
    report = sync(genv)
    assert len(genv.suggestion_events()) == 4


def test_withdrawn_suggestions_are_deleted_and_reinstated(genv):  # noqa: F811
    leg, _ = leg_and_tempo(genv.emu)
    report = sync(genv)
    ids = {s.id for s in report.suggestions}
    # the leg day moves to the weekend before: the conflict is gone
    genv.emu.user_edit("primary", leg["id"], start={"dateTime": at(-2, 18).isoformat()},
                       end={"dateTime": at(-2, 19).isoformat()})
    sync(genv)
    cal = genv.suggestions_calendar()
    assert {genv.emu.get_event(cal, i)["status"] for i in ids} == {"cancelled"}
    deletes = [m for m in genv.emu.mutations() if m.operation == "events.delete"]
    assert {m.event_id for m in deletes} == ids and all(m.status == 204 for m in deletes)
    # and back: the same suggestions return under the same ids (insert 409 -> patch)
    genv.emu.user_edit("primary", leg["id"], start={"dateTime": at(0, 18).isoformat()},
                       end={"dateTime": at(0, 19).isoformat()})
    sync(genv)
    assert {e["id"] for e in genv.suggestion_events()} == ids
    assert foreign_mutations(genv, ids) == []


def test_writing_100_suggestions_takes_a_handful_of_requests(genv):  # noqa: F811
    for k in range(50):
        leg_and_tempo(genv.emu, 3 * k)
    settings = genv.settings(window={"past_days": 1, "future_days": 160})
    report = sync_once(settings, NOW)
    # about 100 (each conflict: instead + move; where the week allows nothing else, e.g.
    # around the DST change, a leg-day move, or a run and a leg day trading places)
    n = len(report.suggestions)
    assert report.ok and 90 < n <= 150
    writes = [r for r in genv.top_level()
              if r.method != "GET" and r.operation not in ("freebusy.query", "token")]
    # one batch request per BATCH_SIZE (50) writes
    assert [r.operation for r in writes] == ["calendars.insert"] + ["batch"] * -(-n // 50)
    assert len(genv.suggestion_events()) == len(report.suggestions)
    sink_reads = [r for r in genv.top_level() if r.operation in ("events.list", "calendarList.list")
                  and r.calendar_id != genv.emu.primary_id]
    # calendarList.list before the calendar existed, and once after creating it (twins)
    assert [r.operation for r in sink_reads] == ["calendarList.list"] * 2
