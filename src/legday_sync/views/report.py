"""A sync Report as the JSON of DESIGN §4, and as tables for people."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from ..core.model import Action, Conflict, Suggestion, Window, Workout
from ..core.rules import Profile

if TYPE_CHECKING:  # rich costs ~50 ms to import: only the table output needs it
    from rich.console import Console


@dataclass
class SourceProblem:
    source: str
    message: str
    fix: str = ""
    #: seconds the service asked us to leave it alone (a usage limit); 0: retry as usual
    retry_after: float = 0.0


@dataclass
class Report:
    """What one sync found and did: the core's decision plus the shell's actions and errors."""

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
    #: events the sources read, workouts or not (0 workouts of many events is not "all clear")
    events_read: int = 0
    #: events in the window but not one recognised workout: never print "all clear"
    recognised_nothing: bool = False
    #: every source's name, and where the sinks put the suggestions (in words)
    sources: list[str] = field(default_factory=list)
    destinations: list[str] = field(default_factory=list)
    #: ids of suggestions the user dismissed: in no sink while their conflict stands
    dismissed: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def failed_sources(self) -> list[str]:
        """Sources that could not be read (sink failures are in ``errors`` too)."""
        return [e.source for e in self.errors if e.source in self.sources]


#: how many characters of a suggestion id the tables show (`dismiss` takes any unique prefix)
ID_SHOWN = 8


def iso(t: datetime, tz: tzinfo) -> str:
    return t.astimezone(tz).isoformat()


def _event(w: Workout, tz: tzinfo) -> dict[str, Any]:
    e = w.event
    return {"source": e.source, "uid": e.uid, "start": iso(e.start, tz), "end": iso(e.end, tz),
            "title": e.title}


def to_json(report: Report, tz: tzinfo) -> dict[str, Any]:
    """The object `sync --json` prints; its keys are a contract (DESIGN §4)."""
    return {
        "dry_run": report.dry_run,
        "now": iso(report.now, tz),
        "window": {"start": iso(report.window.start, tz), "end": iso(report.window.end, tz)},
        "workouts": [{**_event(w, tz), "kind": w.kind, "intensity": w.intensity,
                      "race": w.race, "long": w.long, "all_day": w.event.all_day}
                     for w in report.workouts],
        "conflicts": [{
            "id": c.id, "rule": c.rule, "severity": c.severity, "gap_hours": c.gap_hours,
            "explanation": c.explanation, "leg_day": _event(c.leg_day, tz),
            "run": _event(c.run, tz)} for c in report.conflicts],
        "suggestions": [{
            "id": s.id, "conflict_id": s.conflict_id, "kind": s.kind, "activity": s.activity,
            "start": iso(s.start, tz), "end": iso(s.end, tz), "title": s.title,
            "description": s.description, "dismissed": s.id in report.dismissed,
            "target": s.target, "all_day": s.all_day}
            for s in report.suggestions],
        "actions": [{"op": a.op, "target": a.target, "suggestion_id": a.suggestion_id}
                    for a in report.actions],
        "errors": [{"source": e.source, "message": e.message} for e in report.errors],
        "warnings": list(report.warnings),
        "notes": list(report.notes),
    }


def _when(t: datetime, tz: tzinfo) -> str:
    return t.astimezone(tz).strftime("%a %d %b %H:%M")


def _window(c: Conflict) -> str:
    return f"{c.window_hours:g} h" if c.window_hours is not None else "order"


def not_judged(report: Report) -> str | None:
    """What a failed source leaves unjudged, in words, or None when every source was read."""
    failed = report.failed_sources
    if not failed:
        return None
    names = ", ".join(failed)
    return (f"Not judged: the events of {names}. Leg days and runs there are unknown, so "
            f"conflicts with them can't be seen; suggestions already written were kept as "
            f"they are until {'it reads' if len(failed) == 1 else 'they read'} again.")


def print_report(report: Report, console: Console, tz: tzinfo) -> None:
    """Tables for people. Calendar text is escaped: a title like "[/]" prints as written."""
    from rich.markup import escape as esc
    from rich.table import Table

    # a failure leads: nothing below may read as "all is well" while a calendar is unread
    for e in report.errors:
        fix = f" — {e.fix}" if e.fix else ""
        console.print(f"[red]error:[/red] {esc(f'{e.source}: {e.message}{fix}')}")
    gap = not_judged(report)
    if gap:
        console.print(f"[bold red]{esc(gap)}[/bold red]")
    runs = sum(w.kind == "run" for w in report.workouts)
    legs = len(report.workouts) - runs
    if report.dry_run:
        head = "Dry run — nothing written."
    else:
        head = "Synced." if report.ok else "Synced with errors (above)."
    read = "the calendars read" if gap else "your calendars"
    console.print(f"[bold]{head}[/bold] {legs} leg day(s), {runs} run(s) in {read} between "
                  f"{_when(report.window.start, tz)} and {_when(report.window.end, tz)} "
                  f"(now {_when(report.now, tz)}).")
    if report.conflicts:
        t = Table(title="Conflicts", title_justify="left", show_lines=False)
        for col in ("leg day", "run", "gap", "window"):
            t.add_column(col)
        t.add_column("rule", no_wrap=True)
        for c in report.conflicts:
            style = "red" if c.severity == "conflict" else "yellow"
            t.add_row(f"{esc(c.leg_day.event.title)}\n{_when(c.leg_day.start, tz)}",
                      f"{esc(c.run.event.title)} ({c.run.intensity})\n{_when(c.run.start, tz)}",
                      f"{c.gap_hours:g} h", _window(c), f"[{style}]{c.rule}[/{style}]")
        console.print(t)
    elif report.recognised_nothing:
        console.print("[bold yellow]Nothing checked: no event in the window was recognised as a "
                      "leg day or a run.[/bold yellow] Run `legday-sync events` to see how each "
                      "was read, and add your words under \\[classify] in the config.")
    elif gap:
        console.print("[yellow]No conflicts among the calendars that could be read — the "
                      "failed ones were not judged.[/yellow]")
    else:
        console.print("[green]No conflicts: every run is clear of leg-day recovery.[/green]")
    if report.suggestions:
        t = Table(title="Suggestions", title_justify="left")
        for col in ("id", "when", "suggestion", "kind"):
            t.add_column(col, no_wrap=col == "id")
        for s in report.suggestions:
            title = (f"[dim]{esc(s.title)} (dismissed)[/dim]" if s.id in report.dismissed
                     else esc(s.title))
            when = (f"{s.start.astimezone(tz):%a %d %b} (all day)" if s.all_day
                    else f"{_when(s.start, tz)}–{s.end.astimezone(tz):%H:%M}")
            t.add_row(s.id[:ID_SHOWN], when, title, s.kind)
        console.print(t)
        console.print("[dim]Not for you? `legday-sync dismiss ID` (the first characters of "
                      "the id are enough) keeps a suggestion out of every calendar.[/dim]")
    titles = {s.id: s.title for s in report.suggestions}
    if report.actions:
        verb = "Planned actions" if report.dry_run else "Actions"
        t = Table(title=verb, title_justify="left")
        for col in ("op", "target", "suggestion", "why"):
            t.add_column(col)
        for a in report.actions:
            t.add_row(a.op, esc(a.target), esc(titles.get(a.suggestion_id, a.suggestion_id[:12])),
                      esc(a.reason))
        console.print(t)
    else:
        console.print("Nothing to write: the calendars already hold these suggestions.")
    for n in report.notes:
        console.print(f"[dim]note:[/dim] {esc(n)}")
    for w in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {esc(w)}")
    if report.destinations:
        verb = "Would write to" if report.dry_run else "Suggestions are in"
        console.print(f"{verb}: {esc('; '.join(report.destinations))}.")
    if report.errors:
        console.print(f"[red]{len(report.errors)} error(s): see the top of this report.[/red]")
