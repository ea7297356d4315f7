"""The CalDAV sink against a real Radicale, with the caldav library playing the user's phone."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import icalendar
import pytest

from legday_sync.adapters.caldav.sink import COLOR, CalDavSink
from legday_sync.core.model import Action
from legday_sync.errors import SinkError, SourceError
from tests.caldav_support import (
    PASSWORD,
    USER,
    Server,
    caldav_sink,
    caldav_source,
    new_calendar,
)
from tests.contract.test_sink_contract import NOW, two_suggestions
from tests.integration.test_caldav_source import WINDOW


def _calendar(server: Server, name: str):
    found = [c for c in server.phone().calendars() if c.get_display_name() == name]
    assert len(found) == 1, [c.get_display_name() for c in server.phone().calendars()]
    return found[0]


def _create_all(sink: CalDavSink) -> list:
    sugg = two_suggestions()
    assert sink.apply([Action("create", sink.name, s.id, s) for s in sugg], NOW) == {}
    return sugg


def test_the_calendar_is_made_with_a_colour_and_a_description(radicale_server: Server,
                                                              tmp_path: Path) -> None:
    sink = caldav_sink(radicale_server, tmp_path)
    assert sink.load() == {}  # reading makes nothing
    assert sink.calendar_spec not in [c.get_display_name()
                                      for c in radicale_server.phone().calendars()]
    sugg = _create_all(sink)
    cal = _calendar(radicale_server, sink.calendar_spec)
    info = {c.url: c for c in sink.session.conn.calendars()}[str(cal.url)]
    assert info.color.upper().startswith(COLOR[:7])
    assert "legday-sync" in info.description and "Delete or edit" in info.description
    assert info.components == ("VEVENT",)
    names = sorted(str(e.url).rpartition("/")[2] for e in cal.events())
    assert names == sorted(f"{s.id}.ics" for s in sugg)
    for e in cal.events():
        ev = icalendar.Calendar.from_ical(e.data).walk("VEVENT")
        assert len(ev) == 1
        assert str(ev[0]["X-LEGDAY-SYNC"]) in {s.id for s in sugg}
        assert str(ev[0]["TRANSP"]) == "TRANSPARENT"
        assert str(ev[0]["UID"]) == f"{ev[0]['X-LEGDAY-SYNC']}@legday-sync"


@pytest.mark.slow  # over half a second on the shared machine
def test_an_event_without_the_marker_is_never_touched(radicale_server: Server,
                                                      tmp_path: Path) -> None:
    sink = caldav_sink(radicale_server, tmp_path)
    sugg = _create_all(sink)
    cal = _calendar(radicale_server, sink.calendar_spec)
    mine = cal.save_event(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//phone//EN\nBEGIN:VEVENT\nUID:mine\n"
        "DTSTAMP:20261101T000000Z\nDTSTART:20261124T060000Z\nDTEND:20261124T070000Z\n"
        "SUMMARY:My own note\nEND:VEVENT\nEND:VCALENDAR\n")
    held = sink.load()
    assert set(held) == {s.id for s in sugg}
    sink.apply([Action("delete", sink.name, s.id) for s in sugg], NOW)
    left = [str(e.url) for e in cal.events()]
    assert left == [str(mine.url)]


@pytest.mark.slow  # over half a second on the shared machine
def test_a_second_apply_of_the_same_state_keeps_the_etags(radicale_server: Server,
                                                         tmp_path: Path) -> None:
    sink = caldav_sink(radicale_server, tmp_path)
    _create_all(sink)
    url = sink.calendar_url(create=False)
    before = {r.href: r.etag for r in sink.session.conn.query(url)}
    assert len(before) == 2 and all(before.values())
    # a crash after the writes: the same creates again meet If-None-Match and change nothing
    sink2 = caldav_sink(radicale_server, tmp_path / "again", sink.calendar_spec)
    sink2.load()
    _create_all(sink2)
    assert {r.href: r.etag for r in sink.session.conn.query(url)} == before


@pytest.mark.slow  # over half a second on the shared machine
def test_an_edit_on_the_phone_between_read_and_write_is_kept(radicale_server: Server,
                                                             tmp_path: Path) -> None:
    sink = caldav_sink(radicale_server, tmp_path)
    a, b = _create_all(sink)
    sink.load()
    # the user edits one and deletes the other, after the sync read the calendar
    cal = _calendar(radicale_server, sink.calendar_spec)
    edited = cal.event_by_uid(f"{a.id}@legday-sync")
    edited.icalendar_component["SUMMARY"] = "My easy jog instead"
    edited.save()
    cal.event_by_uid(f"{b.id}@legday-sync").delete()
    touched = sink.apply([Action("update", sink.name, a.id, replace(a, title="New wording")),
                          Action("update", sink.name, b.id, replace(b, title="Other"))], NOW)
    assert touched == {a.id: "edited", b.id: "dismissed"}
    assert str(cal.event_by_uid(f"{a.id}@legday-sync").icalendar_component["SUMMARY"]) == \
        "My easy jog instead"
    assert [str(e.url).rpartition("/")[2] for e in cal.events()] == [f"{a.id}.ics"]


@pytest.mark.slow  # over half a second on the shared machine
def test_a_delete_meets_an_edit_made_meanwhile_and_keeps_it(radicale_server: Server,
                                                            tmp_path: Path) -> None:
    sink = caldav_sink(radicale_server, tmp_path)
    a, _ = _create_all(sink)
    sink.load()
    cal = _calendar(radicale_server, sink.calendar_spec)
    edited = cal.event_by_uid(f"{a.id}@legday-sync")
    edited.icalendar_component["SUMMARY"] = "Keep this"
    edited.save()
    assert sink.apply([Action("delete", sink.name, a.id)], NOW) == {a.id: "edited"}
    assert str(cal.event_by_uid(f"{a.id}@legday-sync").icalendar_component["SUMMARY"]) == \
        "Keep this"


@pytest.mark.slow  # over half a second on the shared machine
def test_a_leftover_from_a_crash_is_made_current_not_duplicated(radicale_server: Server,
                                                                tmp_path: Path) -> None:
    sink = caldav_sink(radicale_server, tmp_path)
    a, _ = _create_all(sink)
    newer = replace(a, title=a.title + " (changed)")
    # a fresh sink (the ledger lost) creates again: the resource is there, older
    sink2 = caldav_sink(radicale_server, tmp_path / "fresh", sink.calendar_spec)
    assert sink2.apply([Action("create", sink2.name, a.id, newer)], NOW) == {}
    assert sink2.load()[a.id].fingerprint == newer.fingerprint
    assert len(_calendar(radicale_server, sink.calendar_spec).events()) == 2


def test_the_whole_calendar_deleted_on_the_phone_reads_as_all_deleted(
        radicale_server: Server, tmp_path: Path) -> None:
    sink = caldav_sink(radicale_server, tmp_path)
    _create_all(sink)
    _calendar(radicale_server, sink.calendar_spec).delete()
    fresh = caldav_sink(radicale_server, tmp_path, sink.calendar_spec)  # same state
    assert fresh.load() == {}


def test_it_never_writes_into_a_calendar_it_reads(radicale_server: Server,
                                                 tmp_path: Path) -> None:
    cal = new_calendar(radicale_server)
    src = caldav_source(radicale_server, tmp_path, cal.get_display_name())
    src.fetch(WINDOW)
    sink = caldav_sink(radicale_server, tmp_path, cal.get_display_name(),
                       source_keys=[src.calendar_key])
    with pytest.raises(SinkError) as info:
        _create_all(sink)
    assert "never writes into a calendar it reads" in info.value.message
    assert cal.events() == []


def test_a_wrong_password_changes_nothing_and_says_what_to_fix(radicale_server: Server,
                                                               tmp_path: Path) -> None:
    sink = caldav_sink(radicale_server, tmp_path)
    a, b = _create_all(sink)
    wrong = caldav_sink(radicale_server, tmp_path / "wrong", sink.calendar_spec)
    wrong.session.account.password_file.write_text("pw-PLANTED-wrong")
    for call in (wrong.load, lambda: wrong.apply([Action("delete", "caldav", a.id)], NOW)):
        with pytest.raises(SinkError) as info:
            call()
        assert "app-specific password" in info.value.fix
        assert "pw-PLANTED-wrong" not in str(info.value) + info.value.fix
    assert set(sink.load()) == {a.id, b.id}


# -- servers that fail -------------------------------------------------------------------

@contextmanager
def _bad_server(status: int, body: bytes, ctype: str) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_PROPFIND = do_REPORT = do_PUT = do_DELETE = do_GET = do_MKCALENDAR = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


@pytest.mark.slow  # over half a second on the shared machine
@pytest.mark.parametrize("status, body, ctype, says", [
    (500, b"oops", "text/plain", "the server failed (500)"),
    (503, b"busy", "text/plain", "the server is busy (503)"),
    (429, b"slow down", "text/plain", "the server is busy (429)"),
    (404, b"no", "text/plain", "unexpected answer 404"),
    (200, b"<html><body>Log in</body></html>", "text/html", "not a WebDAV multistatus"),
    (207, b"<not-xml", "application/xml", "not valid XML"),
    (207, b"<?xml version='1.0'?><x/>", "application/xml", "not a WebDAV multistatus"),
])
def test_a_failing_server_is_an_error_with_a_fix(status: int, body: bytes, ctype: str,
                                                 says: str, tmp_path: Path) -> None:
    with _bad_server(status, body, ctype) as url:
        srv = Server(url, None, tmp_path, "bad")  # type: ignore[arg-type]
        with pytest.raises(SourceError) as info:
            caldav_source(srv, tmp_path / "src", "Training").fetch(WINDOW)
        assert says in info.value.message and info.value.fix
        with pytest.raises(SinkError) as sink_info:
            caldav_sink(srv, tmp_path / "sink").load()
        assert says in sink_info.value.message
        assert PASSWORD not in str(info.value) + str(sink_info.value)
        assert USER  # the username may be named, the password never


def test_an_update_raises_the_sequence_so_phones_take_it(radicale_server: Server,
                                                        tmp_path: Path) -> None:
    sink = caldav_sink(radicale_server, tmp_path)
    a, _ = _create_all(sink)
    sink.load()
    sink.apply([Action("update", sink.name, a.id, replace(a, title="Walk instead"))], NOW)
    ev = _calendar(radicale_server, sink.calendar_spec).event_by_uid(f"{a.id}@legday-sync")
    assert int(ev.icalendar_component["SEQUENCE"]) == 1
    assert str(ev.icalendar_component["SUMMARY"]) == "Walk instead"


@pytest.mark.slow  # over half a second on the shared machine
def test_a_server_that_never_answers_fails_within_the_timeout(tmp_path: Path) -> None:
    import socket
    import time

    from legday_sync.adapters.caldav.account import Account
    from legday_sync.adapters.caldav.source import CalDavSource
    from legday_sync.adapters.state import State
    from tests.caldav_support import BERLIN

    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        (tmp_path / "pw").write_text(PASSWORD)
        src = CalDavSource("cal", Account(url, USER, tmp_path / "pw", timeout=1), "Training",
                           tz=BERLIN, state=State(tmp_path / "state"))
        t0 = time.monotonic()
        with pytest.raises(SourceError) as info:
            src.fetch(WINDOW)
        assert time.monotonic() - t0 < 10
    assert "did not answer within 1 s" in info.value.message


def test_check_lists_the_calendars_and_flags_a_missing_one(radicale_server: Server,
                                                          tmp_path: Path) -> None:
    from legday_sync import config
    from legday_sync.adapters.caldav.check import check_accounts

    cal = new_calendar(radicale_server)
    account = radicale_server.account(tmp_path)
    base = {"url": radicale_server.url, "username": USER,
            "password_file": str(account.password_file)}
    ok = config.parse({"source": [{"type": "caldav", "calendar": cal.get_display_name(),
                                   **base}], "output": {"caldav": base}}, base=tmp_path)
    [result] = check_accounts(ok)
    assert result.ok and result.lines[0].startswith("logged in;")
    assert f"  {cal.get_display_name()}  (read as a source)" in result.lines
    missing = config.parse({"source": [{"type": "caldav", "calendar": "Nope", **base}]},
                           base=tmp_path)
    [bad] = check_accounts(missing)
    assert not bad.ok and any("no calendar 'Nope' here" in line for line in bad.lines)
    account.password_file.write_text("wrong")
    [denied] = check_accounts(ok)
    assert not denied.ok and "app-specific password" in denied.lines[0]


def _record(sink: CalDavSink, sugg: list) -> None:
    """What the service does after a successful apply: the ledger notes what was written."""
    with sink.state.transaction():
        for s in sugg:
            sink.state.record(sink.name, s.id, s.fingerprint, "active", s.run.start)


def test_a_deletion_on_the_phone_is_kept_on_the_server_for_a_new_machine(
        radicale_server: Server, tmp_path: Path) -> None:
    from legday_sync.core.plan import plan

    sink = caldav_sink(radicale_server, tmp_path / "laptop")
    a, b = _create_all(sink)
    _record(sink, [a, b])
    _calendar(radicale_server, sink.calendar_spec).event_by_uid(f"{a.id}@legday-sync").delete()
    here = sink.load()  # this machine's ledger tells the deletion
    assert here[a.id].deleted and not here[b.id].deleted
    # a new machine: an empty state, the same account and calendar
    fresh = caldav_sink(radicale_server, tmp_path / "new-machine", sink.calendar_spec)
    held = fresh.load()
    assert held[a.id].deleted and not held[b.id].deleted
    p = plan(fresh.name, [a, b], held, {}, user_editable=True, now=NOW)
    assert p.actions == [] and (a.id, "dismissed") in p.ledger


def test_its_own_deletions_are_not_taken_for_the_users(radicale_server: Server,
                                                       tmp_path: Path) -> None:
    sink = caldav_sink(radicale_server, tmp_path / "laptop")
    a, b = _create_all(sink)
    _record(sink, [a, b])
    sink.load()
    sink.apply([Action("delete", sink.name, a.id)], NOW)
    # a crash before the ledger forgot it: the next load must not call it the user's "no"
    sink.load()
    fresh = caldav_sink(radicale_server, tmp_path / "new-machine", sink.calendar_spec)
    assert a.id not in fresh.load()


def test_an_edit_on_the_phone_is_kept_by_a_machine_with_no_ledger(radicale_server: Server,
                                                                  tmp_path: Path) -> None:
    sink = caldav_sink(radicale_server, tmp_path / "laptop")
    a, b = _create_all(sink)
    ev = _calendar(radicale_server, sink.calendar_spec).event_by_uid(f"{a.id}@legday-sync")
    ev.icalendar_component["SUMMARY"] = "My own plan"
    ev.save()
    fresh = caldav_sink(radicale_server, tmp_path / "new-machine", sink.calendar_spec)
    fresh.load()
    touched = fresh.apply([Action("update", fresh.name, a.id, replace(a, title="Newer")),
                           Action("delete", fresh.name, a.id),
                           Action("update", fresh.name, b.id, replace(b, title="Newer"))], NOW)
    assert touched == {a.id: "edited"}
    cal = _calendar(radicale_server, sink.calendar_spec)
    assert str(cal.event_by_uid(f"{a.id}@legday-sync").icalendar_component["SUMMARY"]) == \
        "My own plan"
    assert str(cal.event_by_uid(f"{b.id}@legday-sync").icalendar_component["SUMMARY"]) == \
        "Newer"  # not edited by the user: still the tool's to update


def test_a_server_without_custom_properties_still_keeps_deletions_in_the_ledger(
        xandikos_server: Server, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sink = caldav_sink(xandikos_server, tmp_path / "laptop")
    a, b = _create_all(sink)
    _record(sink, [a, b])
    _calendar(xandikos_server, sink.calendar_spec).event_by_uid(f"{a.id}@legday-sync").delete()
    assert set(sink.load()) == {b.id}  # the ledger's entry for a tells the deletion
    assert "a new machine won't know them" in caplog.text
    before = sink.requests_sent
    sink.load()  # it doesn't ask the server again
    assert sink.requests_sent - before == 1  # the calendar-query alone


def test_two_configs_sharing_the_calendar_leave_each_others_suggestions(
        radicale_server: Server, tmp_path: Path) -> None:
    from legday_sync.core.plan import plan

    mine = caldav_sink(radicale_server, tmp_path / "a", owner="aaaa1111")
    a, b = _create_all(mine)
    other = caldav_sink(radicale_server, tmp_path / "b", mine.calendar_spec, owner="bbbb2222")
    held = other.load()
    assert set(held) == {a.id, b.id}
    assert {h.owner for h in held.values()} == {"aaaa1111"}
    p = plan(other.name, [], held, {}, user_editable=True, now=NOW, owner="bbbb2222")
    assert p.actions == []  # the other config's suggestions are its own business
