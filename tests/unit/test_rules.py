"""Every cell of DESIGN §1's goal table, at and around its edges."""

from __future__ import annotations

from datetime import timedelta

import pytest

from legday_sync.core.model import Workout
from legday_sync.core.rules import (
    RUN_WITHIN_RECOVERY,
    SAME_DAY_ORDER,
    Profile,
    find_conflicts,
    gap_hours,
)
from tests.helpers import BERLIN, UTC, at, event, leg, run

# (goal, run intensity) -> window in hours after a normal leg day; None: never a conflict
TABLE = {
    ("strength", "easy"): 6, ("strength", "moderate"): 48, ("strength", "hard"): 48,
    ("balanced", "easy"): None, ("balanced", "moderate"): 24, ("balanced", "hard"): 48,
    ("running", "easy"): None, ("running", "moderate"): None, ("running", "hard"): 48,
}


def run_after(leg_day: Workout, hours: float, intensity: str) -> Workout:
    start = leg_day.end + timedelta(hours=hours)
    e = event("Run", "2026-01-01 00:00", uid=f"r{hours}")
    from dataclasses import replace

    return Workout(replace(e, start=start, end=start + timedelta(minutes=45)), "run",
                   intensity)  # type: ignore[arg-type]


def conflicts(goal: str, *workouts: Workout) -> list:
    return [c for c in find_conflicts(workouts, Profile(goal=goal, tz=BERLIN))
            if c.rule == RUN_WITHIN_RECOVERY]


@pytest.mark.parametrize(("goal", "intensity"), sorted(TABLE))
def test_each_cell_of_the_table(goal: str, intensity: str) -> None:
    legs = leg("2026-11-23 18:00")
    window = TABLE[(goal, intensity)]
    if window is None:
        assert conflicts(goal, legs, run_after(legs, 0.5, intensity)) == []
        return
    just_inside = conflicts(goal, legs, run_after(legs, window - 0.25, intensity))
    assert len(just_inside) == 1
    assert just_inside[0].window_hours == window
    assert just_inside[0].gap_hours == pytest.approx(window - 0.25)
    # a gap exactly at the window is clear: the window is "below", not "at most"
    assert conflicts(goal, legs, run_after(legs, window, intensity)) == []


@pytest.mark.parametrize(("goal", "intensity"), sorted(TABLE))
def test_a_heavy_leg_day_adds_a_day_to_moderate_and_hard_windows(goal: str,
                                                                  intensity: str) -> None:
    heavy = leg("2026-11-23 18:00", heavy=True)
    window = TABLE[(goal, intensity)]
    if window is None:
        assert conflicts(goal, heavy, run_after(heavy, 1, intensity)) == []
        return
    expected = window + 24 if intensity != "easy" else window
    inside = conflicts(goal, heavy, run_after(heavy, expected - 0.5, intensity))
    assert [c.window_hours for c in inside] == [expected]
    assert "heavy" in inside[0].explanation
    assert conflicts(goal, heavy, run_after(heavy, expected, intensity)) == []


def test_a_run_that_starts_during_the_leg_day_has_gap_zero() -> None:
    legs = leg("2026-11-23 18:00", minutes=90)
    during = run("2026-11-23 18:30", "hard")
    [c] = conflicts("balanced", legs, during)
    assert c.gap_hours == 0


def test_a_run_before_the_leg_day_is_no_recovery_conflict() -> None:
    assert conflicts("strength", leg("2026-11-23 18:00"), run("2026-11-23 07:00", "hard")) == []
    assert gap_hours(leg("2026-11-23 18:00"), run("2026-11-23 07:00")) is None


def test_gap_is_real_elapsed_time_across_the_autumn_dst_change() -> None:
    # Legs end Sat 24 Oct 2026 19:00 CEST; the clocks go back on Sunday 25 Oct, so
    # Mon 26 Oct 18:30 CET is 47.5 wall-clock hours later but 48.5 real hours:
    # clear of a 48 h window, which a naive local subtraction would flag.
    legs = leg("2026-10-24 18:00", minutes=60)
    r = run("2026-10-26 18:30", "hard")
    assert gap_hours(legs, r) == pytest.approx(48.5)
    assert conflicts("balanced", legs, r) == []
    r2 = run("2026-10-26 17:30", "hard")
    assert gap_hours(legs, r2) == pytest.approx(47.5)
    assert len(conflicts("balanced", legs, r2)) == 1


def test_gap_across_the_spring_dst_change_is_an_hour_shorter() -> None:
    legs = leg("2026-03-28 18:00", minutes=60)  # Sat; clocks go forward Sun 29 Mar
    r = run("2026-03-30 19:30", "hard")  # 48.5 wall-clock hours, 47.5 real
    assert gap_hours(legs, r) == pytest.approx(47.5)
    assert len(conflicts("balanced", legs, r)) == 1


def test_configured_numbers_change_the_windows_not_the_shape() -> None:
    legs = leg("2026-11-23 18:00")
    profile = Profile(goal="balanced", recovery_hours=36, moderate_hours=12, tz=BERLIN)
    hard = run_after(legs, 35, "hard")
    moderate = run_after(legs, 13, "moderate")
    found = find_conflicts([legs, hard, moderate], profile)
    assert [(c.run.intensity, c.window_hours) for c in found] == [("hard", 36)]


def test_a_run_after_two_leg_days_conflicts_with_each() -> None:
    a, b = leg("2026-11-22 10:00", uid="a"), leg("2026-11-23 18:00", uid="b")
    r = run("2026-11-24 07:00", "hard")
    found = conflicts("balanced", a, b, r)
    assert sorted(c.leg_day.event.uid for c in found) == ["a", "b"]


def test_conflict_ids_are_stable_and_distinct() -> None:
    legs, r = leg("2026-11-23 18:00"), run("2026-11-24 07:00", "hard")
    first = conflicts("balanced", legs, r)
    again = conflicts("balanced", leg("2026-11-23 18:00"), run("2026-11-24 07:00", "hard"))
    assert [c.id for c in first] == [c.id for c in again]
    other = conflicts("balanced", legs, run("2026-11-24 08:00", "hard", uid="other"))
    assert other[0].id != first[0].id


def test_explanations_cite_the_guidance_and_evidence() -> None:
    [c] = conflicts("balanced", leg("2026-11-23 18:00"), run("2026-11-24 07:00", "hard"))
    assert "Running After Leg Workout" in c.explanation and "Doma et al. 2019" in c.explanation
    [s] = conflicts("strength", leg("2026-11-23 18:00"), run("2026-11-24 07:00", "hard"))
    assert "Should You Run after Leg Day?" in s.explanation
    assert "Wilson et al. 2012" in s.explanation


@pytest.mark.parametrize(("goal", "run_time", "leg_time", "flagged"), [
    ("strength", "2026-11-23 12:00", "2026-11-23 10:00", False),  # legs first: a conflict already
    ("strength", "2026-11-23 07:00", "2026-11-23 18:00", False),  # run first: preferred
    ("running", "2026-11-23 07:00", "2026-11-23 18:00", True),   # run first: not preferred
    ("running", "2026-11-23 20:00", "2026-11-23 10:00", False),  # legs first: preferred
    ("balanced", "2026-11-23 07:00", "2026-11-23 18:00", False),
])
def test_same_day_order(goal: str, run_time: str, leg_time: str, flagged: bool) -> None:
    found = find_conflicts([leg(leg_time), run(run_time, "easy")], Profile(goal=goal, tz=BERLIN))
    infos = [c for c in found if c.rule == SAME_DAY_ORDER]
    assert bool(infos) == flagged
    if infos:
        assert infos[0].severity == "info"
        assert "Should You Run after Leg Day?" in infos[0].explanation


def test_strength_easy_run_after_legs_same_day_past_the_gap_is_an_order_info() -> None:
    found = find_conflicts([leg("2026-11-23 07:00"), run("2026-11-23 19:00", "easy")],
                           Profile(goal="strength", tz=BERLIN))
    assert [c.rule for c in found] == [SAME_DAY_ORDER]


def test_sweep_finds_the_same_conflicts_as_checking_every_pair() -> None:
    import random

    rng = random.Random(7)
    workouts = []
    base = at("2026-01-05 06:00")
    for i in range(400):
        start = base + timedelta(minutes=15 * rng.randrange(0, 4 * 24 * 120))
        e = event("x", "2026-01-01 00:00", uid=f"w{i}")
        from dataclasses import replace

        dur = timedelta(minutes=rng.choice([30, 45, 60, 90, 180]))
        e = replace(e, start=start, end=start + dur)
        if rng.random() < 0.3:
            workouts.append(Workout(e, "leg_day", rng.choice(["normal", "heavy"])))
        else:
            workouts.append(Workout(e, "run", rng.choice(["easy", "moderate", "hard"])))
    for goal in ("strength", "balanced", "running"):
        profile = Profile(goal=goal, tz=UTC)
        swept = {(c.leg_day.event.uid, c.run.event.uid) for c in find_conflicts(workouts, profile)
                 if c.rule == RUN_WITHIN_RECOVERY}
        brute = set()
        for lg in (w for w in workouts if w.kind == "leg_day"):
            for r in (w for w in workouts if w.kind == "run"):
                g, win = gap_hours(lg, r), profile.window_hours(lg, r)
                if g is not None and win is not None and g < win:
                    brute.add((lg.event.uid, r.event.uid))
        assert swept == brute
        assert swept  # the data really has conflicts


def test_a_run_within_the_tolerance_of_its_window_is_info_and_beyond_it_a_conflict() -> None:
    from legday_sync.core.rules import find_conflicts as fc

    legs = leg("2026-11-23 18:00")  # ends 19:15; a hard run needs 48 h: Wed 19:15
    near = run("2026-11-25 18:30", "hard")  # 47.25 h: within 1 h of the end
    far = run("2026-11-25 18:00", "hard", uid="far")  # 46.75 h
    p = Profile(tz=BERLIN)
    assert [c.severity for c in fc([legs, near], p)] == ["info"]
    assert [c.severity for c in fc([legs, far], p)] == ["conflict"]
    assert [c.severity for c in fc([legs, far], Profile(tz=BERLIN, tolerance_hours=2))] == [
        "info"]


def test_date_only_workouts_are_judged_in_days() -> None:
    from dataclasses import replace

    from legday_sync.core.rules import find_conflicts as fc

    def day(w: Workout, date: str) -> Workout:
        return replace(w, event=replace(w.event, start=at(f"{date} 00:00"),
                                        end=at(f"{date} 00:00") + timedelta(days=1),
                                        all_day=True))

    legs = day(leg("2026-11-23 00:00"), "2026-11-23")
    p = Profile(tz=BERLIN)
    # a hard run needs two days after a date-only leg day, a moderate one a day
    assert [c.gap_hours for c in fc([legs, day(run("2026-11-24 00:00", "hard"), "2026-11-24")],
                                    p)] == [24.0]
    assert fc([legs, day(run("2026-11-25 00:00", "hard"), "2026-11-25")], p) == []
    assert fc([legs, day(run("2026-11-24 00:00", "moderate"), "2026-11-24")], p) == []
    # a timed run on the date-only leg day's own date: gap 0 days
    assert [c.gap_hours for c in fc([legs, run("2026-11-23 18:00", "hard")], p)] == [0.0]


def test_pre_race_reports_a_heavy_leg_day_in_the_week_before_a_race() -> None:
    from dataclasses import replace

    from legday_sync.core.rules import PRE_RACE
    from legday_sync.core.rules import find_conflicts as fc

    race = replace(run("2026-11-29 09:00", "hard"), race=True)
    heavy = leg("2026-11-24 18:00", heavy=True)  # 4.5 days before: past the 72 h window
    normal = leg("2026-11-25 07:00", uid="normal")
    found = fc([heavy, normal, race], Profile(tz=BERLIN))
    assert [(c.rule, c.severity, c.leg_day.event.uid) for c in found if c.rule == PRE_RACE] == [
        (PRE_RACE, "info", heavy.event.uid)]
    assert fc([heavy, race], Profile(tz=BERLIN, pre_race_days=3)) == []
