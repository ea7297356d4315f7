"""CalDAV end to end: the CLI and the daemon against a real Radicale, with the caldav library
playing the user's phone (deleting and editing suggestions between syncs).

A new user's setup: three lines for the source, a password file, `[output.caldav]`, then
`sync`. The suggestions appear in a calendar of their own; a second sync changes nothing
(same ETags); what the phone deletes stays gone and what it edits stays edited; a wrong
password or a down server changes nothing on the server and says what to fix.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from legday_sync.adapters.caldav.client import Connection
from tests.caldav_support import PASSWORD, USER, Server, radicale
from tests.conftest import EXAMPLE_NOW, EXAMPLES
from tests.system.test_daemon import (
    base_url,
    cli_env,
    free_port,
    get,
    running,
    stop,
    wait_for,
)

pytestmark = pytest.mark.slow

SUGGESTIONS = "legday-sync suggestions"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with radicale(tmp_path / "radicale") as srv:
        yield srv


def upload(cal, ics: bytes) -> None:
    """Every event of an .ics file into ``cal``, one resource per UID (as a phone stores it)."""
    src = icalendar.Calendar.from_ical(ics)
    zones = list(src.walk("VTIMEZONE"))
    by_uid: dict[str, list] = {}
    for ev in src.walk("VEVENT"):
        by_uid.setdefault(str(ev["UID"]), []).append(ev)
    for comps in by_uid.values():
        one = icalendar.Calendar()
        one.add("VERSION", "2.0")
        one.add("PRODID", "-//phone//EN")
        for c in [*zones, *comps]:
            one.add_component(c)
        cal.save_event(one.to_ical().decode())


def setup(folder: Path, server: Server, *, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "caldav-password").write_text(PASSWORD + "\n")
    (folder / "caldav-password").chmod(0o600)
    cfg = folder / "legday-sync.toml"
    cfg.write_text(f"""timezone = "Europe/Berlin"
[window]
past_days = 7
future_days = 14
[schedule]
training_hours = ["06:30-09:00", "17:30-20:30"]
horizon_days = 5

[[source]]
type = "caldav"
url = "{server.url}"
calendar = "Training"
username = "{USER}"
password_file = "caldav-password"

[output.caldav]
url = "{server.url}"
username = "{USER}"
password_file = "caldav-password"

[state]
dir = ".state"
{extra}""")
    return cfg


def sync(cfg: Path, *args: str, now: str | None = EXAMPLE_NOW) -> subprocess.CompletedProcess:
    clock = ["--now", now] if now else []
    return subprocess.run([sys.executable, "-m", "legday_sync", "--config", str(cfg), *args,
                           *(clock if args and args[0] == "sync" else [])],
                          cwd=cfg.parent, env=cli_env(cfg.parent), capture_output=True,
                          text=True, timeout=90)


def suggestions_on_phone(server: Server) -> dict[str, tuple[str, str]]:
    """href name -> (ETag, SUMMARY) in the suggestions calendar, as the server holds it."""
    cals = [c for c in server.phone().calendars() if c.get_display_name() == SUGGESTIONS]
    assert len(cals) <= 1
    if not cals:
        return {}
    conn = Connection(server.url, USER, PASSWORD)
    return {r.href.rpartition("/")[2]: (r.etag, str(icalendar.Calendar.from_ical(r.data).walk(
        "VEVENT")[0]["SUMMARY"])) for r in conn.query(str(cals[0].url))}


def phone_calendar(server: Server, name: str):
    return next(c for c in server.phone().calendars() if c.get_display_name() == name)


def test_a_new_user_with_a_caldav_account(server: Server, tmp_path: Path) -> None:
    training = server.phone().make_calendar(name="Training")
    upload(training, (EXAMPLES / "training.ics").read_bytes())
    cfg = setup(tmp_path / "user", server)

    checked = sync(cfg, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Training  (read as a source)" in checked.stdout
    assert f"{SUGGESTIONS!r} will be created" in checked.stdout
    assert SUGGESTIONS not in [c.get_display_name() for c in server.phone().calendars()]

    preview = sync(cfg, "sync", "--dry-run", "--json")
    assert preview.returncode == 0, preview.stderr
    assert {a["target"] for a in json.loads(preview.stdout)["actions"]} == {"ics", "caldav"}
    assert SUGGESTIONS not in [c.get_display_name() for c in server.phone().calendars()]
    assert not (cfg.parent / ".state" / "state.sqlite3").exists()  # --dry-run wrote nothing

    first = sync(cfg, "sync", "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["errors"] == []
    wanted = {s["id"] for s in report["suggestions"]}
    assert len(wanted) >= 3
    held = suggestions_on_phone(server)
    assert set(held) == {f"{sid}.ics" for sid in wanted}
    # the source calendar was only read
    assert len(training.events()) == len(
        {str(e["UID"]) for e in icalendar.Calendar.from_ical(
            (EXAMPLES / "training.ics").read_bytes()).walk("VEVENT")})

    second = sync(cfg, "sync", "--json")
    assert json.loads(second.stdout)["actions"] == []
    assert suggestions_on_phone(server) == held  # same ETags: nothing was rewritten

    # on the phone: delete one suggestion, edit another
    sugg = phone_calendar(server, SUGGESTIONS)
    others = sorted(s["id"] for s in report["suggestions"] if "Intervals" not in s["title"])
    deleted, edited = others[:2]
    sugg.event_by_uid(f"{deleted}@legday-sync").delete()
    ev = sugg.event_by_uid(f"{edited}@legday-sync")
    ev.icalendar_component["SUMMARY"] = "Easy spin on the bike instead"
    ev.save()
    after_phone = suggestions_on_phone(server)

    # nothing to write: the sync doesn't even read the suggestions calendar
    quiet = sync(cfg, "sync", "--json")
    assert quiet.returncode == 0 and json.loads(quiet.stdout)["actions"] == []
    assert suggestions_on_phone(server) == after_phone

    # the user renames a run on the phone: its suggestions change, the rest is as the user left it
    run = training.event_by_uid(next(
        str(e["UID"]) for e in icalendar.Calendar.from_ical(
            (EXAMPLES / "training.ics").read_bytes()).walk("VEVENT")
        if str(e["SUMMARY"]) == "Intervals 6x800m"))
    run.icalendar_component["SUMMARY"] = "Hill repeats 8x200m"
    run.save()
    noticed = sync(cfg, "sync", "--json")
    assert noticed.returncode == 0, noticed.stderr
    acted = json.loads(noticed.stdout)["actions"]
    assert acted and {a["op"] for a in acted} <= {"create", "update", "delete"}
    assert not {deleted, edited} & {a["suggestion_id"] for a in acted}
    notes = " ".join(json.loads(noticed.stdout)["notes"])
    assert "was deleted by you; it stays dismissed" in notes
    assert "was edited by you; it is yours now" in notes
    assert json.loads(sync(cfg, "sync", "--json").stdout)["actions"] == []
    after_phone = suggestions_on_phone(server)
    assert any("Hill repeats" in title for _, title in after_phone.values())
    assert f"{deleted}.ics" not in after_phone
    assert after_phone[f"{edited}.ics"][1] == "Easy spin on the bike instead"

    # a new machine (a fresh state dir): the deleted one stays gone, the edited one the user's
    (cfg.parent / ".state").rename(cfg.parent / ".state-old-machine")
    moved = sync(cfg, "sync", "--json")
    assert moved.returncode == 0, moved.stderr
    acted = {a["suggestion_id"] for a in json.loads(moved.stdout)["actions"]
             if a["target"] == "caldav"}
    assert deleted not in acted  # the server keeps the user's deletions
    # the edit shows in the event itself (the fingerprint written inside it): seen while
    # planning, so no update is even planned for it
    assert edited not in acted
    assert "was edited by you; it is yours now" in " ".join(json.loads(moved.stdout)["notes"])
    assert suggestions_on_phone(server) == after_phone
    assert json.loads(sync(cfg, "sync", "--json").stdout)["actions"] == []

    # a wrong password: an error that says what to fix, nothing changed on the server
    (cfg.parent / "caldav-password").write_text("pw-PLANTED-wrong\n")
    wrong = sync(cfg, "sync", "--json")
    assert wrong.returncode != 0
    errors = json.loads(wrong.stdout)["errors"]
    assert {e["source"] for e in errors} == {"Training", "caldav"}
    assert all("rejected the login for 'alice' (401)" in e["message"] for e in errors)
    told = sync(cfg, "sync")  # as people read it: the message and its fix
    assert told.returncode != 0
    assert "check the username and the app-specific password" in told.stdout + told.stderr
    for out in (wrong, told):
        assert "pw-PLANTED-wrong" not in out.stdout + out.stderr
        assert PASSWORD not in out.stdout + out.stderr
    assert suggestions_on_phone(server) == after_phone
    (cfg.parent / "caldav-password").write_text(PASSWORD + "\n")

    # the server down: an error for the source and the sink; back up, nothing was lost
    server.stop()
    down = sync(cfg, "sync", "--json")
    assert down.returncode != 0
    assert "can't reach 127.0.0.1" in down.stdout
    server.start_again()
    assert suggestions_on_phone(server) == after_phone
    back = sync(cfg, "sync", "--json")
    assert back.returncode == 0 and json.loads(back.stdout)["actions"] == []
    assert suggestions_on_phone(server) == after_phone


# -- the daemon, with the real clock -------------------------------------------------------

def _event(uid: str, title: str, start: datetime, minutes: int) -> str:
    def stamp(t: datetime) -> str:
        return t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    return ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//phone//EN\nBEGIN:VEVENT\n"
            f"UID:{uid}\nDTSTAMP:20260101T000000Z\nSUMMARY:{title}\nDTSTART:{stamp(start)}\n"
            f"DTEND:{stamp(start + timedelta(minutes=minutes))}\nEND:VEVENT\nEND:VCALENDAR\n")


def test_the_daemon_respects_what_the_phone_does_between_syncs(server: Server,
                                                               tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    training = server.phone().make_calendar(name="Training")
    training.save_event(_event("leg-1", "Leg day", now - timedelta(hours=13), 75))
    training.save_event(_event("run-1", "Tempo run 8k", now + timedelta(hours=12), 45))
    cfg = setup(tmp_path / "daemon", server, extra=(
        f'[daemon]\ninterval_minutes = 0.05\n[feed]\nlisten = "127.0.0.1:{free_port()}"\n'))
    health = f"{base_url(cfg)}/healthz"

    def runs() -> int:
        r = get(health)
        return int(r.json()["daemon"]["runs"]) if r.ok else 0

    with running(cfg, "daemon") as (proc, log):
        first = wait_for(lambda: len(held := suggestions_on_phone(server)) >= 2 and held, 30,
                         "the suggestions on the phone", proc, log)
        assert all("Tempo run 8k" in title for _, title in first.values())
        # the phone deletes one and edits the other
        sugg = phone_calendar(server, SUGGESTIONS)
        names = sorted(first)
        sugg.event_by_uid(names[0].removesuffix(".ics") + "@legday-sync").delete()
        ev = sugg.event_by_uid(names[1].removesuffix(".ics") + "@legday-sync")
        ev.icalendar_component["SUMMARY"] = "Mine now"
        ev.save()
        after = suggestions_on_phone(server)
        seen = runs()
        wait_for(lambda: runs() >= seen + 3, 30, "three more syncs", proc, log)
        assert suggestions_on_phone(server) == after
        assert get(health).json()["ok"] is True

        # the run changes on the phone: a new conflict, a new suggestion, the old left alone
        training.event_by_uid("run-1").delete()
        training.save_event(_event("run-2", "Hill repeats 10x200m",
                                   now + timedelta(hours=14), 45))
        def with_hills() -> dict[str, tuple[str, str]] | None:
            held = suggestions_on_phone(server)
            return held if any("Hill repeats" in t for _, t in held.values()) else None

        final = wait_for(with_hills, 30, "the new suggestion", proc, log)
        assert final[names[1]] == after[names[1]]  # the edited one is still the user's
        assert names[0] not in final  # the deleted one did not come back
        stop(proc, log)
    assert PASSWORD not in log.read_text()

