"""Suggestions: what they say, where moved runs land, and that they never clash."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from legday_sync.config import parse_training_range
from legday_sync.core.model import Workout
from legday_sync.core.planner import Busy, Schedule, plan_week
from legday_sync.core.rules import Profile, find_conflicts
from tests.helpers import BERLIN, at, event, leg, run

NOW = at("2026-11-23 06:00")
SCHED = Schedule((parse_training_range("06:00-09:00"), parse_training_range("17:00-20:00")), 7)


def go(workouts, goal="balanced", busy=(), schedule=SCHED, now=NOW):
    profile = Profile(goal=goal, tz=BERLIN)
    conflicts = find_conflicts(workouts, profile)
    events = [w.event for w in workouts] + list(busy)
    return plan_week(conflicts, workouts, events, profile, schedule, now)


def test_instead_per_goal_at_the_runs_time() -> None:
    legs, tempo = leg("2026-11-23 18:00"), run("2026-11-24 07:00", "hard")
    expected = {"strength": "upper_body", "balanced": "yoga", "running": "easy_run"}
    for goal, activity in expected.items():
        out, _ = go([legs, tempo], goal)
        [instead] = [s for s in out if s.kind == "instead"]
        assert instead.activity == activity
        assert instead.start == tempo.start
        assert instead.title.endswith("instead of Tempo run")
        assert "Tempo run" in instead.description and "run-within-recovery" in instead.description


def test_the_easy_run_instead_lasts_at_most_30_minutes() -> None:
    out, _ = go([leg("2026-11-23 18:00"), run("2026-11-24 07:00", "hard", minutes=90)], "running")
    [instead] = [s for s in out if s.kind == "instead"]
    assert instead.end - instead.start == timedelta(minutes=30)
    assert "warm up" in instead.title


def test_balanced_walks_when_the_legs_had_half_a_day() -> None:
    out, _ = go([leg("2026-11-23 07:00"), run("2026-11-24 07:00", "hard")])
    assert [s.activity for s in out if s.kind == "instead"] == ["walk"]
    assert "Walk instead of Tempo run" in [s.title for s in out]


def test_move_goes_to_the_first_training_slot_after_the_window() -> None:
    legs, tempo = leg("2026-11-23 18:00"), run("2026-11-24 07:00", "hard")
    out, _ = go([legs, tempo])
    [move] = [s for s in out if s.kind == "move"]
    # legs end Mon 19:15, +48 h = Wed 19:15, inside 17:00-20:00; 45 min fits before 20:00
    assert move.start == at("2026-11-25 19:15")
    assert move.end - move.start == tempo.end - tempo.start
    assert "moved from Tue 24 Nov 07:00" in move.title


def test_move_skips_busy_time_from_any_source() -> None:
    legs, tempo = leg("2026-11-23 18:00"), run("2026-11-24 07:00", "hard")
    dinner = event("Dinner", "2026-11-25 19:00", 120, source="other")
    out, _ = go([legs, tempo], busy=[dinner])
    [move] = [s for s in out if s.kind == "move"]
    assert move.start == at("2026-11-26 06:00")


def test_transparent_events_do_not_block_but_an_opaque_all_day_event_is_a_day_away() -> None:
    legs, tempo = leg("2026-11-23 18:00"), run("2026-11-24 07:00", "hard")
    free = replace(event("Focus time", "2026-11-25 19:00", 60), transparent=True)
    birthday = replace(event("Anna's birthday", "2026-11-25 00:00", 24 * 60), all_day=True,
                       transparent=True)
    out, _ = go([legs, tempo], busy=[free, birthday])
    assert [s.start for s in out if s.kind == "move"] == [at("2026-11-25 19:15")]
    offsite = replace(event("Team day", "2026-11-25 00:00", 24 * 60), all_day=True)
    out, _ = go([legs, tempo], busy=[offsite])
    assert [s.start for s in out if s.kind == "move"] == [at("2026-11-26 06:00")]


def test_away_words_and_multi_day_events_block_their_days() -> None:
    legs, tempo = leg("2026-11-23 18:00"), run("2026-11-24 07:00", "hard")
    flight = event("Flight to Lisbon", "2026-11-25 12:00", 120)
    conference = event("Conference", "2026-11-26 08:00", 3 * 24 * 60)  # Thu 08:00 - Sun 08:00
    out, _ = go([legs, tempo], busy=[flight, conference])
    [move] = [s for s in out if s.kind == "move"]
    # Wed: flight; Thu-Sun: the multi-day conference; Sat/Sun would be days 4-5
    assert move.start.astimezone(BERLIN).date().isoformat() == "2026-11-30"
    custom = Schedule(SCHED.training_hours, 7, away=("wedding",))
    out, _ = go([legs, tempo], busy=[event("Tom's wedding", "2026-11-25 14:00", 600)],
                schedule=custom)
    [move] = [s for s in out if s.kind == "move"]
    assert move.start == at("2026-11-26 06:00")


def test_move_never_lands_in_another_leg_days_window() -> None:
    legs, tempo = leg("2026-11-23 18:00"), run("2026-11-24 07:00", "hard")
    wednesday_legs = leg("2026-11-25 07:00", uid="wed")  # ends 08:15; +48 h = Fri 08:15
    out, _ = go([legs, tempo, wednesday_legs])
    [move] = [s for s in out if s.kind == "move"]
    assert move.start >= at("2026-11-27 08:15")


def test_no_slot_in_the_horizon_means_no_move_and_a_note_saying_why() -> None:
    legs, tempo = leg("2026-11-23 18:00"), run("2026-11-24 07:00", "hard")
    # the leg day is under way, and within a day of Tuesday 07:00 every slot is in its window
    out, notes = go([legs, tempo], schedule=Schedule(SCHED.training_hours, horizon_days=1),
                    now=at("2026-11-23 18:30"))
    assert [s.kind for s in out] == ["instead"]
    assert len(notes) == 1 and "No slot to move “Tempo run”" in notes[0]
    assert "Tue 24–Wed 25 Nov: inside a recovery window with “Leg day”" in notes[0]


def test_a_run_and_a_leg_day_may_swap_days() -> None:
    # Monday morning legs, Tuesday morning tempo, Wednesday morning legs again: the tempo
    # has no day of its own within two days, but the Monday and Tuesday sessions can trade
    mon, wed = leg("2026-11-23 07:00", uid="mon"), leg("2026-11-25 07:00", uid="wed")
    tempo = run("2026-11-24 07:00", "hard")
    out, _ = go([mon, wed, tempo], goal="strength",
                schedule=Schedule(SCHED.training_hours, horizon_days=2), now=at("2026-11-23 05:00"))
    moves = {s.kind: s for s in out if s.kind in ("move", "move-leg-day")}
    assert set(moves) == {"move", "move-leg-day"}
    assert moves["move"].start.astimezone(BERLIN).day == 23
    assert moves["move-leg-day"].start.astimezone(BERLIN).day == 24


def test_one_leg_day_move_beats_two_run_moves() -> None:
    legs = leg("2026-11-23 18:00")
    a = run("2026-11-24 07:00", "hard", uid="a")
    b = run("2026-11-24 18:00", "hard", uid="b")
    out, _ = go([legs, a, b])
    assert [s.kind for s in out] == ["move-leg-day"]
    [moved] = out
    assert moved.target == "leg_day" and moved.leg_day == legs
    after = [Workout(replace(legs.event, start=moved.start, end=moved.end), "leg_day",
                     "normal"), a, b]
    assert find_conflicts(after, Profile(tz=BERLIN)) == []


def test_two_runs_moved_never_share_a_day() -> None:
    legs = leg("2026-11-23 18:00")
    a = run("2026-11-24 07:00", "hard", uid="a")
    b = run("2026-11-24 18:00", "hard", uid="b")
    # the leg day is under way, so it can't move
    out, _ = go([legs, a, b], now=at("2026-11-23 18:30"))
    moves = sorted((s for s in out if s.kind == "move"), key=lambda s: s.start)
    assert len(moves) == 2
    days = [m.start.astimezone(BERLIN).date() for m in moves]
    assert days[0] != days[1]


def test_a_run_in_conflict_with_two_leg_days_gets_one_pair_tied_to_the_later_recovery() -> None:
    a, b = leg("2026-11-22 10:00", uid="a"), leg("2026-11-23 18:00", uid="b")
    tempo = run("2026-11-24 07:00", "hard")
    out, _ = go([a, b, tempo])
    assert sorted(s.kind for s in out) == ["instead", "move"]
    conflicts = {c.id: c for c in find_conflicts([a, b, tempo], Profile(tz=BERLIN))}
    assert {conflicts[s.conflict_id].leg_day.event.uid for s in out} == {"b"}


def test_past_runs_get_no_suggestions() -> None:
    out, _ = go([leg("2026-11-20 18:00"), run("2026-11-21 07:00", "hard")])
    assert out == []


def test_training_hours_are_local_time_across_dst() -> None:
    legs, tempo = leg("2026-10-23 18:00"), run("2026-10-24 07:00", "hard")
    out, _ = go([legs, tempo], now=at("2026-10-23 06:00"))
    [move] = [s for s in out if s.kind == "move"]
    local = move.start.astimezone(BERLIN)
    # legs end Fri 19:15 CEST; 48 real hours later is Sun 18:15 CET (clocks went back)
    assert local.tzname() == "CET" and (local.hour, local.minute) == (18, 15)


def test_busy_intervals_merge_and_answer_overlaps() -> None:
    busy = Busy([(at("2026-11-23 10:00"), at("2026-11-23 11:00")),
                 (at("2026-11-23 10:30"), at("2026-11-23 12:00")),
                 (at("2026-11-23 14:00"), at("2026-11-23 15:00"))])
    assert busy.starts == [at("2026-11-23 10:00"), at("2026-11-23 14:00")]
    assert busy.between(at("2026-11-23 12:00"), at("2026-11-23 13:00")) == []
    assert busy.between(at("2026-11-23 11:30"), at("2026-11-23 14:30")) == [
        (at("2026-11-23 10:00"), at("2026-11-23 12:00")),
        (at("2026-11-23 14:00"), at("2026-11-23 15:00"))]


def test_suggestion_ids_hash_rule_occurrences_and_kind() -> None:
    legs, tempo = leg("2026-11-23 18:00"), run("2026-11-24 07:00", "hard")
    first, _ = go([legs, tempo])
    again, _ = go([leg("2026-11-23 18:00"), run("2026-11-24 07:00", "hard")])
    assert [s.id for s in first] == [s.id for s in again]
    assert len({s.id for s in first}) == 2
    # a moved occurrence of a series keeps its identity through original_start
    moved = Workout(replace(tempo.event, original_start=tempo.start,
                            start=tempo.start + timedelta(hours=1),
                            end=tempo.end + timedelta(hours=1)), "run", "hard")
    plain = Workout(replace(tempo.event, original_start=tempo.start), "run", "hard")
    a, _ = go([legs, moved])
    b, _ = go([legs, plain])
    assert {s.id for s in a} == {s.id for s in b}


def test_a_race_keeps_its_date_and_the_leg_day_moves_out_of_its_way() -> None:
    legs = leg("2026-11-26 18:00", heavy=True)
    race = replace(run("2026-11-28 10:00", "hard"), race=True)
    out, notes = go([legs, race])
    [move] = out
    assert move.kind == "move-leg-day" and move.target == "leg_day" and notes == []
    assert race.start - move.end >= timedelta(hours=72)  # heavy + hard: 48 + 24 h
    assert "race keeps its date" in move.description


def test_a_race_whose_leg_day_cannot_move_gets_lighten_on_the_leg_day() -> None:
    legs = leg("2026-11-26 18:00", heavy=True)
    race = replace(run("2026-11-28 10:00", "hard"), race=True)
    out, notes = go([legs, race], now=at("2026-11-26 06:00"),
                    schedule=Schedule(SCHED.training_hours, horizon_days=1))
    [lighten] = out
    assert lighten.kind == "lighten" and lighten.target == "leg_day"
    assert (lighten.start, lighten.end) == (legs.start, legs.end)
    assert "no 1RM, RPE ≤ 7, half the sets" in lighten.title
    assert "until after the race on Sat 28 Nov" in lighten.description
    assert len(notes) == 1 and "race" in notes[0] and "Heavy squats" in notes[0]
