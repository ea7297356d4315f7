"""Crash consistency: SIGKILL `legday-sync sync` at every write point, re-run, compare.

The sync reads the example calendar and writes to the .ics sink, to a Google
suggestions calendar in the Calendar v3 emulator and to a CalDAV calendar on Radicale
(a calendar of its own per run, on one server). ``crashhook`` counts the write points
(SQLite statements, fsync, rename, os.write, Google and CalDAV writes before and after
their response) and kills the process with SIGKILL at the Nth. After each kill the sync
is run again to completion; then the .ics file must be byte-identical to an
uninterrupted run's, the emulator must hold the same events (ids, titles, times,
descriptions) in exactly one suggestions calendar, so must the CalDAV server (resource
names, titles, times, descriptions, in one calendar), the ledger must equal the
uninterrupted run's, ``PRAGMA integrity_check`` must say ok, and a third run
(``--dry-run``) must plan nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import icalendar
import pytest

from legday_sync.adapters.caldav.client import Connection
from legday_sync.adapters.files import ensure_private_dir, write_private
from tests.caldav_support import PASSWORD, USER, Server
from tests.conftest import EXAMPLE_NOW, EXAMPLES, ROOT
from tests.google_emulator import CalendarEmulator
from tests.reliability.crashhook import SEPARATOR

pytestmark = pytest.mark.slow

MIN_KILL_POINTS = 30
RUN_TIMEOUT = 60


@dataclass
class Outcome:
    ics: bytes
    google: list[tuple]
    calendars: int
    caldav: list[tuple]
    dav_calendars: int
    ledger: list[tuple]
    integrity: str
    leftover_tmp: list[str]


def _setup(root: Path, emu: CalendarEmulator, dav: Server | None = None) -> Path:
    """The example config writing to Google and, given a server, to CalDAV too."""
    root.mkdir(parents=True)
    shutil.copy(EXAMPLES / "training.ics", root / "training.ics")
    toml = (EXAMPLES / "legday-sync.toml").read_text(encoding="utf-8")
    toml += '\n[output.google]\ncalendar = "Legday suggestions"\n'
    if dav is not None:
        (root / "caldav-password").write_text(PASSWORD)
        (root / "caldav-password").chmod(0o600)
        toml += (f'\n[output.caldav]\nurl = "{dav.url}"\nusername = "{USER}"\n'
                 f'password_file = "caldav-password"\ncalendar = "{_dav_name(root)}"\n')
    (root / "legday-sync.toml").write_text(toml, encoding="utf-8")
    state = ensure_private_dir(root / ".state")
    write_private(state / "google-token.json", emu.credentials().to_json().encode())
    return root / "legday-sync.toml"


def _env(emu: CalendarEmulator, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGDAY_")}
    env.update(LEGDAY_SYNC_GOOGLE_ENDPOINT=emu.base_url, LEGDAY_SYNC_GOOGLE_TOKEN_URI=emu.token_uri,
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""), **extra)
    return env


def _sync(cfg: Path, emu: CalendarEmulator, *extra: str, **env: str
          ) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tests.reliability.crashhook", "--config", str(cfg), "sync",
         "--json", "--now", EXAMPLE_NOW, "--wait", "0", *extra],
        env=_env(emu, **env), cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT)


def _same_owner(text):
    """Each run's config lives in its own folder, so its owner tag (a hash of the config's
    path) differs by design; everything else must be byte-identical."""
    if isinstance(text, bytes):
        return re.sub(rb"X-LEGDAY-SYNC-CONFIG:[0-9a-f]+", b"X-LEGDAY-SYNC-CONFIG:*", text)
    return re.sub(r'"legday_sync_config": "[0-9a-f]+"', '"legday_sync_config": "*"', text)


def _dav_name(root: Path) -> str:
    return f"Suggestions {root.parent.name}/{root.name}"


def _dav_outcome(cfg: Path, dav: Server) -> tuple[list[tuple], int]:
    conn = Connection(dav.url, USER, PASSWORD)
    cals = [c for c in conn.calendars() if c.name == _dav_name(cfg.parent)]
    out = []
    for c in cals:
        for r in conn.query(c.url):
            ev = icalendar.Calendar.from_ical(r.data).walk("VEVENT")[0]
            out.append((r.href.rpartition("/")[2], str(ev["SUMMARY"]),
                        ev.decoded("DTSTART").isoformat(), ev.decoded("DTEND").isoformat(),
                        str(ev["DESCRIPTION"]), str(ev["X-LEGDAY-SYNC"])))
    return sorted(out), len(cals)


def _outcome(cfg: Path, emu: CalendarEmulator, dav: Server) -> Outcome:
    state = cfg.parent / ".state"
    cals = [c for c, v in emu.backend.calendars.items()
            if not v.get("_primary") and not v.get("_deleted")]
    google: list[tuple] = []
    for cal in cals:
        for e in emu.events(cal):
            google.append((e["id"], e.get("summary"), e["start"].get("dateTime"),
                           e["end"].get("dateTime"), e.get("description"),
                           e.get("transparency"),
                           _same_owner(json.dumps(e.get("extendedProperties"), sort_keys=True))))
    db = sqlite3.connect(state / "state.sqlite3")
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        ledger = sorted(db.execute(
            "SELECT sink, suggestion_id, fingerprint, status, run_start FROM ledger").fetchall())
    finally:
        db.close()
    caldav, dav_calendars = _dav_outcome(cfg, dav)
    return Outcome(ics=_same_owner((state / "suggestions.ics").read_bytes()),
                   google=sorted(google), calendars=len(cals), caldav=caldav,
                   dav_calendars=dav_calendars, ledger=ledger, integrity=integrity,
                   leftover_tmp=sorted(p.name for p in state.glob(".*.tmp")))


def _points(log: Path) -> list[str]:
    return log.read_text().splitlines()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, radicale_server: Server
              ) -> tuple[Outcome, list[str], dict]:
    root = tmp_path_factory.mktemp("crash-ref")
    with CalendarEmulator() as emu:
        cfg = _setup(root / "run", emu, radicale_server)
        log = root / "points.log"
        done = _sync(cfg, emu, LEGDAY_CRASH_LOG=str(log))
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        again = _sync(cfg, emu, "--dry-run")
        assert again.returncode == 0 and json.loads(again.stdout)["actions"] == []
        return _outcome(cfg, emu, radicale_server), _points(log), report


def test_the_uninterrupted_run_writes_both_sinks(reference) -> None:
    outcome, points, report = reference
    assert len(points) >= MIN_KILL_POINTS, points
    kinds = {p.split()[1] for p in points}
    assert {"sqlite", "fsync", "replace", "google>", "google<", "caldav>", "caldav<"} <= kinds
    assert outcome.calendars == 1 and outcome.dav_calendars == 1
    assert outcome.integrity == "ok"
    n = len(report["suggestions"])
    assert n >= 3
    assert outcome.ics.count(b"BEGIN:VEVENT") == n and len(outcome.google) == n
    assert len(outcome.caldav) == n
    assert {s for s, *_ in outcome.ledger} == {"ics", "google", "caldav"}


def _kill_and_recover(base: Path, at: int, dav: Server) -> tuple[int, Outcome, str, list[str]]:
    with CalendarEmulator() as emu:
        cfg = _setup(base / f"kill-{at:03d}", emu, dav)
        killed = _sync(cfg, emu, LEGDAY_CRASH_AT=str(at))
        # the re-run to completion, then a third run (--dry-run) in the same process
        recovered = _sync(cfg, emu, LEGDAY_CRASH_THEN_DRY_RUN="1")
        assert recovered.returncode == 0, f"kill point {at}: re-run failed: {recovered.stderr}"
        _, third = recovered.stdout.split(SEPARATOR + "\n")
        actions = json.loads(third)["actions"]
        return killed.returncode, _outcome(cfg, emu, dav), third, actions


def test_sigkill_at_every_write_point_then_rerun_converges(reference, tmp_path: Path,
                                                          radicale_server: Server) -> None:
    want, points, _ = reference
    every = list(range(1, len(points) + 1))
    assert len(every) >= MIN_KILL_POINTS
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda n: (n, *_kill_and_recover(tmp_path, n, radicale_server)),
                                every))
    problems = []
    for at, code, got, _third, actions in results:
        where = f"kill point {at} ({points[at - 1]})"
        if code != -signal.SIGKILL:
            problems.append(f"{where}: the run was not killed (exit {code})")
        if got.ics != want.ics:
            problems.append(f"{where}: the .ics output differs from an uninterrupted run's")
        if got.calendars != 1:
            problems.append(f"{where}: {got.calendars} suggestions calendars")
        if got.google != want.google:
            problems.append(f"{where}: the Google events differ: {got.google} != {want.google}")
        if len({g[0] for g in got.google}) != len(got.google):
            problems.append(f"{where}: duplicate Google events")
        if got.dav_calendars != 1:
            problems.append(f"{where}: {got.dav_calendars} CalDAV suggestions calendars")
        if got.caldav != want.caldav:
            problems.append(f"{where}: the CalDAV events differ: {got.caldav} != {want.caldav}")
        if got.ledger != want.ledger:
            problems.append(f"{where}: the ledger differs")
        if got.integrity != "ok":
            problems.append(f"{where}: integrity_check says {got.integrity}")
        if actions:
            problems.append(f"{where}: a third run still plans {actions}")
    assert not problems, "\n".join(problems)


def _kill_delete_recover(base: Path, at: int) -> tuple[str, str | None, list[str]]:
    """Kill at write point ``at``; the user deletes a suggestion the killed run had written;
    re-run. What became of it, and the writes the re-run sent for it."""
    with CalendarEmulator() as emu:
        cfg = _setup(base / f"del-{at:03d}", emu)
        _sync(cfg, emu, LEGDAY_CRASH_AT=str(at))
        cals = [c for c, v in emu.backend.calendars.items()
                if not v.get("_primary") and not v.get("_deleted")]
        written = sorted(e["id"] for c in cals for e in emu.events(c))
        if not written:
            return "", None, []
        victim = written[0]
        emu.user_delete(cals[0], victim)
        emu.clear_requests()
        recovered = _sync(cfg, emu)
        assert recovered.returncode == 0, f"kill point {at}: re-run failed: {recovered.stderr}"
        writes = [f"{m.operation} {m.status}" for m in emu.mutations()
                  if (m.event_id or (m.body or {}).get("id")) == victim]
        return victim, emu.get_event(cals[0], victim)["status"], writes


def test_a_suggestion_deleted_after_a_crash_stays_deleted(reference, tmp_path: Path) -> None:
    """A sync killed after some inserts were answered; the user deletes one of them; the
    next sync must not bring it back (no 409 → patch to confirmed)."""
    _, points, _ = reference
    first = next(i for i, p in enumerate(points, 1) if p.split()[1] == "google<")
    every = list(range(first, len(points) + 1))
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda n: (n, *_kill_delete_recover(tmp_path, n)), every))
    tried = [r for r in results if r[1]]
    assert len(tried) >= 5, "too few kill points left a suggestion to delete"
    problems = [f"kill point {at} ({points[at - 1]}): {victim} is {status} after {writes}"
                for at, victim, status, writes in tried if status != "cancelled"
                or any(w.startswith(("events.patch", "events.update")) for w in writes)]
    assert not problems, "\n".join(problems)
