"""sync_once(): fetch -> classify -> rules -> suggest -> plan -> apply.

The only place that wires the shell (sources, sinks, state) to the core. With
``dry_run`` the plan is computed exactly as for a real run and then not
applied: no sink is written and the state is opened read-only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from .adapters.state import State
from .config import Settings
from .core.classify import Classifier, classify_all, without_duplicates
from .core.model import Action, Conflict, Event, Suggestion, Window, Workout
from .core.plan import Plan, plan, settled
from .core.ports import Sink, Source
from .core.rules import Profile, find_conflicts
from .core.suggest import Schedule, suggest
from .errors import LegdayError, SourceError

log = logging.getLogger(__name__)

#: per source, in a sync's report: a file with thousands of broken events stays readable
MAX_WARNINGS = 50


@dataclass
class SourceProblem:
    source: str
    message: str
    fix: str = ""


@dataclass
class Report:
    dry_run: bool
    now: datetime
    window: Window
    workouts: list[Workout] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    errors: list[SourceProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: windows of the profile, for display
    profile: Profile | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def _problem(sink: str, e: LegdayError) -> SourceProblem:
    """A sink's failure as a report entry (SinkError and AuthError carry message and fix)."""
    return SourceProblem(sink, str(getattr(e, "message", e)), getattr(e, "fix", ""))


def profile_of(settings: Settings) -> Profile:
    r = settings.rules
    return Profile(goal=settings.goal, recovery_hours=r.recovery_hours,
                   moderate_hours=r.moderate_hours, same_day_gap_hours=r.same_day_gap_hours,
                   heavy_extra_hours=r.heavy_extra_hours, tz=settings.tz)


def classifier_of(settings: Settings) -> Classifier:
    c = settings.classify
    return Classifier(leg_day=c.leg_day, run=c.run, easy=c.easy, hard=c.hard, heavy=c.heavy,
                      ignore=c.ignore)


def window_of(settings: Settings, now: datetime) -> Window:
    return Window(now - timedelta(days=settings.window.past_days),
                  now + timedelta(days=settings.window.future_days))


def fetch_window(settings: Settings, window: Window, profile: Profile) -> Window:
    """What the sources must cover: leg days whose recovery reaches into the window, and
    the days after it where a moved run may land."""
    return Window(window.start - timedelta(hours=profile.max_window_hours + 24),
                  window.end + timedelta(days=settings.schedule.horizon_days + 1))


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
        else:
            from .adapters.google.source import GoogleSource  # imported only when used: it is heavy

            out.append(GoogleSource.from_settings(settings, s, state, readonly=readonly))
    return out


def build_sinks(settings: Settings, state: State) -> list[Sink]:
    from .adapters.ics.sink import IcsFileSink

    sinks: list[Sink] = [IcsFileSink(ics_output_path(settings), tz=settings.tz,
                                     calendar_name=settings.feed.name)]
    if settings.output.google is not None:
        from .adapters.google.sink import GoogleSink

        sinks.append(GoogleSink.from_settings(settings, state))
    return sinks


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
        return _sync(settings, now, dry_run, state, sources, sinks)
    finally:
        if own_state:
            state.close()


def _sync(settings: Settings, now: datetime, dry_run: bool, state: State,
          sources: Sequence[Source], sinks: Sequence[Sink]) -> Report:
    profile = profile_of(settings)
    window = window_of(settings, now)
    report = Report(dry_run=dry_run, now=now, window=window, profile=profile)
    wide = fetch_window(settings, window, profile)

    events: list[Event] = []
    extra_busy: list[Event] = []
    for src in sources:
        try:
            result = src.fetch(wide)
        except SourceError as e:
            report.errors.append(SourceProblem(e.source, e.message, e.fix))
            log.warning("source %s failed: %s", e.source, e.message)
            continue
        events.extend(result.events)
        report.warnings.extend(f"{src.name}: {w}" for w in result.warnings[:MAX_WARNINGS])
        if len(result.warnings) > MAX_WARNINGS:
            report.warnings.append(f"{src.name}: … and {len(result.warnings) - MAX_WARNINGS} "
                                   f"more warning(s) like these (`legday-sync check` lists all)")
        extra_busy.extend(Event(src.name, f"busy-{i}", s, e, "busy")  # type: ignore[arg-type]
                          for i, (s, e) in enumerate(result.busy))
    failed = {e.source for e in report.errors}

    workouts, copies = without_duplicates(classify_all(classifier_of(settings), events))
    if copies:
        report.notes.append(
            f"{len(copies)} workout(s) appear in more than one calendar and count once, e.g. "
            f"“{copies[0].event.title}” in “{copies[0].event.source}”")
    conflicts = find_conflicts(workouts, profile)
    report.workouts = [w for w in workouts if w.end > window.start and w.start < window.end]
    report.conflicts = [c for c in conflicts
                        if window.start <= c.run.start < window.end]
    schedule = Schedule(settings.schedule.ranges, settings.schedule.horizon_days)
    suggestions, notes = suggest(report.conflicts, workouts, events + extra_busy, profile,
                                 schedule, now)
    report.suggestions = suggestions
    report.notes.extend(notes)

    plans: list[tuple[Sink, Plan]] = []
    for sink in sinks:
        ledger = state.ledger(sink.name)
        if sink.user_editable and settled(suggestions, ledger, now):
            plans.append((sink, Plan()))  # nothing to write: spare the (remote) read
            continue
        try:
            held = sink.load()
        except LegdayError as e:
            report.errors.append(_problem(sink.name, e))
            continue
        p = plan(sink.name, suggestions, held, ledger,
                 user_editable=sink.user_editable, now=now, failed_sources=failed,
                 keep_since=window.start)
        plans.append((sink, p))
        report.actions.extend(p.actions)
        report.notes.extend(p.notes)

    if dry_run:
        return report
    by_id = {s.id: s for s in suggestions}
    for sink, p in plans:
        try:
            sink.apply(p.actions, now)
        except LegdayError as e:
            report.errors.append(_problem(sink.name, e))
            continue
        with state.transaction():
            for a in p.actions:
                if a.op == "delete":
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
    with state.transaction():
        state.prune(wide.start - timedelta(days=1))
        state.set_meta("last_sync", json.dumps({
            "time": now.isoformat(), "ok": report.ok,
            "sources": {s.name: ("error" if s.name in failed else "ok") for s in sources},
            "errors": [{"source": e.source, "message": e.message} for e in report.errors],
            "conflicts": len(report.conflicts), "suggestions": len(suggestions),
        }))
    return report
