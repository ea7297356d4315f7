"""Event -> workouts: which events are leg days and runs, how hard, and why.

Every field a calendar gives counts: the title, the CATEGORIES, #tags and the DESCRIPTION
(structured workouts: durations, distances, zones, %1RM, RPE, TSS/IF). The words come from
one vocabulary file per language (``core/vocab/*.toml``, see :mod:`.vocabulary`), extended by
the config's ``[classify]`` lists; matching is case- and accent-insensitive, on whole words,
and compound-aware where a file asks for it.

How a verdict is reached, in order:
1. look-alike phrases ("dry run", "Laufende Kosten") are removed;
2. a title that names work or an errand ("meeting", "sponsorship call") is not a workout;
3. the title and categories decide the kind: leg-day words make a leg day, run words a run,
   HYROX both; a session word ("tempo", "Intervalle") makes a run unless another sport is
   named, a hard or easy word only with a distance, duration or repetitions beside it;
4. a title that says only "Workout" or "Lower A"-like generic training defers to the
   description (exercises listed below, a structured workout);
5. intensity: the first field (title, categories, description) that says anything wins —
   hard over easy over moderate within one field; races and long runs are hard.
The evidence for each step is kept, so `legday-sync events` can show why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from .model import Event, Intensity, Kind, Workout
from .vocabulary import Match, Matcher, fold, fold_with_map, load, shipped_languages

# -- structure, the same in every language -------------------------------------------------
_REPS = re.compile(r"(?<![\w.])\d+\s?[x×]\s?\(?\d+|(?<!\w)\d+\s?[x×](?!\w)")
_DIST = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?\s?(?:k|km|kms|mi|mile|miles|m|mtr|meter|meters|"
                   r"metres|metros|metri)(?!\w)")
_DUR = re.compile(r"(?<![\w.])\d+\s?(?:min|mins|minute|minutes|minuten|minutos|minuti|h|hr|hrs|"
                  r"u|uur|hours|s|sec|'|′|\"|'')(?!\w)|(?<![\w:])\d{1,2}:\d{2}(?::\d{2})?(?!\w)"
                  r"|(?<!\w)\d+h\d{2}(?!\w)")
_ZONE = re.compile(r"(?<!\w)(?:z|zone\s?)([1-5])(?!\w)")
_RPE = re.compile(r"(?<!\w)rpe\s?[:=@]?\s?(\d+(?:[.,]\d)?)")
_IF = re.compile(r"(?<!\w)if\s?[:=]?\s?(0[.,]\d+|1[.,]\d+)")
_TSS = re.compile(r"(?<!\w)tss\s?[:=]?\s?\d+")
_PCT = re.compile(r"(?<![\w.])(\d{2,3}(?:[.,]\d+)?)\s?%")
_NRM = re.compile(r"(?<!\w)\d{1,2}\s?rm(?!\w)")
_PACE = re.compile(r"/km|/mi(?!\w)|(?<!\w)min/km|@\s?\d:\d\d")
_KEY = re.compile(r"#key(?!\w)")
#: "10K Laredo": a race distance and then a capitalised name
_NAMED_DISTANCE = re.compile(r"^\s*\d+(?:[.,]\d+)?\s?(?:k|K|km|KM|Km|mi|miles?)\s+[A-ZÀ-Ý][\w'-]+")

#: a structured workout fits in far less; a 50 MB description (an exported e-mail thread)
#: must not cost a second per sync
MAX_DESCRIPTION = 4000
#: categories whose words the config's [classify] lists extend
_CONFIG_LISTS = ("leg_day", "run", "easy", "hard", "heavy", "ignore")
_KIND_WORDS = {"leg_day": "leg day", "run": "run", "both": "leg day and run"}


@dataclass(frozen=True)
class Reading:
    """How one event was read: its workouts (none, one, or a leg day and a run) and why."""

    workouts: tuple[Workout, ...]
    evidence: tuple[str, ...]
    #: False when the title alone decided (a meeting): then every event with this title and
    #: these categories reads the same, whatever its description
    used_description: bool = field(default=True, compare=False)

    @property
    def verdict(self) -> str:
        kinds = {w.kind for w in self.workouts}
        if kinds == {"leg_day", "run"}:
            return "leg day + run"
        return {"leg_day": "leg day", "run": "run"}.get(next(iter(kinds), ""), "not a workout")

    def of_kind(self, kind: Kind) -> Workout | None:
        return next((w for w in self.workouts if w.kind == kind), None)


@dataclass
class _Field:
    """What one field (title, categories or description) says."""

    name: str
    text: str  # as written, for quoting
    folded: str
    where: list[int]
    hits: dict[str, tuple[str, str]] = field(default_factory=dict)  # category -> (quote, lang)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)

    def quote(self, m: re.Match[str] | Match) -> str:
        start, end = (m.start, m.end) if isinstance(m, Match) else (m.start(), m.end())
        if not self.where:  # ASCII: folding kept every position
            return self.text[start:end]
        a, b = start, max(start, end - 1)
        return self.text[self.where[a]:self.where[min(b, len(self.where) - 1)] + 1]

    def says(self, category: str) -> str:
        quote, lang = self.hits[category]
        return f"{self.name}: '{quote}' → {category.replace('_', ' ')} ({lang})"


@dataclass(frozen=True)
class Classifier:
    """The vocabularies of ``languages`` (None: every shipped one) plus the config's lists,
    compiled once, on first use."""

    leg_day: tuple[str, ...] = ()
    run: tuple[str, ...] = ()
    easy: tuple[str, ...] = ()
    hard: tuple[str, ...] = ()
    heavy: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    languages: tuple[str, ...] | None = None

    @cached_property
    def _matcher(self) -> Matcher:
        """Every entry of the chosen vocabularies plus the config's lists, indexed once."""
        langs = self.languages if self.languages is not None else shipped_languages()
        entries: list[tuple[str, str, str, tuple[str, ...]]] = []
        patterns: list[tuple[str, str, str]] = []
        for cat in _CONFIG_LISTS:  # first, so a user's word is credited to the config
            entries += [(cat, "config", fold(w).strip(), ()) for w in getattr(self, cat)
                        if w.strip()]
        for code in langs:
            v = load(code)
            for cat, words in v.words.items():
                entries += [(cat, v.language, w, v.endings) for w in words]
            for cat, exprs in v.patterns.items():
                patterns += [(cat, v.language, e) for e in exprs]
        return Matcher(entries, patterns)

    # -- one event ---------------------------------------------------------------------------
    def classify(self, event: Event) -> Workout | None:
        """The event as one workout (the leg day, when it is both), or None."""
        ws = self.read(event).workouts
        return ws[0] if ws else None

    def read(self, event: Event) -> Reading:
        """Every workout in ``event`` with the evidence that decided it."""
        title = self._field("title", event.title)
        cats = self._field("categories", ", ".join(event.categories))
        evidence: list[str] = []
        for f in (title, cats):
            evidence += [f"{f.name}: '{q}' → look-alike, ignored ({lang})" for q, lang in f.ignored]
        if "work" in title.hits:
            evidence.append(title.says("work").replace("→ work", "→ not a workout: names work"))
            return Reading((), tuple(evidence), used_description=False)
        kinds = self._kinds(title, evidence) | self._kinds(cats, evidence)
        decided_by = [title, cats]
        # most events are not workouts and most descriptions are not workouts either: the
        # description is read only when it can matter
        text = event.description[:MAX_DESCRIPTION]
        desc = _Field("description", text, "", [])
        if kinds or self._defers(title, cats, fold(text)):
            desc = self._field("description", text)
            evidence += [f"description: '{q}' → look-alike, ignored ({lang})"
                         for q, lang in desc.ignored]
        if not kinds and desc.folded:
            kinds = self._kinds(desc, evidence)
            decided_by = [desc]
        if not kinds:
            evidence.append("no leg-day or run words in the title, categories or description")
            return Reading((), tuple(evidence))
        fields = (title, cats, desc)
        made: list[tuple[Kind, Intensity, bool, bool, bool]] = []
        if "leg_day" in kinds:
            heavy = self._heavy(fields, evidence)
            made.append(("leg_day", "heavy" if heavy else "normal", False, False,
                         self._key(fields)))
        if "run" in kinds:
            race = self._race(decided_by, evidence)
            long = self._long(fields, evidence)
            both = any("both" in f.hits for f in decided_by)
            intensity = self._intensity((title, cats, self._main_set(desc)), race or both,
                                        long, evidence)
            made.append(("run", intensity, race, long, long or self._key(fields)))
        ev = tuple(evidence)
        return Reading(tuple(Workout(event, k, i, r, lg, key, ev) for k, i, r, lg, key in made),
                       ev)

    def _main_set(self, desc: _Field) -> _Field:
        """The description without its warm-up and cool-down lines (or comma-separated
        parts): "Warm-up: 10 min easy jog" says nothing about how hard the run is."""
        if "warmup" not in desc.hits:
            return desc
        parts = re.split(r"(?<=[\n;,])", desc.text)
        kept = [p for p in parts
                if not any(m.category == "warmup" for m in self._matcher.find(fold(p)))]
        return self._field("description", "".join(kept))

    def away_word(self, event: Event) -> str | None:
        """The vocabulary's away word in the event's title or categories ("Urlaub",
        "vacances", "OOO"), for a planner that keeps moves off days away; None if none."""
        for f in (self._field("title", event.title),
                  self._field("categories", ", ".join(event.categories))):
            if "away" in f.hits:
                return f.hits["away"][0]
        return None

    # -- steps -------------------------------------------------------------------------------
    def _field(self, name: str, text: str) -> _Field:
        if not text:
            return _Field(name, text, "", [])
        folded, where = fold_with_map(text)
        f = _Field(name, text, folded, where or [])
        if not folded.strip():
            return f
        found = self._matcher.find(folded)
        ignored = [m for m in found if m.category == "ignore"]
        if ignored:
            spans = [(m.start, m.end) for m in ignored]
            for m in ignored:
                f.ignored.append((f.quote(m), m.language))
            blanked = folded
            for a, b in spans:  # blanks, not cuts: positions stay valid for quoting
                blanked = blanked[:a] + " " * (b - a) + blanked[b:]
            f.folded = blanked
            found = self._matcher.find(f.folded)
        f.matches = found
        for m in found:
            if m.category not in f.hits:
                f.hits[m.category] = (f.quote(m), m.language)
        return f

    @staticmethod
    def _structure(f: _Field) -> str | None:
        for pattern in (_REPS, _DIST, _DUR, _ZONE, _PACE, _TSS):
            m = pattern.search(f.folded)
            if m:
                return f.quote(m)
        return None

    def _kinds(self, f: _Field, evidence: list[str]) -> set[str]:
        hits = f.hits
        if not hits:
            return set()
        kinds: set[str] = set()
        if "both" in hits:
            evidence.append(f.says("both").replace("→ both", "→ leg day and run"))
            return {"leg_day", "run"}
        if "leg_day" in hits:
            evidence.append(f.says("leg_day"))
            kinds.add("leg_day")
        if "named_race" in hits:
            evidence.append(f.says("named_race"))
            kinds.add("run")
            return kinds
        if "run" in hits:
            evidence.append(f.says("run"))
            kinds.add("run")
            return kinds
        if kinds:  # with a leg day, only a run word adds a run ("Tempo squats" is not one)
            return kinds
        if "other_sport" in hits:
            evidence.append(f.says("other_sport").replace("→ other sport",
                                                          "→ another sport: not a run"))
            return kinds
        if "session" in hits:
            evidence.append(f.says("session").replace("→ session", "→ run session"))
            return {"run"}
        weak = next((c for c in ("hard", "easy", "moderate", "long", "race") if c in hits), None)
        if weak and "social" not in hits:
            shape = self._structure(f)
            if shape:
                evidence.append(f"{f.says(weak)} + '{shape}' → run")
                return {"run"}
        return kinds

    def _defers(self, title: _Field, cats: _Field, desc: str) -> bool:
        """Whether the (folded) description may decide the kind: the title is generic
        training ("Workout", "Gym") or the description is a structured workout."""
        if not desc.strip() or "other_sport" in title.hits or "work" in cats.hits:
            return False  # "Upper body" with squats as a finisher stays upper body
        if "generic" in title.hits or "generic" in cats.hits:
            return True
        if any(c in title.hits for c in ("hard", "easy", "moderate", "long")):
            return True
        return any(p.search(desc) for p in (_REPS, _ZONE, _RPE, _TSS, _IF, _PCT))

    def _heavy(self, fields: Iterable[_Field], evidence: list[str]) -> bool:
        for f in fields:
            if "heavy" in f.hits:
                evidence.append(f.says("heavy"))
                return True
            if "rm" not in f.folded and "%" not in f.folded and "rpe" not in f.folded:
                continue  # the cheap test first: most titles hold none of these
            m = _NRM.search(f.folded)
            if m:
                evidence.append(f"{f.name}: '{f.quote(m)}' → heavy (a rep max)")
                return True
            m = next((m for m in _PCT.finditer(f.folded)
                      if 85 <= float(m.group(1).replace(",", ".")) <= 110), None)
            if m:
                evidence.append(f"{f.name}: '{f.quote(m)}' → heavy (≥ 85% of 1RM)")
                return True
            m = _RPE.search(f.folded)
            if m and float(m.group(1).replace(",", ".")) >= 9:
                evidence.append(f"{f.name}: '{f.quote(m)}' → heavy (RPE ≥ 9)")
                return True
        return False

    def _race(self, fields: Iterable[_Field], evidence: list[str]) -> bool:
        for f in fields:
            if "named_race" in f.hits:
                return True  # the kind's evidence already names it
            if "race" not in f.hits:
                m = _NAMED_DISTANCE.match(f.text) if f.name == "title" else None
                if m and not any(c in f.hits for c in ("hard", "easy", "moderate", "session",
                                                        "generic", "long")):
                    evidence.append(f"title: '{m.group(0)}' → race (a distance and a place)")
                    return True
                continue
            if "not_race" in f.hits:
                # "race pace", "Halbmarathon-Tempo": a session; a race only if another race
                # word stands outside the session phrase
                spans = [(m.start, m.end) for m in f.matches if m.category == "not_race"]
                if all(any(a <= m.start < b for a, b in spans)
                       for m in f.matches if m.category == "race"):
                    evidence.append(f.says("not_race").replace("→ not race",
                                                               "→ a session, not a race"))
                    continue
            if "generic" in f.hits and "#race" not in f.folded:
                quote = f.hits["generic"][0]
                evidence.append(f"{f.says('race')}, but '{quote}' → a session, not a race")
                continue
            evidence.append(f.says("race"))
            return True
        return False

    def _long(self, fields: Iterable[_Field], evidence: list[str]) -> bool:
        for f in fields:
            if f.name != "description" and "long" in f.hits:
                evidence.append(f.says("long"))
                return True
        return False

    def _intensity(self, fields: Iterable[_Field], race: bool, long: bool,
                   evidence: list[str]) -> Intensity:
        if race or long:
            evidence.append(f"intensity: hard ({'long run' if long else 'race or HYROX'})")
            return "hard"
        for f in fields:
            found = self._field_intensity(f)
            if found:
                level, why = found
                evidence.append(f"{why} → {level}")
                return level
        evidence.append("intensity: moderate (no intensity words: the default)")
        return "moderate"

    @staticmethod
    def _field_intensity(f: _Field) -> tuple[Intensity, str] | None:
        if not f.folded:
            return None
        text = f.folded
        zones = [int(m.group(1)) for m in _ZONE.finditer(text)] if "z" in text else []
        rpe = _RPE.search(text) if "rpe" in text else None
        rpe_v = float(rpe.group(1).replace(",", ".")) if rpe else None
        if_m = _IF.search(text) if "if" in text else None
        if_v = float(if_m.group(1).replace(",", ".")) if if_m else None
        if "hard" in f.hits:
            return "hard", f.says("hard").rsplit(" → ", 1)[0]
        if zones and max(zones) >= 4:
            return "hard", f"{f.name}: zone {max(zones)}"
        if rpe_v is not None and rpe_v >= 8:
            return "hard", f"{f.name}: RPE {rpe_v:g}"
        if if_v is not None and if_v >= 0.85:
            return "hard", f"{f.name}: IF {if_v:g}"
        if "easy" in f.hits:
            return "easy", f.says("easy").rsplit(" → ", 1)[0]
        if zones and max(zones) <= 2:
            return "easy", f"{f.name}: zone {max(zones)}"
        if rpe_v is not None and rpe_v <= 4:
            return "easy", f"{f.name}: RPE {rpe_v:g}"
        if if_v is not None and if_v < 0.75:
            return "easy", f"{f.name}: IF {if_v:g}"
        if "moderate" in f.hits:
            return "moderate", f.says("moderate").rsplit(" → ", 1)[0]
        if zones:
            return "moderate", f"{f.name}: zone {max(zones)}"
        return None

    @staticmethod
    def _key(fields: Iterable[_Field]) -> bool:
        return any("#key" in f.folded and _KEY.search(f.folded) for f in fields)


def _cached(classifier: Classifier, events: Iterable[Event]) -> Iterator[tuple[Event, Reading]]:
    """(event, its reading as read from the first event like it) for each event: each
    distinct (title, categories, description) is read once, since every occurrence of a
    series repeats them; a reading the title alone decided (a meeting) serves every
    description."""
    seen: dict[tuple[str, tuple[str, ...], str], Reading] = {}
    by_head: dict[tuple[str, tuple[str, ...]], Reading] = {}
    for e in events:
        key = (e.title, e.categories, e.description)
        reading = seen.get(key)
        if reading is None:
            reading = by_head.get((e.title, e.categories))
            if reading is None:
                reading = classifier.read(e)
                if not reading.used_description:
                    by_head[(e.title, e.categories)] = reading
            seen[key] = reading
        yield e, reading


def _on(w: Workout, e: Event) -> Workout:
    """``w`` for another occurrence ``e`` (``dataclasses.replace`` costs several times more,
    and a year of a daily series makes this the classifier's hottest line)."""
    return w if w.event is e else Workout(e, w.kind, w.intensity, w.race, w.long, w.key,
                                          w.evidence)


def read_all(classifier: Classifier, events: Iterable[Event]) -> list[Reading]:
    """:meth:`Classifier.read` for every event, each distinct one read once."""
    return [r if not r.workouts or r.workouts[0].event is e else
            Reading(tuple(_on(w, e) for w in r.workouts), r.evidence, r.used_description)
            for e, r in _cached(classifier, events)]


def classify_all(classifier: Classifier, events: Iterable[Event]) -> list[Workout]:
    """Every workout in ``events``: one per leg day or run, two for an event that is both."""
    out: list[Workout] = []
    for e, r in _cached(classifier, events):
        for w in r.workouts:
            out.append(w if w.event is e else Workout(e, w.kind, w.intensity, w.race, w.long,
                                                      w.key, w.evidence))
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


def describe_kind(kind: str) -> str:
    return _KIND_WORDS.get(kind, kind)
