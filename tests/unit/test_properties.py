"""Hypothesis properties of the core (DESIGN §2): suggestions never create a conflict,
the same calendar gives the same ids, and a plan applied leaves nothing to do."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legday_sync.adapters.memory import FakeSink
from legday_sync.config import parse_training_range
from legday_sync.core.model import Event, Workout
from legday_sync.core.plan import LedgerEntry, plan
from legday_sync.core.rules import RUN_WITHIN_RECOVERY, Profile, find_conflicts
from legday_sync.core.planner import Schedule, plan_week
from tests.helpers import BERLIN, at

NOW = at("2026-03-23 06:00")  # a week that crosses the spring DST change
BASE = at("2026-03-16 00:00")

workout = st.tuples(
    st.sampled_from(["leg_day", "run"]),
    st.integers(0, 4 * 24 * 21),           # quarter hours from BASE
    st.sampled_from([30, 45, 60, 75, 90, 150]),
    st.sampled_from(["easy", "moderate", "hard", "normal", "heavy"]),
)
calendars = st.lists(workout, min_size=12, max_size=60)
busy_items = st.lists(st.tuples(st.integers(0, 4 * 24 * 28), st.sampled_from([30, 60, 120, 480])),
                      max_size=30)
goals = st.sampled_from(["strength", "balanced", "running"])
schedules = st.sampled_from([
    ("06:00-09:00", "17:00-20:00"), ("05:30-07:00",), ("00:00-24:00",), ("12:00-13:30",
                                                                         "18:00-21:00")])


def build(items) -> list[Workout]:
    out = []
    for i, (kind, q, minutes, intensity) in enumerate(items):
        start = BASE + timedelta(minutes=15 * q)
        if kind == "leg_day":
            intensity = "heavy" if intensity == "heavy" else "normal"
        elif intensity in ("normal", "heavy"):
            intensity = "moderate"
        e = Event("cal", f"w{i}", start, start + timedelta(minutes=minutes), f"{kind} {i}")
        out.append(Workout(e, kind, intensity))  # type: ignore[arg-type]
    return out


def run_core(workouts, busy, goal, hours):
    profile = Profile(goal=goal, tz=BERLIN)
    sched = Schedule(tuple(parse_training_range(h) for h in hours), 7)
    conflicts = find_conflicts(workouts, profile)
    busy_events = [w.event for w in workouts] + [
        Event("other", f"b{i}", BASE + timedelta(minutes=15 * q),
              BASE + timedelta(minutes=15 * q + m), "busy") for i, (q, m) in enumerate(busy)]
    suggestions, _ = plan_week(conflicts, workouts, busy_events, profile, sched, NOW)
    return profile, conflicts, suggestions, busy_events


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendars, busy_items, goals, schedules)
def test_applying_every_suggestion_leaves_no_recovery_conflict(items, busy, goal, hours) -> None:
    workouts = build(items)
    profile, conflicts, suggestions, busy_events = run_core(workouts, busy, goal, hours)
    replaced = {s.run.event.occurrence for s in suggestions}
    after = [w for w in workouts if w.event.occurrence not in replaced]
    for s in suggestions:
        if s.kind == "move":
            after.append(Workout(replace(s.run.event, uid=s.id, start=s.start, end=s.end,
                                         original_start=None), "run", s.run.intensity))
        elif s.activity == "easy_run":
            after.append(Workout(Event("ours", s.id, s.start, s.end, s.title), "run", "easy"))
    left = [c for c in find_conflicts(after, profile)
            if c.rule == RUN_WITHIN_RECOVERY and c.run.start >= NOW]
    assert left == []
    # every future run in conflict got an instead suggestion at its time
    future = {c.run.event.occurrence for c in conflicts
              if c.rule == RUN_WITHIN_RECOVERY and c.run.start >= NOW}
    assert future == {s.run.event.occurrence for s in suggestions if s.kind == "instead"}
    # a moved run overlaps nothing: no busy event, no other suggestion (an instead
    # suggestion sits where the user's run was, so two overlapping runs give two)
    for s in suggestions:
        if s.kind != "move":
            continue
        assert s.start >= NOW
        for b in busy_events:
            assert not (b.start < s.end and s.start < b.end), (s, b)
        for o in suggestions:
            if o is not s:
                assert not (o.start < s.end and s.start < o.end), (s, o)


@settings(max_examples=60, deadline=None)
@given(calendars, busy_items, goals, st.randoms(use_true_random=False))
def test_the_same_calendar_gives_the_same_ids_in_any_order(items, busy, goal, rnd) -> None:
    workouts = build(items)
    _, c1, s1, _ = run_core(workouts, busy, goal, ("06:00-09:00", "17:00-20:00"))
    shuffled = list(workouts)
    rnd.shuffle(shuffled)
    _, c2, s2, _ = run_core(shuffled, busy, goal, ("06:00-09:00", "17:00-20:00"))
    assert [c.id for c in c1] == [c.id for c in c2]
    assert [(s.id, s.start, s.fingerprint) for s in s1] == [(s.id, s.start, s.fingerprint)
                                                            for s in s2]


@settings(max_examples=60, deadline=None)
@given(calendars, busy_items, goals)
def test_applying_a_plan_then_planning_again_is_nothing_to_do(items, busy, goal) -> None:
    workouts = build(items)
    _, _, suggestions, _ = run_core(workouts, busy, goal, ("06:00-09:00", "17:00-20:00"))
    sink = FakeSink()
    ledger: dict[str, LedgerEntry] = {}
    first = plan(sink.name, suggestions, sink.load(), ledger, user_editable=True, now=NOW)
    assert {a.suggestion_id for a in first.actions} == {s.id for s in suggestions}
    sink.apply(first.actions, NOW)
    for s in suggestions:
        ledger[s.id] = LedgerEntry(s.id, s.fingerprint, "active", s.run.start)
    second = plan(sink.name, suggestions, sink.load(), ledger, user_editable=True, now=NOW)
    assert second.actions == [] and second.ledger == []
