"""What every command shares: the global options, `--now`, settings, the console.

Command modules import this; `parser.py` imports the command modules. Nothing here
imports a command, so there is no cycle.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from rich.console import Console

    from ..config import Settings

PROG = "legday-sync"
EXAMPLES = "examples:\n"
COLOR_CHOICES = ("auto", "always", "never")
#: the global options given after the command land here, then merge with the ones before
_AFTER = "_after_"


def add_global_options(p: argparse.ArgumentParser, *, after_command: bool) -> None:
    """--config, -v/-q and --color, accepted before the command and after it.

    After the command their defaults are SUPPRESS, so a subparser never overwrites what
    was given before the command; counts get their own names and are summed by
    :func:`merge_global_options`.
    """
    dflt = argparse.SUPPRESS if after_command else None
    pre = _AFTER if after_command else ""
    g = p.add_argument_group("global options") if after_command else p
    g.add_argument("--config", metavar="PATH", default=dflt,
                   help="config file (default: $LEGDAY_SYNC_CONFIG, ./legday-sync.toml, "
                        "then the user config dir)")
    g.add_argument("-v", "--verbose", dest=f"{pre}verbose", action="count",
                   default=argparse.SUPPRESS if after_command else 0,
                   help="more logging (-vv: debug)")
    g.add_argument("-q", "--quiet", dest=f"{pre}quiet", action="count",
                   default=argparse.SUPPRESS if after_command else 0,
                   help="less logging: errors only")
    g.add_argument("--color", choices=COLOR_CHOICES, default=dflt or "auto",
                   help="colour in the output: auto (a terminal, unless NO_COLOR is set), "
                        "always or never")


def merge_global_options(args: argparse.Namespace) -> argparse.Namespace:
    """One value per global option, whichever side of the command it was given on."""
    for name in ("verbose", "quiet"):
        setattr(args, name, getattr(args, name, 0) + getattr(args, _AFTER + name, 0))
        if hasattr(args, _AFTER + name):
            delattr(args, _AFTER + name)
    return args


def log_level(args: argparse.Namespace) -> int:
    if args.quiet > args.verbose:
        return logging.ERROR
    return [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose - args.quiet, 2)]


def add_now(p: argparse.ArgumentParser) -> None:
    p.add_argument("--now", metavar="ISO8601",
                   help="pin the clock, e.g. 2026-11-24T07:00+01:00 (default: now)")


def examples(*lines: tuple[str, str]) -> str:
    """An --help epilog: each example with what it does."""
    width = max(len(cmd) for cmd, _ in lines)
    body = "\n".join(f"  {cmd.ljust(width)}  # {what}" for cmd, what in lines)
    return f"{EXAMPLES}{body}"


def command(sub: argparse._SubParsersAction, name: str, *, summary: str, description: str,
            example: str, **kw: Any) -> argparse.ArgumentParser:
    """A command's parser: its one-line summary, a description and examples for --help."""
    return sub.add_parser(name, help=summary, description=description, epilog=example, **kw)


# -- what the commands use when they run -------------------------------------------------
def load_settings(args: argparse.Namespace) -> Settings:
    from ..config import find_config, load

    return load(find_config(args.config))


def parse_now(text: str | None, tz: ZoneInfo) -> datetime:
    if not text:
        return datetime.now(tz)
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--now {text!r} is not ISO 8601",
                         "write it like 2026-11-24T07:00:00+01:00") from None
    return t if t.tzinfo is not None else t.replace(tzinfo=tz)


def color_wanted(choice: str, stream: Any) -> bool:
    """--color always/never win; auto is a terminal without NO_COLOR (no-color.org)."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def console(args: argparse.Namespace | None = None, *, stderr: bool = False) -> Console:
    """The rich console for a command's output, coloured as --color and NO_COLOR say.

    A closed stdout raises BrokenPipeError to the CLI's one handler (rich's own handler
    would print nothing but exit 1).
    """
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    stream = sys.stderr if stderr else sys.stdout
    choice = getattr(args, "color", "auto") if args is not None else "auto"
    if color_wanted(choice, stream):
        return _Console(stderr=stderr, highlight=False, soft_wrap=False, force_terminal=True,
                        color_system="truecolor" if os.environ.get("COLORTERM") in
                        ("truecolor", "24bit") else "standard")
    return _Console(stderr=stderr, highlight=False, soft_wrap=False, color_system=None,
                    force_terminal=False)


def daemon_logging(args: argparse.Namespace) -> None:
    """A long-running process says what it does: INFO for our loggers unless -v/-q say."""
    if not args.verbose and not args.quiet:
        logging.getLogger("legday_sync").setLevel(logging.INFO)
