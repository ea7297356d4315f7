"""Drive the Calendar emulator through the REAL google-api-python-client.

These tests prove the emulator is faithful enough for the Google adapter's tests.
"""

from __future__ import annotations

import json
import socket

import httplib2
import pytest
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from tests.google_emulator import CalendarEmulator
from tests.google_emulator.fixtures import calendar_emulator  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def timed(start: str, end: str, tz: str | None = None, **extra) -> dict:
    body = {
        "summary": extra.pop("summary", "event"),
        "start": {"dateTime": start},
        "end": {"dateTime": end},
    }
    if tz:
        body["start"]["timeZone"] = tz
        body["end"]["timeZone"] = tz
    body.update(extra)
    return body


def reason(exc: HttpError) -> str:
    return json.loads(exc.content)["error"]["errors"][0]["reason"]


def no_sleep(request):
    request._sleep = lambda _s: None
    return request


@pytest.fixture
def emu(calendar_emulator: CalendarEmulator) -> CalendarEmulator:  # noqa: F811
    return calendar_emulator


@pytest.fixture
def svc(emu: CalendarEmulator):
    service = emu.build_service()
    yield service
    service.close()


def list_all(svc, **kwargs) -> tuple[list[dict], dict]:
    items: list[dict] = []
    request = svc.events().list(**kwargs)
    resp: dict = {}
    while request is not None:
        resp = request.execute()
        items.extend(resp["items"])
        request = svc.events().list_next(request, resp)
    return items, resp


# ---------------------------------------------------------------- lifecycle & calendars


def test_start_stop_and_context_manager_free_the_port():
    with CalendarEmulator() as emu:
        port = emu.port
        assert emu.base_url == f"http://127.0.0.1:{port}"
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_primary_calendar_and_secondary_calendar_insert(emu, svc):
    primary = svc.calendarList().get(calendarId="primary").execute()
    assert primary["id"] == "user@example.com"
    assert primary["primary"] is True
    assert svc.calendars().get(calendarId="primary").execute()["id"] == "user@example.com"

    created = (
        svc.calendars().insert(body={"summary": "Legday", "timeZone": "Europe/Berlin"}).execute()
    )
    assert created["id"].endswith("@group.calendar.google.com")
    entry = svc.calendarList().get(calendarId=created["id"]).execute()
    assert entry["summary"] == "Legday"
    assert entry["accessRole"] == "owner"
    assert "primary" not in entry
    with pytest.raises(HttpError) as err:
        svc.calendars().get(calendarId="nope@group.calendar.google.com").execute()
    assert err.value.status_code == 404
    assert reason(err.value) == "notFound"


def test_missing_bearer_token_is_401(emu):
    http = httplib2.Http()
    resp, content = http.request(emu.api_endpoint + "calendars/primary/events", "GET")
    assert resp.status == 401
    body = json.loads(content)
    assert body["error"]["code"] == 401
    assert body["error"]["errors"][0]["reason"] == "authError"


# ---------------------------------------------------------------- events CRUD


def test_insert_get_patch_update_delete_roundtrip(emu, svc):
    ev = (
        svc.events()
        .insert(
            calendarId="primary",
            body=timed(
                "2030-03-01T10:00:00+01:00",
                "2030-03-01T11:00:00+01:00",
                "Europe/Berlin",
                summary="Squats",
                extendedProperties={"private": {"legday": "abc"}},
            ),
        )
        .execute()
    )
    for field in ("id", "etag", "updated", "created", "htmlLink", "iCalUID", "sequence"):
        assert field in ev
    assert ev["status"] == "confirmed"
    assert ev["start"] == {"dateTime": "2030-03-01T10:00:00+01:00", "timeZone": "Europe/Berlin"}

    got = svc.events().get(calendarId="primary", eventId=ev["id"]).execute()
    assert got["summary"] == "Squats"

    patched = (
        svc.events()
        .patch(
            calendarId="primary",
            eventId=ev["id"],
            body={"summary": "Deadlifts", "extendedProperties": {"private": {"other": "1"}}},
        )
        .execute()
    )
    assert patched["summary"] == "Deadlifts"
    # patch deep-merges objects: the earlier private property survives
    assert patched["extendedProperties"]["private"] == {"legday": "abc", "other": "1"}
    assert patched["etag"] != ev["etag"]
    assert patched["updated"] > ev["updated"]
    assert patched["sequence"] == ev["sequence"]  # no time change

    moved = (
        svc.events()
        .patch(
            calendarId="primary",
            eventId=ev["id"],
            body={
                "start": {"dateTime": "2030-03-01T12:00:00Z"},
                "end": {"dateTime": "2030-03-01T13:00:00Z"},
            },
        )
        .execute()
    )
    assert moved["sequence"] == ev["sequence"] + 1

    replaced = (
        svc.events()
        .update(
            calendarId="primary",
            eventId=ev["id"],
            body=timed("2030-03-02T10:00:00Z", "2030-03-02T11:00:00Z", summary="Lunges"),
        )
        .execute()
    )
    assert replaced["summary"] == "Lunges"
    assert "extendedProperties" not in replaced  # PUT replaces the resource

    assert svc.events().delete(calendarId="primary", eventId=ev["id"]).execute() == ""
    # deleted events remain readable as cancelled and are excluded from list
    assert (
        svc.events().get(calendarId="primary", eventId=ev["id"]).execute()["status"] == "cancelled"
    )
    assert svc.events().list(calendarId="primary").execute()["items"] == []
    assert [e["id"] for e in emu.events("primary", include_deleted=True)] == [ev["id"]]
    assert emu.events("primary") == []
    with pytest.raises(HttpError) as err:
        svc.events().delete(calendarId="primary", eventId=ev["id"]).execute()
    assert err.value.status_code == 410
    assert reason(err.value) == "deleted"
    shown = svc.events().list(calendarId="primary", showDeleted=True).execute()["items"]
    assert [(e["id"], e["status"]) for e in shown] == [(ev["id"], "cancelled")]


def test_insert_validation_errors(svc):
    with pytest.raises(HttpError) as err:
        svc.events().insert(calendarId="primary", body={"summary": "no times"}).execute()
    assert err.value.status_code == 400
    with pytest.raises(HttpError) as err:
        body = timed("2030-01-01T11:00:00Z", "2030-01-01T10:00:00Z")
        svc.events().insert(calendarId="primary", body=body).execute()
    assert reason(err.value) == "timeRangeEmpty"
    for bad_id in ("ABCDEF", "abc", "abcdwxyz", "abc-def"):
        with pytest.raises(HttpError) as err:
            body = timed("2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z", id=bad_id)
            svc.events().insert(calendarId="primary", body=body).execute()
        assert err.value.status_code == 400, bad_id
        assert reason(err.value) == "invalid"


def test_client_id_honoured_and_duplicate_is_409_even_when_deleted(emu, svc):
    body = timed("2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z", id="leg0001abc")
    ev = svc.events().insert(calendarId="primary", body=body).execute()
    assert ev["id"] == "leg0001abc"
    with pytest.raises(HttpError) as err:
        svc.events().insert(calendarId="primary", body=body).execute()
    assert err.value.status_code == 409
    assert reason(err.value) == "duplicate"

    svc.events().delete(calendarId="primary", eventId="leg0001abc").execute()
    with pytest.raises(HttpError) as err:
        svc.events().insert(calendarId="primary", body=body).execute()
    assert err.value.status_code == 409


# ---------------------------------------------------------------- list semantics


def test_time_window_overlap_semantics_and_all_day(emu, svc):
    emu.add_event(
        "primary", timed("2030-01-01T09:00:00Z", "2030-01-01T10:00:00Z", summary="ends-at-min")
    )
    emu.add_event(
        "primary", timed("2030-01-01T09:30:00Z", "2030-01-01T10:30:00Z", summary="straddles-min")
    )
    emu.add_event(
        "primary", timed("2030-01-01T12:00:00Z", "2030-01-01T13:00:00Z", summary="starts-at-max")
    )
    emu.add_event(
        "primary",
        {"summary": "all-day", "start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}},
    )
    items = (
        svc.events()
        .list(calendarId="primary", timeMin="2030-01-01T10:00:00Z", timeMax="2030-01-01T12:00:00Z")
        .execute()["items"]
    )
    assert sorted(i["summary"] for i in items) == ["all-day", "straddles-min"]
    allday = next(i for i in items if i["summary"] == "all-day")
    assert allday["start"] == {"date": "2030-01-01"}
    with pytest.raises(HttpError) as err:
        svc.events().list(calendarId="primary", timeMin="2030-01-01T10:00:00").execute()
    assert err.value.status_code == 400


def test_private_extended_property_filter_and_order_by(emu, svc):
    emu.add_event(
        "primary",
        timed(
            "2030-01-02T10:00:00Z",
            "2030-01-02T11:00:00Z",
            summary="b",
            extendedProperties={"private": {"legday": "1"}},
        ),
    )
    emu.add_event(
        "primary",
        timed(
            "2030-01-01T10:00:00Z",
            "2030-01-01T11:00:00Z",
            summary="a",
            extendedProperties={"private": {"legday": "1", "kind": "x"}},
        ),
    )
    emu.add_event(
        "primary", timed("2030-01-01T08:00:00Z", "2030-01-01T09:00:00Z", summary="foreign")
    )
    items = (
        svc.events()
        .list(
            calendarId="primary",
            privateExtendedProperty="legday=1",
            singleEvents=True,
            orderBy="startTime",
        )
        .execute()["items"]
    )
    assert [i["summary"] for i in items] == ["a", "b"]
    both = svc.events().list(calendarId="primary", privateExtendedProperty=["legday=1", "kind=x"])
    assert [i["summary"] for i in both.execute()["items"]] == ["a"]
    with pytest.raises(HttpError) as err:
        svc.events().list(calendarId="primary", orderBy="startTime").execute()
    assert err.value.status_code == 400


def test_pagination_over_three_pages(emu, svc):
    for i in range(5):
        emu.add_event(
            "primary",
            timed(f"2030-01-0{i + 1}T10:00:00Z", f"2030-01-0{i + 1}T11:00:00Z", summary=f"e{i}"),
        )
    pages = []
    request = svc.events().list(calendarId="primary", maxResults=2)
    while request is not None:
        resp = request.execute()
        pages.append(resp)
        request = svc.events().list_next(request, resp)
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert all("nextPageToken" in p and "nextSyncToken" not in p for p in pages[:2])
    assert "nextSyncToken" in pages[-1] and "nextPageToken" not in pages[-1]
    assert sorted(i["summary"] for p in pages for i in p["items"]) == [f"e{i}" for i in range(5)]
    page_requests = [r for r in emu.requests if r.operation == "events.list"]
    assert [("pageToken" in r.query) for r in page_requests] == [False, True, True]


# ---------------------------------------------------------------- incremental sync


def test_sync_token_incremental_returns_changes_and_tombstones(emu, svc):
    keep = emu.add_event(
        "primary", timed("2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z", summary="keep")
    )
    gone = emu.add_event(
        "primary", timed("2030-01-02T10:00:00Z", "2030-01-02T11:00:00Z", summary="gone")
    )
    edited = emu.add_event(
        "primary", timed("2030-01-03T10:00:00Z", "2030-01-03T11:00:00Z", summary="ed")
    )
    full, last = list_all(svc, calendarId="primary")
    assert len(full) == 3
    token = last["nextSyncToken"]

    # nothing changed -> empty delta with a fresh token
    delta = svc.events().list(calendarId="primary", syncToken=token).execute()
    assert delta["items"] == []
    assert delta["nextSyncToken"]

    emu.user_delete("primary", gone["id"])
    emu.user_edit("primary", edited["id"], summary="edited in UI")
    new = (
        svc.events()
        .insert(
            calendarId="primary",
            body=timed("2030-01-04T10:00:00Z", "2030-01-04T11:00:00Z", summary="new"),
        )
        .execute()
    )

    delta_items, delta_last = list_all(svc, calendarId="primary", syncToken=token)
    by_id = {i["id"]: i for i in delta_items}
    assert set(by_id) == {gone["id"], edited["id"], new["id"]}
    assert keep["id"] not in by_id
    assert by_id[gone["id"]]["status"] == "cancelled"
    assert by_id[edited["id"]]["summary"] == "edited in UI"
    assert by_id[edited["id"]]["sequence"] == edited["sequence"] + 1

    again = svc.events().list(calendarId="primary", syncToken=delta_last["nextSyncToken"]).execute()
    assert again["items"] == []

    with pytest.raises(HttpError) as err:
        svc.events().list(
            calendarId="primary", syncToken=token, timeMin="2030-01-01T00:00:00Z"
        ).execute()
    assert err.value.status_code == 400
    with pytest.raises(HttpError) as err:
        svc.events().list(
            calendarId="primary", syncToken=token, privateExtendedProperty="a=b"
        ).execute()
    assert err.value.status_code == 400


def test_expired_sync_token_is_410_full_sync_required(emu, svc):
    emu.add_event("primary", timed("2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"))
    token = svc.events().list(calendarId="primary").execute()["nextSyncToken"]
    emu.expire_sync_tokens()
    with pytest.raises(HttpError) as err:
        svc.events().list(calendarId="primary", syncToken=token).execute()
    assert err.value.status_code == 410
    assert reason(err.value) == "fullSyncRequired"
    with pytest.raises(HttpError) as err:
        svc.events().list(calendarId="primary", syncToken="made-up").execute()
    assert err.value.status_code == 410


# ---------------------------------------------------------------- recurrence


def test_recurring_expansion_with_moved_and_cancelled_instance(emu, svc):
    master = (
        svc.events()
        .insert(
            calendarId="primary",
            body=timed(
                "2030-01-07T10:00:00",
                "2030-01-07T11:00:00",
                "Europe/Berlin",
                summary="Legday",
                recurrence=[
                    "RRULE:FREQ=WEEKLY;COUNT=5",
                    "EXDATE;TZID=Europe/Berlin:20300128T100000",
                ],
            ),
        )
        .execute()
    )
    window = {"timeMin": "2030-01-01T00:00:00Z", "timeMax": "2030-03-01T00:00:00Z"}
    items = svc.events().list(calendarId="primary", singleEvents=True, **window).execute()["items"]
    ids = [i["id"] for i in items]
    # 09:00Z == 10:00 Berlin (winter); the EXDATE removes Jan 28
    assert ids == [
        f"{master['id']}_20300107T090000Z",
        f"{master['id']}_20300114T090000Z",
        f"{master['id']}_20300121T090000Z",
        f"{master['id']}_20300204T090000Z",
    ]
    first = items[0]
    assert first["recurringEventId"] == master["id"]
    assert first["originalStartTime"] == {
        "dateTime": "2030-01-07T10:00:00+01:00",
        "timeZone": "Europe/Berlin",
    }
    assert "recurrence" not in first

    # move the 2nd instance, cancel the 3rd
    moved_id, cancelled_id = ids[1], ids[2]
    moved = (
        svc.events()
        .patch(
            calendarId="primary",
            eventId=moved_id,
            body={
                "start": {"dateTime": "2030-01-15T18:00:00+01:00", "timeZone": "Europe/Berlin"},
                "end": {"dateTime": "2030-01-15T19:00:00+01:00", "timeZone": "Europe/Berlin"},
            },
        )
        .execute()
    )
    assert moved["id"] == moved_id
    assert moved["originalStartTime"]["dateTime"] == "2030-01-14T10:00:00+01:00"
    svc.events().delete(calendarId="primary", eventId=cancelled_id).execute()

    items = (
        svc.events()
        .list(calendarId="primary", singleEvents=True, orderBy="startTime", **window)
        .execute()["items"]
    )
    assert [i["id"] for i in items] == [ids[0], moved_id, ids[3]]
    assert items[1]["start"]["dateTime"] == "2030-01-15T18:00:00+01:00"

    with_deleted = (
        svc.events()
        .list(calendarId="primary", singleEvents=True, showDeleted=True, **window)
        .execute()
    )
    cancelled = [i for i in with_deleted["items"] if i["status"] == "cancelled"]
    assert [c["id"] for c in cancelled] == [cancelled_id]
    assert cancelled[0]["recurringEventId"] == master["id"]

    # singleEvents=false: the master plus its exceptions (cancelled ones included, as Google does)
    raw = svc.events().list(calendarId="primary", **window).execute()["items"]
    assert {i["id"]: i["status"] for i in raw} == {
        master["id"]: "confirmed",
        moved_id: "confirmed",
        cancelled_id: "cancelled",
    }

    instances = (
        svc.events().instances(calendarId="primary", eventId=master["id"]).execute()["items"]
    )
    assert [i["id"] for i in instances] == [ids[0], moved_id, ids[3]]


def test_all_day_recurring_instance_ids_and_rdate(emu, svc):
    master = emu.add_event(
        "primary",
        {
            "summary": "rest day",
            "start": {"date": "2030-05-01"},
            "end": {"date": "2030-05-02"},
            "recurrence": ["RRULE:FREQ=DAILY;UNTIL=20300503", "RDATE;VALUE=DATE:20300510"],
        },
    )
    items = svc.events().list(calendarId="primary", singleEvents=True).execute()["items"]
    assert [i["id"] for i in items] == [
        f"{master['id']}_20300501",
        f"{master['id']}_20300502",
        f"{master['id']}_20300503",
        f"{master['id']}_20300510",
    ]
    assert items[3]["start"] == {"date": "2030-05-10"} and items[3]["end"] == {"date": "2030-05-11"}
    assert items[0]["originalStartTime"] == {"date": "2030-05-01"}


# ---------------------------------------------------------------- batch


def test_batch_of_inserts_with_a_duplicate_and_a_part_fault(emu, svc):
    emu.add_event("primary", timed("2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z", id="taken00001"))
    emu.script_faults("POST", r"/events$", [{"status": 429, "retry_after": 3}])
    results: dict[str, tuple] = {}
    batch = emu.new_batch(callback=lambda rid, resp, exc: results.__setitem__(rid, (resp, exc)))
    for n, ev_id in enumerate(["faulted001", "batch00001", "batch00002", "taken00001"]):
        body = timed(f"2030-02-0{n + 1}T10:00:00Z", f"2030-02-0{n + 1}T11:00:00Z", id=ev_id)
        batch.add(svc.events().insert(calendarId="primary", body=body), request_id=ev_id)
    batch.execute()

    assert results["faulted001"][0] is None
    assert results["faulted001"][1].status_code == 429
    assert results["batch00001"][0]["id"] == "batch00001"
    assert results["batch00002"][1] is None
    assert results["taken00001"][1].status_code == 409
    assert reason(results["taken00001"][1]) == "duplicate"
    assert {e["id"] for e in emu.events("primary")} == {"taken00001", "batch00001", "batch00002"}

    parts = [r for r in emu.requests if r.is_batch_part]
    assert [r.status for r in parts] == [429, 200, 200, 409]
    assert parts[0].fault is not None
    assert len({r.batch_id for r in parts}) == 1
    assert [r.event_id for r in emu.mutations()] == [None] * 4
    assert [r.body["id"] for r in emu.mutations()] == [
        "faulted001",
        "batch00001",
        "batch00002",
        "taken00001",
    ]


def test_batch_of_deletes_and_patch_and_whole_batch_fault(emu, svc):
    a = emu.add_event("primary", timed("2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"))
    b = emu.add_event("primary", timed("2030-01-02T10:00:00Z", "2030-01-02T11:00:00Z"))
    emu.script_faults("POST", r"^/batch/calendar/v3$", [503])
    batch = emu.new_batch()
    batch.add(svc.events().delete(calendarId="primary", eventId=a["id"]))
    batch.add(svc.events().patch(calendarId="primary", eventId=b["id"], body={"summary": "B"}))
    with pytest.raises(HttpError) as err:
        batch.execute()
    assert err.value.status_code == 503
    assert len(emu.events("primary")) == 2  # nothing applied

    results = {}
    batch = emu.new_batch(callback=lambda rid, resp, exc: results.__setitem__(rid, (resp, exc)))
    batch.add(svc.events().delete(calendarId="primary", eventId=a["id"]), request_id="del")
    batch.add(
        svc.events().patch(calendarId="primary", eventId=b["id"], body={"summary": "B"}),
        request_id="p",
    )
    batch.execute()
    assert results["del"] == ("", None)
    assert results["p"][0]["summary"] == "B"
    assert [e["id"] for e in emu.events("primary")] == [b["id"]]
    assert {(m.operation, m.event_id) for m in emu.mutations()} >= {
        ("events.delete", a["id"]),
        ("events.patch", b["id"]),
    }


# ---------------------------------------------------------------- freebusy


def test_freebusy_merges_and_skips_transparent_cancelled(emu, svc):
    cal = svc.calendars().insert(body={"summary": "gym"}).execute()["id"]
    emu.add_event("primary", timed("2030-01-01T09:00:00Z", "2030-01-01T10:00:00Z"))
    emu.add_event("primary", timed("2030-01-01T09:30:00Z", "2030-01-01T11:00:00Z"))
    emu.add_event(
        "primary", timed("2030-01-01T12:00:00Z", "2030-01-01T13:00:00Z", transparency="transparent")
    )
    gone = emu.add_event("primary", timed("2030-01-01T14:00:00Z", "2030-01-01T15:00:00Z"))
    emu.user_delete("primary", gone["id"])
    emu.add_event(
        cal,
        timed(
            "2030-01-01T07:00:00",
            "2030-01-01T08:00:00",
            "UTC",
            recurrence=["RRULE:FREQ=DAILY;COUNT=3"],
        ),
    )
    resp = (
        svc.freebusy()
        .query(
            body={
                "timeMin": "2030-01-01T00:00:00Z",
                "timeMax": "2030-01-02T12:00:00Z",
                "items": [{"id": "primary"}, {"id": cal}, {"id": "missing@example.com"}],
            }
        )
        .execute()
    )
    assert resp["calendars"]["primary"]["busy"] == [
        {"start": "2030-01-01T09:00:00Z", "end": "2030-01-01T11:00:00Z"}
    ]
    assert resp["calendars"][cal]["busy"] == [
        {"start": "2030-01-01T07:00:00Z", "end": "2030-01-01T08:00:00Z"},
        {"start": "2030-01-02T07:00:00Z", "end": "2030-01-02T08:00:00Z"},
    ]
    assert resp["calendars"]["missing@example.com"]["errors"][0]["reason"] == "notFound"


# ---------------------------------------------------------------- faults & auth


def test_scripted_503_then_success_and_rate_limit(emu, svc):
    emu.script_faults("GET", r"/events$", [503, "403_rate", "403_user_rate"])
    with pytest.raises(HttpError) as err:
        svc.events().list(calendarId="primary").execute()
    assert err.value.status_code == 503
    with pytest.raises(HttpError) as err:
        svc.events().list(calendarId="primary").execute()
    assert err.value.status_code == 403
    assert reason(err.value) == "rateLimitExceeded"
    # the client's own retry handles userRateLimitExceeded and gets the real answer
    resp = no_sleep(svc.events().list(calendarId="primary")).execute(num_retries=2)
    assert resp["kind"] == "calendar#events"
    assert [r.status for r in emu.requests] == [503, 403, 403, 200]
    assert emu.pending_faults() == 0


def test_drop_is_retried_by_httplib2_and_drop_after_causes_duplicate(emu, svc):
    body = timed("2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z", id="dropped001")
    # httplib2 transparently resends once after a connection drop (even for POST) ...
    emu.script_faults("POST", r"/events$", ["drop_after"])
    with pytest.raises(HttpError) as err:
        svc.events().insert(calendarId="primary", body=body).execute()
    # ... so an insert whose response was lost comes back as 409 on the resend
    assert err.value.status_code == 409
    assert [r.status for r in emu.mutations()] == [200, 409]

    emu.script_faults("GET", r"/events$", ["drop", "drop"])
    with pytest.raises((httplib2.HttpLib2Error, ConnectionError, OSError)):
        svc.events().list(calendarId="primary").execute()


def test_token_refresh_and_invalid_grant(emu, svc):
    emu.invalidate_access_tokens()
    creds = emu.credentials()
    service = emu.build_service(creds)
    resp = service.events().list(calendarId="primary").execute()  # 401 -> refresh -> retry
    assert resp["kind"] == "calendar#events"
    assert creds.token in emu.issued_tokens
    assert [r.operation for r in emu.requests] == ["events.list", "token", "events.list"]
    assert [r.status for r in emu.requests] == [401, 200, 200]

    emu.invalidate_access_tokens()
    emu.script_faults("POST", r"^/token$", ["invalid_grant"])
    with pytest.raises(RefreshError):
        service.events().list(calendarId="primary").execute()


def test_incremental_sync_of_recurring_changes_with_single_events(emu, svc):
    master = emu.add_event(
        "primary",
        timed(
            "2030-01-07T10:00:00Z",
            "2030-01-07T11:00:00Z",
            "UTC",
            recurrence=["RRULE:FREQ=DAILY;COUNT=3"],
        ),
    )
    full, last = list_all(svc, calendarId="primary", singleEvents=True)
    assert len(full) == 3
    assert emu.requests and all(not r.is_batch_part for r in emu.requests)
    assert all(r.operation == "events.list" for r in emu.requests)  # add_event is not logged
    token = last["nextSyncToken"]

    emu.user_delete("primary", f"{master['id']}_20300108T100000Z")
    delta = svc.events().list(calendarId="primary", singleEvents=True, syncToken=token).execute()
    assert delta["items"] == [
        {
            "kind": "calendar#event",
            "etag": delta["items"][0]["etag"],
            "id": f"{master['id']}_20300108T100000Z",
            "status": "cancelled",
            "updated": delta["items"][0]["updated"],
            "recurringEventId": master["id"],
            "originalStartTime": {"dateTime": "2030-01-08T10:00:00Z", "timeZone": "UTC"},
        }
    ]

    emu.user_delete("primary", master["id"])
    delta2 = svc.events().list(calendarId="primary", syncToken=delta["nextSyncToken"]).execute()
    assert {i["id"]: i["status"] for i in delta2["items"]} == {master["id"]: "cancelled"}


def test_single_drop_is_invisible_to_the_client(emu, svc):
    emu.script_faults("*", r"/events$", ["drop"])
    assert svc.events().list(calendarId="primary").execute()["items"] == []
    assert [(r.fault, r.status) for r in emu.requests] == [("drop", 0), (None, 200)]


def test_updated_min_includes_deleted(emu, svc):
    old = emu.add_event("primary", timed("2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"))
    cutoff = svc.events().get(calendarId="primary", eventId=old["id"]).execute()["updated"]
    emu.user_delete("primary", old["id"])
    emu.add_event("primary", timed("2030-01-02T10:00:00Z", "2030-01-02T11:00:00Z", summary="x"))
    items = svc.events().list(calendarId="primary", updatedMin=cutoff).execute()["items"]
    assert sorted(i.get("status") for i in items) == ["cancelled", "confirmed"]


def test_concurrent_clients_are_serialised_safely(emu):
    import threading

    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            service = emu.build_service()
            for i in range(5):
                body = timed("2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z", id=f"t{n}a{i}bcde")
                service.events().insert(calendarId="primary", body=body).execute()
            service.close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert len(emu.events("primary")) == 30
    assert len({e["etag"] for e in emu.events("primary")}) == 30


# -- Google as it really behaves ----------------------------------------------
_S = "https://www.googleapis.com/auth/"


def test_freebusy_refuses_long_spans_and_reports_calendar_errors(emu, svc):
    with pytest.raises(HttpError) as e:
        svc.freebusy().query(body={"timeMin": "2030-01-01T00:00:00Z",
                                   "timeMax": "2030-04-15T00:00:00Z",
                                   "items": [{"id": "primary"}]}).execute()
    assert e.value.resp.status == 400 and reason(e.value) == "timeRangeTooLong"
    emu.freebusy_errors[emu.primary_id] = "groupTooBig"
    got = svc.freebusy().query(body={"timeMin": "2030-01-01T00:00:00Z",
                                     "timeMax": "2030-02-01T00:00:00Z",
                                     "items": [{"id": "primary"}, {"id": "nobody@x"}]}).execute()
    assert got["calendars"]["primary"]["errors"][0]["reason"] == "groupTooBig"
    assert got["calendars"]["nobody@x"]["errors"][0]["reason"] == "notFound"


def test_scopes_are_enforced_per_token(emu):
    svc = emu.build_service(emu.credentials_for({_S + "calendar.events.readonly"}))
    svc.events().list(calendarId="primary").execute()
    for call in (svc.calendarList().list(),
                 svc.calendars().insert(body={"summary": "x"}),
                 svc.freebusy().query(body={"timeMin": "2030-01-01T00:00:00Z",
                                            "timeMax": "2030-01-02T00:00:00Z",
                                            "items": [{"id": "primary"}]})):
        with pytest.raises(HttpError) as e:
            call.execute()
        assert e.value.resp.status == 403 and reason(e.value) == "insufficientPermissions"


def test_app_created_reaches_only_its_own_clients_calendars(emu):
    ours = {_S + "calendar.app.created", _S + "calendar.events.readonly"}
    old = emu.build_service(emu.credentials_for(ours, client_id="old-client"))
    new = emu.build_service(emu.credentials_for(ours, client_id="new-client"))
    cal = old.calendars().insert(body={"summary": "Legday suggestions"}).execute()["id"]
    old.events().insert(calendarId=cal, body=timed("2030-01-01T10:00:00Z",
                                                   "2030-01-01T11:00:00Z")).execute()
    assert len(new.events().list(calendarId=cal).execute()["items"]) == 1  # reading: yes
    with pytest.raises(HttpError) as e:
        new.events().insert(calendarId=cal, body=timed("2030-01-02T10:00:00Z",
                                                       "2030-01-02T11:00:00Z")).execute()
    assert e.value.resp.status == 403 and reason(e.value) == "forbidden"
    only_app = emu.build_service(emu.credentials_for({_S + "calendar.app.created"},
                                                     client_id="new-client"))
    with pytest.raises(HttpError) as e:
        only_app.events().list(calendarId=cal).execute()
    assert e.value.resp.status == 404


def test_refresh_answers_the_granted_scopes_and_quota_is_a_403(emu, svc):
    creds = emu.credentials_for({_S + "calendar.freebusy"})
    from google.auth.transport.requests import Request

    creds.refresh(Request())
    assert set(creds.granted_scopes) == {_S + "calendar.freebusy"}
    emu.script_faults("POST", r"/events$", ["403_quota"])
    with pytest.raises(HttpError) as e:
        svc.events().insert(calendarId="primary", body=timed("2030-01-01T10:00:00Z",
                                                             "2030-01-01T11:00:00Z")).execute()
    assert e.value.resp.status == 403 and reason(e.value) == "quotaExceeded"
    assert "usage limits" in json.loads(e.value.content)["error"]["message"]


def test_the_self_attendee_is_marked(emu, svc):
    ev = svc.events().insert(calendarId="primary", body=timed(
        "2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z",
        attendees=[{"email": "coach@example.com"},
                   {"email": emu.primary_id, "responseStatus": "declined"}])).execute()
    me = [a for a in ev["attendees"] if a.get("self")]
    assert me == [{"email": emu.primary_id, "responseStatus": "declined", "self": True}]
