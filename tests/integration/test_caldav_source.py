"""The CalDAV source against a real Radicale: discovery, expansion, and what a sync costs."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import caldav
import pytest

from legday_sync.adapters.caldav.password import read_password
from legday_sync.adapters.caldav.source import CalDavSource
from legday_sync.core.model import Window
from legday_sync.errors import SourceError
from tests.caldav_support import PASSWORD, USER, Server, caldav_source, new_calendar
from tests.helpers import at

WINDOW = Window(at("2026-11-20 00:00"), at("2026-11-30 00:00"))

SERIES = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
DTSTART:19701025T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:tempo-series
DTSTAMP:20261101T000000Z
DTSTART;TZID=Europe/Berlin:20261102T070000
DTEND;TZID=Europe/Berlin:20261102T080000
RRULE:FREQ=DAILY;COUNT=60
EXDATE;TZID=Europe/Berlin:20261125T070000
SUMMARY:Tempo run
END:VEVENT
BEGIN:VEVENT
UID:tempo-series
DTSTAMP:20261101T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20261124T070000
DTSTART;TZID=Europe/Berlin:20261124T180000
DTEND;TZID=Europe/Berlin:20261124T190000
SUMMARY:Tempo run (moved)
END:VEVENT
END:VCALENDAR
"""


def _single(uid: str, summary: str, start: str, end: str) -> str:
    return (f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nBEGIN:VEVENT\nUID:{uid}\n"
            f"DTSTAMP:20261101T000000Z\nDTSTART:{start}\nDTEND:{end}\nSUMMARY:{summary}\n"
            "END:VEVENT\nEND:VCALENDAR\n")


def _synced_once(server: Server, tmp_path: Path) -> tuple[caldav.Calendar, CalDavSource]:
    """A new calendar holding one leg day ("a"), and a source that has read it once."""
    cal = new_calendar(server)
    cal.save_event(_single("a", "Leg day", "20261123T170000Z", "20261123T180000Z"))
    src = caldav_source(server, tmp_path, cal.get_display_name())
    src.fetch(WINDOW)
    return cal, src


def test_a_recurring_series_is_expanded_with_its_override_and_exdate(
        radicale_server: Server, tmp_path: Path) -> None:
    cal = new_calendar(radicale_server)
    cal.save_event(SERIES)
    got = caldav_source(radicale_server, tmp_path, cal.get_display_name()).fetch(WINDOW).events
    starts = {e.original_start: e for e in got if e.uid == "tempo-series"}
    assert at("2026-11-25 07:00") not in starts  # EXDATE
    moved = starts[at("2026-11-24 07:00")]
    assert (moved.start, moved.title) == (at("2026-11-24 18:00"), "Tempo run (moved)")
    assert at("2026-11-23 07:00") in starts and starts[at("2026-11-23 07:00")].start == \
        at("2026-11-23 07:00")
    # every day of the window but the EXDATE, once each
    assert len(got) == 9


def test_the_calendar_is_found_by_name_and_other_calendars_are_not_read(
        radicale_server: Server, tmp_path: Path) -> None:
    mine, other = new_calendar(radicale_server), new_calendar(radicale_server)
    mine.save_event(_single("a", "Leg day", "20261123T170000Z", "20261123T180000Z"))
    other.save_event(_single("b", "Tempo run", "20261124T060000Z", "20261124T070000Z"))
    # any case of the display name, or the calendar's full URL
    for spec in (mine.get_display_name().upper(), str(mine.url)):
        got = caldav_source(radicale_server, tmp_path / spec[-8:], spec).fetch(WINDOW).events
        assert [e.uid for e in got] == ["a"]


def test_an_unknown_calendar_name_lists_the_ones_there(radicale_server: Server,
                                                       tmp_path: Path) -> None:
    there = new_calendar(radicale_server, "AAA first of all")  # sorted first in the list
    with pytest.raises(SourceError) as info:
        caldav_source(radicale_server, tmp_path, "No such calendar").fetch(WINDOW)
    assert "No such calendar" in info.value.message
    assert repr(there.get_display_name()) in info.value.message
    assert "legday-sync check" in info.value.fix


def test_an_unchanged_calendar_costs_one_request_and_changes_are_picked_up(
        radicale_server: Server, tmp_path: Path) -> None:
    cal = new_calendar(radicale_server)
    cal.save_event(_single("a", "Leg day", "20261123T170000Z", "20261123T180000Z"))
    name = cal.get_display_name()
    first = caldav_source(radicale_server, tmp_path, name)
    assert [e.uid for e in first.fetch(WINDOW).events] == ["a"]
    first_cost = first.requests_sent
    assert first_cost >= 4  # 401 handshake, discovery, change markers, time-range REPORT

    # the next sync, in a new process: calendar URL, auth scheme and sync-token from the state
    again = caldav_source(radicale_server, tmp_path, name)
    assert [e.uid for e in again.fetch(WINDOW).events] == ["a"]
    assert again.requests_sent == 1

    # the phone adds one event and deletes another: one report, one multiget
    cal.save_event(_single("b", "Tempo run", "20261124T060000Z", "20261124T070000Z"))
    changed = caldav_source(radicale_server, tmp_path, name)
    assert [e.uid for e in changed.fetch(WINDOW).events] == ["a", "b"]
    assert changed.requests_sent == 2
    cal.event_by_uid("a").delete()
    gone = caldav_source(radicale_server, tmp_path, name)
    assert [e.uid for e in gone.fetch(WINDOW).events] == ["b"]
    assert gone.requests_sent == 1  # a deletion needs no multiget

    # a later window still inside the month read ahead: still incremental
    later = Window(WINDOW.start + timedelta(days=7), WINDOW.end + timedelta(days=7))
    moved_on = caldav_source(radicale_server, tmp_path, name)
    moved_on.fetch(later)
    assert moved_on.requests_sent == 1


def test_an_expired_sync_token_means_a_full_read_not_a_failure(
        radicale_server: Server, tmp_path: Path) -> None:
    cal, src = _synced_once(radicale_server, tmp_path)
    stored = src.state.meta_json(src.items_key)
    stored["token"] = "http://radicale.org/ns/sync/0000000000000000000000000000000000000000"
    src.state.set_meta(src.items_key, json.dumps(stored))
    cal.save_event(_single("b", "Tempo run", "20261124T060000Z", "20261124T070000Z"))
    assert [e.uid for e in src.fetch(WINDOW).events] == ["a", "b"]


def test_without_a_sync_token_the_ctag_says_whether_to_read_again(
        radicale_server: Server, tmp_path: Path) -> None:
    cal, src = _synced_once(radicale_server, tmp_path)
    stored = src.state.meta_json(src.items_key)
    assert stored["ctag"]
    stored["token"] = ""  # as on a server without RFC 6578
    src.state.set_meta(src.items_key, json.dumps(stored))
    before = src.requests_sent
    assert [e.uid for e in src.fetch(WINDOW).events] == ["a"]
    assert src.requests_sent - before == 1  # the ctag PROPFIND alone
    cal.save_event(_single("b", "Tempo run", "20261124T060000Z", "20261124T070000Z"))
    assert [e.uid for e in src.fetch(WINDOW).events] == ["a", "b"]


def test_a_broken_resource_costs_a_warning_not_the_calendar(
        radicale_server: Server, tmp_path: Path) -> None:
    cal, src = _synced_once(radicale_server, tmp_path)
    # a resource we can't read (as an odd client may write one), kept from an earlier sync
    stored = src.state.meta_json(src.items_key)
    stored["items"]["http://x/broken.ics"] = ["\"1\"", "BEGIN:VCALENDAR\nnot ical"]
    src.state.set_meta(src.items_key, json.dumps(stored))
    src.state.db.execute("DELETE FROM event_cache")  # so the items are parsed again
    got = caldav_source(radicale_server, tmp_path, cal.get_display_name()).fetch(WINDOW)
    assert [e.uid for e in got.events] == ["a"]
    assert any(w.startswith("broken.ics skipped:") for w in got.warnings), got.warnings


def test_the_tools_own_suggestions_are_not_read_as_events(radicale_server: Server,
                                                          tmp_path: Path) -> None:
    cal = new_calendar(radicale_server)
    cal.save_event(_single("a", "Leg day", "20261123T170000Z", "20261123T180000Z").replace(
        "SUMMARY:Leg day", "SUMMARY:Walk instead\nX-LEGDAY-SYNC:abc"))
    assert caldav_source(radicale_server, tmp_path, cal.get_display_name()).fetch(
        WINDOW).events == ()


# -- credentials and failures ------------------------------------------------------------

def test_a_wrong_password_says_what_to_fix_and_never_shows_it(radicale_server: Server,
                                                               tmp_path: Path) -> None:
    wrong = "pw-PLANTED-wrong-77"
    src = caldav_source(radicale_server, tmp_path, "Training")
    src.session.account.password_file.write_text(wrong)
    with pytest.raises(SourceError) as info:
        src.fetch(WINDOW)
    text = f"{info.value.message} {info.value.fix}"
    assert "401" in text and "app-specific password" in text and USER in text
    assert "iCloud" in text and "Fastmail" in text
    assert wrong not in text and PASSWORD not in text


def test_a_down_server_is_an_error_for_the_source(tmp_path: Path,
                                                  radicale_server: Server) -> None:
    from tests.caldav_support import free_port

    down = Server(f"http://127.0.0.1:{free_port()}/", radicale_server.proc, tmp_path, "down")
    with pytest.raises(SourceError) as info:
        caldav_source(down, tmp_path, "Training").fetch(WINDOW)
    assert "can't reach 127.0.0.1" in info.value.message


def test_password_file_readable_by_others_is_warned_about(radicale_server: Server,
                                                          tmp_path: Path) -> None:
    cal = new_calendar(radicale_server)
    src = caldav_source(radicale_server, tmp_path, cal.get_display_name())
    os.chmod(src.session.account.password_file, 0o644)
    warnings = src.fetch(WINDOW).warnings
    assert any("chmod 600" in w for w in warnings)


def test_password_command_first_line_is_the_password(tmp_path: Path) -> None:
    got = read_password(password_file=None, password_command="printf 'sekrit-1\\nother\\n'")
    assert got.value == "sekrit-1" and got.warnings == []


@pytest.mark.parametrize("command, says", [
    ("false", "exited with status 1"),
    ("/no/such/program", "could not be started"),
    ("printf ''", "empty password"),
])
def test_a_failing_password_command_is_a_clear_error(command: str, says: str,
                                                     radicale_server: Server,
                                                     tmp_path: Path) -> None:
    from legday_sync.adapters.caldav.account import Account
    from legday_sync.adapters.state import State
    from tests.caldav_support import BERLIN

    src = CalDavSource("cal", Account(radicale_server.url, USER, password_command=command),
                       "Training", tz=BERLIN, state=State(tmp_path / "state"))
    with pytest.raises(SourceError) as info:
        src.fetch(WINDOW)
    assert says in info.value.message


@pytest.mark.slow  # over half a second on the shared machine
def test_a_calendar_deleted_and_made_again_is_found_again(radicale_server: Server,
                                                          tmp_path: Path) -> None:
    cal = new_calendar(radicale_server)
    name = cal.get_display_name()
    cal.save_event(_single("a", "Leg day", "20261123T170000Z", "20261123T180000Z"))
    src = caldav_source(radicale_server, tmp_path, name)
    src.fetch(WINDOW)
    cal.delete()
    again = new_calendar(radicale_server, name)  # a new URL, the same name
    again.save_event(_single("b", "Tempo run", "20261124T060000Z", "20261124T070000Z"))
    assert [e.uid for e in caldav_source(radicale_server, tmp_path, name).fetch(
        WINDOW).events] == ["b"]
