"""`legday-sync rules`: the rules and windows in force, explained with their sources."""

from __future__ import annotations

from datetime import UTC

from rich.console import Console
from rich.table import Table

from ..config import Settings
from ..core import vocabulary
from ..core.model import Event, Workout
from ..core.rules import EVIDENCE, GUIDANCE, SAME_DAY_ORDER, Profile


def _probe(profile: Profile, leg: str, run: str) -> float | None:
    from datetime import datetime

    t = datetime(2000, 1, 1, tzinfo=UTC)
    e = Event("", "", t, t, "")
    return profile.window_hours(Workout(e, "leg_day", leg), Workout(e, "run", run))  # type: ignore[arg-type]


def print_rules(settings: Settings, console: Console) -> None:
    profile = settings.judge_settings().profile
    console.print(f"[bold]Goal:[/bold] {profile.goal}  ·  [bold]timezone:[/bold] "
                  f"{settings.tz.key}  ·  training hours "
                  f"{', '.join(map(str, settings.schedule.ranges))}, moves within "
                  f"{settings.schedule.horizon_days} day(s)")
    t = Table(title="run-within-recovery (conflict): no run in the window after a leg day ends",
              title_justify="left")
    t.add_column("leg day")
    for run in ("easy", "moderate", "hard"):
        t.add_column(f"{run} run", justify="right")
    for leg in ("normal", "heavy"):
        cells = []
        for run in ("easy", "moderate", "hard"):
            w = _probe(profile, leg, run)
            cells.append("fine" if w is None else f"{w:g} h")
        t.add_row(leg, *cells)
    console.print(t)
    console.print(f"Why: {GUIDANCE[profile.goal]}.", soft_wrap=True)
    console.print(f"Evidence: {EVIDENCE['doma2019']}; {EVIDENCE['wilson2012']}.", soft_wrap=True)
    order = {"strength": "prefers the run first and the leg workout second",
             "running": "prefers the leg workout first and the run second",
             "balanced": "has no preference"}[profile.goal]
    console.print(f"\n[bold]{SAME_DAY_ORDER}[/bold] (info, never written): for a run and a leg "
                  f"day on one day, goal {profile.goal} {order}. {EVIDENCE['doma2013']}.",
                  soft_wrap=True)
    c = settings.classify
    langs = c.languages or vocabulary.shipped_languages()
    console.print(f"\n[bold]Keywords[/bold] in {', '.join(langs)} (case- and accent-insensitive "
                  f"whole words, from the vocabulary files; config \\[classify] extends them; "
                  f"`legday-sync events` shows how each event was read):", soft_wrap=True)
    for label, cat, extra in (("leg day", "leg_day", c.leg_day), ("run", "run", c.run),
                              ("easy", "easy", c.easy), ("hard", "hard", c.hard),
                              ("heavy", "heavy", c.heavy), ("ignored phrases", "ignore", c.ignore)):
        words: list[str] = []
        for code in langs:
            words += [w for w in vocabulary.load(code).words.get(cat, ())[:6] if w not in words]
        shown = ", ".join((*words, *extra))
        console.print(f"  {label}: {shown}, …", soft_wrap=True, markup=False)
