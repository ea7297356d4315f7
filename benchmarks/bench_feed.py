"""(e) The feed server: conditional GETs without rendering; ≥ 1,500 req/s, p99 < 50 ms.

1. A real ``legday-sync sync`` of the 20k calendar writes the suggestions file (~80 KB).
2. ``legday-sync serve`` runs as a subprocess on a free loopback port.
3. ``wrk -t1 -c50 -d3s --latency`` (Debian's wrk: one thread driving 50 connections, so
   that the load tool takes one of the 2 cores, not both) loads the feed URL: full GETs, then
   conditional GETs (``If-None-Match`` with the current ETag → 304), 5 rounds each; the
   round with the median requests/s is reported, with its own latency percentiles
   (from wrk's output). Without wrk, a bounded Python load client
   (50 threads, keep-alive ``http.client``) does the same and the figure says so.
4. "Without rendering", shown in-process: the WSGI app (``web.app.Feed``) answers 2,000
   requests (1,000 full, 1,000 conditional) while ``sinks.ics.render`` and
   ``icalendar.Calendar.from_ical`` are patched to count calls: both must stay at 0. The
   body served is the bytes the last sync wrote, held in memory with its ETag.

The comparison: the plain way renders the calendar per request — the same render
``sinks.ics`` does after a sync, timed in-process.
"""

from __future__ import annotations

import http.client
import re
import shutil
import statistics
import subprocess
import threading
import time
from pathlib import Path
from unittest import mock

from benchmarks.common import (
    NOW_ARG,
    PYTHON,
    Figure,
    calendar,
    fmt_s,
    free_port,
    ics_source,
    out_dir,
    run_cli,
    stop_process,
    wait_for_port,
    write_config,
)

TARGET_RPS = 1500.0
TARGET_P99_MS = 50.0
CONNECTIONS = 50
ROUNDS = 5


def _median_round(rounds: list[dict]) -> dict:
    """The round with the median requests/s (its percentiles belong to it)."""
    ordered = sorted(rounds, key=lambda r: r["rps"])
    return ordered[len(ordered) // 2]


def _wrk(url: str, seconds: int, headers: dict[str, str]) -> dict[str, float] | None:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    cmd = [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 30,
                         check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert m, out
        value, unit = float(m.group(1)), m.group(2)
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": pct("50"), "p90": pct("90"), "p99": pct("99"),
            "bad": float(non2xx.group(1)) if non2xx else 0.0,
            "socket_errors": errors.group(1) if errors else "", "tool": "wrk"}  # type: ignore[dict-item]


def _python_load(host: str, port: int, path: str, seconds: float,
                 headers: dict[str, str]) -> dict[str, float]:
    """Fallback: 50 threads with keep-alive connections, for ``seconds``."""
    stop = time.monotonic() + seconds
    latencies: list[list[float]] = [[] for _ in range(CONNECTIONS)]
    bad = [0]

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=5)
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            latencies[i].append(time.perf_counter() - t0)
            if resp.status not in (200, 304):
                bad[0] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONNECTIONS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    flat = sorted(x for xs in latencies for x in xs)
    q = statistics.quantiles(flat, n=100)
    return {"rps": len(flat) / elapsed, "p50": q[49] * 1000, "p90": q[89] * 1000,
            "p99": q[98] * 1000, "bad": float(bad[0]), "tool": "python"}  # type: ignore[dict-item]


def _no_render_check(feed_path: Path, state_dir: Path) -> dict[str, float]:
    """Call the WSGI app in-process with render and parse patched to count calls."""
    from zoneinfo import ZoneInfo

    import icalendar

    from legday_sync.adapters.ics import sink as ics_sink
    from legday_sync.web.app import Feed
    from legday_sync.web.token import ensure_token

    calls = {"render": 0, "from_ical": 0}
    real_render, real_parse = ics_sink.render, icalendar.Calendar.from_ical

    def count(name, real):
        def wrapper(*a, **k):
            calls[name] += 1
            return real(*a, **k)
        return wrapper

    app = Feed(feed_path, state_dir, tz=ZoneInfo("Europe/Berlin"))
    token = ensure_token(state_dir)
    etag = app.snapshot.etag
    statuses: dict[str, int] = {}

    def start_response(status, headers):
        statuses[status] = statuses.get(status, 0) + 1

    env = {"REQUEST_METHOD": "GET", "PATH_INFO": f"/feed/{token}.ics"}
    with mock.patch.object(ics_sink, "render", count("render", real_render)), \
            mock.patch.object(icalendar.Calendar, "from_ical", count("from_ical", real_parse)):
        t0 = time.perf_counter()
        for _ in range(1000):
            b"".join(app(dict(env), start_response))
        t_full = (time.perf_counter() - t0) / 1000
        t0 = time.perf_counter()
        for _ in range(1000):
            b"".join(app({**env, "HTTP_IF_NONE_MATCH": etag}, start_response))
        t_cond = (time.perf_counter() - t0) / 1000
    return {**calls, "full_us": t_full * 1e6, "cond_us": t_cond * 1e6,
            "200": statuses.get("200 OK", 0), "304": statuses.get("304 Not Modified", 0)}


def _render_cost(feed_path: Path) -> float:
    """The plain way: render the calendar for every request (time of one render)."""
    from zoneinfo import ZoneInfo

    from legday_sync.adapters.ics.sink import IcsFileSink, render

    tz = ZoneInfo("Europe/Berlin")
    events, modified = IcsFileSink(feed_path, tz=tz).read()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        render(events.values(), tz=tz, name="Legday suggestions", modified=modified)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run(quick: bool = False) -> Figure:
    seconds = 3
    folder = out_dir("feed")
    shutil.rmtree(folder, ignore_errors=True)
    port = free_port()
    cfg = write_config(folder, sources=ics_source(calendar(20_000)),
                       extra=f'\n[feed]\nlisten = "127.0.0.1:{port}"\n')
    run_cli(cfg, "sync", "--json", "--now", NOW_ARG)
    feed_path = folder / "state" / "suggestions.ics"
    state_dir = folder / "state"
    _, urls = run_cli(cfg, "feed-url")
    url = urls.stdout.splitlines()[0].strip()
    path = url.split(f":{port}", 1)[1]

    log_path = folder / "serve.log"
    with open(log_path, "wb") as log:  # a file, not a pipe nobody reads: it can't fill up
        proc = subprocess.Popen([PYTHON, "-m", "legday_sync", "--config", str(cfg), "serve"],
                                stdout=subprocess.DEVNULL, stderr=log)
    try:
        try:
            wait_for_port(port)
        except TimeoutError:
            raise RuntimeError(f"serve did not start: {log_path.read_text()[-2000:]}") from None
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        etag = resp.getheader("ETag") or ""
        conn.request("GET", path, headers={"If-None-Match": etag})
        resp304 = conn.getresponse()
        resp304.read()
        conn.close()
        assert resp.status == 200 and resp304.status == 304, (resp.status, resp304.status)
        fulls, conds = [], []
        for _ in range(ROUNDS):
            for headers, into in (({}, fulls), ({"If-None-Match": etag}, conds)):
                got = _wrk(url, seconds, headers)
                if got is None:
                    got = _python_load("127.0.0.1", port, path, seconds, headers)
                into.append(got)
        full = _median_round(fulls)
        cond = _median_round(conds)
    finally:
        stop_process(proc, timeout=15)
    inproc = _no_render_check(feed_path, state_dir)
    render_s = _render_cost(feed_path)
    plain_rps = 1 / render_s if render_s else float("inf")
    met = (full["rps"] >= TARGET_RPS and full["p99"] < TARGET_P99_MS and full["bad"] == 0
           and inproc["render"] == 0 and inproc["from_ical"] == 0 and inproc["304"] == 1000)
    rounds_text = ", ".join(f"{r['rps']:,.0f}" for r in fulls)
    tool = "wrk" if full["tool"] == "wrk" else "Python load client (wrk not installed)"
    return Figure(
        key="e", name=f"feed server, {len(body) // 1024} KB feed, {CONNECTIONS} connections",
        target=f"conditional GET without rendering; ≥ {TARGET_RPS:,.0f} req/s, "
               f"p99 < {TARGET_P99_MS:g} ms",
        ours=(f"{full['rps']:,.0f} req/s, p50 {full['p50']:.1f} ms, p99 {full['p99']:.1f} ms; "
              f"conditional (304): {cond['rps']:,.0f} req/s, p99 {cond['p99']:.1f} ms; "
              f"0 renders in 2,000 in-process requests"),
        comparison=(f"render per request: {fmt_s(render_s)} each → ≤ {plain_rps:,.0f} req/s "
                    f"on one core"),
        ratio=f"{full['rps'] / plain_rps:.0f}×",
        met=met,
        how=(f"`legday-sync serve` subprocess (waitress, 4 threads) on 127.0.0.1, {tool} "
             f"`-t1 -c{CONNECTIONS} -d{seconds}s --latency`, full GETs and If-None-Match, median "
             f"of {ROUNDS} rounds (all rounds: "
             f"{rounds_text} req/s); "
             f"non-2xx/3xx: {full['bad']:.0f}/{cond['bad']:.0f}; in-process WSGI calls with "
             f"`sinks.ics.render` and `Calendar.from_ical` patched to count: "
             f"{inproc['render']}/{inproc['from_ical']} calls, {inproc['304']} × 304, "
             f"{inproc['full_us']:.0f} µs per full / {inproc['cond_us']:.0f} µs per "
             f"conditional answer"),
        details={"full": full, "conditional": cond, "rounds": fulls, "cond_rounds": conds,
                 "inprocess": inproc, "render_s": render_s, "feed_bytes": len(body)})


if __name__ == "__main__":
    print(run(quick=True))
