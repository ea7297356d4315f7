"""The vocabulary files: each parses, errors carry every problem, loading is lazy."""

from __future__ import annotations

import subprocess
import sys

import pytest

from legday_sync.core.vocabulary import (
    CATEGORIES,
    Matcher,
    VocabularyError,
    fold,
    load,
    parse,
    shipped_languages,
)


def test_seven_languages_ship_and_each_names_the_essentials() -> None:
    assert set(shipped_languages()) == {"en", "de", "es", "fr", "it", "nl", "pt"}
    for code in shipped_languages():
        v = load(code)
        assert v.language == code
        for cat in ("leg_day", "run", "easy", "hard", "heavy", "race", "ignore", "work", "away"):
            assert v.words.get(cat), f"{code}: no {cat} words"
        assert set(v.words) <= set(CATEGORIES)


def test_a_bad_file_reports_every_problem_at_once() -> None:
    with pytest.raises(VocabularyError) as e:
        parse('legs = ["x"]\nrun = "jog"\neasy = ["*two words"]\n[patterns]\n'
              'hard = ["(unclosed"]\n', "xx")
    text = "\n".join(e.value.problems)
    assert "needs one word" in text
    assert "unknown category 'legs'" in text and "run must be a list" in text
    assert "not a regular expression" in text
    with pytest.raises(VocabularyError, match="shipped: en"):
        load("klingon")


def test_folding_ignores_case_and_accents() -> None:
    assert fold("HÜGELINTERVALLE") == fold("hugelintervalle") == "hugelintervalle"
    assert fold("Côtes") == "cotes" and fold("Día") == "dia" and fold("Straße") == "strasse"


@pytest.mark.parametrize(("entry", "endings", "text", "hit"), [
    ("squat", ("s",), "back squats 5x5", True),
    ("squat", ("s",), "squatting", False),
    ("*intervall", ("e",), "hugelintervalle", True),
    ("*intervall", ("e",), "intervalle", False),  # a compound needs a part before
    ("bein*", (), "beinkrafttraining", True),
    ("bein*", (), "das bein", False),
    ("leg day", (), "leg-day", True),
    ("run walk", (), "c25k run/walk", True),
    ("#legday", (), "gym #legday", True),
])
def test_entry_syntax(entry: str, endings: tuple[str, ...], text: str, hit: bool) -> None:
    assert bool(Matcher([("run", "xx", entry, endings)], []).find(text)) is hit


def test_ignored_spans_and_patterns() -> None:
    m = Matcher([("run", "en", "run", ()), ("hard", "en", "tempo", ())],
                [("easy", "en", r"^e \d")])
    found = m.find("e 5 run tempo", skip=[(4, 7)])
    assert [(x.category, x.start, x.end) for x in found] == [("easy", 0, 3), ("hard", 8, 13)]


def test_nothing_is_loaded_at_import_time() -> None:
    code = ("import legday_sync.core.classify, legday_sync.core.vocabulary as v, "
            "legday_sync.config; print(v.load.cache_info().currsize, "
            "v.shipped_languages.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["0", "0"]
