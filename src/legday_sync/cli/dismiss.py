"""Commands `dismiss ID…` and `undismiss ID…`: keep a suggestion out of every calendar.

Ids are the ones `sync --json`, `sync` and `week` show; any unique prefix will do.
A dismissal lives in the state (the feed has nowhere else to keep it) and holds
while the suggestion's conflict stands: a changed conflict is a new suggestion.
The next sync takes the suggestion out of every sink.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import datetime

from ..errors import UsageError

#: the shortest prefix accepted: shorter ones match too much by chance
MIN_PREFIX = 4


@dataclass(frozen=True)
class Known:
    id: str
    title: str
    run_start: datetime


def known_suggestions(state) -> dict[str, Known]:
    """Suggestions the last sync saw, plus those already dismissed, by id."""
    out: dict[str, Known] = {}
    for d in state.meta_json("suggestions") or []:
        out[d["id"]] = Known(d["id"], d["title"], datetime.fromisoformat(d["run_start"]))
    for sid, (title, run_start) in state.dismissed_details().items():
        out.setdefault(sid, Known(sid, title, run_start))
    return out


def resolve(text: str, known: dict[str, Known]) -> Known:
    """The one suggestion ``text`` (an id or a unique prefix of one) names."""
    prefix = text.strip().lower()
    if len(prefix) < MIN_PREFIX:
        raise UsageError(f"{text!r} is too short to name a suggestion",
                        f"give at least {MIN_PREFIX} characters of the id")
    hits = [k for sid, k in known.items() if sid.startswith(prefix)]
    if not hits:
        fix = ("run `legday-sync sync` first, then copy an id from `legday-sync week` or "
               "`sync --json`") if not known else (
            "copy an id from `legday-sync sync`, `week` or `sync --json` (a changed conflict "
            "gets a new id)")
        raise UsageError(f"no suggestion has an id starting with {text!r}", fix)
    if len(hits) > 1:
        names = "; ".join(f"{k.id[:12]} {k.title}" for k in hits[:5])
        raise UsageError(f"{text!r} names {len(hits)} suggestions ({names})",
                        "give more characters of the id")
    return hits[0]


def cmd_dismiss(args: argparse.Namespace) -> int:
    return _change(args, dismiss=True)


def cmd_undismiss(args: argparse.Namespace) -> int:
    return _change(args, dismiss=False)


def _change(args: argparse.Namespace, *, dismiss: bool) -> int:
    from ..adapters.lock import sync_lock
    from ..adapters.state import State
    from .main import load_settings

    settings = load_settings(args)
    now = datetime.now(settings.tz)
    with sync_lock(settings.state_dir, wait=args.wait, notify=_waiting):
        state = State(settings.state_dir)
        try:
            known = known_suggestions(state)
            chosen = [resolve(t, known) for t in args.ids]  # every id checked before any change
            dismissed = state.dismissed()
            with state.transaction():
                for k in chosen:
                    if dismiss:
                        state.dismiss(k.id, k.title, k.run_start, now)
                    else:
                        state.undismiss(k.id)
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
    return 0


def _waiting(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def register(sub: argparse._SubParsersAction) -> None:
    for name, func, text in (
            ("dismiss", cmd_dismiss,
             "keep suggestions out of every calendar while their conflict stands"),
            ("undismiss", cmd_undismiss, "bring dismissed suggestions back")):
        p = sub.add_parser(
            name, help=text, description=text[0].upper() + text[1:] + ".",
            epilog=f"example: legday-sync {name} 5ea3cda0   (ids as `sync`, `week` and "
                   f"`sync --json` show them; a unique prefix of {MIN_PREFIX}+ characters will do)")
        p.add_argument("ids", nargs="+", metavar="ID", help="a suggestion id or a unique prefix")
        p.add_argument("--wait", type=float, default=10.0, metavar="SECONDS",
                       help="how long to wait for a running sync (default 10)")
        p.set_defaults(func=func)
