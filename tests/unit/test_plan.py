"""plan(): wanted vs held vs ledger, and the promises it keeps (DESIGN §6)."""

from __future__ import annotations

from dataclasses import replace

from legday_sync.adapters.memory import FakeSink
from legday_sync.core.plan import LedgerEntry, plan
from legday_sync.core.ports import Held
from tests.helpers import at, leg, run
from tests.unit.test_planner import NOW, go


def wanted():
    out, _ = go([leg("2026-11-23 18:00"), run("2026-11-24 07:00", "hard")])
    return out


def written(sugg):
    sink = FakeSink()
    sink.apply(plan(sink.name, sugg, {}, {}, user_editable=True, now=NOW).actions, NOW)
    ledger = {s.id: LedgerEntry(s.id, s.fingerprint, "active", s.run.start) for s in sugg}
    return sink, ledger


def test_new_suggestions_are_created() -> None:
    sugg = wanted()
    p = plan("x", sugg, {}, {}, user_editable=True, now=NOW)
    assert [(a.op, a.suggestion_id) for a in p.actions] == [("create", s.id) for s in sugg]


def test_changed_suggestion_is_updated() -> None:
    sugg = wanted()
    sink, ledger = written(sugg)
    changed = [replace(sugg[0], title="Walk instead"), sugg[1]]
    p = plan(sink.name, changed, sink.load(), ledger, user_editable=True, now=NOW)
    assert [(a.op, a.suggestion_id) for a in p.actions] == [("update", sugg[0].id)]


def test_withdrawn_suggestion_is_deleted() -> None:
    sugg = wanted()
    sink, ledger = written(sugg)
    p = plan(sink.name, [], sink.load(), ledger, user_editable=True, now=NOW)
    assert sorted((a.op, a.suggestion_id) for a in p.actions) == sorted(
        ("delete", s.id) for s in sugg)


def test_a_suggestion_the_user_deleted_stays_deleted() -> None:
    sugg = wanted()
    sink, ledger = written(sugg)
    sink.user_delete(sugg[0].id)
    p = plan(sink.name, sugg, sink.load(), ledger, user_editable=True, now=NOW)
    assert p.actions == []
    assert p.ledger == [(sugg[0].id, "dismissed")]
    ledger[sugg[0].id] = replace(ledger[sugg[0].id], status="dismissed")
    # still dismissed on the next run, even if its content would change
    changed = [replace(sugg[0], title="other"), sugg[1]]
    assert plan(sink.name, changed, sink.load(), ledger, user_editable=True, now=NOW).actions == []


def test_a_suggestion_the_user_edited_is_theirs() -> None:
    sugg = wanted()
    sink, ledger = written(sugg)
    sink.user_edit(sugg[0].id)
    changed = [replace(sugg[0], title="new wording"), sugg[1]]
    p = plan(sink.name, changed, sink.load(), ledger, user_editable=True, now=NOW)
    assert p.actions == [] and p.ledger == [(sugg[0].id, "edited")]
    # and when its conflict goes away, the edited event is left in place
    ledger[sugg[0].id] = replace(ledger[sugg[0].id], status="edited")
    gone = plan(sink.name, [sugg[1]], sink.load(), ledger, user_editable=True, now=NOW)
    assert all(a.suggestion_id != sugg[0].id for a in gone.actions)


def test_a_file_sink_repairs_instead_of_respecting() -> None:
    sugg = wanted()
    _, ledger = written(sugg)
    held = {sugg[1].id: Held(sugg[1].id, sugg[1].fingerprint)}  # one vanished from the file
    p = plan("ics", sugg, held, ledger, user_editable=False, now=NOW)
    assert [(a.op, a.suggestion_id) for a in p.actions] == [("create", sugg[0].id)]


def test_a_failing_source_freezes_updates_and_deletes() -> None:
    sugg = wanted()
    sink, ledger = written(sugg)
    p = plan(sink.name, [], sink.load(), ledger, user_editable=True, now=NOW,
             failed_sources={"cal"})
    assert p.actions == []
    assert any("failed" in n for n in p.notes)
    changed = [replace(s, title=s.title + "!") for s in sugg]
    p = plan(sink.name, changed, sink.load(), ledger, user_editable=True, now=NOW,
             failed_sources={"cal"})
    assert p.actions == []


def test_written_before_a_crash_is_adopted_not_duplicated() -> None:
    sugg = wanted()
    sink, _ = written(sugg)  # the sink holds them, but the ledger commit was lost
    p = plan(sink.name, sugg, sink.load(), {}, user_editable=True, now=NOW)
    assert p.actions == []
    assert sorted(p.ledger) == sorted((s.id, "active") for s in sugg)


def test_updated_before_a_crash_is_adopted_not_taken_for_a_user_edit() -> None:
    sugg = wanted()
    sink, ledger = written(sugg)
    changed = [replace(sugg[0], title="new"), sugg[1]]
    sink.apply(plan(sink.name, changed, sink.load(), ledger, user_editable=True,
                    now=NOW).actions, NOW)
    # the ledger still has the old fingerprint: the crash came before its commit
    p = plan(sink.name, changed, sink.load(), ledger, user_editable=True, now=NOW)
    assert p.actions == [] and p.ledger == [(sugg[0].id, "active")]


def test_suggestions_for_runs_now_past_are_kept_as_history() -> None:
    sugg = wanted()
    sink, ledger = written(sugg)
    later = at("2026-11-30 06:00")
    assert plan(sink.name, [], sink.load(), ledger, user_editable=True, now=later).actions == []


def test_settled_when_the_ledger_already_holds_what_is_wanted() -> None:
    from legday_sync.core.plan import settled

    sugg = wanted()
    _, ledger = written(sugg)
    assert settled(sugg, ledger, NOW)
    assert not settled(sugg, {}, NOW)  # never written
    assert not settled([replace(sugg[0], title="x"), sugg[1]], ledger, NOW)  # changed
    assert not settled(sugg[:1], ledger, NOW)  # one withdrawn: a delete to plan
    assert settled(sugg[:1], ledger, at("2026-11-30 06:00"))  # ...unless its run is past
    dismissed = {**ledger, sugg[0].id: replace(ledger[sugg[0].id], status="dismissed")}
    assert settled([replace(sugg[0], title="x"), sugg[1]], dismissed, NOW)


def test_history_leaves_the_feed_once_older_than_the_window_but_not_a_user_calendar() -> None:
    sugg = wanted()
    _, ledger = written(sugg)
    held = {s.id: Held(s.id, s.fingerprint, start=s.run.start) for s in sugg}
    much_later = at("2026-12-30 06:00")
    recent = plan("ics", [], held, ledger, user_editable=False, now=much_later,
                  keep_since=at("2026-11-20 00:00"))
    assert recent.actions == []  # past, but still inside the window: history
    old = plan("ics", [], held, ledger, user_editable=False, now=much_later,
               keep_since=at("2026-12-23 00:00"))
    assert sorted(a.suggestion_id for a in old.actions if a.op == "delete") == sorted(
        s.id for s in sugg)
    mine = plan("google", [], held, ledger, user_editable=True, now=much_later,
                keep_since=at("2026-12-23 00:00"))
    assert mine.actions == []


def test_an_edited_suggestion_whose_conflict_resolved_is_never_deleted() -> None:
    """The user's edit is theirs for good: when its conflict goes away the tool forgets
    nothing it would need to tell the event from its own stale one, now or a sync later."""
    sugg = wanted()
    sink, ledger = written(sugg)
    sink.user_edit(sugg[0].id)
    for _ in range(3):  # sync after sync, with the conflict resolved
        p = plan(sink.name, [], sink.load(), ledger, user_editable=True, now=NOW)
        assert sugg[0].id not in {a.suggestion_id for a in p.actions}
        for sid, status in p.ledger:
            if status is None:
                ledger.pop(sid, None)
            else:
                ledger[sid] = replace(ledger[sid], status=status)
        for a in p.actions:
            ledger.pop(a.suggestion_id, None)
        sink.apply(p.actions, NOW)
    assert sugg[0].id in sink.load()


def test_a_tombstone_in_the_sink_is_a_dismissal_even_without_a_ledger() -> None:
    """A new machine (no ledger) meets the user's deletion as the sink keeps it."""
    sugg = wanted()
    held = {sugg[0].id: Held(sugg[0].id, "", deleted=True, start=sugg[0].run.start)}
    p = plan("x", sugg, held, {}, user_editable=True, now=NOW)
    assert [(a.op, a.suggestion_id) for a in p.actions] == [("create", sugg[1].id)]
    assert p.ledger == [(sugg[0].id, "dismissed")]
