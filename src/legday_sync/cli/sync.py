"""`legday-sync sync`: one pass — read the calendars, judge, write suggestions."""

from __future__ import annotations

import argparse

from ..errors import EXIT_FAILED, EXIT_OK
from .common import add_now, command, console, examples, load_settings, parse_now


def register(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub, "sync", summary="one pass: read calendars, judge, write suggestions",
        description="Read every configured calendar, find runs too soon after a leg day, "
                    "plan the week around them and write the suggestions to every output "
                    "(the .ics feed, a Google calendar). Exit 1 when any source or output "
                    "failed; nothing is deleted because a source was down.",
        example=examples(("legday-sync sync --dry-run", "show the plan, write nothing"),
                         ("legday-sync sync --json | jq .conflicts", "the result as JSON"),
                         ("legday-sync sync --now 2026-11-24T07:00+01:00",
                          "judge as if it were that time")))
    p.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    add_now(p)
    p.add_argument("--wait", type=float, default=10.0, metavar="SECONDS",
                   help="how long to wait for another running legday-sync (default 10)")
    p.set_defaults(func=run)


def waiting(message: str) -> None:
    """Said once, on stderr, when a sync has to wait for another one's lock."""
    import sys

    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    import json

    from ..adapters.lock import sync_lock
    from ..service import sync_once
    from ..views.report import print_report, to_json

    settings = load_settings(args)
    now = parse_now(args.now, settings.tz)
    if args.dry_run:
        report = sync_once(settings, now, dry_run=True)
    else:
        with sync_lock(settings.state_dir, wait=args.wait, notify=waiting):
            report = sync_once(settings, now)
    if args.json:
        print(json.dumps(to_json(report, settings.tz), ensure_ascii=False, indent=2))
    else:
        print_report(report, console(args), settings.tz)
    return EXIT_OK if report.ok else EXIT_FAILED
