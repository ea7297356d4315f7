"""The classifier against the labelled corpus (tests/corpus): the issue's accuracy floors.

The corpus was written before the vocabulary; ``holdout/`` was kept out of tuning it.
`python -m benchmarks.classify` prints the same figures with the confusion list.
"""

from __future__ import annotations

import pytest

from benchmarks.classify import LANGUAGES, load_rows, score


@pytest.fixture(scope="module", params=[False, True], ids=["corpus", "holdout"])
def result(request: pytest.FixtureRequest):
    return score(load_rows(holdout=request.param))


def test_the_corpus_is_big_and_varied_enough() -> None:
    rows = load_rows() + load_rows(holdout=True)
    assert len(rows) >= 800
    assert sum(r.kind == "none" for r in rows) >= 200
    assert {r.lang for r in rows} == set(LANGUAGES)
    assert all(sum(r.lang == lang for r in rows) >= 80 for lang in LANGUAGES)
    assert sum(r.race for r in rows) >= 60 and sum(r.heavy for r in rows) >= 40
    assert sum(bool(r.description) for r in rows) >= 30
    assert sum(bool(r.categories) for r in rows) >= 15


def test_kind_intensity_and_look_alikes(result) -> None:
    assert result.kind_pct >= 97.0
    assert result.intensity_pct >= 90.0
    assert result.lookalike_pct <= 1.0


def test_races(result) -> None:
    assert result.race_pct >= 95.0
    assert result.false_races <= result.races * 0.02


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_language_recall(result, lang: str) -> None:
    assert result.recall(lang) >= 90.0
    assert result.precision(lang) >= 95.0
