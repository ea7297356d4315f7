"""plan() with dismissed ids and with several configs writing to one sink."""

from __future__ import annotations

from legday_sync.adapters.memory import FakeSink
from legday_sync.core.plan import LedgerEntry, plan, settled
from tests.unit.test_plan import wanted
from tests.unit.test_planner import NOW


def written(sugg, owner: str | None = "me"):
    sink = FakeSink(owner=owner)
    sink.apply(plan(sink.name, sugg, {}, {}, user_editable=True, now=NOW).actions, NOW)
    ledger = {s.id: LedgerEntry(s.id, s.fingerprint, "active", s.run.start) for s in sugg}
    return sink, ledger


def test_a_dismissed_suggestion_is_never_created() -> None:
    sugg = wanted()
    p = plan("x", sugg, {}, {}, user_editable=False, now=NOW, dismissed={sugg[0].id})
    assert [a.suggestion_id for a in p.actions] == [s.id for s in sugg[1:]]


def test_a_dismissed_suggestion_leaves_the_sink_even_while_a_source_fails() -> None:
    sugg = wanted()
    for editable in (True, False):
        sink, ledger = written(sugg)
        p = plan(sink.name, sugg, sink.load(), ledger, user_editable=editable, now=NOW,
                 failed_sources={"cal"}, dismissed={sugg[0].id})
        assert [(a.op, a.suggestion_id, a.reason) for a in p.actions] == [
            ("delete", sugg[0].id, "dismissed")]
    assert not settled(sugg, ledger, NOW, dismissed={sugg[0].id})  # must be written out
    after = {k: v for k, v in ledger.items() if k != sugg[0].id}
    assert settled(sugg, after, NOW, dismissed={sugg[0].id})  # gone: nothing to do


def test_a_dismissed_suggestion_the_user_edited_stays_theirs() -> None:
    sugg = wanted()
    sink, ledger = written(sugg)
    sink.user_edit(sugg[0].id)
    p = plan(sink.name, sugg, sink.load(), ledger, user_editable=True, now=NOW,
             dismissed={sugg[0].id})
    assert p.actions == [] and p.ledger == [(sugg[0].id, None)]


def test_another_configs_suggestions_are_left_alone() -> None:
    sugg = wanted()
    theirs, _ = written(sugg, owner="them")
    for editable in (True, False):
        p = plan(theirs.name, [], theirs.load(), {}, user_editable=editable, now=NOW,
                 owner="me")
        assert p.actions == []
    # our own, written before a crash (no ledger entry yet), is still cleaned up
    ours, _ = written(sugg, owner="me")
    p = plan(ours.name, [], ours.load(), {}, user_editable=False, now=NOW, owner="me")
    assert sorted(a.suggestion_id for a in p.actions) == sorted(s.id for s in sugg)


def test_the_google_sink_records_and_reads_which_config_wrote_an_event() -> None:
    from legday_sync.adapters.google.sink import PROP_OWNER, event_body, to_held

    s = wanted()[0]
    body = event_body(s, "cafe1234")
    assert body["extendedProperties"]["private"][PROP_OWNER] == "cafe1234"
    item = {**body, "etag": '"1"', "start": {"dateTime": s.start.isoformat()},
            "end": {"dateTime": s.end.isoformat()}}
    held = to_held(item)
    assert held is not None and held.owner == "cafe1234" and held.fingerprint == s.fingerprint
    # the plan of another config keeps it
    p = plan("google", [], {s.id: held}, {}, user_editable=True, now=NOW, owner="beef5678")
    assert p.actions == []
