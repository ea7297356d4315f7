"""The Google path against the emulator taught how Google really behaves:
granular consent, the free/busy span limit and per-calendar errors, recurrence edits
without tombstones, invitations, a sign-in outage, usage limits, app-scoped calendars,
and a new machine or a crash meeting the user's deletions."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from legday_sync.adapters.files import write_private
from legday_sync.adapters.google import api as google_api
from legday_sync.adapters.google import scopes
from legday_sync.adapters.google.sink import GoogleSink, start_new_calendar
from legday_sync.adapters.google.source import GoogleSource
from legday_sync.adapters.state import State
from legday_sync.core.model import Window
from legday_sync.errors import SourceError
from legday_sync.service import sync_once
from tests.google_support import NOW, GoogleEnv, at, genv, leg_and_tempo, timed  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WINDOW = Window(NOW - timedelta(days=3), NOW + timedelta(days=14))


@pytest.fixture
def state(genv: GoogleEnv):  # noqa: F811
    s = State(genv.state_dir)
    yield s
    s.close()


def source(genv: GoogleEnv, state: State) -> GoogleSource:  # noqa: F811
    settings = genv.settings(sources=[{"type": "google"}])
    return GoogleSource.from_settings(settings, settings.source[0], state, readonly=False)


def ops(genv: GoogleEnv, name: str) -> list:  # noqa: F811
    return [r for r in genv.emu.requests if r.operation == name]


def grant_only(genv: GoogleEnv, granted: set[str]) -> None:  # noqa: F811
    """The saved login holds only ``granted``, as `auth` saves a partial consent."""
    creds = genv.emu.credentials_for(granted)
    write_private(google_api.token_path(genv.state_dir), creds.to_json().encode())


# -- 2. free/busy ---------------------------------------------------------------------
def test_a_wide_window_asks_free_busy_in_pieces_google_accepts(genv):  # noqa: F811
    leg_and_tempo(genv.emu)
    genv.emu.add_event("primary", timed(at(2, 12), at(2, 13), "Dentist"))
    # 60 days back, 30 ahead (+30 read ahead): 120 days, more than Google's ~90
    report = sync_once(genv.settings(window={"past_days": 60, "future_days": 30}), NOW)
    assert report.ok, report.errors
    assert len(report.suggestions) == 2
    queries = ops(genv, "freebusy.query")
    assert len(queries) >= 2 and all(q.status == 200 for q in queries)
    spans = [datetime.fromisoformat(q.body["timeMax"]) - datetime.fromisoformat(q.body["timeMin"])
             for q in queries]
    assert max(spans) <= timedelta(days=60)


def test_a_free_busy_failure_keeps_the_events_read(genv, state):  # noqa: F811
    leg_and_tempo(genv.emu)
    genv.emu.script_faults("POST", r"freeBusy", [{"status": 400, "reason": "timeRangeTooLong"}])
    got = source(genv, state).fetch(WINDOW)
    assert {e.title for e in got.events} == {"Leg day", "Tempo run"}
    assert got.busy == ()
    assert any("free/busy unavailable" in w for w in got.warnings)


def test_a_calendar_error_in_free_busy_is_a_warning(genv, state):  # noqa: F811
    leg_and_tempo(genv.emu)
    genv.emu.freebusy_errors[genv.emu.primary_id] = "groupTooBig"
    got = source(genv, state).fetch(WINDOW)
    assert {e.title for e in got.events} == {"Leg day", "Tempo run"}
    assert any("groupTooBig" in w for w in got.warnings)


def test_without_the_free_busy_permission_busy_time_comes_from_the_events(genv, state):  # noqa: F811
    grant_only(genv, set(scopes.SCOPES) - {scopes.FREEBUSY})
    leg_and_tempo(genv.emu)
    got = source(genv, state).fetch(WINDOW)
    assert {e.title for e in got.events} == {"Leg day", "Tempo run"}
    assert ops(genv, "freebusy.query") == [] and got.warnings == ()


# -- 3. recurring edits ------------------------------------------------------------------
def _weekly_runs(genv: GoogleEnv, days: str) -> dict:  # noqa: F811
    start = at(1, 7)  # a Tuesday
    return {"summary": "Tempo run", "recurrence": [f"RRULE:FREQ=WEEKLY;BYDAY={days}"],
            "start": {"dateTime": start.isoformat(), "timeZone": "Europe/Berlin"},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat(),
                    "timeZone": "Europe/Berlin"}}


def test_a_series_moved_to_other_days_leaves_no_phantom_runs(genv, state):  # noqa: F811
    series = genv.emu.add_event("primary", {**_weekly_runs(genv, "TU,TH"), "id": "runs0001"})
    src = source(genv, state)
    first = src.fetch(WINDOW)
    assert {e.start.astimezone(at(0, 0).tzinfo).strftime("%a") for e in first.events} \
        == {"Tue", "Thu"}
    # the user moves the series to Wednesdays only: Google sends the new instances and no
    # tombstone for any Tuesday or Thursday
    genv.emu.user_edit("primary", series["id"], recurrence=["RRULE:FREQ=WEEKLY;BYDAY=WE"],
                       start={"dateTime": at(2, 7).isoformat(), "timeZone": "Europe/Berlin"},
                       end={"dateTime": at(2, 8).isoformat(), "timeZone": "Europe/Berlin"})
    second = source(genv, state).fetch(WINDOW)
    assert "syncToken" in ops(genv, "events.list")[-1].query  # it was incremental
    days = {e.start.astimezone(at(0, 0).tzinfo).strftime("%a") for e in second.events}
    assert days == {"Wed"}
    assert ops(genv, "events.instances")


def test_this_and_following_split_leaves_no_phantom_runs(genv, state):  # noqa: F811
    series = genv.emu.add_event("primary", {**_weekly_runs(genv, "TU"), "id": "runs0002"})
    source(genv, state).fetch(WINDOW)
    # "this and following events" from the second Tuesday: the old series ends, a new one
    # (another id, another time) begins
    until = (at(8, 0) - timedelta(hours=1)).astimezone(at(0, 0).tzinfo).strftime("%Y%m%d")
    genv.emu.user_edit("primary", series["id"],
                       recurrence=[f"RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL={until}T000000Z"])
    genv.emu.add_event("primary", {"summary": "Tempo run", "id": "runs0003",
                                   "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU"],
                                   "start": {"dateTime": at(8, 18).isoformat(),
                                             "timeZone": "Europe/Berlin"},
                                   "end": {"dateTime": at(8, 19).isoformat(),
                                           "timeZone": "Europe/Berlin"}})
    got = source(genv, state).fetch(WINDOW)
    hours = sorted((e.start.astimezone(at(0, 0).tzinfo).strftime("%d %H")) for e in got.events)
    assert hours == [at(1, 7).strftime("%d %H"), at(8, 18).strftime("%d %H")]


# -- 5. invitations ----------------------------------------------------------------------
def test_declined_invitations_are_not_workouts_and_tentative_ones_are_marked(genv, state):  # noqa: F811
    me = genv.emu.primary_id
    guests = [{"email": "coach@example.com", "organizer": True, "responseStatus": "accepted"}]
    genv.emu.add_event("primary", timed(at(0, 18), at(0, 19), "Leg day", attendees=[
        *guests, {"email": me, "responseStatus": "declined"}]))
    genv.emu.add_event("primary", timed(at(1, 7), at(1, 8), "Tempo run", attendees=[
        *guests, {"email": me, "responseStatus": "tentative"}]))
    got = source(genv, state).fetch(WINDOW)
    assert [e.title for e in got.events] == ["Tempo run"]
    assert any("Tempo run" in w and "tentative" in w for w in got.warnings)
    # a sync sees no conflict: the declined leg day is not on the user's plan
    report = sync_once(genv.settings(), NOW)
    assert report.ok and report.conflicts == []


# -- 1. partial consent: each permission missing takes away one thing -----------------
def test_without_the_calendar_list_the_stored_id_is_all_that_is_used(genv):  # noqa: F811
    grant_only(genv, set(scopes.SCOPES) - {scopes.CALENDAR_LIST})
    leg_and_tempo(genv.emu)
    report = sync_once(genv.settings(), NOW)
    assert report.ok, report.errors
    assert len(genv.suggestion_events()) == 2
    report = sync_once(genv.settings(), NOW + timedelta(hours=1))
    assert report.ok, report.errors
    assert [r for r in genv.emu.requests if r.operation and r.operation.startswith(
        "calendarList")] == []


def test_without_app_created_the_google_calendar_is_left_alone_and_said_so(genv):  # noqa: F811
    grant_only(genv, set(scopes.SCOPES) - {scopes.APP_CALENDAR})
    leg_and_tempo(genv.emu)
    report = sync_once(genv.settings(), NOW)
    assert report.ok, report.errors
    assert len(report.suggestions) == 2
    assert any(w.startswith("google: read-only") for w in report.warnings)
    assert [a for a in report.actions if a.target == "google"] == []
    assert ops(genv, "calendars.insert") == [] and genv.emu.mutations() == []
    ics = (genv.root / "suggestions.ics").read_text()
    assert ics.count("BEGIN:VEVENT") == 2


def test_without_event_reading_the_source_says_which_permission(genv, state):  # noqa: F811
    grant_only(genv, set(scopes.SCOPES) - {scopes.EVENTS_READ})
    with pytest.raises(SourceError) as e:
        source(genv, state).fetch(WINDOW)
    assert "View events" in e.value.fix and "auth" in e.value.fix


# -- 4. a new machine, a crash -------------------------------------------------------------
def test_a_new_machine_keeps_the_users_deletion(genv):  # noqa: F811
    leg_and_tempo(genv.emu)
    report = sync_once(genv.settings(), NOW)
    assert report.ok
    cal = genv.suggestions_calendar()
    gone = report.suggestions[0].id
    genv.emu.user_delete(cal, gone)
    # a new machine: only the token was copied (the old guide's advice)
    for p in genv.state_dir.iterdir():
        if p.name != "google-token.json":
            p.unlink()
    again = sync_once(genv.settings(), NOW + timedelta(hours=1))
    assert again.ok, again.errors
    assert genv.emu.get_event(cal, gone)["status"] == "cancelled"
    assert not any(m.event_id == gone and m.operation == "events.patch"
                   for m in genv.emu.mutations())
    assert any("deleted by you" in n for n in again.notes)
    # and it stays so
    sync_once(genv.settings(), NOW + timedelta(hours=2))
    assert genv.emu.get_event(cal, gone)["status"] == "cancelled"


def test_a_new_machine_keeps_the_users_edit(genv):  # noqa: F811
    """The fingerprint written inside the event tells the user's edit from an outdated
    suggestion of ours even with no ledger: it is not rewritten, nor deleted later."""
    leg, _ = leg_and_tempo(genv.emu)
    report = sync_once(genv.settings(), NOW)
    cal = genv.suggestions_calendar()
    mine = report.suggestions[0].id
    genv.emu.user_edit(cal, mine, summary="Easy spin on the bike instead")
    for p in genv.state_dir.iterdir():  # a new machine with only the token
        if p.name != "google-token.json":
            p.unlink()
    again = sync_once(genv.settings(), NOW + timedelta(hours=1))
    assert again.ok, again.errors
    assert genv.emu.get_event(cal, mine)["summary"] == "Easy spin on the bike instead"
    assert any("edited by you" in n for n in again.notes)
    # the conflict goes away (the leg day moves): still the user's, kept
    genv.emu.user_edit("primary", leg["id"], start={"dateTime": at(-2, 18).isoformat()},
                       end={"dateTime": at(-2, 19).isoformat()})
    sync_once(genv.settings(), NOW + timedelta(hours=2))
    kept = genv.emu.get_event(cal, mine)
    assert kept["status"] != "cancelled" and kept["summary"] == "Easy spin on the bike instead"


def test_an_insert_meeting_the_users_tombstone_does_not_patch_it_back(genv, state):  # noqa: F811
    """The tombstone is not listed (Google drops old ones from lists) but its id is
    taken: the insert gets 409, and the event the user deleted stays deleted."""
    leg_and_tempo(genv.emu)
    report = sync_once(genv.settings(), NOW)
    cal = genv.suggestions_calendar()
    gone = report.suggestions[0].id
    genv.emu.user_delete(cal, gone)
    state.forget_sink("google")  # the ledger lost it (a crash before its commit)
    sink = GoogleSink.from_settings(genv.settings(), state)
    from legday_sync.core.model import Action

    s = next(x for x in report.suggestions if x.id == gone)
    sink.apply([Action("create", "google", s.id, s, "new conflict")], NOW)
    assert genv.emu.get_event(cal, gone)["status"] == "cancelled"
    assert state.ledger("google")[gone].status == "dismissed"


def test_our_own_deletion_is_undone_when_the_conflict_returns(genv):  # noqa: F811
    leg, _ = leg_and_tempo(genv.emu)
    report = sync_once(genv.settings(), NOW)
    ids = {s.id for s in report.suggestions}
    genv.emu.user_edit("primary", leg["id"], start={"dateTime": at(-2, 18).isoformat()},
                       end={"dateTime": at(-2, 19).isoformat()})
    sync_once(genv.settings(), NOW)
    cal = genv.suggestions_calendar()
    assert {genv.emu.get_event(cal, i)["status"] for i in ids} == {"cancelled"}
    genv.emu.user_edit("primary", leg["id"], start={"dateTime": at(0, 18).isoformat()},
                       end={"dateTime": at(0, 19).isoformat()})
    back = sync_once(genv.settings(), NOW)
    assert back.ok and {e["id"] for e in genv.suggestion_events()} == ids


def test_each_batch_is_recorded_as_google_acknowledges_it(genv, state, monkeypatch):  # noqa: F811
    """Not after the whole apply: a sync that dies after some batches were answered
    leaves ledger rows for exactly those."""
    monkeypatch.setattr(google_api, "BATCH_SIZE", 2)
    for k in range(3):
        leg_and_tempo(genv.emu, 3 * k)
    # the third batch fails for good: the first two were acknowledged and are recorded
    genv.emu.script_faults("POST", r"^/batch", [None, None] + [400] * 10)
    report = sync_once(genv.settings(), NOW)
    assert not report.ok
    written = {e["id"] for e in genv.suggestion_events()}
    assert len(written) == 4
    assert set(state.ledger("google")) == written


# -- 6. messages ---------------------------------------------------------------------------
def test_a_sign_in_outage_is_not_a_revoked_login(genv, monkeypatch):  # noqa: F811
    from types import SimpleNamespace

    import google.auth._exponential_backoff as backoff

    # google-auth retries the token endpoint itself (3 tries, 1 s apart and more)
    monkeypatch.setattr(backoff, "time", SimpleNamespace(sleep=lambda s: None))
    genv.write_token(expired=True)
    genv.emu.script_faults("POST", r"^/token$", [503] * 10)
    leg_and_tempo(genv.emu)
    report = sync_once(genv.settings(), NOW)
    assert not report.ok
    words = " ".join(f"{e.message} {e.fix}" for e in report.errors)
    assert "sign-in service is unavailable" in words and "next sync retries" in words
    assert "auth" not in words
    assert (genv.state_dir / "google-token.json").exists()


def test_a_usage_limit_in_a_batch_part_says_hours_and_asks_for_a_pause(genv):  # noqa: F811
    leg_and_tempo(genv.emu)
    genv.emu.script_faults("POST", r"/events$", ["403_quota"])
    report = sync_once(genv.settings(), NOW)
    err = next(e for e in report.errors if e.source == "google")
    assert "usage limit" in err.message and "hours" in err.message
    assert "sync again" not in err.fix
    assert err.retry_after >= 3600
    # the other part was written; quota errors are not hammered with retries
    quota = [m for m in genv.emu.mutations() if m.fault == "403_quota"]
    assert len(quota) == 1


# -- 7. a calendar another OAuth client made -------------------------------------------------
def test_a_calendar_of_another_client_is_reported_with_the_way_out(genv, state):  # noqa: F811
    grant_only(genv, set(scopes.SCOPES))  # exactly what legday-sync asks for, no more
    leg_and_tempo(genv.emu)
    assert sync_once(genv.settings(), NOW).ok
    cal = genv.suggestions_calendar()
    genv.emu.set_calendar_client(cal, "old-client")
    # a new suggestion to write, through the new client
    genv.emu.add_event("primary", timed(at(3, 18), at(3, 19), "Squats"))
    genv.emu.add_event("primary", timed(at(4, 7), at(4, 8), "Intervals 6x800m"))
    report = sync_once(genv.settings(), NOW)
    err = next(e for e in report.errors if e.source == "google")
    assert "earlier OAuth client" in err.message
    assert "auth --new-calendar" in err.fix and "Legday suggestions" in err.fix
    assert len(genv.suggestion_events()) == 2  # nothing new there, nothing deleted
    # the way out: a fresh calendar beside the old one, which stays
    assert start_new_calendar(state) == cal
    fresh = sync_once(genv.settings(), NOW)
    assert fresh.ok, fresh.errors
    cals = [c for c, v in genv.emu.backend.calendars.items() if not v.get("_primary")]
    assert len(cals) == 2 and cal in cals
    new = next(c for c in cals if c != cal)
    assert len(genv.emu.events(new)) == 4 and len(genv.emu.events(cal)) == 2


def test_the_daemon_pauses_for_hours_after_a_usage_limit(genv, monkeypatch):  # noqa: F811
    from datetime import UTC

    from legday_sync import service
    from legday_sync.daemon import JOB_ID, Daemon

    real = service.sync_once
    monkeypatch.setattr(service, "sync_once", lambda settings, now, **kw: real(settings, NOW, **kw))

    class Job:
        next_run_time = datetime.now(UTC) + timedelta(minutes=1)

        def modify(self, next_run_time):
            self.next_run_time = next_run_time

    job = Job()

    class Scheduler:
        def get_job(self, job_id):
            assert job_id == JOB_ID
            return job

    leg_and_tempo(genv.emu)
    genv.emu.script_faults("POST", r"/events$", ["403_quota"] * 2)
    daemon = Daemon(genv.settings(), serve=False)
    daemon.scheduler = Scheduler()
    assert daemon.run_once() is False
    assert job.next_run_time >= datetime.now(UTC) + timedelta(hours=2)
    assert "usage limit" in daemon.last_error
