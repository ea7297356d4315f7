"""`legday-sync daemon`: scheduled syncs (APScheduler) plus the feed server.

A sync runs at start and then every ``[daemon] interval_minutes`` with a little
jitter; ``max_instances=1`` and coalescing mean runs never overlap or pile up
after a suspend. Every run takes the fcntl sync lock, so a one-shot `sync`
never writes at the same time. A failing run is logged, never kills the
daemon, and is retried sooner with exponential backoff (capped at the
interval). SIGTERM/SIGINT let the run in flight finish, stop the server and
exit 0; a second signal exits at once (writes are atomic, so that is safe too).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import traceback
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from .config import Settings
from .errors import LegdayError, LockBusy
from .redact import redact
from .service import ics_output_path
from .web.app import Feed
from .web.server import FeedServer
from .web.status_page import with_status_page
from .web.token import ensure_token

log = logging.getLogger(__name__)

JOB_ID = "sync"
#: the first retry after a failure; doubles each time, capped at the interval
BACKOFF_BASE_SECONDS = 30.0
#: how long a scheduled run waits for a one-shot `sync` holding the lock
LOCK_WAIT_SECONDS = 120.0


def _interval_seconds(settings: Settings) -> float:
    return float(settings.daemon.interval_minutes) * 60.0


def _jitter_seconds(interval: float) -> float:
    """Up to 10% of the interval, at most a minute: spreads load, keeps the rhythm."""
    return min(60.0, interval * 0.1)


def backoff_seconds(failures: int, interval: float) -> float:
    return min(interval, BACKOFF_BASE_SECONDS * 2 ** max(0, failures - 1))


class Daemon:
    def __init__(self, settings: Settings, *, serve: bool = True) -> None:
        self.settings = settings
        self.interval = _interval_seconds(settings)
        self.stop_event = threading.Event()
        self.failures = 0
        self.last_error = ""
        self.runs = 0
        self._lock = threading.Lock()
        self.scheduler: Any = None
        ensure_token(settings.state_dir)
        self.feed = Feed(ics_output_path(settings), settings.state_dir, tz=settings.tz,
                         name=settings.feed.name, extra_status=self._status)
        #: the last sync's report, which the status page shows
        self.last_report: Any = None
        page = with_status_page(self.feed, settings, week=self._week, daemon=True,
                                on_dismiss=self.sync_soon)
        self.server = (FeedServer(page, settings.feed.host, settings.feed.port)
                       if serve else None)

    def _week(self, now: datetime) -> Any:
        """The status page's week: from the last scheduled sync, so a page view reads no
        calendar; before the first sync has finished, from a dry run."""
        from .service import sync_once
        from .views.week import build_week

        report = self.last_report or sync_once(self.settings, now, dry_run=True)
        return build_week(report, now, self.settings.tz, 14)

    # -- one scheduled run ------------------------------------------------------------
    def run_once(self) -> bool:
        """One sync under the lock, then a feed refresh. Never raises. True if it went well."""
        from .adapters.lock import sync_lock
        from .service import sync_once

        if self.stop_event.is_set():
            return False
        ok = False
        pause = 0.0
        try:
            with self._wait_for_lock(sync_lock):
                report = sync_once(self.settings, datetime.now(self.settings.tz))
            self.last_report = report
            changed = self.feed.refresh()
            ok = report.ok
            summary = (f"{len(report.conflicts)} conflict(s), {len(report.suggestions)} "
                       f"suggestion(s), {len(report.actions)} change(s); feed "
                       f"{'updated' if changed else 'unchanged'}")
            if ok:
                log.info("sync done: %s", summary)
                self.last_error = ""
            else:
                self.last_error = "; ".join(f"{e.source}: {e.message}" for e in report.errors)
                log.warning("sync done with errors (%s): %s", redact(self.last_error), summary)
                # a usage limit (Google: hours of read-only) is not helped by trying sooner
                pause = max((e.retry_after for e in report.errors), default=0.0)
        except _Stopping:
            log.info("stopping: the scheduled sync was skipped")
            return False
        except LockBusy as e:
            self.last_error = f"another legday-sync held the lock ({e.holder or e.path})"
            log.warning("sync skipped: %s", self.last_error)
        except LegdayError as e:
            self.last_error = redact(str(getattr(e, "message", e)))
            log.error("sync failed: %s", self.last_error)
        except Exception as e:  # never let one bad run kill the scheduler
            self.last_error = redact(f"{type(e).__name__}: {e}")
            log.error("sync failed unexpectedly: %s", self.last_error)
            log.debug("%s", redact(traceback.format_exc()))
        with self._lock:
            self.runs += 1
            self.failures = 0 if ok else self.failures + 1
            failures = self.failures
        if pause:
            self._postpone(pause)
        elif not ok:
            self._retry_soon(failures)
        return ok

    def _postpone(self, seconds: float) -> None:
        """No sync before ``seconds`` from now (and none sooner than the schedule's)."""
        if self.scheduler is None or self.stop_event.is_set():
            return
        when = datetime.now(self.settings.tz) + timedelta(seconds=seconds)
        try:
            job = self.scheduler.get_job(JOB_ID)
            if job is not None and (job.next_run_time is None or job.next_run_time < when):
                job.modify(next_run_time=when)
                log.warning("pausing syncs for %.0f minute(s), as the service asked",
                            seconds / 60)
        except Exception as e:  # the scheduler may be shutting down
            log.debug("could not postpone the next run: %s", e)

    def _wait_for_lock(self, sync_lock: Any) -> contextlib.ExitStack:
        """The sync lock, waited for in short steps so that a signal still stops us promptly."""
        waited = 0.0
        while True:
            stack = contextlib.ExitStack()
            try:
                stack.enter_context(sync_lock(self.settings.state_dir, wait=0))
                return stack
            except LockBusy:
                if waited >= LOCK_WAIT_SECONDS:
                    raise
                if waited == 0:
                    log.info("another legday-sync holds the lock; waiting for it")
                if self.stop_event.wait(0.2):
                    raise _Stopping() from None
                waited += 0.2

    def sync_soon(self) -> None:
        """Bring the next run forward to now (a Dismiss on the status page)."""
        if self.scheduler is None or self.stop_event.is_set():
            return
        try:
            job = self.scheduler.get_job(JOB_ID)
            if job is not None:
                job.modify(next_run_time=datetime.now(self.settings.tz))
        except Exception as e:  # the scheduler may be shutting down
            log.debug("could not bring the next run forward: %s", e)

    def _retry_soon(self, failures: int) -> None:
        if self.scheduler is None or self.stop_event.is_set():
            return
        delay = backoff_seconds(failures, self.interval)
        when = datetime.now(self.settings.tz) + timedelta(seconds=delay)
        try:
            job = self.scheduler.get_job(JOB_ID)
            if job is not None and job.next_run_time is not None and when < job.next_run_time:
                job.modify(next_run_time=when)
                log.info("retrying in %.0f s (failure %d in a row)", delay, failures)
        except Exception as e:  # the scheduler may be shutting down
            log.debug("could not bring the next run forward: %s", e)

    def _status(self) -> dict[str, Any]:
        nxt = None
        if self.scheduler is not None:
            try:
                job = self.scheduler.get_job(JOB_ID)
                nxt = job.next_run_time.isoformat() if job and job.next_run_time else None
            except Exception:
                nxt = None
        return {"daemon": {"interval_minutes": self.settings.daemon.interval_minutes,
                           "runs": self.runs, "failures_in_a_row": self.failures,
                           "last_error": self.last_error or None, "next_run": nxt}}

    # -- the whole life --------------------------------------------------------------
    def run(self) -> int:
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        tz = self.settings.tz
        interval = self.interval
        self.scheduler = BackgroundScheduler(timezone=tz)
        self.scheduler.add_job(
            self.run_once, IntervalTrigger(seconds=interval, jitter=_jitter_seconds(interval),
                                           timezone=tz),
            id=JOB_ID, name="legday-sync", next_run_time=datetime.now(tz),
            max_instances=1, coalesce=True,
            # after a suspend, a run late by less than this still happens (once)
            misfire_grace_time=max(3600, int(interval)))
        self._install_signals()
        if self.server is not None:
            self.server.start()
            log_addresses(self.settings)
        self.scheduler.start()
        log.info("daemon started: a sync every %g minute(s)", self.settings.daemon.interval_minutes)
        try:
            while not self.stop_event.wait(1.0):
                pass
        finally:
            self.shutdown()
        return 0

    def shutdown(self) -> None:
        self.stop_event.set()
        if self.scheduler is not None and self.scheduler.running:
            log.info("stopping: waiting for the sync in flight")
            self.scheduler.shutdown(wait=True)
        if self.server is not None:
            self.server.stop()
        log.info("stopped")

    def _install_signals(self) -> None:
        def handler(signum: int, _frame: FrameType | None) -> None:
            if self.stop_event.is_set():
                quit_now(signum)  # a second signal: leave now (writes are atomic)
            log.info("received %s, stopping after the sync in flight (again to quit now)",
                     signal.Signals(signum).name)
            self.stop_event.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)


def quit_now(signum: int) -> None:
    """The second Ctrl-C: say so, then leave without waiting (every write is atomic)."""
    import sys

    print(f"{signal.Signals(signum).name} again: quitting now, without waiting for the sync "
          f"in flight (nothing is left half-written)", file=sys.stderr, flush=True)
    os._exit(128 + signum)


def log_addresses(settings: Settings) -> None:
    """Where the feed and the status page are. The token is a secret and stays out of
    logs: the log names the page and says how to print its full address."""
    from .web.token import feed_url, listen_base_url, page_url

    url = feed_url("TOKEN", listen_base_url(settings.feed.host, settings.feed.port))
    log.info("status page at %s and feed at %s — the secret TOKEN is left out here; "
             "`legday-sync feed-url` prints the full addresses", page_url(url), url)


class _Stopping(Exception):
    """Raised inside a run that was still waiting for the lock when a stop came."""


def serve_forever(settings: Settings) -> int:
    """`legday-sync serve`: the feed server alone, until SIGTERM/SIGINT."""
    ensure_token(settings.state_dir)
    feed = Feed(ics_output_path(settings), settings.state_dir, tz=settings.tz,
                name=settings.feed.name)
    server = FeedServer(with_status_page(feed, settings, daemon=False), settings.feed.host,
                        settings.feed.port)
    stop = threading.Event()

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            quit_now(signum)
        log.info("received %s, stopping (again to quit now)", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    server.start()
    log_addresses(settings)
    log.info("serving only: nothing syncs here (run `legday-sync sync`, a timer or the daemon)")
    try:
        while not stop.wait(1.0):
            pass
    finally:
        server.stop()
    return 0
