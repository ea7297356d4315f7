"""`legday-sync serve`: the feed server alone (another process syncs)."""

from __future__ import annotations

import argparse

from .common import command, daemon_logging, examples, load_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub, "serve", summary="serve the .ics feed alone (another process syncs)",
        description="Serve the .ics feed and the status page on [feed] listen, without "
                    "syncing: for when cron or a systemd timer runs `legday-sync sync`.",
        example=examples(("legday-sync serve", "serve until Ctrl-C"),
                         ("legday-sync feed-url", "the address to subscribe to")))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..daemon import serve_forever

    settings = load_settings(args)
    daemon_logging(args)
    return serve_forever(settings)
