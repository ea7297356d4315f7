"""`legday-sync events`: every event in the window and how the classifier read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from ..core.classify import Reading
from ..core.model import Event, Window

if TYPE_CHECKING:  # rich costs ~50 ms to import: only the table needs it
    from rich.console import Console


@dataclass
class EventsReport:
    now: datetime
    window: Window
    #: (event, how it was read), in start order
    rows: list[tuple[Event, Reading]] = field(default_factory=list)
    #: (source, message, fix) of each source that could not be read
    errors: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _kind(r: Reading) -> str | None:
    kinds = {w.kind for w in r.workouts}
    return "both" if len(kinds) == 2 else next(iter(kinds), None)


def row_json(e: Event, r: Reading, tz: tzinfo) -> dict[str, Any]:
    """One entry of ``events[]``; the keys are documented in docs/classify.md."""
    leg, run = r.of_kind("leg_day"), r.of_kind("run")
    main = run or leg
    return {
        "source": e.source, "uid": e.uid,
        "start": e.start.astimezone(tz).isoformat(), "end": e.end.astimezone(tz).isoformat(),
        "title": e.title,
        "verdict": r.verdict,
        "kind": _kind(r),
        "intensity": main.intensity if main else None,
        "race": bool(run and run.race),
        "long": bool(run and run.long),
        "heavy": bool(leg and leg.intensity == "heavy"),
        "evidence": list(r.evidence),
    }


def to_json(report: EventsReport, tz: tzinfo) -> dict[str, Any]:
    return {
        "now": report.now.astimezone(tz).isoformat(),
        "window": {"start": report.window.start.astimezone(tz).isoformat(),
                   "end": report.window.end.astimezone(tz).isoformat()},
        "events": [row_json(e, r, tz) for e, r in report.rows],
        "errors": [{"source": s, "message": m} for s, m, _ in report.errors],
    }


def _read_as(r: Reading) -> str:
    parts = []
    for w in r.workouts:
        if w.kind == "leg_day":
            parts.append("leg day" + (" (heavy)" if w.intensity == "heavy" else ""))
        else:
            flags = [w.intensity] + (["race"] if w.race else []) + (["long"] if w.long else [])
            parts.append(f"run ({', '.join(flags)})")
    return " + ".join(parts) or "not a workout"


def print_events(report: EventsReport, console: Console, tz: tzinfo) -> None:
    from rich.markup import escape
    from rich.table import Table

    legs = sum(r.of_kind("leg_day") is not None for _, r in report.rows)
    runs = sum(r.of_kind("run") is not None for _, r in report.rows)
    none = sum(not r.workouts for _, r in report.rows)
    fmt = "%a %d %b %H:%M"
    console.print(f"[bold]{len(report.rows)} event(s)[/bold] between "
                  f"{report.window.start.astimezone(tz).strftime(fmt)} and "
                  f"{report.window.end.astimezone(tz).strftime(fmt)}: {legs} leg day(s), "
                  f"{runs} run(s), {none} not a workout.")
    if report.rows:
        t = Table(show_lines=True)
        for col in ("when", "title", "read as", "why"):
            t.add_column(col, overflow="fold")
        for e, r in report.rows:
            style = "" if r.workouts else "dim"
            t.add_row(f"{e.start.astimezone(tz).strftime(fmt)}\n{escape(e.source)}",
                      escape(e.title),
                      f"[{style}]{_read_as(r)}[/{style}]" if style else _read_as(r),
                      escape("\n".join(r.evidence)))
        console.print(t)
    if report.rows and not (legs or runs):
        console.print("[bold yellow]No event was recognised as a workout.[/bold yellow] If some "
                      "are, add their words to \\[classify] in the config (leg_day, run, easy, "
                      "hard, heavy) or check \\[classify] languages; docs/classify.md explains.")
    for source, message, fix in report.errors:
        console.print(f"[red]error:[/red] {escape(source)}: {escape(message)}"
                      + (f" — {escape(fix)}" if fix else ""))
