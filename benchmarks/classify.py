"""The classifier against the labelled corpus in ``tests/corpus/``.

    python -m benchmarks.classify [--holdout] [--all]

prints per-language precision and recall, the accuracy figures the tests hold as floors,
and the confusion list (every title read wrongly, with the evidence). ``--holdout`` scores
the held-out titles (not used to tune the vocabulary) instead, ``--all`` both together.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from legday_sync.core.classify import Classifier, Reading
from legday_sync.core.model import Event

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"
LANGUAGES = ("en", "de", "es", "fr", "it", "nl", "pt")


@dataclass(frozen=True)
class Row:
    lang: str
    kind: str  # leg | run | both | none
    intensity: str
    race: bool
    heavy: bool
    title: str
    categories: tuple[str, ...]
    description: str
    line: int


def load_rows(holdout: bool = False) -> list[Row]:
    folder = CORPUS / "holdout" if holdout else CORPUS
    rows = []
    for lang in LANGUAGES:
        path = folder / f"{lang}.tsv"
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if n == 1 or not line.strip() or line.startswith("#"):
                continue
            kind, intensity, race, heavy, title, cats, desc = (line.split("\t") + [""] * 7)[:7]
            rows.append(Row(lang, kind, intensity, race == "1", heavy == "1", title,
                            tuple(c for c in cats.split("|") if c),
                            desc.replace("\\n", "\n"), n))
    return rows


def event_of(row: Row) -> Event:
    start = datetime(2026, 11, 23, 7, tzinfo=UTC)
    return Event("corpus", f"{row.lang}-{row.line}", start, start + timedelta(hours=1),
                 row.title, categories=row.categories, description=row.description)


def predicted(reading: Reading) -> tuple[str, str, bool, bool]:
    """(kind, intensity, race, heavy) in the corpus's labels."""
    leg, run = reading.of_kind("leg_day"), reading.of_kind("run")
    kind = "both" if leg and run else "leg" if leg else "run" if run else "none"
    intensity = run.intensity if run else leg.intensity if leg else "-"
    return kind, intensity, bool(run and run.race), bool(leg and leg.intensity == "heavy")


@dataclass
class Score:
    rows: int = 0
    kind_right: int = 0
    workouts: int = 0
    intensity_right: int = 0
    lookalikes: int = 0
    lookalikes_taken: int = 0
    races: int = 0
    races_found: int = 0
    false_races: int = 0
    legs: int = 0
    heavy_right: int = 0
    recall_hits: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    recall_total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    said_workout: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    said_workout_right: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    wrong: list[tuple[Row, tuple[str, str, bool, bool], Reading]] = field(default_factory=list)

    @staticmethod
    def pct(a: int, b: int) -> float:
        return 100.0 * a / b if b else 100.0

    @property
    def kind_pct(self) -> float:
        return self.pct(self.kind_right, self.rows)

    @property
    def intensity_pct(self) -> float:
        return self.pct(self.intensity_right, self.workouts)

    @property
    def lookalike_pct(self) -> float:
        return self.pct(self.lookalikes_taken, self.lookalikes)

    @property
    def race_pct(self) -> float:
        return self.pct(self.races_found, self.races)

    def recall(self, lang: str) -> float:
        return self.pct(self.recall_hits[lang], self.recall_total[lang])

    def precision(self, lang: str) -> float:
        return self.pct(self.said_workout_right[lang], self.said_workout[lang])


def score(rows: list[Row], classifier: Classifier | None = None) -> Score:
    clf = classifier or Classifier()
    s = Score()
    for row in rows:
        reading = clf.read(event_of(row))
        got = predicted(reading)
        kind, intensity, race, heavy = got
        s.rows += 1
        ok = kind == row.kind
        s.kind_right += ok
        if row.kind == "none":
            s.lookalikes += 1
            s.lookalikes_taken += kind != "none"
        else:
            s.workouts += 1
            s.intensity_right += ok and intensity == row.intensity
            s.recall_total[row.lang] += 1
            s.recall_hits[row.lang] += ok
        if kind != "none":
            s.said_workout[row.lang] += 1
            s.said_workout_right[row.lang] += ok
        if row.race:
            s.races += 1
            s.races_found += race
        elif race:
            s.false_races += 1
        if row.kind in ("leg", "both"):
            s.legs += 1
            s.heavy_right += heavy == row.heavy
        if not ok or (row.kind != "none" and intensity != row.intensity) or race != row.race \
                or (row.kind in ("leg", "both") and heavy != row.heavy):
            s.wrong.append((row, got, reading))
    return s


def report(s: Score, out=sys.stdout) -> None:
    print(f"{'lang':5} {'precision':>9} {'recall':>7} {'workouts':>8}", file=out)
    for lang in LANGUAGES:
        print(f"{lang:5} {s.precision(lang):8.1f}% {s.recall(lang):6.1f}% "
              f"{s.recall_total[lang]:8d}", file=out)
    print(f"\n{s.rows} titles, {s.workouts} workouts, {s.lookalikes} not workouts", file=out)
    print(f"kind right        {s.kind_pct:5.1f}%  ({s.kind_right}/{s.rows})", file=out)
    print(f"intensity right   {s.intensity_pct:5.1f}%  ({s.intensity_right}/{s.workouts}, "
          f"kind right as well)", file=out)
    print(f"look-alikes taken {s.lookalike_pct:5.1f}%  ({s.lookalikes_taken}/{s.lookalikes})",
          file=out)
    print(f"races recognised  {s.race_pct:5.1f}%  ({s.races_found}/{s.races}; "
          f"{s.false_races} false)", file=out)
    print(f"heavy right       {s.pct(s.heavy_right, s.legs):5.1f}%  ({s.heavy_right}/{s.legs} "
          f"leg loads)", file=out)
    if s.wrong:
        print("\nconfusion list (expected → got):", file=out)
    for row, got, reading in s.wrong:
        exp = f"{row.kind} {row.intensity}{' race' if row.race else ''}" \
              f"{' heavy' if row.heavy else ''}"
        kind, intensity, race, heavy = got
        print(f"  [{row.lang}] {row.title!r}: {exp} → {kind} {intensity}"
              f"{' race' if race else ''}{' heavy' if heavy else ''}", file=out)
        for line in reading.evidence:
            print(f"        {line}", file=out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = p.add_mutually_exclusive_group()
    g.add_argument("--holdout", action="store_true", help="score the held-out titles")
    g.add_argument("--all", action="store_true", help="score every title")
    args = p.parse_args(argv)
    rows = load_rows(args.holdout) if not args.all else load_rows() + load_rows(True)
    report(score(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
