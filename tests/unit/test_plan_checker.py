"""The independent plan checker, on hand-built weeks: for each constraint of DESIGN §2 a
plan that breaks it (the checker names exactly that constraint) and one that keeps it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from legday_sync.config import parse_training_range
from legday_sync.core.model import Event, Suggestion, TrainingRange, Workout
from legday_sync.core.rules import RUN_WITHIN_RECOVERY, Profile, find_conflicts
from tests.helpers import BERLIN, at, event
from tests.plan_checker import (
    Violation,
    check_plan,
    conflict_pairs,
    days_away,
    key_of,
    window_hours,
)

NOW = at("2026-11-21 08:00")  # Saturday; the week under test is Mon 23 – Sun 29 Nov 2026
HOURS = {"default": (parse_training_range("06:00-09:00"), parse_training_range("17:00-22:00"))}
AWAY = ("flight", "travel", "trip", "offsite", "holiday", "vacation")


@dataclass(frozen=True)
class Plan:
    """A suggestion as the planner will make it (target, all_day, leg_day): the checker reads
    suggestions by attribute, so the real model and this stand-in look alike to it."""

    kind: str
    start: datetime
    end: datetime
    run: Workout | None = None
    leg_day: Workout | None = None
    all_day: bool = False
    activity: str = ""
    title: str = ""


def w(kind: str, title: str, start: str, minutes: int = 60, intensity: str | None = None,
      **flags: bool) -> Workout:
    extra = {k: flags.pop(k) for k in ("all_day", "transparent") if k in flags}
    if extra.get("all_day"):
        s = at(start[:10] + " 00:00")
        e = Event("cal", f"{title}-{start}", s, s + timedelta(days=1), title, all_day=True)
    else:
        e = event(title, start, minutes)
    default = "normal" if kind == "leg_day" else "moderate"
    return Workout(e, kind, intensity or default, **flags)  # type: ignore[arg-type]


def legs(start: str, minutes: int = 75, heavy: bool = False, **kw: bool) -> Workout:
    return w("leg_day", "Heavy squats" if heavy else "Leg day", start, minutes,
             "heavy" if heavy else "normal", **kw)


def tempo(start: str, minutes: int = 45, **kw: bool) -> Workout:
    return w("run", "Tempo run", start, minutes, "hard", **kw)


def moved(wk: Workout, start: str, minutes: int | None = None) -> Plan:
    s = at(start)
    length = timedelta(minutes=minutes) if minutes else wk.end - wk.start
    kind = "move-leg-day" if wk.kind == "leg_day" else "move"
    return Plan(kind, s, s + length, run=wk if wk.kind == "run" else None,
                leg_day=wk if wk.kind == "leg_day" else None)


def moved_to_date(wk: Workout, day: str) -> Plan:
    s = at(day + " 00:00")
    kind = "move-leg-day" if wk.kind == "leg_day" else "move"
    return Plan(kind, s, s + timedelta(days=1), run=wk if wk.kind == "run" else None,
                leg_day=wk if wk.kind == "leg_day" else None, all_day=True)


def instead(run: Workout, minutes: int, activity: str = "yoga", start: datetime | None = None,
            all_day: bool = False) -> Plan:
    s = start or run.start
    return Plan("instead", s, s + timedelta(minutes=minutes), run=run, activity=activity,
                all_day=all_day)


def check(workouts, plan, *, others=(), goal="balanced", hours=HOURS, horizon=7, notes=None,
          now=NOW) -> list[Violation]:
    events = [x.event for x in workouts] + list(others)
    return check_plan(workouts=workouts, events=events, suggestions=plan,
                      profile=Profile(goal=goal, tz=BERLIN), training_hours=hours,
                      horizon_days=horizon, away_words=AWAY, now=now, notes=notes)


def names(violations: list[Violation]) -> set[int | str]:
    return {v.constraint for v in violations}


# Monday's leg day, Tuesday's tempo: 22.75 h apart where a hard run needs 48 h.
MON_LEGS = legs("2026-11-23 18:00")
TUE_TEMPO = tempo("2026-11-24 18:00")
WEEK = [MON_LEGS, TUE_TEMPO]


def test_a_move_past_the_window_into_free_training_time_is_clean() -> None:
    assert check(WEEK, [moved(TUE_TEMPO, "2026-11-26 18:00")]) == []


def test_the_real_suggestion_model_is_read_too() -> None:
    s = Suggestion(id="x", conflict_id="c", kind="move", activity="run",
                   start=at("2026-11-26 18:00"), end=at("2026-11-26 18:45"), title="t",
                   description="", run=TUE_TEMPO)
    assert check(WEEK, [s]) == []
    assert names(check(WEEK, [replace(s, start=at("2026-11-25 18:00"),
                                      end=at("2026-11-25 18:45"))])) == {2}


# -- 1: training hours, horizon, busy time, days away --------------------------------------

def test_1_outside_training_hours() -> None:
    out = check(WEEK, [moved(TUE_TEMPO, "2026-11-26 12:00")])
    assert names(out) == {1}
    assert "Tempo run" in out[0].message and "Thu 26 Nov 12:00" in out[0].message


def test_1_a_slot_that_runs_past_the_end_of_its_range() -> None:
    assert names(check(WEEK, [moved(TUE_TEMPO, "2026-11-26 21:30")])) == {1}
    assert check(WEEK, [moved(TUE_TEMPO, "2026-11-26 21:15")]) == []


def test_1_per_weekday_training_hours() -> None:
    hours = {"thu": (parse_training_range("06:00-08:00"),), **HOURS}
    assert names(check(WEEK, [moved(TUE_TEMPO, "2026-11-26 18:00")], hours=hours)) == {1}
    assert check(WEEK, [moved(TUE_TEMPO, "2026-11-26 07:00")], hours=hours) == []
    # a plain list of ranges is every day's hours
    assert check(WEEK, [moved(TUE_TEMPO, "2026-11-26 18:00")],
                 hours=list(HOURS["default"])) == []


def test_1_a_range_ending_at_midnight() -> None:
    hours = {"default": (TrainingRange(time(20, 0), time.max),)}
    assert check(WEEK, [moved(TUE_TEMPO, "2026-11-26 23:15")], hours=hours) == []
    assert names(check(WEEK, [moved(TUE_TEMPO, "2026-11-26 23:30")], hours=hours)) == {1}


def test_1_beyond_the_horizon() -> None:
    assert names(check(WEEK, [moved(TUE_TEMPO, "2026-11-26 18:00")], horizon=1)) == {1}
    assert check(WEEK, [moved(TUE_TEMPO, "2026-11-26 18:00")], horizon=2) == []


def test_1_overlapping_a_busy_event_but_not_a_free_one() -> None:
    dinner = event("Dinner with Sam", "2026-11-26 18:30", 150)
    assert names(check(WEEK, [moved(TUE_TEMPO, "2026-11-26 18:00")], others=[dinner])) == {1}
    free = replace(dinner, transparent=True)
    assert check(WEEK, [moved(TUE_TEMPO, "2026-11-26 18:00")], others=[free]) == []


def test_1_the_slot_a_moved_session_left_is_free_again() -> None:
    long_tempo = tempo("2026-11-24 19:00", 90)
    early = w("run", "Run", "2026-11-24 07:00", 45)  # moderate, 11.75 h after the legs
    plan = [moved(long_tempo, "2026-11-26 18:00"), moved(early, "2026-11-24 19:30")]
    assert check([MON_LEGS, long_tempo, early], plan) == []
    # had the tempo stayed, the run would land on it
    out = check([MON_LEGS, long_tempo, early], [plan[1], instead(long_tempo, 60)])
    assert 1 in names(out) and any("busy event “Tempo run”" in v.message for v in out)


def test_1_two_moved_sessions_may_not_share_a_slot() -> None:
    second = w("run", "Run", "2026-11-24 07:00", 45)  # moderate, 11.75 h after the legs
    out = check([*WEEK, second], [moved(TUE_TEMPO, "2026-11-26 18:00"),
                                  moved(second, "2026-11-26 18:15")])
    assert 1 in names(out)
    assert any("overlapping" in v.message for v in out)


@pytest.mark.parametrize("away", [
    Event("work", "conf", at("2026-11-26 00:00"), at("2026-11-27 00:00"), "Conference",
          all_day=True),
    event("Flight to Lisbon", "2026-11-26 06:00", 180),
    event("Team OFFSITE", "2026-11-25 09:00", 60 * 50),        # multi-day and an away word
    event("Dienstreise", "2026-11-26 07:00", 26 * 60),          # > 24 h
    event("Vacación: holiday in Spain", "2026-11-26 10:00", 60, transparent=True),
])
def test_1_a_day_away(away: Event) -> None:
    out = check(WEEK, [moved(TUE_TEMPO, "2026-11-26 18:00")], others=[away])
    assert names(out) == {1}
    assert any("day away" in v.message and away.title in v.message for v in out)


def test_1_days_that_are_not_away() -> None:
    birthday = Event("p", "b", at("2026-11-26 00:00"), at("2026-11-27 00:00"), "Mum's birthday",
                     all_day=True, transparent=True)
    tripod = event("Buy a tripod", "2026-11-26 12:00")  # "trip" is a whole word only
    assert check(WEEK, [moved(TUE_TEMPO, "2026-11-26 18:00")], others=[birthday, tripod]) == []


def test_days_away_are_accent_and_case_insensitive_and_skip_workouts() -> None:
    plan_day = w("run", "Long run 28k", "2026-11-29 00:00", intensity="hard", all_day=True)
    events = [plan_day.event, event("VACATION", "2026-11-26 10:00"),
              event("Flúg home", "2026-11-27 10:00")]
    away = days_away(events, {plan_day.event.occurrence}, ["vacation", "flug"], BERLIN)
    assert sorted(d.day for d in away) == [26, 27]


# -- 2: no recovery conflict after the moves ----------------------------------------------

def test_2_a_move_that_stays_inside_the_window() -> None:
    out = check(WEEK, [moved(TUE_TEMPO, "2026-11-25 18:00")])
    assert names(out) == {2}
    assert "46.75 h" in out[0].message and "48 h" in out[0].message


def test_2_a_moved_leg_day_that_lands_in_a_later_runs_window() -> None:
    assert names(check(WEEK, [moved(MON_LEGS, "2026-11-22 19:00")])) == {2}
    assert check(WEEK, [moved(MON_LEGS, "2026-11-21 17:00")]) == []


def test_2_a_move_into_another_leg_days_window() -> None:
    thu_legs = legs("2026-11-26 07:00")
    assert names(check([*WEEK, thu_legs], [moved(TUE_TEMPO, "2026-11-27 18:00")])) == {2}
    assert check([*WEEK, thu_legs], [moved(TUE_TEMPO, "2026-11-28 18:00")]) == []


def test_2_windows_follow_the_goal_the_heavy_extra_and_dst() -> None:
    heavy = legs("2026-11-23 18:00", heavy=True)
    # after heavy squats a hard run needs 72 h: Thursday evening is still too soon
    assert names(check([heavy, TUE_TEMPO], [moved(TUE_TEMPO, "2026-11-26 18:00")])) == {2}
    assert check([heavy, TUE_TEMPO], [moved(TUE_TEMPO, "2026-11-27 18:00")]) == []
    # spring forward: 07:00 Sat → 07:00 Mon local is 47 real hours
    sat = legs("2026-03-28 06:00", 60)
    sun = tempo("2026-03-29 07:00")
    spring_now = at("2026-03-27 08:00")
    assert names(check([sat, sun], [moved(sun, "2026-03-30 07:00")], now=spring_now)) == {2}
    assert check([sat, sun], [moved(sun, "2026-03-30 08:00")], now=spring_now) == []


def test_window_table_of_design_1() -> None:
    leg, hv = legs("2026-11-23 18:00"), legs("2026-11-23 18:00", heavy=True)
    easy = w("run", "Easy run", "2026-11-24 07:00", intensity="easy")
    mod = w("run", "Run", "2026-11-24 07:00")
    hard = TUE_TEMPO
    table = {
        "strength": (6, 48, 48, 6, 72, 72),
        "balanced": (None, 24, 48, None, 48, 72),
        "running": (None, None, 48, None, None, 72),
    }
    for goal, want in table.items():
        p = Profile(goal=goal)
        got = tuple(window_hours(p, lg, r) for lg in (leg, hv) for r in (easy, mod, hard))
        assert got == want, goal


# -- 3: race day and its eve ---------------------------------------------------------------

RACE = w("run", "Race 10k", "2026-11-29 09:00", 60, "hard", race=True)
MON_RUN = w("run", "Run", "2026-11-24 18:00", 45)  # moderate: 22.75 h after Monday's legs


def test_3_onto_the_eve_of_a_race() -> None:
    out = check([MON_LEGS, MON_RUN, RACE], [moved(MON_RUN, "2026-11-28 08:00")])
    assert names(out) == {3}
    assert "Race 10k" in out[0].message
    assert check([MON_LEGS, MON_RUN, RACE], [moved(MON_RUN, "2026-11-25 18:00")]) == []


def test_3_onto_race_day() -> None:
    out = check([MON_LEGS, MON_RUN, RACE], [moved(MON_RUN, "2026-11-29 18:00")])
    assert 3 in names(out) and names(out) <= {3, 6}


# -- 4: a moved run off leg days; a moved leg day off hard-run days --------------------------

def test_4_a_moved_run_on_the_day_of_a_leg_day() -> None:
    thu_legs = legs("2026-11-26 18:00")
    assert names(check([MON_LEGS, MON_RUN, thu_legs], [moved(MON_RUN, "2026-11-26 07:00")])) \
        == {4}
    assert check([MON_LEGS, MON_RUN, thu_legs], [moved(MON_RUN, "2026-11-25 18:00")]) == []


def test_4_a_moved_leg_day_on_the_day_of_a_hard_run() -> None:
    sat_intervals = w("run", "Intervals 6x800m", "2026-11-28 07:00", 60, "hard")
    wk = [*WEEK, sat_intervals]
    assert names(check(wk, [moved(MON_LEGS, "2026-11-28 18:00")])) == {4}
    assert check(wk, [moved(MON_LEGS, "2026-11-25 18:00")]) == []


# -- 5: no stacked hard days ------------------------------------------------------------------

def test_5_a_moved_hard_run_next_to_a_long_run() -> None:
    long_run = w("run", "Long run 28k", "2026-11-29 09:00", 150, "hard", long=True)
    out = check([*WEEK, long_run], [moved(TUE_TEMPO, "2026-11-28 08:00")])
    assert names(out) == {5}
    assert "Long run 28k" in out[0].message
    assert check([*WEEK, long_run], [moved(TUE_TEMPO, "2026-11-26 18:00")]) == []


def test_5_a_long_run_counts_even_when_not_marked_hard() -> None:
    long_easy = w("run", "Long easy run", "2026-11-27 09:00", 150, "easy", long=True)
    assert names(check([*WEEK, long_easy], [moved(TUE_TEMPO, "2026-11-26 18:00")])) == {5}


def test_5_an_adjacency_the_user_already_had_may_stay_but_not_tighten() -> None:
    sun_legs = legs("2026-11-22 17:00")
    mon_tempo = tempo("2026-11-23 18:00")                   # 23.75 h after: must change
    tue_intervals = w("run", "Intervals", "2026-11-24 18:00", 45, "hard")  # 47.75 h: tolerated
    wk = [sun_legs, mon_tempo, tue_intervals]
    # Monday and Tuesday were back to back in the user's plan: Wednesday keeps that adjacency
    assert check(wk, [moved(mon_tempo, "2026-11-25 18:00")]) == []
    # Tuesday morning stacks both on one day: tighter than the user's plan
    assert 5 in names(check(wk, [moved(mon_tempo, "2026-11-24 07:00")]))


# -- 6: one run a day ------------------------------------------------------------------------

def test_6_a_second_run_moved_onto_a_day() -> None:
    thu_easy = w("run", "Easy run", "2026-11-26 07:00", 40, "easy")
    out = check([MON_LEGS, MON_RUN, thu_easy], [moved(MON_RUN, "2026-11-26 18:00")])
    assert names(out) == {6}
    assert "Easy run" in out[0].message and "Thu 26 Nov" in out[0].message


def test_6_the_users_own_double_may_stay_but_not_grow() -> None:
    tue_easy = w("run", "Easy run", "2026-11-24 07:00", 40, "easy")
    assert check([MON_LEGS, MON_RUN, tue_easy], [moved(MON_RUN, "2026-11-24 20:00")]) == []
    wed_double = [w("run", "Easy run", "2026-11-25 07:00", 30, "easy"),
                  w("run", "Easy jog", "2026-11-25 20:00", 30, "easy")]
    assert names(check([MON_LEGS, MON_RUN, *wed_double],
                       [moved(MON_RUN, "2026-11-25 18:00")])) == {6}


# -- 7: real moves; date-only stays date-only --------------------------------------------------

def test_7_a_shift_under_two_hours() -> None:
    out = check([MON_LEGS, MON_RUN], [moved(MON_RUN, "2026-11-24 19:30")])
    assert names(out) == {7}
    assert check([MON_LEGS, MON_RUN], [moved(MON_RUN, "2026-11-24 20:00")]) == []


DATE_LEGS = legs("2026-11-23 00:00", all_day=True)
DATE_TEMPO = tempo("2026-11-24 00:00", all_day=True)


def test_7_date_only_moves_to_another_date_date_only() -> None:
    wk = [DATE_LEGS, DATE_TEMPO]
    assert check(wk, [moved_to_date(DATE_TEMPO, "2026-11-25")]) == []
    assert names(check(wk, [moved(DATE_TEMPO, "2026-11-25 18:00", 60)])) == {7}
    # the same date is no move (and so keeps the conflict)
    assert 7 in names(check(wk, [moved_to_date(DATE_TEMPO, "2026-11-24")]))


def test_date_only_pairs_are_judged_in_days() -> None:
    wk = [DATE_LEGS, DATE_TEMPO]
    # the next day is one day × 24 h < 48 h; two days later is enough
    assert names(check(wk, [])) == {"recovery"}
    wed = tempo("2026-11-25 00:00", all_day=True)
    assert check([DATE_LEGS, wed], []) == []


# -- races, insteads, tolerance, resolutions ------------------------------------------------

FRI_LEGS = legs("2026-11-27 18:00")
SAT_RACE = w("run", "Race: Half marathon", "2026-11-28 09:00", 120, "hard", race=True)


def test_a_race_is_never_moved_or_replaced() -> None:
    wk = [FRI_LEGS, SAT_RACE]
    assert names(check(wk, [moved(SAT_RACE, "2026-11-30 07:00")])) == {"race"}
    assert names(check(wk, [instead(SAT_RACE, 60)])) == {"race"}
    lighten = Plan("lighten", FRI_LEGS.start, FRI_LEGS.end, leg_day=FRI_LEGS)
    assert check(wk, [lighten]) == []
    assert check(wk, [moved(FRI_LEGS, "2026-11-24 18:00")]) == []


def test_a_lighten_note_sits_on_the_leg_day() -> None:
    wk = [FRI_LEGS, SAT_RACE]
    elsewhere = Plan("lighten", at("2026-11-26 18:00"), at("2026-11-26 19:00"), leg_day=FRI_LEGS)
    assert names(check(wk, [elsewhere])) == {"plan"}


def test_instead_at_the_runs_time_no_longer_than_the_cap() -> None:
    long_tempo = tempo("2026-11-24 18:00", 75)
    wk = [MON_LEGS, long_tempo]
    assert check(wk, [instead(long_tempo, 60)]) == []
    assert names(check(wk, [instead(long_tempo, 75)])) == {"instead"}
    assert names(check(wk, [instead(long_tempo, 30, "easy_run")], goal="running")) == set()
    assert names(check(wk, [instead(long_tempo, 45, "easy_run")], goal="running")) == {"instead"}
    assert names(check(wk, [instead(long_tempo, 60, start=at("2026-11-24 19:00"))])) \
        == {"instead"}


def test_a_key_session_instead_keeps_its_purpose() -> None:
    key_run = w("run", "Long run 30km", "2026-11-24 08:00", 165, "hard", long=True, key=True)
    wk = [MON_LEGS, key_run]
    assert check(wk, [instead(key_run, 90, "easy_long_run")]) == []
    assert names(check(wk, [instead(key_run, 165, "walk")])) == {"instead"}
    assert names(check(wk, [instead(key_run, 30, "easy_run")])) == {"instead"}


def test_a_date_only_run_gets_a_date_only_instead_on_its_date() -> None:
    wk = [DATE_LEGS, DATE_TEMPO]
    day = Plan("instead", DATE_TEMPO.start, DATE_TEMPO.end, run=DATE_TEMPO, all_day=True,
               activity="yoga")
    assert check(wk, [day]) == []
    assert names(check(wk, [instead(DATE_TEMPO, 60, start=at("2026-11-24 18:00"))])) \
        == {"date-only"}


def test_every_conflict_is_resolved_or_named() -> None:
    out = check(WEEK, [])
    assert names(out) == {"recovery"}
    assert "Tempo run" in out[0].message and "22.75 h" in out[0].message
    assert check(WEEK, [], notes=["No slot for “Tempo run” (Tue 24 Nov 18:00): ..."]) == []
    assert check(WEEK, [instead(TUE_TEMPO, 45)]) == []
    # a past run needs nothing
    assert check(WEEK, [], now=at("2026-11-25 08:00")) == []


def test_a_run_within_tolerance_gets_no_suggestion() -> None:
    near = tempo("2026-11-25 18:30")  # 47.25 h after the legs end: 0.75 h short of 48
    assert check([MON_LEGS, near], []) == []
    assert names(check([MON_LEGS, near], [moved(near, "2026-11-26 18:00")])) == {"tolerance"}
    assert names(check([MON_LEGS, near], [instead(near, 45)])) == {"tolerance"}


def test_nothing_is_suggested_for_the_past() -> None:
    out = check(WEEK, [moved(TUE_TEMPO, "2026-11-26 18:00")], now=at("2026-11-24 19:00"))
    assert names(out) == {"past"}


def test_a_move_keeps_the_sessions_length() -> None:
    assert names(check(WEEK, [moved(TUE_TEMPO, "2026-11-26 18:00", 30)])) == {"plan"}


def test_a_session_moved_twice_is_a_malformed_plan() -> None:
    out = check(WEEK, [moved(TUE_TEMPO, "2026-11-26 18:00"), moved(TUE_TEMPO, "2026-11-27 18:00")])
    assert names(out) == {"plan"}


timed_workouts = st.lists(st.tuples(
    st.sampled_from(["leg_day", "run"]),
    st.integers(0, 4 * 24 * 10),           # quarter hours from the Saturday before the DST change
    st.sampled_from([30, 45, 75, 150]),
    st.sampled_from(["easy", "moderate", "hard", "normal", "heavy"]),
), min_size=2, max_size=25)


@settings(max_examples=150, deadline=None)
@given(timed_workouts, st.sampled_from(["strength", "balanced", "running"]))
def test_the_checkers_windows_agree_with_the_rules(items, goal: str) -> None:
    """Two implementations of DESIGN §1 written apart: the same pairs, gaps and windows."""
    base = at("2026-10-24 00:00")  # the week of the autumn DST change
    workouts = []
    for i, (kind, q, minutes, intensity) in enumerate(items):
        if kind == "leg_day":
            intensity = "heavy" if intensity == "heavy" else "normal"
        elif intensity in ("normal", "heavy"):
            intensity = "moderate"
        s = base + timedelta(minutes=15 * q)
        e = Event("cal", f"w{i}", s, s + timedelta(minutes=minutes), f"{kind} {i}")
        workouts.append(Workout(e, kind, intensity))  # type: ignore[arg-type]
    profile = Profile(goal=goal, tz=BERLIN)
    mine = {(key_of(lg), key_of(r)): (round(g, 2), wnd)
            for lg, r, g, wnd in conflict_pairs(workouts, profile)}
    theirs = {(key_of(c.leg_day), key_of(c.run)): (c.gap_hours, c.window_hours)
              for c in find_conflicts(workouts, profile) if c.rule == RUN_WITHIN_RECOVERY}
    assert mine == theirs
