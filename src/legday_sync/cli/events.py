"""`legday-sync events [--now] [--json]`: every event in the window and how it was read.

So a user can see why a workout is (or isn't) recognised: the verdict (leg day, run with
its intensity, race and long flags, or not a workout) and the words or fields that decided.
"""

from __future__ import annotations

import argparse
import json

from ..errors import EXIT_FAILED, EXIT_OK
from .common import add_now, command, console, examples, load_settings, parse_now


def register(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub, "events", summary="every event in the window and how it was read, with why",
        description="List each event in the window as read: leg day (heavy or not), run "
                    "(easy, moderate or hard; race; long), both, or not a workout, with the "
                    "words or fields that decided (title, categories, #tags, description) and "
                    "the vocabulary they came from. Writes nothing. Exit 1 when a source "
                    "can't be read.",
        example=examples(("legday-sync events", "why is my workout (not) recognised?"),
                         ("legday-sync events --json", "the same as one JSON object"),
                         ("legday-sync events --now 2026-11-23T06:00+01:00",
                          "the window around that time")))
    add_now(p)
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..adapters.state import State
    from ..core.classify import read_all
    from ..errors import SourceError
    from ..service import build_sources
    from ..views.events import EventsReport, print_events, to_json

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
            events.extend(e for e in result.events if window.overlaps(e.start, e.end))
    finally:
        state.close()
    events.sort(key=lambda e: (e.start, e.source, e.title))
    report.rows = list(zip(events, read_all(core.classifier, events), strict=True))
    if args.json:
        print(json.dumps(to_json(report, settings.tz), ensure_ascii=False, indent=2))
    else:
        print_events(report, console(args), settings.tz)
    return EXIT_OK if report.ok else EXIT_FAILED
