"""(g) CalDAV: what a sync costs against a real server (Radicale on 127.0.0.1).

    python -m benchmarks.bench_caldav

A year of a training calendar (a resource per event, ~500 events, a weekly recurring
series among them) in a CalDAV calendar. Measured in-process, on a source built afresh
for each sync with only the state dir kept (as each `legday-sync sync` process does):

- ours, steady state: an unchanged calendar — HTTP requests (counted at the session,
  401 handshakes included) and wall time, median of 7;
- ours, one change on the phone: requests and time;
- plain, the same run: what a client without state does every sync — discovery, then a
  time-range REPORT of the window and a parse of what it returns (median of 7);
- the whole `sync` with a CalDAV sink: requests to the server on the second, unchanged sync.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchmarks.common import AROUND, ROOT, Figure

ROUNDS = 7


def _event(uid: str, title: str, start, minutes: int, rrule: str = "") -> str:
    def stamp(t) -> str:
        return t.strftime("%Y%m%dT%H%M%SZ")

    rule = f"RRULE:{rrule}\n" if rrule else ""
    return ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//bench//EN\nBEGIN:VEVENT\n"
            f"UID:{uid}\nDTSTAMP:20260101T000000Z\nSUMMARY:{title}\nDTSTART:{stamp(start)}\n"
            f"DTEND:{stamp(start + timedelta(minutes=minutes))}\n{rule}END:VEVENT\n"
            "END:VCALENDAR\n")


def run(quick: bool = False) -> Figure:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from legday_sync import config
    from legday_sync.adapters.caldav.source import CalDavSource
    from legday_sync.adapters.state import State
    from legday_sync.core.model import Window
    from legday_sync.service import sync_once
    from tests.caldav_support import BERLIN, PASSWORD, USER, radicale

    rounds = 3 if quick else ROUNDS
    root = Path(tempfile.mkdtemp(prefix="bench-caldav-"))
    with radicale(root / "server") as server:
        cal = server.phone().make_calendar(name="Training")
        start = AROUND - timedelta(days=300)
        n = 0
        for day in range(0, 365, 1):
            t = start + timedelta(days=day)
            title = ("Leg day" if day % 4 == 0 else "Tempo run" if day % 4 == 1
                     else "Team meeting")
            cal.save_event(_event(f"ev-{day}", title, t.replace(hour=17), 60))
            n += 1
            if day % 3 == 0:
                cal.save_event(_event(f"mt-{day}", "Planning", t.replace(hour=9), 30))
                n += 1
        cal.save_event(_event("series", "Easy run", start.replace(hour=6), 40,
                              "FREQ=WEEKLY;BYDAY=SA"))
        n += 1
        window = Window(AROUND - timedelta(days=9), AROUND + timedelta(days=27))
        account = server.account(root)
        state_dir = root / "state"

        def ours() -> tuple[int, float, int]:
            state = State(state_dir)
            try:
                src = CalDavSource("Training", account, "Training", tz=BERLIN, state=state)
                t0 = time.perf_counter()
                got = src.fetch(window)
                return src.requests_sent, time.perf_counter() - t0, len(got.events)
            finally:
                state.close()

        def plain() -> tuple[int, float, int]:
            with tempfile.TemporaryDirectory() as tmp:
                state = State(Path(tmp))
                try:
                    src = CalDavSource("Training", account, "Training", tz=BERLIN,
                                       state=state)
                    t0 = time.perf_counter()
                    got = src.fetch(window)
                    return src.requests_sent, time.perf_counter() - t0, len(got.events)
                finally:
                    state.close()

        cold = ours()
        steady, plains = [], []
        for _ in range(rounds):  # interleaved, so load moves both sides alike
            steady.append(ours())
            plains.append(plain())
        assert len({r[2] for r in steady + plains + [cold]}) == 1, "different events"
        cal.save_event(_event("new", "Hill repeats", AROUND + timedelta(days=1), 45))
        changed = ours()

        # the whole sync with a CalDAV sink: the second, unchanged one
        raw = {"timezone": "Europe/Berlin", "state": {"dir": str(root / "sync-state")},
               "source": [{"type": "caldav", "url": server.url, "calendar": "Training",
                           "username": USER, "password_file": str(account.password_file)}],
               "output": {"ics": {"path": str(root / "out.ics")},
                          "caldav": {"url": server.url, "username": USER,
                                     "password_file": str(account.password_file)}}}
        settings = config.parse(raw, base=root)
        counts = []
        for _ in range(2):
            from legday_sync.service import build_sinks, build_sources

            state = State(settings.state_dir)
            try:
                sources = build_sources(settings, state, readonly=False)
                sinks = build_sinks(settings, state)
                report = sync_once(settings, AROUND, state=state, sources=sources, sinks=sinks)
                assert report.ok, report.errors
                counts.append((sum(getattr(s, "requests_sent", 0) for s in sources),
                               sum(getattr(s, "requests_sent", 0) for s in sinks),
                               len(report.suggestions), len(report.actions)))
            finally:
                state.close()
        assert PASSWORD  # the planted password is the account's

    steady_req = statistics.median(r[0] for r in steady)
    steady_ms = statistics.median(r[1] for r in steady) * 1000
    plain_req = statistics.median(r[0] for r in plains)
    plain_ms = statistics.median(r[1] for r in plains) * 1000
    first, second = counts
    met = steady_req == 1 and second[0] == 1 and second[1] == 0 and second[3] == 0
    return Figure(
        key="g", name="CalDAV: steady-state sync, source and sink (Radicale)",
        target="an unchanged calendar costs 1 request; an unchanged sync writes nothing",
        ours=(f"unchanged: {steady_req:.0f} request, {steady_ms:.0f} ms; one event added on "
              f"the phone: {changed[0]} requests, {changed[1] * 1000:.0f} ms; whole sync, "
              f"second run: {second[0]} request to the source, {second[1]} to the sink, "
              f"{second[3]} actions (first run: {first[0]} + {first[1]} requests, "
              f"{first[2]} suggestions written)"),
        comparison=(f"plain (discovery + time-range REPORT + parse, every sync): "
                    f"{plain_req:.0f} requests, {plain_ms:.0f} ms"),
        ratio=f"{plain_req / steady_req:.0f}× fewer requests, {plain_ms / steady_ms:.0f}× "
              f"faster",
        met=met,
        how=(f"in-process `CalDavSource.fetch` on a fresh source object per sync (state dir "
             f"kept), {n} resources over a year plus a weekly series, a 36-day window; "
             f"median of {rounds} interleaved rounds; requests counted at the HTTP session "
             f"(401 handshakes included); cold first sync: {cold[0]} requests, "
             f"{cold[1] * 1000:.0f} ms; {cold[2]} events in the window"),
    )


if __name__ == "__main__":
    fig = run(quick="--quick" in sys.argv)
    for k in ("name", "target", "ours", "comparison", "ratio", "met", "how"):
        print(f"{k}: {getattr(fig, k)}")
