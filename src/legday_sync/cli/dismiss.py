"""Commands `dismiss ID…` and `undismiss ID…`: keep a suggestion out of every calendar.

Ids are the ones `sync --json`, `sync` and `week` show; any unique prefix will do.
A dismissal lives in the state (the feed has nowhere else to keep it) and holds
while the suggestion's conflict stands: a changed conflict is a new suggestion.
The next sync takes the suggestion out of every sink.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from ..dismissals import MIN_PREFIX, known_suggestions, resolve, set_dismissed
from ..errors import EXIT_OK
from .common import command, examples, load_settings


def cmd_dismiss(args: argparse.Namespace) -> int:
    return _change(args, dismiss=True)


def cmd_undismiss(args: argparse.Namespace) -> int:
    return _change(args, dismiss=False)


def _change(args: argparse.Namespace, *, dismiss: bool) -> int:
    from ..adapters.lock import sync_lock
    from ..adapters.state import State
    from .sync import waiting

    settings = load_settings(args)
    now = datetime.now(settings.tz)
    with sync_lock(settings.state_dir, wait=args.wait, notify=waiting):
        state = State(settings.state_dir)
        try:
            known = known_suggestions(state)
            chosen = [resolve(t, known) for t in args.ids]  # every id checked before any change
            dismissed = state.dismissed()
            set_dismissed(state, chosen, dismiss=dismiss, now=now)
        finally:
            state.close()
    for k in chosen:
        if dismiss:
            was = " (already dismissed)" if k.id in dismissed else ""
            print(f"dismissed {k.id[:12]} “{k.title}”{was}")
        else:
            was = "" if k.id in dismissed else " (was not dismissed)"
            print(f"undismissed {k.id[:12]} “{k.title}”{was}")
    print("It takes effect at the next sync (`legday-sync sync`, or the daemon's next run).",
          file=sys.stderr)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    for name, func, summary, description in (
            ("dismiss", cmd_dismiss,
             "keep suggestions out of every calendar while their conflict stands",
             "Dismiss suggestions by id: the next sync takes them out of every calendar "
             "(the feed, Google, CalDAV) and they stay away while their conflict stands. "
             "Ids are in `sync`, `week` and `sync --json`; a unique prefix of "
             f"{MIN_PREFIX} or more characters will do."),
            ("undismiss", cmd_undismiss, "bring dismissed suggestions back",
             "Undo `dismiss`: the next sync writes the suggestions again, if their conflict "
             "still stands.")):
        p = command(sub, name, summary=summary, description=description,
                    example=examples((f"legday-sync {name} 5ea3cda0", "by the id's first "
                                      "characters"),
                                     (f"legday-sync {name} 5ea3 8bc5", "several at once")))
        p.add_argument("ids", nargs="+", metavar="ID", help="a suggestion id or a unique prefix")
        p.add_argument("--wait", type=float, default=10.0, metavar="SECONDS",
                       help="how long to wait for a running sync (default 10)")
        p.set_defaults(func=func)
