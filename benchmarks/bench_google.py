"""(d) Google Calendar: HTTP requests per sync, against the Calendar v3 emulator.

The emulator (``tests/google_emulator``) runs in this process on a loopback port;
``legday-sync sync`` runs as a subprocess pointed at it with
``LEGDAY_SYNC_GOOGLE_ENDPOINT`` / ``LEGDAY_SYNC_GOOGLE_TOKEN_URI`` and a token in the
state folder. Requests are counted from the emulator's log; a batch is one HTTP request
(its parts are logged separately and not counted as requests).

1. A primary calendar with ~300 events over the window (meetings, runs, one leg-day →
   tempo-run conflict); first sync (creates the suggestions calendar, writes).
2. Steady state: sync again with nothing changed. Counted: every HTTP request, the ones
   addressed to the source calendar, and writes (any non-GET on events, batch parts
   included).
3. 100 new suggestions: every other day, a leg session and a race an hour later (a race
   keeps its date, and every day before it is a race day or the eve of one, so each leg
   session gets exactly one "lighten" suggestion); sync; count the requests that carry
   writes. (The window reaches 230 days ahead for them.)

"Met" is read strictly: the steady-state sync sends, in all, one request per source
calendar (here 1), and writes nothing.

The plain way to compare with: one request per written event (100 inserts = 100
requests), and a full re-list of the source without a sync token.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from benchmarks.common import ROOT, Figure, out_dir, run_cli

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2030, 1, 7, 6, 0, tzinfo=BERLIN)


def _timed(start: datetime, minutes: int, summary: str, **extra: object) -> dict:
    end = start + timedelta(minutes=minutes)
    return {"summary": summary, "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": end.isoformat()}, **extra}


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    d = NOW.date() + timedelta(days=day)
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=BERLIN)


def _config(folder, state_dir) -> os.PathLike:
    path = folder / "legday-sync.toml"
    path.write_text(f"""timezone = "Europe/Berlin"
goal = "balanced"

[window]
past_days = 7
future_days = 230

[[source]]
type = "google"

[output.google]
calendar = "Legday suggestions"

[output.ics]
path = "suggestions.ics"

[state]
dir = "{state_dir}"
""", encoding="utf-8")
    return path


def run(quick: bool = False) -> Figure:
    import sys

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from legday_sync.adapters.files import ensure_private_dir, write_private
    from legday_sync.adapters.google import api as google_api
    from tests.google_emulator import CalendarEmulator

    folder = out_dir("google")
    shutil.rmtree(folder, ignore_errors=True)
    folder = out_dir("google")
    state_dir = ensure_private_dir(folder / "state")
    with CalendarEmulator() as emu:
        env = {google_api.ENV_ENDPOINT: emu.base_url, google_api.ENV_TOKEN_URI: emu.token_uri}
        write_private(google_api.token_path(state_dir), emu.credentials().to_json().encode())
        cfg = _config(folder, state_dir)
        # 1. a realistic calendar: meetings every weekday, some runs, one conflict
        for day in range(-7, 22):
            for hour in (9, 11, 14, 16):
                if _at(day, 0).weekday() < 5:
                    emu.add_event("primary", _timed(_at(day, hour), 45, "Team meeting"))
            if day % 3 == 0:
                emu.add_event("primary", _timed(_at(day, 19), 45, "Easy run 5k"))
        emu.add_event("primary", _timed(_at(0, 18), 60, "Leg day", id="leg00000"))
        emu.add_event("primary", _timed(_at(1, 7), 50, "Tempo run", id="tempo0000"))
        n_source = len(emu.events("primary"))
        _, first = run_cli(cfg, "sync", "--json", "--now", NOW.isoformat(), env=env)
        doc = json.loads(first.stdout)
        if doc["errors"]:
            raise RuntimeError(f"first sync failed: {doc['errors']}")

        # 2. steady state
        emu.clear_requests()
        run_cli(cfg, "sync", "--json", "--now", NOW.isoformat(), env=env)
        steady = [r for r in emu.requests if not r.is_batch_part]
        steady_ops = sorted(r.operation or f"{r.method} {r.path}" for r in steady)
        to_source = [r for r in steady if r.calendar_id in ("primary", emu.primary_id)]
        steady_writes = emu.mutations()
        steady_token = all(r.query.get("syncToken") for r in to_source
                           if r.operation == "events.list")

        # 3. 100 new suggestions
        for k in range(100):  # every other day, out of reach of the first conflict
            day = 30 + 2 * k
            emu.add_event("primary", _timed(_at(day, 6), 45, f"Heavy squats #{k}"))
            emu.add_event("primary", _timed(_at(day, 7), 30, f"Race 5k #{k}"))
        emu.clear_requests()
        _, third = run_cli(cfg, "sync", "--json", "--now", NOW.isoformat(), env=env)
        doc3 = json.loads(third.stdout)
        created = [a for a in doc3["actions"] if a["op"] == "create" and a["target"] != "ics"]
        top = [r for r in emu.requests if not r.is_batch_part]
        write_parts = [r for r in emu.mutations() if r.is_batch_part or r.method != "GET"]
        carrying = {("batch", r.batch_id) if r.is_batch_part else ("req", id(r))
                    for r in write_parts}
        write_requests = len(carrying)
        new_events = len([e for e in emu.events(_suggestions_calendar(emu))])

    steady_total = len(steady)
    per_source_ok = len(to_source) == 1 and steady_token and steady_total == 1
    met = per_source_ok and not steady_writes and write_requests <= 2 and len(created) >= 100
    return Figure(
        key="d", name="Google: steady-state sync; writing 100 suggestions",
        target="1 request per source calendar and no write; 100 suggestions in ≤ 2 requests",
        ours=(f"steady: {len(to_source)} request to the source calendar (sync token), "
              f"{steady_total} in all ({', '.join(steady_ops)}), {len(steady_writes)} writes; "
              f"{len(created)} new suggestions written in {write_requests} HTTP request(s)"),
        comparison=(f"plain: a full re-list of {n_source} source events each sync; "
                    f"{len(created)} inserts = {len(created)} requests"),
        ratio=f"{len(created) / max(1, write_requests):.0f}× fewer write requests",
        met=met,
        how=("request log of the Calendar v3 emulator (batch = 1 request), `legday-sync sync` "
             f"as a subprocess; the third sync sent {len(top)} requests in all; the suggestions "
             f"calendar then held {new_events} events. Steady state: "
             f"{', '.join(steady_ops) or 'no request'} — free/busy is asked again only when the "
             "source calendar changed, and the suggestions calendar is read only when the "
             "ledger says something is to be written"),
        details={"steady_ops": steady_ops, "steady_writes": len(steady_writes),
                 "created": len(created), "write_requests": write_requests,
                 "third_ops": sorted(r.operation or r.path for r in top)})


def _suggestions_calendar(emu) -> str:
    ids = [c for c, v in emu.backend.calendars.items()
           if not v.get("_primary") and not v.get("_deleted")]
    return ids[0]


if __name__ == "__main__":
    print(run(quick=True))
