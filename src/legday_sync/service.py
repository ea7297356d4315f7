"""sync_once(): fetch -> core.judge -> plan -> apply.

The only place that wires the shell (sources, sinks, state) to the core. With
``dry_run`` the plan is computed exactly as for a real run and then not
applied: no sink is written and the state is opened read-only.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from .adapters.state import State
from .config import Settings
from .core.judge import judge
from .core.model import Event, Suggestion, Window
from .core.plan import Plan, plan, settled
from .core.ports import Sink, Source
from .errors import LegdayError, SourceError
from .views.report import Report, SourceProblem

log = logging.getLogger(__name__)

#: per source, in a sync's report: a file with thousands of broken events stays readable
MAX_WARNINGS = 50


def _problem(sink: str, e: LegdayError) -> SourceProblem:
    """A sink's failure as a report entry (SinkError and AuthError carry message and fix)."""
    return SourceProblem(sink, str(getattr(e, "message", e)), getattr(e, "fix", ""),
                         _retry_after(e))


def _retry_after(e: LegdayError) -> float:
    detail = getattr(e, "detail", None) or {}
    try:
        return float(detail.get("retry_after", 0) or 0)
    except (TypeError, ValueError):
        return 0.0


def ics_output_path(settings: Settings) -> Path:
    if settings.output.ics is not None:
        return settings.output.ics.path
    return settings.state_dir / "suggestions.ics"


def build_sources(settings: Settings, state: State, *, readonly: bool) -> list[Source]:
    from .adapters.ics.source import IcsSource

    out: list[Source] = []
    for s in settings.source:
        if s.type == "ics":
            out.append(IcsSource(
                s.display_name, path=s.path, url=s.url, default_tz=settings.tz, cache=state,
                http_cache_dir=settings.state_dir / "http", readonly=readonly,
                timeout=s.timeout_seconds, max_bytes=s.max_bytes))
        elif s.type == "caldav":
            from .adapters.caldav.source import CalDavSource

            out.append(CalDavSource.from_settings(settings, s, state, readonly=readonly))
        else:
            from .adapters.google.source import GoogleSource  # imported only when used: it is heavy

            out.append(GoogleSource.from_settings(settings, s, state, readonly=readonly))
    return out


def build_sinks(settings: Settings, state: State) -> list[Sink]:
    from .adapters.ics.sink import IcsFileSink

    sinks: list[Sink] = [IcsFileSink(ics_output_path(settings), tz=settings.tz,
                                     calendar_name=settings.feed.name,
                                     owner=settings.config_id)]
    if settings.output.google is not None:
        from .adapters.google.sink import GoogleSink

        sinks.append(GoogleSink.from_settings(settings, state))
    if settings.output.caldav is not None:
        from .adapters.caldav.sink import CalDavSink

        sinks.append(CalDavSink.from_settings(settings, state))
    return sinks


def sink_where(sink: Sink, settings: Settings) -> str:
    """Where a sink puts the suggestions, in words (the report says where it wrote)."""
    where = getattr(sink, "where", None)
    if where:
        return str(where)
    if sink.name == "google" and settings.output.google is not None:
        return f"the Google calendar “{settings.output.google.calendar}”"
    return sink.name


def _destinations(report: Report, sinks: Sequence[Sink], settings: Settings) -> list[str]:
    """Where this sync wrote (or would write): every sink that didn't fail."""
    failed = {e.source for e in report.errors}
    return [sink_where(sink, settings) for sink in sinks if sink.name not in failed]


def sync_once(settings: Settings, now: datetime, *, dry_run: bool = False,
              state: State | None = None, sources: Sequence[Source] | None = None,
              sinks: Sequence[Sink] | None = None) -> Report:
    own_state = state is None
    if state is None:
        state = State(settings.state_dir, readonly=dry_run)
    try:
        if sources is None:
            sources = build_sources(settings, state, readonly=dry_run)
        if sinks is None:
            sinks = build_sinks(settings, state)
        with _collector_paused():
            return _sync(settings, now, dry_run, state, sources, sinks)
    finally:
        if own_state:
            state.close()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold Python's cyclic garbage collector for the length of a sync.

    A sync allocates hundreds of thousands of short-lived objects (a line scan of years of
    history, the parsed window, the planner's candidates) and almost no reference cycles,
    so the collector's passes over the growing heap find nothing yet cost ~10 % of a cold
    sync (BENCHMARKS.md). Reference counting still frees everything as usual; the daemon's
    collector runs again between syncs."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _sync(settings: Settings, now: datetime, dry_run: bool, state: State,
          sources: Sequence[Source], sinks: Sequence[Sink]) -> Report:
    core = settings.judge_settings()
    wide = core.fetch_window(now)
    report = Report(dry_run=dry_run, now=now, window=core.window(now), profile=core.profile)
    report.sources = [src.name for src in sources]
    legacy = settings.legacy_state_note()
    if legacy:
        report.notes.append(legacy)
    dismissed = state.dismissed()

    events, extra_busy = _fetch(sources, wide, report)
    failed = {e.source for e in report.errors}

    decision = judge(events, extra_busy, core, now)
    report.workouts, report.conflicts = decision.workouts, decision.conflicts
    report.suggestions, suggestions = decision.suggestions, decision.suggestions
    report.notes.extend(decision.notes)
    report.events_read = decision.events_read
    report.recognised_nothing = decision.recognised_nothing
    report.dismissed = {s.id for s in suggestions if s.id in dismissed}
    plans: list[tuple[Sink, Plan]] = []
    for sink in sinks:
        # a sink may stand aside with a reason (Google: the permission to write not granted);
        # it is then neither planned for nor written, and its ledger stays as it is
        why = getattr(sink, "unavailable", lambda: None)()
        if why:
            report.warnings.append(f"{sink.name}: {why}")
            continue
        ledger = state.ledger(sink.name)
        if sink.user_editable and settled(suggestions, ledger, now, dismissed):
            plans.append((sink, Plan()))  # nothing to write: spare the (remote) read
            continue
        try:
            held = sink.load()
        except LegdayError as e:
            report.errors.append(_problem(sink.name, e))
            continue
        p = plan(sink.name, suggestions, held, ledger,
                 user_editable=sink.user_editable, now=now, failed_sources=failed,
                 keep_since=report.window.start, dismissed=dismissed,
                 owner=settings.config_id)
        plans.append((sink, p))
        report.actions.extend(p.actions)
        report.notes.extend(p.notes)

    if dry_run:
        report.destinations = _destinations(report, sinks, settings)
        return report
    _apply(plans, {s.id: s for s in suggestions}, state, now, report)
    with state.transaction():
        state.prune(wide.start - timedelta(days=1))
        state.set_meta("last_sync", json.dumps({
            "time": now.isoformat(), "ok": report.ok,
            "sources": {s.name: ("error" if s.name in failed else "ok") for s in sources},
            "errors": [{"source": e.source, "message": e.message} for e in report.errors],
            "conflicts": len(report.conflicts), "suggestions": len(suggestions),
        }))
        # what `dismiss ID` resolves ids and prefixes against
        state.set_meta("suggestions", json.dumps([
            {"id": s.id, "title": s.title, "run_start": s.run.start.isoformat()}
            for s in suggestions]))
    report.destinations = _destinations(report, sinks, settings)
    return report


def _fetch(sources: Sequence[Source], wide: Window,
           report: Report) -> tuple[list[Event], list[Event]]:
    """Every source's events over ``wide`` and extra busy time; a source that fails is an
    error in the report, never "no events"."""
    events: list[Event] = []
    extra_busy: list[Event] = []
    for src in sources:
        try:
            result = src.fetch(wide)
        except SourceError as e:
            report.errors.append(SourceProblem(e.source, e.message, e.fix, _retry_after(e)))
            # the report leads with it; a log line too would say it twice on the terminal
            log.info("source %s failed: %s", e.source, e.message)
            continue
        events.extend(result.events)
        report.warnings.extend(f"{src.name}: {w}" for w in result.warnings[:MAX_WARNINGS])
        if len(result.warnings) > MAX_WARNINGS:
            report.warnings.append(f"{src.name}: … and {len(result.warnings) - MAX_WARNINGS} "
                                   f"more warning(s) like these (`legday-sync check` lists all)")
        extra_busy.extend(Event(src.name, f"busy-{i}", s, e, "busy")  # type: ignore[arg-type]
                          for i, (s, e) in enumerate(result.busy))
    return events, extra_busy


def _apply(plans: Sequence[tuple[Sink, Plan]], by_id: dict[str, Suggestion], state: State,
           now: datetime, report: Report) -> None:
    """Each sink's actions, then that sink's ledger changes in one transaction: one per
    sink, after its writes (the Google sink records each batch as Google acknowledges it)."""
    for sink, p in plans:
        try:
            # what the user did to a suggestion while it was being written (CalDAV's 412)
            touched = sink.apply(p.actions, now) or {}
        except LegdayError as e:
            report.errors.append(_problem(sink.name, e))
            continue
        # a sink that records each write as it is acknowledged has done this part already
        own_record = bool(getattr(sink, "records_writes", False))
        with state.transaction():
            for a in p.actions if not own_record else ():
                if a.suggestion_id in touched:
                    status = touched[a.suggestion_id]
                    if a.suggestion is not None:  # recorded even when the ledger had lost it
                        state.record(sink.name, a.suggestion_id, a.suggestion.fingerprint,
                                     status, a.suggestion.run.start)  # type: ignore[arg-type]
                    else:
                        state.set_status(sink.name, a.suggestion_id,
                                         status)  # type: ignore[arg-type]
                    report.notes.append(f"{a.suggestion_id[:8]} was {status} by you during "
                                        "the sync; left as you made it")
                elif a.op == "delete":
                    state.forget(sink.name, a.suggestion_id)
                else:
                    s = by_id[a.suggestion_id]
                    state.record(sink.name, s.id, s.fingerprint, "active", s.run.start)
            for sid, status in p.ledger:
                if status is None:
                    state.forget(sink.name, sid)
                elif status == "active":  # the sink already holds it as wanted
                    s = by_id[sid]
                    state.record(sink.name, sid, s.fingerprint, "active", s.run.start)
                else:
                    state.set_status(sink.name, sid, status)

