"""GoogleSource against the Calendar v3 emulator, through the real client library."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

import pytest

from legday_sync.adapters.google import api as google_api
from legday_sync.adapters.google.source import GoogleSource
from legday_sync.adapters.state import State
from legday_sync.core.model import Window
from legday_sync.errors import SourceError
from tests.google_support import BERLIN, NOW, GoogleEnv, at, genv, timed  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WINDOW = Window(NOW - timedelta(days=3), NOW + timedelta(days=14))


def source(genv: GoogleEnv, state: State, *, readonly: bool = False, **src) -> GoogleSource:  # noqa: F811
    settings = genv.settings(sources=[{"type": "google", **src}])
    return GoogleSource.from_settings(settings, settings.source[0], state, readonly=readonly)


def lists(genv: GoogleEnv) -> list:  # noqa: F811
    return [r for r in genv.emu.requests if r.operation == "events.list"]


@pytest.fixture
def state(genv: GoogleEnv):  # noqa: F811
    s = State(genv.state_dir)
    yield s
    s.close()


def test_full_then_incremental_sync(genv, state):  # noqa: F811
    emu = genv.emu
    leg = emu.add_event("primary", timed(at(0, 18), at(0, 19), "Leg day",
                                         description="squats"))
    emu.add_event("primary", timed(at(1, 12), at(1, 13), "Lunch", transparency="transparent"))
    emu.add_event("primary", {"summary": "Gym week", "start": {"date": "2030-01-08"},
                              "end": {"date": "2030-01-09"}})
    emu.add_event("primary", timed(at(60, 7), at(60, 8), "Far away run"))
    src = source(genv, state)

    first = src.fetch(WINDOW)
    by_title = {e.title: e for e in first.events}
    assert set(by_title) == {"Leg day", "Lunch", "Gym week"}
    ev = by_title["Leg day"]
    assert ev.source == "primary" and ev.uid == leg["id"] and ev.original_start is None
    assert ev.start == datetime(2030, 1, 7, 17, 0, tzinfo=UTC) and ev.start.tzinfo is UTC
    assert ev.description == "squats" and ev.url == leg["htmlLink"]
    assert by_title["Lunch"].transparent and not ev.transparent
    day = by_title["Gym week"]
    assert day.all_day and day.start == datetime(2030, 1, 7, 23, 0, tzinfo=UTC)  # Berlin midnight
    assert day.end - day.start == timedelta(days=1)
    full = lists(genv)
    assert len(full) == 1 and "syncToken" not in full[0].query
    assert full[0].query["singleEvents"] == "true"
    assert full[0].query["timeMin"] == "2030-01-04T05:00:00Z"

    emu.clear_requests()
    emu.add_event("primary", timed(at(2, 7), at(2, 8), "Easy run"))
    emu.user_edit("primary", leg["id"], summary="Heavy leg day")
    second = src.fetch(WINDOW)
    incremental = lists(genv)
    assert len(incremental) == 1
    assert incremental[0].query["syncToken"] == full[0].response["nextSyncToken"]
    assert {e.title for e in second.events} == {"Heavy leg day", "Lunch", "Gym week", "Easy run"}

    emu.clear_requests()
    emu.user_delete("primary", leg["id"])
    third = src.fetch(WINDOW)
    assert {e.title for e in third.events} == {"Lunch", "Gym week", "Easy run"}
    assert len(lists(genv)) == 1 and "syncToken" in lists(genv)[0].query


def test_410_gone_means_a_full_resync(genv, state):  # noqa: F811
    emu = genv.emu
    emu.add_event("primary", timed(at(0, 18), at(0, 19), "Leg day"))
    src = source(genv, state)
    src.fetch(WINDOW)
    emu.expire_sync_tokens()
    emu.add_event("primary", timed(at(1, 7), at(1, 8), "Tempo run"))
    emu.clear_requests()

    result = src.fetch(WINDOW)

    assert {e.title for e in result.events} == {"Leg day", "Tempo run"}
    calls = lists(genv)
    assert [r.status for r in calls] == [410, 200]
    assert "syncToken" in calls[0].query and "syncToken" not in calls[1].query
    # the new token works: the next sync is incremental again
    emu.clear_requests()
    src.fetch(WINDOW)
    assert [("syncToken" in r.query, r.status) for r in lists(genv)] == [(True, 200)]


def test_three_pages(genv, state, monkeypatch):  # noqa: F811
    for i in range(5):
        genv.emu.add_event("primary", timed(at(i, 10), at(i, 11), f"Meeting {i}"))
    monkeypatch.setattr(GoogleSource, "page_size", 2)
    src = source(genv, state)
    result = src.fetch(WINDOW)
    assert sorted(e.title for e in result.events) == [f"Meeting {i}" for i in range(5)]
    calls = lists(genv)
    assert len(calls) == 3
    assert "pageToken" not in calls[0].query and all("pageToken" in c.query for c in calls[1:])
    # the sync token of the LAST page was kept
    genv.emu.clear_requests()
    src.fetch(WINDOW)
    assert lists(genv)[0].query["syncToken"] == calls[-1].response["nextSyncToken"]


def test_recurring_series_with_a_moved_and_a_cancelled_instance(genv, state):  # noqa: F811
    emu = genv.emu
    series = emu.add_event("primary", {
        "summary": "Tempo run",
        "start": {"dateTime": "2030-01-07T07:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2030-01-07T08:00:00", "timeZone": "Europe/Berlin"},
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=5"]})
    sid = series["id"]
    emu.user_edit("primary", f"{sid}_20300108T060000Z",
                  start={"dateTime": "2030-01-08T18:00:00+01:00"},
                  end={"dateTime": "2030-01-08T19:00:00+01:00"})
    emu.user_delete("primary", f"{sid}_20300109T060000Z")
    src = source(genv, state)

    events = src.fetch(WINDOW).events

    assert len(events) == 4 and {e.uid for e in events} == {sid}
    moved = next(e for e in events if e.original_start == datetime(2030, 1, 8, 6, tzinfo=UTC))
    assert moved.start == datetime(2030, 1, 8, 17, tzinfo=UTC)
    starts = {e.original_start for e in events}
    assert datetime(2030, 1, 9, 6, tzinfo=UTC) not in starts  # cancelled
    assert len({e.occurrence for e in events}) == 4

    # cancelling another instance arrives as a tombstone in the incremental sync
    emu.user_delete("primary", f"{sid}_20300110T060000Z")
    events = src.fetch(WINDOW).events
    assert datetime(2030, 1, 10, 6, tzinfo=UTC) not in {e.original_start for e in events}
    assert len(events) == 3
    # deleting the whole series removes every instance
    emu.user_delete("primary", sid)
    assert src.fetch(WINDOW).events == ()


def test_own_suggestions_and_cancelled_events_are_not_read(genv, state):  # noqa: F811
    emu = genv.emu
    emu.add_event("primary", timed(at(1, 7), at(1, 8), "Walk instead of Tempo run",
                                   extendedProperties={"private": {"legday_sync": "abc"}}))
    gone = emu.add_event("primary", timed(at(1, 9), at(1, 10), "Tempo run"))
    emu.user_delete("primary", gone["id"])
    emu.add_event("primary", timed(at(2, 9), at(2, 10), "Squats"))
    assert [e.title for e in source(genv, state).fetch(WINDOW).events] == ["Squats"]


def test_busy_comes_from_freebusy(genv, state):  # noqa: F811
    emu = genv.emu
    emu.add_event("primary", timed(at(1, 9), at(1, 10), "Meeting"))
    emu.add_event("primary", timed(at(1, 9, 30), at(1, 11), "Another"))
    emu.add_event("primary", timed(at(1, 12), at(1, 13), "Free", transparency="transparent"))
    result = source(genv, state).fetch(WINDOW)
    assert result.busy == ((datetime(2030, 1, 8, 8, tzinfo=UTC),
                            datetime(2030, 1, 8, 10, tzinfo=UTC)),)
    fb = [r for r in genv.emu.requests if r.operation == "freebusy.query"]
    assert len(fb) == 1 and fb[0].body["items"] == [{"id": "primary"}]

    # a quiet calendar: the stored answer serves, no second free/busy request
    genv.emu.clear_requests()
    again = source(genv, state).fetch(WINDOW)
    assert again.busy == result.busy
    assert [r.operation for r in genv.emu.requests] == ["events.list"]
    # a change: free/busy is asked again and follows it
    emu.add_event("primary", timed(at(2, 9), at(2, 10), "New meeting"))
    genv.emu.clear_requests()
    changed = source(genv, state).fetch(WINDOW)
    assert sorted(r.operation for r in genv.emu.requests) == ["events.list", "freebusy.query"]
    assert (datetime(2030, 1, 9, 8, tzinfo=UTC), datetime(2030, 1, 9, 9, tzinfo=UTC)) \
        in changed.busy


def test_calendar_id_and_readonly_writes_no_state(genv):  # noqa: F811
    cal = genv.emu.add_calendar("Training")["id"]
    genv.emu.add_event(cal, timed(at(0, 18), at(0, 19), "Leg day"))
    state = State(genv.state_dir, readonly=True)
    try:
        src = source(genv, state, readonly=True, calendar_id=cal, name="training")
        assert [e.title for e in src.fetch(WINDOW).events] == ["Leg day"]
        assert src.fetch(WINDOW).events  # still a full sync: nothing was kept
    finally:
        state.close()
    assert all("syncToken" not in r.query for r in lists(genv))
    assert {r.calendar_id for r in lists(genv)} == {cal}
    rw = State(genv.state_dir)
    try:
        assert rw.google_events("training") is None and rw.sync_token("training") is None
    finally:
        rw.close()


def test_window_outside_the_stored_one_triggers_a_bounded_full_sync(genv, state):  # noqa: F811
    src = source(genv, state)
    src.fetch(WINDOW)
    genv.emu.clear_requests()
    later = Window(WINDOW.start + timedelta(days=40), WINDOW.end + timedelta(days=40))
    src.fetch(later)
    (call,) = lists(genv)
    assert "syncToken" not in call.query
    assert call.query["timeMin"] == later.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_transient_faults_are_retried(genv, state):  # noqa: F811
    genv.emu.add_event("primary", timed(at(0, 18), at(0, 19), "Leg day"))
    genv.emu.script_faults("GET", r"/events$", [429, "403_rate", "403_user_rate", 500, 503])
    genv.emu.script_faults("POST", r"/freeBusy$", [502, "drop", "drop"])
    result = source(genv, state).fetch(WINDOW)
    assert [e.title for e in result.events] == ["Leg day"]
    assert [r.status for r in lists(genv)] == [429, 403, 403, 500, 503, 200]
    assert genv.emu.pending_faults() == 0


def test_retries_are_bounded(genv, state, monkeypatch):  # noqa: F811
    monkeypatch.setattr(google_api, "BACKOFF", google_api.Backoff(
        tries=3, budget_seconds=5, initial_seconds=0.001, max_seconds=0.001))
    genv.emu.script_faults("GET", r"/events$", [503] * 10)
    with pytest.raises(SourceError) as err:
        source(genv, state).fetch(WINDOW)
    assert len(lists(genv)) == 3
    assert "503" in err.value.message and "try again later" in err.value.fix


def test_other_4xx_fail_fast_with_a_message(genv, state):  # noqa: F811
    with pytest.raises(SourceError) as err:
        source(genv, state, calendar_id="nobody@example.com").fetch(WINDOW)
    assert len(lists(genv)) == 1
    assert "not found" in err.value.message and "calendar_id" in err.value.fix
    genv.emu.clear_requests()
    genv.emu.script_faults("GET", r"/events$", [400])
    with pytest.raises(SourceError):
        source(genv, state).fetch(WINDOW)
    assert len(lists(genv)) == 1


def test_missing_token_and_invalid_grant(genv, state):  # noqa: F811
    token = genv.state_dir / "google-token.json"
    token.unlink()
    with pytest.raises(SourceError) as err:
        source(genv, state).fetch(WINDOW)
    assert err.value.message == "not connected to Google"
    assert "legday-sync auth" in err.value.fix
    assert genv.emu.requests == []

    genv.write_token(expired=True)
    genv.emu.script_faults("POST", r"^/token$", ["invalid_grant"])
    with pytest.raises(SourceError) as err:
        source(genv, state).fetch(WINDOW)
    assert "invalid_grant" in err.value.message
    assert "legday-sync auth" in err.value.fix and "7 days" in err.value.fix
    assert [r.operation for r in genv.emu.requests] == ["token"]  # no retry on a bad grant


def test_an_expired_token_is_refreshed_and_saved_0600(genv, state):  # noqa: F811
    path = genv.write_token(expired=True)
    before = path.read_text()
    genv.emu.invalidate_access_tokens()
    source(genv, state).fetch(WINDOW)
    after = path.read_text()
    assert after != before
    assert genv.emu.issued_tokens and genv.emu.issued_tokens[-1] in after
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not any(r.status == 401 for r in genv.emu.requests)
