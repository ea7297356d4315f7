"""Event -> Workout | None: which events are leg days and runs, and how hard.

Matching is on whole words, case-insensitive, over the title, the #tags in it
and the event's CATEGORIES. A hyphen glues words together, so "long-running
project" or "pre-run coffee" are not runs. Calendars mix training with work:
phrases such as "dry run" or "sprint review" are removed before matching, and a
title that names work ("review", "meeting", ...) never becomes a run just
because it holds a word like "race" or "recovery".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property

from .model import Event, Workout

LEG_DAY = ("leg day", "legs", "lower body", "squat", "squats", "deadlift", "deadlifts",
           "lunge", "lunges", "#legday", "leg workout", "leg session", "leg press")
RUN = ("run", "running", "jog", "jogging", "marathon", "half marathon", "5k", "10k", "#run",
       "🏃", "🏃‍♀️", "🏃‍♂️", "parkrun", "trail run")
EASY = ("easy", "recovery", "shakeout", "jog", "jogging", "zone 2", "z2")
HARD = ("tempo", "interval", "intervals", "threshold", "hill", "hills", "hill repeats",
        "fartlek", "race", "long run", "speed", "speedwork", "track")
HEAVY = ("heavy", "max", "1rm", "pr")
#: phrases that use workout words for work or leisure; removed before matching
IGNORE = ("dry run", "test run", "trial run", "practice run", "run-through", "run through",
          "run of show", "run sheet", "runbook", "run book", "run rate", "print run",
          "production run", "batch run", "pipeline run", "ci run", "run the numbers",
          "sprint review", "sprint planning", "sprint retro", "sprint demo", "race condition",
          "track changes", "fast track", "on track", "speed dating", "disaster recovery",
          "recovery plan", "password recovery", "max planck", "max's", "legs of the trip")
#: a hard or easy word alone makes a run only when no other sport is named...
OTHER_SPORT = ("bike", "biking", "ride", "riding", "cycling", "cycle", "spin", "swim",
               "swimming", "row", "rowing", "erg", "ski", "skiing", "skate", "skating",
               "paddle", "kayak", "climb", "climbing", "bouldering", "rowing machine",
               "elliptical", "yoga", "pilates", "walk", "hike", "tennis", "football", "soccer")
#: ...and no work is named
WORK = ("meeting", "review", "sync", "call", "standup", "stand-up", "planning", "retro",
        "interview", "1:1", "demo", "presentation", "workshop", "deadline", "budget", "project",
        "report", "client", "customer", "webinar", "conference", "lunch", "dinner", "brunch",
        "plan", "audit", "check-in", "onboarding", "offsite", "all-hands", "sprint", "release",
        "deploy", "incident", "training course", "course", "class", "lecture", "exam")
#: events with a date of their own (races): never moved
FIXED = ("race", "marathon", "half marathon", "parkrun", "ultra", "relay")
#: hard or easy words strong enough to make a run on their own
STRONG_RUN = ("tempo", "interval", "intervals", "fartlek", "hill repeats", "long run",
              "shakeout", "speedwork", "threshold")
#: a long run (an endurance key session) and a session tagged as key: protected by the planner
LONG = ("long run", "long", "lsr")
KEY = ("#key", "key session", "key workout")
_DISTANCE = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)?\s?(?:k|km|mi|mile|miles|m)|\d+\s?x\s?\d+\s?m?)"
                       r"(?![\w-])", re.I)


def _pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """One regex matching any of ``words`` as whole words; hyphens count as part of a word.

    Longest words first. Neighbouring words that need word boundaries share one
    lookbehind/lookahead pair — the same matches in the same order as a boundary per
    word, but the engine rejects a position inside a word once instead of per word."""
    parts: list[str] = []
    run: list[str] = []  # consecutive bodies that take the boundaries

    def flush() -> None:
        if run:
            parts.append(rf"(?<![\w-])(?:{'|'.join(run)})(?![\w-])")
            run.clear()

    for w in sorted({w.strip().lower() for w in words if w.strip()}, key=len, reverse=True):
        body = r"[\s_-]+".join(re.escape(part) for part in w.split())
        if w[-1].isalnum() or w[-1] in "#":
            run.append(body)
        else:
            flush()
            parts.append(body)
    flush()
    return re.compile("|".join(parts), re.I) if parts else None


@dataclass(frozen=True)
class Classifier:
    """Keyword lists (built-ins extended by config) compiled once."""

    leg_day: tuple[str, ...] = ()
    run: tuple[str, ...] = ()
    easy: tuple[str, ...] = ()
    hard: tuple[str, ...] = ()
    heavy: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    @cached_property
    def _re(self) -> dict[str, re.Pattern[str] | None]:
        return {
            "leg_day": _pattern(LEG_DAY + self.leg_day),
            "run": _pattern(RUN + self.run),
            "easy": _pattern(EASY + self.easy),
            "hard": _pattern(HARD + self.hard),
            "heavy": _pattern(HEAVY + self.heavy),
            "ignore": _pattern(IGNORE + self.ignore),
            "other": _pattern(OTHER_SPORT),
            "work": _pattern(WORK),
            "strong": _pattern(STRONG_RUN),
            "fixed": _pattern(FIXED),
            "long": _pattern(LONG),
            "key": _pattern(KEY),
        }

    def _has(self, name: str, text: str) -> bool:
        pat = self._re[name]
        return bool(pat and pat.search(text))

    def text_of(self, event: Event) -> str:
        text = " ".join((event.title, *(f"#{c}" for c in event.categories), *event.categories))
        ignore = self._re["ignore"]
        return ignore.sub(" ", text) if ignore else text

    def classify(self, event: Event) -> Workout | None:
        text = self.text_of(event)
        if self._has("leg_day", text):
            return Workout(event, "leg_day", "heavy" if self._has("heavy", text) else "normal")
        if self._is_run(text):
            if self._has("hard", text):
                intensity = "hard"
            elif self._has("easy", text):
                intensity = "easy"
            else:
                intensity = "moderate"
            long = self._has("long", text)
            return Workout(event, "run", intensity, race=self._has("fixed", text), long=long,
                           key=long or self._has("key", text))
        return None

    def _is_run(self, text: str) -> bool:
        if self._has("run", text):
            return True
        if not (self._has("hard", text) or self._has("easy", text)):
            return False
        if self._has("other", text) or self._has("work", text):
            return False
        # "Tempo", "Intervals 6x800m", "Race 10k": a strong word, or a distance/reps
        return self._has("strong", text) or bool(_DISTANCE.search(text))


def classify_all(classifier: Classifier, events: Iterable[Event]) -> list[Workout]:
    """``classify`` over many events. The verdict depends only on the title and the
    categories, which repeat (every occurrence of a series): each distinct pair is
    matched once."""
    out = []
    seen: dict[tuple[str, tuple[str, ...]], Workout | None] = {}
    for e in events:
        key = (e.title, e.categories)
        try:
            verdict = seen[key]
        except KeyError:
            verdict = seen[key] = classifier.classify(e)
        if verdict is not None:
            out.append(verdict if verdict.event is e else
                       replace(verdict, event=e))
    return out


def without_duplicates(workouts: Iterable[Workout]) -> tuple[list[Workout], list[Workout]]:
    """The workouts with each one counted once, and the copies dropped.

    People often add one calendar twice — Google's API and its secret iCal address, or
    a shared calendar that a teammate's export repeats — and one run must not become two
    conflicts and two moved runs. A copy has the same kind, start, end and title; the
    first one (in the order of the config's sources) is kept.
    """
    seen: set[tuple[str, object, object, str]] = set()
    kept, dropped = [], []
    for w in workouts:
        key = (w.kind, w.start, w.end, " ".join(w.event.title.casefold().split()))
        if key in seen:
            dropped.append(w)
        else:
            seen.add(key)
            kept.append(w)
    return kept, dropped
