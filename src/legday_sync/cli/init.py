"""`legday-sync init`: write a commented config, asking or taking flags."""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EXIT_OK, UsageError
from .common import command, console, examples

if TYPE_CHECKING:
    from rich.console import Console

#: config.Goal's values, for argparse without importing pydantic (a test holds them equal)
GOALS = ("strength", "balanced", "running")
URL = re.compile(r"^(https?|webcal)://", re.I)


def register(sub: argparse._SubParsersAction) -> None:
    i = command(
        sub, "init", summary="write a commented config (asks, or takes flags)",
        description="Write a commented legday-sync.toml: your timezone, your goal and the "
                    "calendars to read. On a terminal it asks; with --yes (or no terminal) it "
                    "takes the flags and defaults. It never replaces a file without --force, "
                    "and it checks the config before writing it.",
        example=examples(("legday-sync init", "answer a few questions"),
                         ("legday-sync init --yes --ics ~/training.ics --goal running",
                          "no questions"),
                         ("legday-sync init --google primary --path ~/legday.toml",
                          "read Google, write elsewhere")))
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
    i.set_defaults(func=run)


@dataclass
class Answers:
    timezone: str
    goal: str
    ics: list[str]
    google: list[str]


def run(args: argparse.Namespace) -> int:
    from rich.markup import escape

    out = console(args)
    target = _target(args)
    if target.exists() and not args.force:
        raise UsageError(f"{target} already exists; nothing was changed",
                         "pass --force to replace it, or --path FILE to write elsewhere")
    interactive = not args.yes and sys.stdin.isatty()
    answers = _ask(args, out) if interactive else _from_flags(args)
    write_config(target, render_config(answers))
    out.print(f"[green]✓[/green] wrote {escape(str(target))} (timezone {answers.timezone}, "
              f"goal {answers.goal}, {len(answers.ics) + len(answers.google)} source(s))")
    flag = "" if target == _default_target() else escape(f" --config {_quote(str(target))}")
    out.print("Next:")
    if not answers.ics and not answers.google:
        out.print(f"  add a calendar to read: edit {target} (a [[source]] example is in it, "
                  f"commented out), or run init again with --ics PATH|URL or --google ID",
                  markup=False)
    if answers.google:
        out.print(f"  legday-sync{flag} auth            # allow reading your Google calendars")
    out.print(f"  legday-sync{flag} sync --dry-run  # see the conflicts, write nothing")
    out.print(f"  legday-sync{flag} week            # the coming week at a glance")
    out.print(f"  legday-sync{flag} daemon          # keep syncing; serves the feed and "
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


def _default_goal() -> str:
    from ..config import Settings

    return str(Settings.model_fields["goal"].default)


def _check_tz(name: str) -> str:
    from ..config import timezone_fix, timezone_problem

    problem = timezone_problem(name)
    if problem:
        raise UsageError(problem, timezone_fix(name))
    return name


def _check_ics(value: str) -> str:
    """A URL as given; a path made absolute (the config may live elsewhere) and checked."""
    if URL.match(value):
        return value
    p = Path(value).expanduser()
    if not p.is_file():
        raise UsageError(f"calendar file not found: {value}")
    return str(p.resolve())


def _from_flags(args: argparse.Namespace) -> Answers:
    from ..config import local_timezone

    return Answers(timezone=_check_tz(args.timezone or local_timezone().key),
                   goal=args.goal or _default_goal(),
                   ics=[_check_ics(v) for v in args.ics],
                   google=[g.strip() for g in args.google if g.strip()])


def _ask(args: argparse.Namespace, console: Console) -> Answers:
    from rich.markup import escape
    from rich.prompt import Prompt

    from ..config import local_timezone

    console.print("[bold]legday-sync setup[/bold] — press Enter to take the value in brackets.")
    tz = args.timezone
    while tz is None:
        answer = Prompt.ask("Your timezone", default=local_timezone().key, console=console)
        try:
            tz = _check_tz(answer.strip())
        except UsageError as e:
            console.print(f"[red]{escape(e.describe())}[/red]")
    _check_tz(tz)
    goal = args.goal or Prompt.ask(
        "Your goal (strength: build muscle; balanced; running: run performance)",
        choices=list(GOALS), default=_default_goal(), console=console)
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
            except UsageError as e:
                console.print(f"[red]{escape(e.describe())}[/red]")
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


def _v(value: object) -> str:
    """A default from config.py as a TOML value."""
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_v(v) for v in value) + "]"
    if isinstance(value, str):
        return _s(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def render_config(answers: Answers) -> str:
    """The commented TOML `init` writes; every value not asked for is config.py's default."""
    from ..config import DaemonSettings, FeedSettings, GoogleOutput, RuleSettings
    from ..config import ScheduleSettings as Sched
    from ..config import WindowSettings as Win

    names = _names(answers)
    r, f = RuleSettings(), FeedSettings()
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
        f"past_days = {_v(Win().past_days)}",
        f"future_days = {_v(Win().future_days)}",
        "",
        "# When a moved run may go (your local time), and how many days ahead to look for a slot.",
        "[schedule]",
        f"training_hours = {_v(Sched().training_hours)}",
        f"horizon_days = {_v(Sched().horizon_days)}",
        "",
        "# The numbers behind the rules (hours); uncomment to change them.",
        "# [rules]",
        f"# recovery_hours = {_v(r.recovery_hours)}  # before a hard run (and moderate, "
        "for strength)",
        f"# moderate_hours = {_v(r.moderate_hours)}  # before a moderate run (balanced)",
        f"# same_day_gap_hours = {_v(r.same_day_gap_hours)}  # before an easy run (strength)",
        f"# heavy_extra_hours = {_v(r.heavy_extra_hours)}  # added after a heavy leg day",
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
            f"calendar = {_v(GoogleOutput().calendar)}",
            "",
            "# The OAuth client for Google (Desktop app JSON from Google Cloud console).",
            "# [google]",
            '# client_secrets = "client_secret.json"',
        ]
    lines += [
        "",
        "# The feed and status-page server (`legday-sync daemon` or `serve`).",
        "[feed]",
        f"listen = {_v(f.listen)}",
        "",
        "# How often the daemon syncs.",
        "[daemon]",
        f"interval_minutes = {_v(DaemonSettings().interval_minutes)}",
        "",
        "# Where the tool keeps its state (cache, tokens). Default: the user state folder.",
        "# [state]",
        '# dir = ".state"',
        "",
    ]
    return "\n".join(lines)


def write_config(target: Path, text: str) -> None:
    """Validate ``text`` as a config, then put it at ``target`` atomically."""
    from ..adapters.files import private_tmp
    from ..config import load
    from ..errors import ConfigError

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = private_tmp(target, text.encode("utf-8"))
    try:
        try:
            load(tmp, require_sources=False)  # no source yet: a template to fill in
        except ConfigError as e:
            problems = "; ".join(f"{p.key}: {p.message}" for p in e.problems)
            raise UsageError(f"the config would not be valid ({problems})") from None
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
