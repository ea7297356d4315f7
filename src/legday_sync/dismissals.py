"""Dismissals in the shell: which suggestion an id (or a unique prefix) names, and the change.

Used by `legday-sync dismiss/undismiss` and by the status page's Dismiss button; the
core's plan takes the dismissed set and keeps those suggestions out of every sink.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .errors import UsageError

if TYPE_CHECKING:  # sqlite3 is for running the command, not for building the parser
    from .adapters.state import State

#: the shortest prefix accepted: shorter ones match too much by chance
MIN_PREFIX = 4


@dataclass(frozen=True)
class Known:
    id: str
    title: str
    run_start: datetime


def known_suggestions(state: State) -> dict[str, Known]:
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



def set_dismissed(state: State, chosen: list[Known], *, dismiss: bool, now: datetime) -> None:
    """Dismiss (or bring back) ``chosen`` in one transaction."""
    with state.transaction():
        for k in chosen:
            if dismiss:
                state.dismiss(k.id, k.title, k.run_start, now)
            else:
                state.undismiss(k.id)
