"""Hypothesis properties of the core (DESIGN §2): every plan passes the independent checker
on dense generated weeks, the planner is optimal where a brute force can tell, the same
calendar gives the same ids, and a plan applied leaves nothing to do."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legday_sync.adapters.memory import FakeSink
from legday_sync.config import parse_training_range
from legday_sync.core.classify import Classifier, classify_all, without_duplicates
from legday_sync.core.judge import JudgeSettings, judge
from legday_sync.core.model import Event, Suggestion
from legday_sync.core.plan import LedgerEntry, plan
from legday_sync.core.planner import Schedule, _Planner
from legday_sync.core.rules import RUN_WITHIN_RECOVERY, Profile
from tests.helpers import BERLIN, UTC, at
from tests.plan_checker import check_plan

#: DESIGN §2's away words (the checker's list; the planner reads the vocabulary's)
AWAY_WORDS = ("flight", "travel", "trip", "offsite", "holiday", "vacation")
NOW = at("2026-03-23 06:00")  # the week after it crosses the spring DST change (29 Mar)
BASE = at("2026-03-16 00:00")

#: what a calendar holds, as the classifier reads it: (title, minutes)
TITLES = [("Leg day", 75), ("Heavy squats", 90), ("Tempo run", 50), ("Intervals 6x800m", 60),
          ("Easy run", 40), ("Run", 45), ("Long run 28k", 150), ("Race 10k", 60),
          ("Hill repeats", 60), ("Lower body", 60)]
workout = st.tuples(st.sampled_from(range(len(TITLES))),
                    st.integers(0, 21),                  # day from BASE
                    st.sampled_from([6 * 4, 7 * 4, 12 * 4, 17 * 4, 18 * 4 + 2, 19 * 4]),
                    st.booleans())                       # a date-only (all-day) export
calendars = st.lists(workout, min_size=6, max_size=30)
busy_items = st.lists(st.tuples(st.integers(0, 27), st.sampled_from([17 * 4, 18 * 4, 7 * 4]),
                                st.sampled_from([60, 120, 180]),
                                st.sampled_from(["Dinner", "Flight to Rome", "Meeting"])),
                      max_size=12)
goals = st.sampled_from(["strength", "balanced", "running"])
schedules = st.sampled_from([
    ("06:00-09:00", "17:00-20:00"), ("05:30-07:00",), ("00:00-24:00",), ("12:00-13:30",
                                                                         "18:00-21:00")])


def _local(day: int, quarter: int = 0) -> datetime:
    """Local wall time ``day`` days and ``quarter`` quarter hours after BASE, as UTC."""
    wall = datetime.combine(BASE.astimezone(BERLIN).date() + timedelta(days=day), time(0))
    return (wall + timedelta(minutes=15 * quarter)).replace(tzinfo=BERLIN).astimezone(UTC)


def build(items, busy) -> list[Event]:
    out = []
    for i, (t, day, quarter, date_only) in enumerate(items):
        title, minutes = TITLES[t]
        if date_only:
            out.append(Event("cal", f"w{i}", _local(day), _local(day + 1), title, all_day=True))
        else:
            start = _local(day, quarter)
            out.append(Event("cal", f"w{i}", start, start + timedelta(minutes=minutes), title))
    for i, (day, quarter, minutes, title) in enumerate(busy):
        start = _local(day, quarter)
        out.append(Event("other", f"b{i}", start, start + timedelta(minutes=minutes), title))
    return out


def settings_for(goal: str, hours, horizon: int = 7) -> JudgeSettings:
    ranges = tuple(parse_training_range(h) for h in hours)
    return JudgeSettings(profile=Profile(goal=goal, tz=BERLIN),
                         schedule=Schedule(ranges, horizon), past_days=7, future_days=14)


def checked(events, s: JudgeSettings):
    d = judge(events, [], s, NOW)
    violations = check_plan(
        workouts=without_duplicates(classify_all(Classifier(), events))[0], events=events,
        suggestions=d.suggestions, profile=s.profile,
        training_hours={"default": s.schedule.training_hours},
        horizon_days=s.schedule.horizon_days, away_words=AWAY_WORDS, now=NOW, notes=d.notes,
        until=d.window.end)
    return d, violations


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendars, busy_items, goals, schedules)
def test_every_plan_passes_the_independent_checker(items, busy, goal, hours) -> None:
    events = build(items, busy)
    d, violations = checked(events, settings_for(goal, hours))
    assert violations == [], "\n".join(map(str, violations))
    # every future conflict the rules would have the planner resolve gets advice or a note
    for c in d.conflicts:
        if c.rule == RUN_WITHIN_RECOVERY and c.severity == "conflict" and c.run.start >= NOW:
            assert any((s.target == "run" and s.run == c.run)
                       or (s.target == "leg_day" and s.leg_day == c.leg_day)
                       for s in d.suggestions) or any(c.run.event.title in n for n in d.notes)


# ---- optimality against a brute force over every candidate slot ---------------------------

def _cost(planner: _Planner, moves: dict[int, tuple]) -> tuple[int, int, int, int, int]:
    """DESIGN §2's objective, in order, computed apart from the planner's weights."""
    open_ = sum(1 for c in planner.planned
                if id(planner.sessions[_k(c.run)]) not in moves
                and id(planner.sessions[_k(c.leg_day)]) not in moves)
    side = shift = tod = 0
    for s in planner.order:
        if id(s) not in moves:
            continue
        start = moves[id(s)][0]
        if s.is_run:
            side += s.w.key or s.w.long
        else:
            side += not any(planner.planned[i].run.race or planner.planned[i].run.key
                            or planner.planned[i].run.long for i in s.conflicts)
        shift += int(abs((start - s.w.start).total_seconds()) // 60)
        if not s.date_only:
            a, b = start.astimezone(BERLIN), s.w.start.astimezone(BERLIN)
            tod += abs(a.hour * 60 + a.minute - b.hour * 60 - b.minute)
    return open_, len(moves), side, shift, tod


def _doubles_a_day(planner: _Planner, moves: dict[int, tuple], workouts) -> bool:
    """The planner's one rule stricter than the checker: a moved session never lands on a
    local day that already holds a session of its kind (two leg days, or a double run the
    user didn't plan)."""
    day = {}
    for w in workouts:
        s = planner.sessions.get(_k(w))
        start = moves[id(s)][0] if s is not None and id(s) in moves else w.start
        day[_k(w)] = start.astimezone(BERLIN).date()
    for s in planner.order:
        if id(s) in moves and any(k != _k(s.w) and k[0] == s.w.kind and d == day[_k(s.w)]
                                  for k, d in day.items()):
            return True
    return False


def _k(w):
    return (w.kind, w.event.occurrence)


def _as_suggestion(s, start, end, all_day) -> Suggestion:
    kind = "move" if s.is_run else "move-leg-day"
    return Suggestion(id=f"{kind}{id(s)}", conflict_id="", kind=kind, activity="", start=start,
                      end=end, title="", description="", run=s.w, target="run" if s.is_run
                      else "leg_day", all_day=all_day, leg_day=None if s.is_run else s.w)


#: a few workouts around "now" (day 7), so that most weeks hold a conflict to plan
small_calendars = st.lists(st.tuples(st.sampled_from(range(len(TITLES))), st.integers(6, 10),
                                     st.sampled_from([7 * 4, 17 * 4, 19 * 4]), st.booleans()),
                           min_size=2, max_size=4)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_calendars, st.lists(st.tuples(st.integers(0, 27), st.sampled_from([17 * 4, 7 * 4]),
                                           st.sampled_from([60, 120]), st.just("Dinner")),
                                 max_size=3), goals)
def test_the_plan_is_optimal_among_every_choice_of_candidate_slots(items, busy, goal) -> None:
    events = build(items, busy)
    s = settings_for(goal, ("06:00-09:00", "17:00-20:00"), horizon=2)
    d = judge(events, [], s, NOW)
    planned = sorted((c for c in d.conflicts if c.rule == RUN_WITHIN_RECOVERY
                      and c.severity == "conflict" and c.run.start >= NOW),
                     key=lambda c: (c.run.start, c.leg_day.start, c.id))
    if not planned:
        return
    workouts = without_duplicates(classify_all(Classifier(), events))[0]
    planner = _Planner(planned, workouts, events, s.profile, s.schedule, NOW,
                       Classifier().away_word)
    sessions = [x for x in planner.order if x.movable]
    if len(sessions) > 3 or any(len(x.candidates) > 14 for x in sessions):
        return  # too many combinations for the brute force
    best = None
    for choice in itertools.product(*[[None, *x.candidates] for x in sessions]):
        moves = {id(x): (c.start, c.end) for x, c in zip(sessions, choice, strict=True) if c}
        plan_ = [_as_suggestion(x, c.start, c.end, x.date_only)
                 for x, c in zip(sessions, choice, strict=True) if c]
        if plan_ and check_plan(
                workouts=workouts, events=events, suggestions=plan_, profile=s.profile,
                training_hours={"default": s.schedule.training_hours}, horizon_days=2,
                away_words=AWAY_WORDS, now=NOW, notes=[w.event.title for w in workouts]):
            continue
        if _doubles_a_day(planner, moves, workouts):
            continue
        cost = _cost(planner, moves)
        best = cost if best is None or cost < best else best
    got = {}
    for sug in d.suggestions:
        if sug.kind in ("move", "move-leg-day"):
            w = sug.run if sug.kind == "move" else sug.leg_day
            got[id(planner.sessions[_k(w)])] = (sug.start, sug.end)
    assert _cost(planner, got) == best


# ---- identity and idempotence -------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(calendars, busy_items, goals, st.randoms(use_true_random=False))
def test_the_same_calendar_gives_the_same_plan_and_ids_in_any_order(items, busy, goal,
                                                                     rnd) -> None:
    # (an exact copy of a workout counts once, the first in the sources' order, so copies
    # are left out here: their order is the sources', not a shuffle's)
    events = build(list(dict.fromkeys((t, d, 0 if a else q, a) for t, d, q, a in items)), busy)
    s = settings_for(goal, ("06:00-09:00", "17:00-20:00"))
    d1 = judge(events, [], s, NOW)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    d2 = judge(shuffled, [], s, NOW)
    assert [c.id for c in d1.conflicts] == [c.id for c in d2.conflicts]
    assert [(x.id, x.start, x.fingerprint) for x in d1.suggestions] == \
        [(x.id, x.start, x.fingerprint) for x in d2.suggestions]
    assert len({x.id for x in d1.suggestions}) == len(d1.suggestions)


@settings(max_examples=40, deadline=None)
@given(calendars, busy_items, goals)
def test_applying_a_plan_then_planning_again_is_nothing_to_do(items, busy, goal) -> None:
    events = build(items, busy)
    suggestions = judge(events, [], settings_for(goal, ("06:00-09:00", "17:00-20:00")),
                        NOW).suggestions
    sink = FakeSink()
    ledger: dict[str, LedgerEntry] = {}
    first = plan(sink.name, suggestions, sink.load(), ledger, user_editable=True, now=NOW)
    assert {a.suggestion_id for a in first.actions} == {s.id for s in suggestions}
    sink.apply(first.actions, NOW)
    for s in suggestions:
        ledger[s.id] = LedgerEntry(s.id, s.fingerprint, "active", s.run.start)
    second = plan(sink.name, suggestions, sink.load(), ledger, user_editable=True, now=NOW)
    assert second.actions == [] and second.ledger == []
