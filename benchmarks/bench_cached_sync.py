"""(b) A second sync on an unchanged source: no re-parse, ≤ 0.2 s inside the process.

For a file source (same mtime) and for a URL source whose server answers 304:

1. a real (non-dry) ``legday-sync sync`` subprocess fills the state (event cache, the
   URL's stored copy and ETag);
2. in this process, ``service.sync_once(settings, now)`` runs again, timed with
   ``perf_counter`` (median of 5), with the source's ``parse_ics``, ``decode`` and
   ``decode_lazily`` patched to count calls: none may be called.
   (``icalendar.Calendar.from_ical`` does run, on the small suggestions file the .ics sink
   reads back; that is not the source.)

The comparison is the same in-process ``sync_once`` with an empty state folder (no
cache: the prefiltered parse runs), median of 3.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock

from benchmarks.common import (
    NOW_ARG,
    Figure,
    calendar,
    fmt_s,
    ics_source,
    median,
    out_dir,
    run_cli,
    timed,
    write_config,
)

TARGET_S = 0.2


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    body = b""
    etag = ""
    counts: dict[int, int]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        srv = self.server
        if self.headers.get("If-None-Match") == srv.etag:
            srv.counts[304] = srv.counts.get(304, 0) + 1
            self.send_response(304)
            self.send_header("ETag", srv.etag)
            self.end_headers()
            return
        srv.counts[200] = srv.counts.get(200, 0) + 1
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar; charset=utf-8")
        self.send_header("Content-Length", str(len(srv.body)))
        self.send_header("ETag", srv.etag)
        self.end_headers()
        self.wfile.write(srv.body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@contextmanager
def serve_file(path: Path):
    """A loopback HTTP server for one .ics file, with a strong ETag and 304s."""
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.body = path.read_bytes()
    srv.etag = '"' + hashlib.sha256(srv.body).hexdigest()[:32] + '"'
    srv.counts = {}
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def _in_process(cfg: Path, rounds: int) -> tuple[list[float], int]:
    """Times of ``rounds`` in-process syncs and how many times the source was parsed."""
    from legday_sync.adapters.ics import source as ics
    from legday_sync.config import load
    from legday_sync.service import sync_once

    settings = load(cfg)
    now = datetime.fromisoformat(NOW_ARG)
    calls = 0

    def counting(real):
        def wrapper(*args, **kwargs):
            nonlocal calls
            calls += 1
            return real(*args, **kwargs)
        return wrapper

    times = []
    with mock.patch.object(ics, "parse_ics", counting(ics.parse_ics)), \
            mock.patch.object(ics, "decode", counting(ics.decode)), \
            mock.patch.object(ics, "decode_lazily", counting(ics.decode_lazily)):
        for _ in range(rounds):
            t, report = timed(lambda: sync_once(settings, now))
            if report.errors:
                raise RuntimeError(f"sync failed: {report.errors}")
            times.append(t)
    return times, calls


def _case(name: str, source: str, rounds: int) -> dict[str, object]:
    base = out_dir("cached") / name
    shutil.rmtree(base, ignore_errors=True)
    # comparison: no cache (every round on a fresh state folder)
    cold_times = []
    for i in range(3):
        cfg = write_config(base / f"cold{i}", sources=source)
        t, calls = _in_process(cfg, 1)
        cold_times.extend(t)
        assert calls >= 1, "a cold sync must parse"
    # ours: fill the cache with a real sync, then sync again in this process
    cfg = write_config(base / "warm", sources=source)
    run_cli(cfg, "sync", "--json", "--now", NOW_ARG)
    warm_times, calls = _in_process(cfg, rounds)
    return {"warm": warm_times, "cold": cold_times, "parses": calls}


def run(quick: bool = False) -> Figure:
    cal = calendar(20_000)
    rounds = 5
    file_case = _case("file", ics_source(cal), rounds)
    with serve_file(cal) as srv:
        url_case = _case("url", ics_source(url=f"http://127.0.0.1:{srv.server_port}/cal.ics"),
                         rounds)
        counts = dict(srv.counts)
    f_warm, u_warm = median(file_case["warm"]), median(url_case["warm"])  # type: ignore[arg-type]
    f_cold, u_cold = median(file_case["cold"]), median(url_case["cold"])  # type: ignore[arg-type]
    no_parse = file_case["parses"] == 0 and url_case["parses"] == 0
    # the warm URL syncs: every request after the filling one must be a 304
    all_304 = counts.get(304, 0) >= rounds
    met = no_parse and all_304 and max(f_warm, u_warm) <= TARGET_S
    return Figure(
        key="b", name="second sync, unchanged source (file; URL with 304)",
        target=f"no re-parse, ≤ {TARGET_S:g} s in-process",
        ours=f"file {fmt_s(f_warm)}, URL {fmt_s(u_warm)}; "
             f"{file_case['parses'] + url_case['parses']} parses",  # type: ignore[operator]
        comparison=f"no cache: file {fmt_s(f_cold)}, URL {fmt_s(u_cold)}",
        ratio=f"{f_cold / f_warm:.0f}× / {u_cold / u_warm:.0f}×",
        met=met,
        how=(f"in-process `service.sync_once` (non-dry) after a real `sync` filled the state, "
             f"median of {rounds}; the source's `parse_ics`/`decode`/`decode_lazily` patched "
             f"to count calls; "
             f"loopback server honouring If-None-Match answered {counts.get(200, 0)}×200 and "
             f"{counts.get(304, 0)}×304; comparison: the same call on an empty state (median "
             f"of 3)"),
        details={"file": file_case, "url": url_case, "http_counts": counts})


if __name__ == "__main__":
    print(run(quick=True))
