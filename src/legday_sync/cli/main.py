"""The `legday-sync` command: the one place errors become messages and exit codes.

Exit codes: 0 ok, 1 a source (or sink) failed, 2 bad config or usage, 3 another
legday-sync holds the lock, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .. import __version__
from ..errors import AuthError, ConfigError, LegdayError, LockBusy, SinkError, SourceError

EXIT_OK, EXIT_SOURCE, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3
log = logging.getLogger("legday_sync")


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def parse_now(text: str | None, tz: ZoneInfo) -> datetime:
    if not text:
        return datetime.now(tz)
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--now {text!r} is not ISO 8601 (e.g. 2026-11-24T07:00:00+01:00)") from None
    return t if t.tzinfo is not None else t.replace(tzinfo=tz)


def load_settings(args: argparse.Namespace):
    from ..config import find_config, load

    return load(find_config(args.config))


# -- commands ---------------------------------------------------------------------
def cmd_sync(args: argparse.Namespace) -> int:
    from ..adapters.lock import sync_lock
    from ..service import sync_once
    from ..views.report import print_report, to_json

    settings = load_settings(args)
    now = parse_now(args.now, settings.tz)
    if args.dry_run:
        report = sync_once(settings, now, dry_run=True)
    else:
        with sync_lock(settings.state_dir, wait=args.wait):
            report = sync_once(settings, now)
    if args.json:
        print(json.dumps(to_json(report, settings.tz), ensure_ascii=False, indent=2))
    else:
        print_report(report, _console(), settings.tz)
    return EXIT_OK if report.ok else EXIT_SOURCE


def cmd_rules(args: argparse.Namespace) -> int:
    from ..views.explain import print_rules

    settings = load_settings(args)
    print_rules(settings, _console())
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from ..adapters.state import State
    from ..service import build_sources

    settings = load_settings(args)
    console = _console()
    console.print(f"[green]✓[/green] config {settings.config_path} is valid "
                  f"(goal {settings.goal}, timezone {settings.tz.key})")
    now = parse_now(None, settings.tz)
    window = settings.judge_settings().fetch_window(now)
    failed = 0
    state = State(settings.state_dir, readonly=True)
    try:
        for src in build_sources(settings, state, readonly=True):
            try:
                result = src.fetch(window)
            except SourceError as e:
                failed += 1
                console.print(f"[red]✗[/red] {e.source}: {e.message}"
                              + (f" — {e.fix}" if e.fix else ""))
                continue
            console.print(f"[green]✓[/green] {src.name}: {len(result.events)} event(s) in "
                          f"the window" + (f", {len(result.warnings)} warning(s)"
                                           if result.warnings else ""))
            for w in result.warnings:
                console.print(f"    [yellow]warning:[/yellow] {w}")
    finally:
        state.close()
    failed += _check_caldav(settings, console)
    if not settings.source:
        console.print("[yellow]no [[source]] configured: add a calendar to read[/yellow]")
    return EXIT_SOURCE if failed else EXIT_OK


def _check_caldav(settings: Any, console: Any) -> int:
    """CalDAV accounts: login, discovery, the calendars they show. Returns the failures."""
    if not any(s.type == "caldav" for s in settings.source) and settings.output.caldav is None:
        return 0
    from rich.markup import escape

    from ..adapters.caldav.check import check_accounts

    failed = 0
    for c in check_accounts(settings):
        failed += not c.ok
        mark = "[green]✓[/green]" if c.ok else "[red]✗[/red]"
        console.print(f"{mark} CalDAV {escape(c.account)}: {escape(c.lines[0])}")
        for line in c.lines[1:]:
            console.print(f"    {line}", markup=False)
    return failed


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "sync": cmd_sync,
    "rules": cmd_rules,
    "check": cmd_check,
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="legday-sync",
        description="Find runs scheduled too soon after leg day and suggest what to do instead.")
    p.add_argument("--version", action="version", version=f"legday-sync {__version__}")
    p.add_argument("--config", metavar="PATH",
                   help="config file (default: $LEGDAY_SYNC_CONFIG, ./legday-sync.toml, "
                        "then the user config dir)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    s = sub.add_parser("sync", help="one pass: read calendars, judge, write suggestions")
    s.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    s.add_argument("--json", action="store_true", help="print the result as one JSON object")
    s.add_argument("--now", metavar="ISO8601", help="pin the clock (e.g. 2026-11-24T07:00+01:00)")
    s.add_argument("--wait", type=float, default=10.0, metavar="SECONDS",
                   help="how long to wait for another running legday-sync (default 10)")
    sub.add_parser("rules", help="the active rules and windows, explained")
    sub.add_parser("check", help="validate the config and try every source")
    for register in _extensions():
        register(sub)
    return p


def _extensions() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Commands that live beside their subsystem (Google, daemon, feed, week, init)."""
    from . import commands

    return commands.REGISTER


def error_message(e: BaseException) -> tuple[str, int]:
    """Every expected error as words with a fix, and its exit code."""
    if isinstance(e, ConfigError):
        lines = [f"error: bad config {e.path}:"]
        for p in e.problems:
            key = f"{p.key}: " if p.key else ""
            fix = f" — {p.fix}" if p.fix else ""
            lines.append(f"  {key}{p.message}{fix}")
        return "\n".join(lines), EXIT_USAGE
    if isinstance(e, LockBusy):
        return (f"error: another legday-sync is running (lock {e.path}"
                f"{', held by ' + e.holder if e.holder else ''}); try again when it is done, "
                f"or pass --wait SECONDS"), EXIT_LOCKED
    if isinstance(e, AuthError):
        return f"error: {e.message} — {e.fix}", EXIT_SOURCE
    if isinstance(e, SourceError | SinkError):
        fix = f" — {e.fix}" if e.fix else ""
        return f"error: {e}{fix}", EXIT_SOURCE
    if isinstance(e, argparse.ArgumentTypeError):
        return f"error: {e}", EXIT_USAGE
    if isinstance(e, OSError):
        where = f" {e.filename}" if e.filename else ""
        return (f"error: can't use{where}: {e.strerror or e} — check that the path exists and "
                f"that you may write there (e.g. [state] dir, [output.ics] path)"), EXIT_SOURCE
    return f"error: {e}", EXIT_SOURCE


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from ..redact import install_log_redaction

    install_log_redaction()
    os.umask(0o077)  # state, tokens and caches are private; created that way, not chmod-ed later
    try:
        return COMMANDS[args.command](args) if args.command in COMMANDS else args.func(args)
    except (LegdayError, argparse.ArgumentTypeError, OSError) as e:
        msg, code = error_message(e)
        print(msg, file=sys.stderr)
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
