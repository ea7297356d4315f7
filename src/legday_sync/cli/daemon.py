"""`legday-sync daemon`: sync on a schedule and serve the feed, until stopped."""

from __future__ import annotations

import argparse

from .common import command, daemon_logging, examples, load_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub, "daemon", summary="sync on a schedule and serve the .ics feed, until stopped",
        description="Sync every [daemon] interval_minutes and serve the .ics feed and the "
                    "status page on [feed] listen, until SIGTERM or Ctrl-C. A failed sync "
                    "is retried sooner; one bad run never stops the schedule.",
        example=examples(("legday-sync daemon", "run in the foreground"),
                         ("systemctl --user start legday-sync", "as a systemd user service")))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..daemon import Daemon

    settings = load_settings(args)
    daemon_logging(args)
    return Daemon(settings).run()
