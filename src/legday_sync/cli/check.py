"""`legday-sync check`: validate the config and try every source, changing nothing."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import EXIT_FAILED, EXIT_OK, SourceError
from .common import add_now, command, console, examples, load_settings, parse_now


def register(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub, "check", summary="validate the config and try every source",
        description="Check the config (every problem at once, by key) and read each source "
                    "once, saying how many events it holds in the window and what it warned "
                    "about; log in to each CalDAV account and list the calendars it shows. "
                    "Writes nothing. Exit 1 when a source can't be read.",
        example=examples(("legday-sync check", "is everything reachable?"),
                         ("legday-sync --config ~/legday.toml check", "check another config")))
    add_now(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.markup import escape

    from ..adapters.state import State
    from ..service import build_sources

    settings = load_settings(args)
    out = console(args)
    out.print(f"[green]✓[/green] config {escape(str(settings.config_path))} is valid "
              f"(goal {settings.goal}, timezone {settings.tz.key})")
    note = settings.legacy_state_note()
    if note:
        out.print(f"note: {note}", markup=False)
    window = settings.judge_settings().fetch_window(parse_now(args.now, settings.tz))
    failed = 0
    state = State(settings.state_dir, readonly=True)
    try:
        for src in build_sources(settings, state, readonly=True):
            try:
                result = src.fetch(window)
            except SourceError as e:
                failed += 1
                out.print(f"[red]✗[/red] {escape(e.describe())}")
                continue
            warned = f", {len(result.warnings)} warning(s)" if result.warnings else ""
            out.print(f"[green]✓[/green] {escape(src.name)}: {len(result.events)} event(s) in "
                      f"the window{warned}")
            for w in result.warnings:
                out.print(f"    [yellow]warning:[/yellow] {escape(w)}")
    finally:
        state.close()
    _google_login(settings, out)
    failed += _check_caldav(settings, out)
    return EXIT_FAILED if failed else EXIT_OK


def _google_login(settings, out) -> None:
    """The permissions the saved Google login holds (read from the file: no request)."""
    if settings.output.google is None and not any(s.type == "google" for s in settings.source):
        return
    from rich.markup import escape

    from ..adapters.google.login import saved_permissions
    from ..errors import AuthError
    from .auth import permission_lines

    try:
        perms = saved_permissions(settings.state_dir)
    except AuthError as e:
        out.print(f"[red]✗[/red] Google login: {escape(e.describe())}")
        return
    if perms is None:
        out.print("[yellow]Google: not connected: run `legday-sync auth`[/yellow]")
        return
    out.print("Google permissions granted:")
    for line in permission_lines(perms):
        out.print(escape(line), highlight=False)


def _check_caldav(settings: Any, out: Any) -> int:
    """CalDAV accounts: login, discovery, the calendars they show. Returns the failures."""
    if not any(s.type == "caldav" for s in settings.source) and settings.output.caldav is None:
        return 0
    from rich.markup import escape

    from ..adapters.caldav.check import check_accounts

    failed = 0
    for c in check_accounts(settings):
        failed += not c.ok
        mark = "[green]✓[/green]" if c.ok else "[red]✗[/red]"
        out.print(f"{mark} CalDAV {escape(c.account)}: {escape(c.lines[0])}")
        for line in c.lines[1:]:
            out.print(f"    {escape(line)}")
    return failed
