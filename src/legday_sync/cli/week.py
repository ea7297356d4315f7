"""`legday-sync week` (the week in the terminal) and `legday-sync init` (a guided start)."""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import LegdayError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from ..views.week import Day, Week

EXIT_OK, EXIT_SOURCE, EXIT_USAGE = 0, 1, 2
GOALS = ("strength", "balanced", "running")
URL = re.compile(r"^(https?|webcal)://", re.I)


class InitError(LegdayError):
    """`init` cannot go on; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def register(sub: argparse._SubParsersAction) -> None:
    w = sub.add_parser("week", help="the coming week as a compact timeline (a dry run)")
    w.add_argument("--days", type=_days, default=7, metavar="N",
                   help="how many days to show, 1–14 (default 7)")
    w.add_argument("--now", metavar="ISO8601", help="pin the clock (e.g. 2026-11-23T06:00+01:00)")
    w.set_defaults(func=cmd_week)

    i = sub.add_parser("init", help="write a commented config (asks, or takes flags)")
    i.add_argument("--timezone", metavar="TZ", help="IANA zone, e.g. Europe/Berlin "
                   "(default: this machine's)")
    i.add_argument("--goal", choices=GOALS, help="what you train for (default balanced)")
    i.add_argument("--ics", action="append", default=[], metavar="PATH_OR_URL",
                   help="an .ics file or URL to read (repeat for more)")
    i.add_argument("--google", action="append", default=[], metavar="CALENDAR_ID",
                   help="a Google calendar to read, e.g. primary (repeat for more)")
    i.add_argument("--path", metavar="FILE", help="where to write (default: --config, else "
                   "./legday-sync.toml if it exists, else the user config dir)")
    i.add_argument("--force", action="store_true", help="replace an existing file")
    i.add_argument("--yes", "-y", action="store_true",
                   help="ask nothing: use the flags, the detected timezone and defaults")
    i.set_defaults(func=cmd_init)


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


def cmd_week(args: argparse.Namespace) -> int:
    from ..service import sync_once
    from ..views.week import build_week
    from .main import _console, load_settings, parse_now

    settings = load_settings(args)
    now = parse_now(args.now, settings.tz)
    report = sync_once(settings, now, dry_run=True)
    week = build_week(report, now, settings.tz, args.days)
    print_week(week, _console())
    return EXIT_OK if report.ok else EXIT_SOURCE


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


def print_week(week: Week, console: Console) -> None:
    """One line per day: a 24-hour bar, then the day's workouts; conflicts and suggestions
    below, indented. Intensity is a letter and a word, never colour alone."""
    from rich.text import Text

    from ..views.week import day_name, hm, hours_text, span_text, when

    tzname = getattr(week.tz, "key", str(week.tz))
    n_conf = sum(c.severity == "conflict" for c in week.conflicts)
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
            details.append("—", "dim")
        for c in day.conflicts:
            details.append("\n")
            if c.severity == "conflict" and c.recovery_end is not None:
                details.append("! CONFLICT:", "bold red")
                details.append(f" {c.run.title} starts {hours_text(c.gap_hours)} after "
                               f"{c.leg_day.title}; a {c.run.intensity} run needs "
                               f"{hours_text(c.window_hours or 0)} (recovery until "
                               f"{when(c.recovery_end)})")
            else:
                details.append("i ORDER:", "bold yellow")
                details.append(f" {c.run.title} and {c.leg_day.title} are in the order "
                               f"your goal advises against")
            for s in c.suggestions:
                details.append("\n  → ")
                details.append("instead" if s.kind == "instead" else "move", "bold green")
                at = hm(s.start) if s.start.date() == day.date else when(s.start)
                details.append(f" {at}–{hm(s.end)}: {s.title}")
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
    for src, msg in week.errors:
        console.print(Text(f"error: {src}: {msg}", "bold red"))


# -- init ----------------------------------------------------------------------------------
@dataclass
class Answers:
    timezone: str
    goal: str
    ics: list[str]
    google: list[str]


def cmd_init(args: argparse.Namespace) -> int:
    from .main import _console

    console = _console()
    target = _target(args)
    if target.exists() and not args.force:
        print(f"error: {target} already exists; nothing was changed. Pass --force to replace "
              f"it, or --path FILE to write elsewhere.", file=sys.stderr)
        return EXIT_USAGE
    interactive = not args.yes and sys.stdin.isatty()
    try:
        answers = _ask(args, console) if interactive else _from_flags(args)
        text = render_config(answers)
        write_config(target, text)
    except InitError as e:
        print(f"error: {e.message}", file=sys.stderr)
        return EXIT_USAGE
    console.print(f"[green]✓[/green] wrote {target} (timezone {answers.timezone}, goal "
                  f"{answers.goal}, {len(answers.ics) + len(answers.google)} source(s))")
    flag = "" if target == _default_target() else f" --config {_quote(str(target))}"
    console.print("Next:")
    if answers.google:
        console.print(f"  legday-sync{flag} auth            # allow reading your Google calendars")
    console.print(f"  legday-sync{flag} sync --dry-run  # see the conflicts, write nothing")
    console.print(f"  legday-sync{flag} week            # the coming week at a glance")
    console.print(f"  legday-sync{flag} daemon          # keep syncing; serves the feed and "
                  f"the status page")
    return EXIT_OK


def _quote(s: str) -> str:
    import shlex

    return shlex.quote(s)


def _default_target() -> Path:
    from ..config import find_config

    return find_config(None)


def _target(args: argparse.Namespace) -> Path:
    if args.path:
        return Path(args.path).expanduser()
    if getattr(args, "config", None):
        return Path(args.config).expanduser()
    return _default_target()


def _check_tz(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from ..config import _tz_guess

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        guess = _tz_guess(name)
        hint = f" — did you mean {guess!r}?" if guess else " — use a name like Europe/Berlin"
        raise InitError(f"unknown timezone {name!r}{hint}") from None
    return name


def _check_ics(value: str) -> str:
    """A URL as given; a path made absolute (the config may live elsewhere) and checked."""
    if URL.match(value):
        return value
    p = Path(value).expanduser()
    if not p.is_file():
        raise InitError(f"calendar file not found: {value}")
    return str(p.resolve())


def _from_flags(args: argparse.Namespace) -> Answers:
    from ..config import local_timezone

    return Answers(timezone=_check_tz(args.timezone or local_timezone().key),
                   goal=args.goal or "balanced",
                   ics=[_check_ics(v) for v in args.ics],
                   google=[g.strip() for g in args.google if g.strip()])


def _ask(args: argparse.Namespace, console: Console) -> Answers:
    from rich.prompt import Prompt

    from ..config import local_timezone

    console.print("[bold]legday-sync setup[/bold] — press Enter to take the value in brackets.")
    tz = args.timezone
    while tz is None:
        answer = Prompt.ask("Your timezone", default=local_timezone().key, console=console)
        try:
            tz = _check_tz(answer.strip())
        except InitError as e:
            console.print(f"[red]{e.message}[/red]")
    _check_tz(tz)
    goal = args.goal or Prompt.ask(
        "Your goal (strength: build muscle; balanced; running: run performance)",
        choices=list(GOALS), default="balanced", console=console)
    ics = [_check_ics(v) for v in args.ics]
    google = list(args.google)
    if not ics and not google:
        console.print("Calendars to read: an .ics file or URL (blank line to finish).")
        while True:
            v = Prompt.ask("  .ics path or URL", default="", show_default=False,
                           console=console).strip()
            if not v:
                break
            try:
                ics.append(_check_ics(v))
            except InitError as e:
                console.print(f"[red]{e.message}[/red]")
        v = Prompt.ask("Google calendar id to read (e.g. primary; blank for none)", default="",
                       show_default=False, console=console).strip()
        if v:
            google.append(v)
    return Answers(timezone=tz, goal=goal, ics=ics, google=google)


def _s(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    import json

    return json.dumps(value, ensure_ascii=False)


def _names(answers: Answers) -> list[str]:
    used: set[str] = set()
    out = []
    for v in [*answers.ics, *answers.google]:
        if v in answers.google and v not in answers.ics:
            base = "google" if v == "primary" else f"google-{v.split('@')[0]}"
        elif URL.match(v):
            base = re.sub(r"^www\.", "", re.sub(r"^[a-z]+://", "", v, flags=re.I).split("/")[0])
            base = base.split("@")[-1].split(":")[0] or "calendar"
        else:
            base = Path(v).stem or "calendar"
        base = re.sub(r"[^\w.-]+", "-", base).strip("-") or "calendar"
        name, n = base, 2
        while name in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name)
        out.append(name)
    return out


def render_config(answers: Answers) -> str:
    """The commented TOML `init` writes."""
    names = _names(answers)
    lines = [
        "# legday-sync configuration, written by `legday-sync init`.",
        "# Relative paths start at this file's folder. Check it with `legday-sync check`;",
        "# see the active rules with `legday-sync rules`.",
        "",
        "# Times in your calendars are shown and judged in this zone (IANA name).",
        f"timezone = {_s(answers.timezone)}",
        "",
        "# What you train for; it sets how long a run waits after leg day:",
        "#   strength — building muscle: no run within 6 h, moderate/hard runs wait 48 h",
        "#   balanced — moderate runs wait 24 h, hard runs (tempo, intervals, race) 48 h",
        "#   running  — easy and moderate runs are fine after leg day; hard runs wait 48 h",
        "# After a heavy leg day (heavy, max, 1RM, PR) the moderate/hard waits are 24 h longer.",
        f"goal = {_s(answers.goal)}",
        "",
        "# How far back and ahead to look, in days.",
        "[window]",
        "past_days = 7",
        "future_days = 21",
        "",
        "# When a moved run may go (your local time), and how many days ahead to look for a slot.",
        "[schedule]",
        'training_hours = ["06:00-09:00", "17:00-20:00"]',
        "horizon_days = 7",
        "",
        "# The numbers behind the rules (hours); uncomment to change them.",
        "# [rules]",
        "# recovery_hours = 48      # before a hard run (and moderate, for strength)",
        "# moderate_hours = 24      # before a moderate run (balanced)",
        "# same_day_gap_hours = 6   # before an easy run (strength)",
        "# heavy_extra_hours = 24   # added after a heavy leg day",
        "",
        "# Your own words for workouts, added to the built-in ones; uncomment to use.",
        "# [classify]",
        '# leg_day = ["beinttag"]',
        '# hard = ["vo2"]',
        '# ignore = ["run club admin"]',
        "",
        "# The calendars to read. Add one [[source]] block per calendar:",
        '#   type = "ics" with path = "…" (a file) or url = "https://…" (a subscription)',
        '#   type = "google" with calendar_id = "primary" (run `legday-sync auth` first)',
    ]
    if not names:
        lines += [
            "# [[source]]",
            '# name = "training"',
            '# type = "ics"',
            '# path = "training.ics"',
        ]
    for name, v in zip(names, [*answers.ics, *answers.google], strict=True):
        lines += ["", "[[source]]", f"name = {_s(name)}"]
        if v in answers.ics:
            key = "url" if URL.match(v) else "path"
            lines += ['type = "ics"', f"{key} = {_s(v)}"]
        else:
            lines += ['type = "google"', f"calendar_id = {_s(v)}"]
    lines += [
        "",
        "# Where suggestions are written. The .ics file is also served as a feed that any",
        "# calendar app can subscribe to (`legday-sync feed-url` prints its address).",
        "# Default: suggestions.ics in the state folder.",
        "# [output.ics]",
        '# path = "suggestions.ics"',
    ]
    if answers.google:
        lines += [
            "",
            "# A Google calendar of its own for the suggestions (created on first sync).",
            "[output.google]",
            'calendar = "Legday suggestions"',
            "",
            "# The OAuth client for Google (Desktop app JSON from Google Cloud console).",
            "# [google]",
            '# client_secrets = "client_secret.json"',
        ]
    lines += [
        "",
        "# The feed and status-page server (`legday-sync daemon` or `serve`).",
        "[feed]",
        'listen = "127.0.0.1:8765"',
        "",
        "# How often the daemon syncs.",
        "[daemon]",
        "interval_minutes = 15",
        "",
        "# Where the tool keeps its state (cache, tokens). Default: the user state folder.",
        "# [state]",
        '# dir = ".state"',
        "",
    ]
    return "\n".join(lines)


def write_config(target: Path, text: str) -> None:
    """Validate ``text`` as a config, then put it at ``target`` atomically."""
    from ..config import load
    from ..errors import ConfigError

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            load(Path(tmp))
        except ConfigError as e:
            problems = "; ".join(f"{p.key}: {p.message}" for p in e.problems)
            raise InitError(f"the config would not be valid ({problems})") from None
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
