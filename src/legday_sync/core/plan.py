"""Wanted suggestions + what a sink holds + the ledger -> actions.

The ledger remembers what the tool wrote (by suggestion id and content
fingerprint), which is how it tells its own stale events from the user's
decisions: an event that vanished from a user-editable sink (or that the sink
holds as a tombstone it did not make) was deleted by the user and stays
dismissed while its conflict stands; one whose content no longer
matches what was written was edited and is the user's from then on.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from .model import Action, Suggestion
from .ports import Held

Status = Literal["active", "dismissed", "edited"]


@dataclass(frozen=True)
class LedgerEntry:
    suggestion_id: str
    fingerprint: str
    status: Status
    run_start: datetime


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    #: ledger changes that need no write to the sink: (suggestion id, new status or None to forget)
    ledger: list[tuple[str, Status | None]] = field(default_factory=list)
    #: human notes on what was held back and why
    notes: list[str] = field(default_factory=list)


def settled(wanted: Sequence[Suggestion], ledger: Mapping[str, LedgerEntry],
            now: datetime, dismissed: Collection[str] = frozenset()) -> bool:
    """Whether the ledger alone shows that a sink needs no write: every wanted suggestion
    was written as it is now (or the user dismissed or took it), and nothing the ledger
    holds for a future run was withdrawn. Then a user-editable sink need not even be read:
    whatever the user did there, the plan would leave it as it is."""
    ids = set()
    for s in wanted:
        if s.id in dismissed:
            led = ledger.get(s.id)
            if led is not None and led.status == "active":
                return False  # written before it was dismissed: it must leave the sink
            continue
        ids.add(s.id)
        led = ledger.get(s.id)
        if led is None or (led.status == "active" and led.fingerprint != s.fingerprint):
            return False
    return all(sid in ids for sid, led in ledger.items()
               if led.run_start >= now and led.status == "active")


def plan(target: str, wanted: Sequence[Suggestion], held: Mapping[str, Held],
         ledger: Mapping[str, LedgerEntry], *, user_editable: bool, now: datetime,
         failed_sources: Collection[str] = (), keep_since: datetime | None = None,
         dismissed: Collection[str] = frozenset(), owner: str | None = None) -> Plan:
    """Actions that make ``target`` hold ``wanted``, never touching what the user decided.

    While any source failed, nothing is updated or deleted: the failed source's
    events are unknown, so a suggestion missing from ``wanted`` may still be due.

    Suggestions for runs already past stay as history; in a sink only the tool writes
    (the feed) they leave once their run is older than ``keep_since``, so the feed
    doesn't grow forever. In the user's own calendar, history stays.

    A ``dismissed`` suggestion (`legday-sync dismiss`, the status page) is not wanted:
    it leaves the sink, even while a source fails (the user asked for exactly that).

    ``owner`` is this config's id: an event the sink says another config wrote, and
    that this config's ledger doesn't know, is that config's and is never deleted here.
    """
    out = Plan()
    ctx = _Context(target, user_editable, now, tuple(sorted(failed_sources)), keep_since,
                   dismissed, owner)
    wanted_ids = set()
    for s in wanted:
        if s.id in dismissed:
            continue
        wanted_ids.add(s.id)
        _want(out, ctx, s, ledger.get(s.id), held.get(s.id))
    for sid in sorted((set(held) | set(ledger)) - wanted_ids):
        _unwanted(out, ctx, sid, ledger.get(sid), held.get(sid))
    return out


@dataclass(frozen=True)
class _Context:
    target: str
    user_editable: bool
    now: datetime
    failed_sources: tuple[str, ...]
    keep_since: datetime | None
    dismissed: Collection[str]
    owner: str | None


def _want(out: Plan, ctx: _Context, s: Suggestion, led: LedgerEntry | None,
          h: Held | None) -> None:
    """What to do about one wanted suggestion."""
    present = h is not None and not h.deleted
    if present and h.fingerprint == s.fingerprint:
        if led is None or led.fingerprint != s.fingerprint or led.status != "active":
            out.ledger.append((s.id, "active"))  # written before a crash, or repaired
        return
    if led is not None and led.status in ("dismissed", "edited") and ctx.user_editable:
        return
    # gone since we wrote it, or a tombstone the sink did not make (the user's "no",
    # seen even when the ledger was lost: a new machine, a crash before its commit)
    if ctx.user_editable and not present and (led is not None or h is not None):
        out.ledger.append((s.id, "dismissed"))
        out.notes.append(f"“{s.title}” was deleted by you; it stays dismissed")
        return
    if present and _edited(ctx, led, h):
        out.ledger.append((s.id, "edited"))
        out.notes.append(f"“{s.title}” was edited by you; it is yours now")
        return
    if present:
        if ctx.failed_sources:
            out.notes.append(f"not updating “{s.title}” while a source is failing")
            return
        out.actions.append(Action("update", ctx.target, s.id, s, "changed"))
    else:
        out.actions.append(Action("create", ctx.target, s.id, s, "new conflict"))


def _edited(ctx: _Context, led: LedgerEntry | None, h: Held) -> bool:
    """Whether the user changed the event the sink holds: it differs from what the ledger
    says was written, or from the fingerprint written inside it (a new machine sees that)."""
    return ctx.user_editable and (
        (led is not None and h.fingerprint != led.fingerprint)
        or (bool(h.written) and h.fingerprint != h.written))


def _unwanted(out: Plan, ctx: _Context, sid: str, led: LedgerEntry | None,
              h: Held | None) -> None:
    """What to do about one suggestion the sink or the ledger holds that is not wanted."""
    present = h is not None and not h.deleted
    edited = present and _edited(ctx, led, h)
    ours_as_written = present and not edited
    if led is None and h is not None and h.owner and ctx.owner and h.owner != ctx.owner:
        return  # another config's suggestion: its own syncs look after it
    if sid in ctx.dismissed:
        if ours_as_written:
            out.actions.append(Action("delete", ctx.target, sid, None, "dismissed"))
        elif led is not None:
            out.ledger.append((sid, None))
        return
    start = led.run_start if led is not None else (h.start if h is not None else None)
    if start is not None and start < ctx.now and (
            ctx.user_editable or ctx.keep_since is None or start >= ctx.keep_since):
        return  # the run is past: keep the suggestion as history
    if ctx.failed_sources:
        if present:
            out.notes.append(f"kept {sid[:8]} while source(s) "
                             f"{', '.join(ctx.failed_sources)} failed")
        return
    if ours_as_written:
        out.actions.append(Action("delete", ctx.target, sid, None, "conflict resolved"))
    elif edited:
        # edited by the user: theirs, kept; the ledger remembers it, or a later sync
        # would take it for an unknown event of ours and delete it
        if led is None or led.status != "edited":
            out.ledger.append((sid, "edited"))
    elif led is not None:
        out.ledger.append((sid, None))
