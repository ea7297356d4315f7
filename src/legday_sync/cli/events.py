"""`legday-sync events [--now] [--json]`: every event in the window and how it was read.

So a user can see why a workout is (or isn't) recognised: the verdict (leg day, run with
its intensity, race and long flags, or not a workout) and the words or fields that decided.
"""

from __future__ import annotations

import argparse
import json

EXIT_OK, EXIT_SOURCE = 0, 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("events", help="every event in the window and how it was read, with why")
    p.add_argument("--now", metavar="ISO8601", help="pin the clock (e.g. 2026-11-24T07:00+01:00)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=cmd_events)


def cmd_events(args: argparse.Namespace) -> int:
    from ..adapters.state import State
    from ..core.classify import read_all
    from ..errors import SourceError
    from ..service import build_sources
    from ..views.events import EventsReport, print_events, to_json
    from .main import _console, load_settings, parse_now

    settings = load_settings(args)
    now = parse_now(args.now, settings.tz)
    core = settings.judge_settings()
    window = core.window(now)
    report = EventsReport(now=now, window=window)
    events = []
    state = State(settings.state_dir, readonly=True)
    try:
        for src in build_sources(settings, state, readonly=True):
            try:
                result = src.fetch(window)
            except SourceError as e:
                report.errors.append((e.source, e.message, e.fix))
                continue
            events.extend(e for e in result.events
                          if e.end > window.start and e.start < window.end)
    finally:
        state.close()
    events.sort(key=lambda e: (e.start, e.source, e.title))
    report.rows = list(zip(events, read_all(core.classifier, events), strict=True))
    if args.json:
        print(json.dumps(to_json(report, settings.tz), ensure_ascii=False, indent=2))
    else:
        print_events(report, _console(), settings.tz)
    return EXIT_OK if report.ok else EXIT_SOURCE
