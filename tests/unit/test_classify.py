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


# -- every language, every field, kinds beyond two --------------------------------------------
def read(title: str, description: str = "", categories: tuple[str, ...] = (),
         clf: Classifier = C):
    return clf.read(event(title, "2026-11-23 18:00", description=description,
                          categories=categories))


@pytest.mark.parametrize(("title", "expected"), [
    ("Hügelintervalle", ("run", "hard")),
    ("HUGELINTERVALLE", ("run", "hard")),
    ("Beinkrafttraining", ("leg_day", "normal")),
    ("Regenerationsjogging", ("run", "easy")),
    ("Frontkniebeugen 4x6", ("leg_day", "normal")),
    ("Heuvelintervallen 8x200", ("run", "hard")),
    ("Côtes 10x30''", ("run", "hard")),
    ("COTES 10x200", ("run", "hard")),
    ("Día de piernas", ("leg_day", "normal")),
    ("dia de piernas", ("leg_day", "normal")),
    ("Sentadilla pesada", ("leg_day", "heavy")),
    ("Soulevé de terre lourd", ("leg_day", "heavy")),
    ("Kreuzheben schwer", ("leg_day", "heavy")),
    ("Footing tranquille", ("run", "easy")),
    ("Ripetute 6x1000", ("run", "hard")),
    ("Rustige duurloop", ("run", "easy")),
    ("Rodagem leve", ("run", "easy")),
])
def test_languages_compounds_accents(title: str, expected: tuple) -> None:
    assert kind(title) == expected


@pytest.mark.parametrize("title", [
    "Laufende Kosten", "Testlauf Server", "Lebenslauf überarbeiten", "Carrera profesional: "
    "mentoring", "Faire les courses", "Lopende zaken", "Corsa in banca", "Reunião de equipa",
    "Nursery run rota", "Deadlift Labs kickoff", "Talk: Running Kafka in production",
    "Half-marathon sponsorship call", "Charity fun run planning", "Tempo project standup",
    "Beinahe vergessen", "Jogginghose kaufen",
])
def test_look_alikes_in_every_language(title: str) -> None:
    assert kind(title) is None, read(title).evidence


def test_a_language_left_out_is_not_read() -> None:
    english = Classifier(languages=("en",))
    assert kind("Kniebeugen", clf=english) is None
    assert kind("Kniebeugen") == ("leg_day", "normal")
    assert kind("Leg day", clf=english) == ("leg_day", "normal")


def test_description_only_workouts_count() -> None:
    r = read("Lower A", "Back squat 4x6 @ RPE 7\nRDL 3x8")
    assert r.verdict == "leg day"
    r = read("Workout", "Hack squat 4x10\nLeg extension 3x15")
    assert r.verdict == "leg day" and any("description" in e for e in r.evidence)
    # a title that isn't about training doesn't let its description make a workout
    assert read("Dinner at Renée's", "after my 5k run").workouts == ()
    assert read("Budget meeting", "Workout: squats 5x5").workouts == ()


def test_the_description_sets_intensity_and_heaviness_the_title_leaves_open() -> None:
    assert read("Run", "WU 15' Z2, 5x3' Z5, CD 10'").workouts[0].intensity == "hard"
    assert read("Run", "Keep it in zone 2").workouts[0].intensity == "easy"
    assert read("Run", "Planned: 1:00:00 TSS 80 IF 0.91").workouts[0].intensity == "hard"
    assert read("Run", "RPE 3, chatty pace").workouts[0].intensity == "easy"
    assert read("Strength", "Back squat: top single @ RPE 9.5").workouts[0].intensity == "heavy"
    assert read("Squat 5x2 @ 87.5%").workouts[0].intensity == "heavy"
    assert read("Squat 5x5 @ 70%").workouts[0].intensity == "normal"


def test_the_title_wins_over_the_description() -> None:
    assert read("Easy run", "Race-pace 5x1 km in Z5").workouts[0].intensity == "easy"
    assert read("Tempo run", "easy warm-up and cool-down").workouts[0].intensity == "hard"
    assert read("Upper body", "Squats 3x10 as a finisher").workouts == ()


def test_an_event_that_is_both_gives_two_workouts_sharing_it() -> None:
    from legday_sync.core.classify import classify_all

    hyrox = event("HYROX Hamburg", "2026-11-28 10:00")
    ws = classify_all(C, [hyrox])
    assert sorted(w.kind for w in ws) == ["leg_day", "run"]
    assert all(w.event is hyrox for w in ws)
    run = next(w for w in ws if w.kind == "run")
    assert run.race and run.intensity == "hard"
    assert C.classify(hyrox) is not None
    legs_and_run = read("Legs + easy 5k run").workouts
    assert [(w.kind, w.intensity) for w in legs_and_run] == [("leg_day", "normal"),
                                                             ("run", "easy")]
    # a leg day with a session word is not also a run: "tempo" squats are slow squats
    assert [w.kind for w in read("Tempo squats 4x6").workouts] == ["leg_day"]


@pytest.mark.parametrize(("title", "race"), [
    ("County XC Championships", True), ("Berlin Halbmarathon", True), ("Silvesterlauf", True),
    ("Bay to Breakers", True), ("10 km de Lyon", True), ("Saturday parkrun", True),
    ("HYROX Madrid", True), ("Maratona di Roma", True), ("10K Laredo", True),
    ("Half-marathon pace 2x5km", False), ("Race-pace intervals", False),
    ("Halbmarathon-Tempo 3x3 km", False), ("Marathon training run", False),
    ("Schwellenlauf 3x10 min", False), ("Dauerlauf 10 km", False), ("HYROX sim", False),
    ("Ritmo de carrera 4x2 km", False), ("Allure semi 3x3 km", False),
])
def test_races_and_race_named_sessions(title: str, race: bool) -> None:
    r = read(title)
    run = r.of_kind("run")
    assert run is not None, r.evidence
    assert run.race is race, r.evidence
    assert run.intensity == "hard" or not race


def test_long_and_key() -> None:
    long = read("Long run 28 km").workouts[0]
    assert long.long and long.key and long.intensity == "hard"
    assert not read("Tempo run").workouts[0].long
    assert read("Sortie longue 2h").workouts[0].long
    tagged = read("Threshold 3x10' #key").workouts[0]
    assert tagged.key and not tagged.long
    assert read("Leg day", categories=("key",)).workouts[0].key is False  # a tag needs its #
    assert read("Leg day #key").workouts[0].key


def test_evidence_names_the_field_the_words_and_the_language() -> None:
    w = read("Kniebeugen", "RPE 9").workouts[0]
    assert "title: 'Kniebeugen' → leg day (de)" in w.evidence
    assert any(e.startswith("description: 'RPE 9") and "heavy" in e for e in w.evidence)
    r = read("Dry run of the demo")
    assert any("look-alike" in e and "Dry run" in e for e in r.evidence)
    assert any("not a workout" in e for e in r.evidence)
    assert read("Dentist").evidence  # a non-workout says why too


def test_classify_all_reads_each_distinct_event_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from legday_sync.core.classify import classify_all

    calls: list[str] = []
    real = Classifier.read

    def counting(self: Classifier, e):
        calls.append(e.title)
        return real(self, e)

    monkeypatch.setattr(Classifier, "read", counting)
    evs = [event("Tempo run", f"2026-11-{d:02d} 07:00") for d in range(1, 29)]
    evs += [event("Tempo run", "2026-11-29 07:00", description="with Sam")]
    ws = classify_all(C, evs)
    assert len(ws) == 29 and calls == ["Tempo run", "Tempo run"]
    assert [w.event for w in ws] == evs


def test_away_words_for_the_planner() -> None:
    assert C.away_word(event("Urlaub Mallorca", "2026-11-23 00:00")) == "Urlaub"
    assert C.away_word(event("Vacances", "2026-11-23 00:00")) == "Vacances"
    assert C.away_word(event("Trip", "2026-11-23 00:00", categories=("Travel",))) == "Trip"
    assert C.away_word(event("Leg day", "2026-11-23 18:00")) is None


def test_a_warm_up_line_does_not_make_the_run_easy() -> None:
    assert read("Morning run", "Warm-up: 10 min easy jog, leg swings.").workouts[0].intensity \
        == "moderate"
    assert read("Run", "WU 15' easy, 20 min at threshold, CD 10' easy").workouts[0].intensity \
        == "hard"
    assert read("Lauf", "Einlaufen locker\nDann 40 min locker").workouts[0].intensity == "easy"
    assert read("Run", "Easy, conversational").workouts[0].intensity == "easy"
