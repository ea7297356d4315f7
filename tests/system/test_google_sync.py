"""`legday-sync` end to end against the Calendar emulator, as a new user would run it."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from legday_sync import cli
from legday_sync.adapters.google import api as google_api
from legday_sync.adapters.state import State
from tests.google_emulator.emulator import _Response
from tests.google_support import NOW, GoogleEnv, at, genv, leg_and_tempo, subprocess_env, timed  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

NOW_ARG = NOW.isoformat()


def write_config(genv: GoogleEnv, extra_sources: str = "") -> Path:  # noqa: F811
    path = genv.root / "legday-sync.toml"
    path.write_text(f"""
timezone = "Europe/Berlin"
goal = "balanced"

[[source]]
type = "google"
{extra_sources}
[output.google]
calendar = "Legday suggestions"

[output.ics]
path = "suggestions.ics"

[state]
dir = "{genv.state_dir}"
""", encoding="utf-8")
    return path


def run(config: Path, *args: str) -> int:
    return cli.main(["--config", str(config), *args])


def own_mutations_only(genv: GoogleEnv) -> None:  # noqa: F811
    """Every mutating request in the log targets the suggestions calendar and an event id
    that carries the tool's marker (i.e. one the tool created)."""
    cal = genv.suggestions_calendar()
    ours = {e["id"] for e in genv.suggestion_events(include_deleted=True)}
    for m in genv.emu.mutations():
        target = m.event_id or (m.body or {}).get("id")
        assert m.calendar_id == cal and target in ours, (m.operation, m.calendar_id, target)
    for e in genv.suggestion_events():
        assert e["extendedProperties"]["private"]["legday_sync"] == e["id"]


def test_a_new_user_syncs_a_leg_day_and_a_tempo_run(genv, capsys):  # noqa: F811
    emu = genv.emu
    emu.add_event("primary", timed(at(0, 9), at(0, 10), "Standup"))
    _, run_event = leg_and_tempo(emu)
    config = write_config(genv)

    assert run(config, "sync", "--now", NOW_ARG) == 0
    out = capsys.readouterr().out
    assert "Tempo run" in out
    titles = sorted(e["summary"] for e in genv.suggestion_events())
    assert len(titles) == 2 and any("instead of Tempo run" in t for t in titles)
    assert any(t.startswith("Tempo run (moved from") for t in titles)
    assert "instead of Tempo run" in (genv.root / "suggestions.ics").read_text()
    own_mutations_only(genv)

    # the second run: one events.list per source, with its sync token, and no writes
    emu.clear_requests()
    assert run(config, "sync", "--now", NOW_ARG) == 0
    source_lists = [r for r in emu.requests if r.operation == "events.list"
                    and r.calendar_id == emu.primary_id]
    assert len(source_lists) == 1 and source_lists[0].query.get("syncToken")
    assert emu.mutations() == []
    assert not any(r.operation in ("batch", "calendars.insert") for r in emu.requests)
    steady = [r.operation for r in emu.requests if not r.is_batch_part]
    # one request per source calendar: free/busy is asked again only when the calendar
    # changed, and the suggestions calendar is read only when something is to be written
    assert sorted(steady) == ["events.list"]

    # deleting the tempo run withdraws its suggestions on the next run
    emu.user_delete("primary", run_event["id"])
    assert run(config, "sync", "--now", NOW_ARG) == 0
    assert genv.suggestion_events() == []
    assert len(genv.suggestion_events(include_deleted=True)) == 2
    assert "instead of Tempo run" not in (genv.root / "suggestions.ics").read_text()
    own_mutations_only(genv)


def test_google_and_ics_sources_with_conflicts_across_them(genv, capsys):  # noqa: F811
    ics = genv.root / "gym.ics"
    start, end = at(0, 18).strftime("%Y%m%dT%H%M%S"), at(0, 19).strftime("%Y%m%dT%H%M%S")
    ics.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
                   f"UID:squats-1@gym\r\nDTSTAMP:20300101T000000Z\r\n"
                   f"DTSTART;TZID=Europe/Berlin:{start}\r\nDTEND;TZID=Europe/Berlin:{end}\r\n"
                   "SUMMARY:Heavy squats\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", encoding="utf-8")
    genv.emu.add_event("primary", timed(at(1, 7), at(1, 8), "Easy run"))
    genv.emu.add_event("primary", timed(at(2, 7), at(2, 8), "Intervals 6x800m"))
    config = write_config(genv, extra_sources='\n[[source]]\nname = "gym"\ntype = "ics"\n'
                                              'path = "gym.ics"\n')

    assert run(config, "sync", "--json", "--now", NOW_ARG) == 0
    report = json.loads(capsys.readouterr().out)
    pairs = {(c["leg_day"]["source"], c["run"]["source"], c["run"]["title"])
             for c in report["conflicts"]}
    # heavy squats: the easy run next morning is fine (balanced), intervals within 72 h not
    assert pairs == {("gym", "primary", "Intervals 6x800m")}
    google = {e["id"] for e in genv.suggestion_events()}
    assert google == {s["id"] for s in report["suggestions"]} and google
    assert all(s["id"] in (genv.root / "suggestions.ics").read_text()
               for s in report["suggestions"])
    own_mutations_only(genv)


def test_a_crash_between_writes_then_a_rerun_leaves_no_duplicates(genv):  # noqa: F811
    emu = genv.emu
    leg_and_tempo(emu, 0)
    leg_and_tempo(emu, 3)
    config = write_config(genv)
    env = subprocess_env(emu)
    proc: list[subprocess.Popen] = []
    killed = threading.Event()
    seen = {"parts": 0}
    real_handle = emu.handle

    def handle(method, raw_path, headers, body, **kw):
        if kw.get("is_batch_part") and method != "GET":
            seen["parts"] += 1
            if seen["parts"] == 3 and not killed.is_set():  # two inserts are done
                os.kill(proc[0].pid, signal.SIGKILL)
                killed.set()
            if killed.is_set() and len(proc) == 1:
                return _Response(0)  # the client is gone: nothing more arrives
        return real_handle(method, raw_path, headers, body, **kw)

    emu.handle = handle  # type: ignore[method-assign]
    proc.append(subprocess.Popen(
        [sys.executable, "-m", "legday_sync", "--config", str(config), "sync", "--now",
         NOW_ARG], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    assert proc[0].wait(timeout=60) == -signal.SIGKILL
    assert killed.is_set()
    assert len(genv.suggestion_events()) == 2  # half written, the ledger knows nothing
    ledger = State(genv.state_dir, readonly=True)
    assert ledger.ledger("google") == {}
    ledger.close()

    proc.append(None)  # type: ignore[arg-type]  # later requests pass through
    assert run(config, "sync", "--now", NOW_ARG) == 0
    events = genv.suggestion_events(include_deleted=True)
    assert len(events) == 4 and len({e["id"] for e in events}) == 4
    assert all(e["status"] == "confirmed" for e in events)
    state = State(genv.state_dir, readonly=True)
    assert {sid for sid, led in state.ledger("google").items() if led.status == "active"} \
        == {e["id"] for e in events}
    state.close()
    emu.clear_requests()
    assert run(config, "sync", "--now", NOW_ARG) == 0
    assert emu.mutations() == []


def test_auth_saves_the_token_0600(genv, monkeypatch, capsys):  # noqa: F811
    (genv.state_dir / "google-token.json").unlink()
    secrets = genv.root / "client_secret.json"
    secrets.write_text(json.dumps({"installed": {
        "client_id": "id.apps.googleusercontent.com", "client_secret": "s",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "redirect_uris": ["http://localhost"]}}))
    calls = {}

    class FakeFlow:
        def run_local_server(self, **kw):
            calls["run"] = kw
            print(kw["authorization_prompt_message"].format(url="https://accounts.example/x"))
            return genv.emu.credentials("fresh-token")

    def from_file(path, scopes):
        calls["file"], calls["scopes"] = path, scopes
        return FakeFlow()

    from google_auth_oauthlib.flow import InstalledAppFlow
    monkeypatch.setattr(InstalledAppFlow, "from_client_secrets_file", staticmethod(from_file))
    config = write_config(genv)  # client_secret.json next to the config is found

    assert run(config, "auth", "--no-browser", "--port", "8765") == 0
    out = capsys.readouterr().out
    assert "https://accounts.example/x" in out and "ssh -L 8765:localhost:8765" in out
    assert calls["file"] == str(secrets)
    assert calls["scopes"] == list(google_api.SCOPES)
    assert "https://www.googleapis.com/auth/calendar" not in calls["scopes"]  # no full access
    assert calls["run"]["open_browser"] is False and calls["run"]["port"] == 8765
    token = genv.state_dir / "google-token.json"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert json.loads(token.read_text())["token"] == "fresh-token"
    # and it works
    assert run(config, "sync", "--now", NOW_ARG) == 0


def test_a_revoked_grant_tells_the_user_to_run_auth_again(genv, capsys):  # noqa: F811
    genv.write_token(expired=True)
    genv.emu.script_faults("POST", r"^/token$", ["invalid_grant"] * 5)
    leg_and_tempo(genv.emu)
    config = write_config(genv)
    assert run(config, "sync", "--now", NOW_ARG) == 1
    err = capsys.readouterr()
    text = err.out + err.err
    assert "legday-sync auth" in text and "7 days" in text
    assert genv.emu.mutations() == []


def test_not_connected(genv, capsys):  # noqa: F811
    (genv.state_dir / "google-token.json").unlink()
    config = write_config(genv)
    assert run(config, "sync", "--now", NOW_ARG) == 1
    err = capsys.readouterr()
    assert "not connected to Google" in err.out + err.err
    assert genv.emu.requests == []
