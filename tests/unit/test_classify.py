"""The classifier on titles people really write, workouts and not."""

from __future__ import annotations

import pytest

from legday_sync.core.classify import Classifier
from tests.helpers import event

C = Classifier()


def kind(title: str, categories: tuple[str, ...] = (), clf: Classifier = C) -> tuple | None:
    w = clf.classify(event(title, "2026-11-23 18:00", categories=categories))
    return (w.kind, w.intensity) if w else None


@pytest.mark.parametrize(("title", "expected"), [
    ("Leg day", ("leg_day", "normal")),
    ("LEGS 🦵", ("leg_day", "normal")),
    ("Lower body strength", ("leg_day", "normal")),
    ("Back squats 5x5", ("leg_day", "normal")),
    ("Squat + bench", ("leg_day", "normal")),
    ("Deadlifts", ("leg_day", "normal")),
    ("Walking lunges & core", ("leg_day", "normal")),
    ("Heavy squats", ("leg_day", "heavy")),
    ("Deadlift 1RM test", ("leg_day", "heavy")),
    ("Squat PR attempt", ("leg_day", "heavy")),
    ("Gym #legday", ("leg_day", "normal")),
    ("Leg-day", ("leg_day", "normal")),
    ("Easy run", ("run", "easy")),
    ("Morning run", ("run", "moderate")),
    ("Run 10k", ("run", "moderate")),
    ("Running club", ("run", "moderate")),
    ("Jog with Sam", ("run", "easy")),
    ("Recovery run 30'", ("run", "easy")),
    ("Shakeout", ("run", "easy")),
    ("Zone 2 run", ("run", "easy")),
    ("Tempo run", ("run", "hard")),
    ("Tempo", ("run", "hard")),
    ("Intervals 6x800m", ("run", "hard")),
    ("Hill repeats", ("run", "hard")),
    ("Race 10k", ("run", "hard")),
    ("Long run 20k", ("run", "hard")),
    ("Fartlek 45'", ("run", "hard")),
    ("Threshold 3x10'", ("run", "hard")),
    ("Track session 12x400", ("run", "hard")),
    ("Marathon", ("run", "hard")),  # a race: DESIGN §1 counts races as hard
    ("Berlin Marathon race", ("run", "hard")),
    ("5k parkrun", ("run", "hard")),
    ("🏃", ("run", "moderate")),
    ("Morning #run", ("run", "moderate")),
])
def test_workouts(title: str, expected: tuple) -> None:
    assert kind(title) == expected


@pytest.mark.parametrize("title", [
    "Sprint review", "Sprint planning", "Dry run: quarterly demo", "Test run of the migration",
    "Brunch", "Team brunch", "Legal sync", "Roadshow leg 2: Munich", "Legacy cleanup",
    "Run-through of the board deck", "Long-running jobs post-mortem", "Pre-run coffee",
    "Race condition review", "Disaster recovery drill planning", "Easy Friday lunch",
    "Track changes in the contract", "Speed dating", "Hill repeats on the bike",
    "Intervals on the rowing machine", "Recovery swim", "Interval tree talk at the meetup review",
    "Runbook update", "Rerun CI", "1:1 with Max", "Dentist", "Yoga", "Cycling tempo ride",
    "Threshold budget review", "Max planck lecture",
])
def test_not_workouts(title: str) -> None:
    assert kind(title) is None, title


def test_categories_count_like_title_words() -> None:
    assert kind("Morning session", categories=("Running",)) == ("run", "moderate")
    assert kind("Gym", categories=("legday",)) == ("leg_day", "normal")
    assert kind("Session", categories=("Training", "Tempo")) == ("run", "hard")


def test_a_hashtag_in_the_title_counts() -> None:
    assert kind("Gym #legs") == ("leg_day", "normal")
    assert kind("Before work #run") == ("run", "moderate")


def test_config_lists_extend_the_builtins() -> None:
    # English built-ins only, so the German words here come from the config alone
    clf = Classifier(leg_day=("beinkraft",), run=("lauf",), hard=("schwelle",),
                     easy=("locker",), ignore=("trockenlauf",), heavy=("schwer",),
                     languages=("en",))
    assert kind("Beinkraft schwer", clf=clf) == ("leg_day", "heavy")
    assert kind("Lauf Schwelle", clf=clf) == ("run", "hard")
    assert kind("Lockerer Lauf", clf=clf) == ("run", "moderate")  # whole words only
    assert kind("Lauf locker", clf=clf) == ("run", "easy")
    assert kind("Trockenlauf Präsentation", clf=clf) is None
    assert kind("Leg day", clf=clf) == ("leg_day", "normal")  # built-ins still apply


def test_case_and_word_boundaries() -> None:
    assert kind("EASY RUN") == ("run", "easy")
    assert kind("Runner's meetup review") is None
    assert kind("Brunch run") == ("run", "moderate")


def test_races_are_fixed_other_runs_are_not() -> None:
    def fixed(title: str) -> bool:
        w = C.classify(event(title, "2026-11-23 18:00"))
        assert w is not None
        return w.race

    assert fixed("Race 10k") and fixed("Berlin Marathon") and fixed("Saturday parkrun")
    assert not fixed("Tempo run") and not fixed("Long run 20k")


def test_the_same_workout_in_two_calendars_counts_once() -> None:
    from legday_sync.core.classify import without_duplicates

    a = C.classify(event("Tempo run", "2026-11-24 07:00", source="google", uid="g1"))
    b = C.classify(event("tempo  RUN", "2026-11-24 07:00", source="ics", uid="i1"))
    c = C.classify(event("Tempo run", "2026-11-25 07:00", source="ics", uid="i2"))
    kept, dropped = without_duplicates([a, b, c])
    assert kept == [a, c] and dropped == [b]
