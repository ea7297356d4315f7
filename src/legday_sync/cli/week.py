"""`legday-sync week`: the coming week as a compact timeline in the terminal (a dry run)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..errors import EXIT_FAILED, EXIT_OK
from .common import add_now, command, console, examples, load_settings, parse_now

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from ..views.week import Day, Week


def register(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub, "week", summary="the coming week as a compact timeline (a dry run)",
        description="One line per day: a 24-hour bar with your leg days and runs, the "
                    "recovery window after each leg day, and the suggested slots; conflicts "
                    "and suggestions below each day. Judges like `sync --dry-run`: writes "
                    "nothing.",
        example=examples(("legday-sync week", "the next 7 days"),
                         ("legday-sync week --days 14", "two weeks"),
                         ("legday-sync week --now 2026-11-23T06:00+01:00",
                          "the week from that time")))
    p.add_argument("--days", type=_days, default=7, metavar="N",
                   help="how many days to show, 1–14 (default 7)")
    add_now(p)
    p.set_defaults(func=run)


def _days(text: str) -> int:
    from ..views.week import MAX_DAYS, MIN_DAYS

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    if not MIN_DAYS <= n <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"--days must be {MIN_DAYS}–{MAX_DAYS}, not {n}")
    return n


# -- week ---------------------------------------------------------------------------------
CELLS = 24  # one cell an hour
MARK = {("leg_day", "normal"): "L", ("leg_day", "heavy"): "X", ("run", "easy"): "e",
        ("run", "moderate"): "m", ("run", "hard"): "H"}
STYLE = {("leg_day", "normal"): "bold blue", ("leg_day", "heavy"): "bold magenta",
         ("run", "easy"): "green", ("run", "moderate"): "yellow", ("run", "hard"): "bold red"}
LEGEND = ("L leg day  X heavy leg day  e easy run  m moderate run  H hard run  "
          "░ recovery window  + suggested slot  ! conflict")


def run(args: argparse.Namespace) -> int:
    from ..service import sync_once
    from ..views.week import build_week

    settings = load_settings(args)
    now = parse_now(args.now, settings.tz)
    report = sync_once(settings, now, dry_run=True)
    week = build_week(report, now, settings.tz, args.days)
    print_week(week, console(args))
    return EXIT_OK if report.ok else EXIT_FAILED


def _bar(day: Day) -> Text:
    from rich.text import Text

    cells: list[tuple[str, str]] = [("·", "dim")] * CELLS
    size = day.hours / CELLS

    def fill(start: float, end: float, ch: str, style: str) -> None:
        first = int(start / size)
        last = max(first, int((end - 1e-9) / size))
        for i in range(first, min(last, CELLS - 1) + 1):
            cells[i] = (ch, style)

    for p in day.recovery:
        fill(day.offset(p.start), day.offset(p.end), "░", "grey50")
    for p in day.suggestions:
        fill(day.offset(p.start), day.offset(p.end), "+", "bold green")
    for p in day.workouts:
        w = p.item
        key = (w.kind, w.intensity)
        style = STYLE.get(key, "")
        fill(day.offset(p.start), day.offset(p.end), MARK.get(key, "?"),
             style + (" reverse" if w.in_conflict else ""))
    bar = Text("▕")
    for ch, style in cells:
        bar.append(ch, style)
    bar.append("▏")
    return bar


def _details(day: Day, week: Week) -> Text:
    """The third column of a day's line: its workouts, then its conflicts and suggestions."""
    from rich.text import Text

    from ..views.report import ID_SHOWN
    from ..views.week import hm, hours_text, span_text, when

    details = Text()
    for p in day.workouts:
        w = p.item
        if details:
            details.append("\n")
        details.append(f"{span_text(w.start, w.end)} ")
        details.append(f"[{w.label.upper()}]", STYLE.get((w.kind, w.intensity), ""))
        details.append(f" {w.title}")
        if w.in_conflict:
            details.append(" !", "bold red")
    if not details:
        details.append("— (from the calendars read)" if week.not_judged else "—", "dim")
    for c in day.conflicts:
        details.append("\n")
        if c.severity == "conflict" and c.recovery_end is not None:
            details.append("! CONFLICT:", "bold red")
            details.append(f" {c.run.title} starts {hours_text(c.gap_hours)} after "
                           f"{c.leg_day.title}; a {c.run.intensity} run needs "
                           f"{hours_text(c.window_hours or 0)} (recovery until "
                           f"{when(c.recovery_end)})")
        elif c.rule == "same-day-order":
            details.append("i ORDER:", "bold yellow")
            details.append(f" {c.run.title} and {c.leg_day.title} are in the order "
                           f"your goal advises against")
        else:  # pre-race, or a run within the tolerance of its window's end
            details.append("i NOTE:", "bold yellow")
            details.append(f" {c.explanation}")
        for s in c.suggestions:
            details.append("\n  → ")
            details.append(s.verb.lower(), "bold green")
            at = "all day" if s.all_day else (
                f"{hm(s.start) if s.start.date() == day.date else when(s.start)}"
                f"–{hm(s.end)}")
            if s.all_day and s.start.date() != day.date:
                at = f"{when(s.start).rsplit(' ', 1)[0]} (all day)"
            details.append(f" {at}: {s.title}")
            details.append(f" [{s.id[:ID_SHOWN]}]", "dim")
            if s.dismissed:
                details.append(" (dismissed)", "dim")
    return details


def print_week(week: Week, console: Console) -> None:
    """One line per day: a 24-hour bar, then the day's workouts; conflicts and suggestions
    below, indented. Intensity is a letter and a word, never colour alone."""
    from rich.text import Text

    from ..views.week import day_name, when

    tzname = getattr(week.tz, "key", str(week.tz))
    n_conf = sum(c.severity == "conflict" for c in week.conflicts)
    # a failure leads: empty days below mean "nothing read", not "nothing planned"
    for src, msg in week.errors:
        console.print(Text(f"error: {src}: {msg}", "bold red"))
    if week.not_judged:
        console.print(Text(week.not_judged, "bold red"))
    head = Text()
    head.append(f"{day_name(week.start)} – {day_name(week.days[-1].date)}", "bold")
    head.append(f" · goal {week.goal or 'balanced'} · {tzname} · now {when(week.now)} · ")
    if week.recognised_nothing:
        head.append("no workout recognised: nothing checked (see `legday-sync events`)",
                    "bold yellow")
    else:
        head.append(f"{n_conf} conflict(s)", "bold red" if n_conf else "green")
    head.append(f", {len(week.suggestions)} suggestion(s)")
    console.print(head)
    console.print(Text(LEGEND, "dim"))
    from rich.table import Table

    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("", Text(" 0     6     12    18    24", "dim"), "")
    for day in week.days:
        details = _details(day, week)
        label = Text(day_name(day.date), "bold" if day.date == week.now.date() else "")
        grid.add_row(label, _bar(day), details)
    console.print(grid)
    shown = {c.id for d in week.days for c in d.conflicts}
    later = [c for c in week.conflicts if c.id not in shown]
    if later:
        console.print(Text(f"{len(later)} more conflict(s) start after "
                           f"{day_name(week.days[-1].date)}: try --days 14.", "dim"))
    for n in week.notes:
        console.print(Text(f"note: {n}", "dim"))
    for w in week.warnings:
        console.print(Text(f"warning: {w}", "yellow"))
    if week.suggestions:
        console.print(Text("The [id] after a suggestion is for `legday-sync dismiss ID`, which "
                           "keeps it out of every calendar.", "dim"))
    if week.errors:
        console.print(Text(f"{len(week.errors)} error(s): see the top.", "bold red"))

