"""The classifier's words, one TOML file per language in ``core/vocab/``.

A file holds phrases per category (leg day, run, easy, hard, heavy, race, look-alikes, …);
a contributor adds a language by adding a file. Reading package data is the core's only
"input": it happens lazily, on first use, never at import time, and the result is cached.

Entry syntax (after case and accent folding, see :func:`fold`):
- words match whole words; a space matches any run of spaces or punctuation between words;
- ``*word`` matches the end of a compound (``*intervall`` → "hugelintervalle"), ``word*``
  its start (``bein*`` → "beinkrafttraining"); either needs two more letters, so list the
  bare word as well when it counts alone;
- the file's ``endings`` may follow the last word ("squat" → "squats").
``[patterns]`` holds regular expressions over the folded text, for what words can't say.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

#: what each category means to the classifier (the keys a vocabulary file may use)
CATEGORIES: dict[str, str] = {
    "leg_day": "a lower-body strength session",
    "both": "a leg stressor and a hard run at once (HYROX)",
    "run": "a run",
    "session": "a run session on its own, when no other sport is named (tempo, intervals)",
    "easy": "an easy run",
    "moderate": "a moderate run",
    "hard": "a hard run (also names a run with a distance, duration or reps)",
    "heavy": "a heavy leg day",
    "race": "a race: keeps its date",
    "named_race": "a named mass run or race with no race word in its name",
    "not_race": "race words that name a training session (race pace)",
    "long": "a long run",
    "warmup": "warm-up and cool-down: in a description, their easy words don't count",
    "other_sport": "another sport: hard or easy words alone don't make a run",
    "work": "work, errands, talk about training: not a workout",
    "social": "a meal or a party: hard or easy words alone don't make a run",
    "generic": "training in general: the description decides",
    "ignore": "look-alike phrases, removed before matching",
    "away": "a day away",
}
_META = {"language", "name", "endings", "patterns"}
#: the combining marks NFKD splits accents into (the Unicode "Combining …" blocks)
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


class VocabularyError(ValueError):
    """A vocabulary file that can't be used; ``problems`` says why, one line each."""

    def __init__(self, language: str, problems: list[str]) -> None:
        super().__init__(f"vocabulary {language!r}: " + "; ".join(problems))
        self.language = language
        self.problems = problems


@dataclass(frozen=True)
class Vocabulary:
    language: str
    name: str
    endings: tuple[str, ...]
    words: dict[str, tuple[str, ...]]
    patterns: dict[str, tuple[str, ...]]


def fold(text: str) -> str:
    """Lower case without accents: "Hügel" and "hugel", "CÔTES" and "cotes" compare equal."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))


def fold_with_map(text: str) -> tuple[str, list[int] | None]:
    """:func:`fold`, and for each folded character the index of the character it came from
    (so evidence can quote the words as the user wrote them); None when each character
    folded to exactly one, the usual case."""
    folded = fold(text)
    if len(folded) == len(text):
        return folded, None
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        f = fold(ch)
        out.append(f)
        where.extend([i] * len(f))
    return "".join(out), where


def _dir() -> Traversable:
    from importlib import resources  # imported on first use: nothing happens at import time

    return resources.files("legday_sync.core").joinpath("vocab")


@cache
def shipped_languages() -> tuple[str, ...]:
    """The language codes with a vocabulary file in the package: English first (a word
    several files share is credited to it), then sorted."""
    codes = (p.name[:-5] for p in _dir().iterdir() if p.name.endswith(".toml"))
    return tuple(sorted(codes, key=lambda c: (c != "en", c)))


@cache
def load(language: str) -> Vocabulary:
    """The shipped vocabulary of ``language`` (e.g. "de")."""
    if language not in shipped_languages():
        raise VocabularyError(language, [
            f"no such language; shipped: {', '.join(shipped_languages())}"])
    return parse(_dir().joinpath(f"{language}.toml").read_text("utf-8"), language)


def parse(text: str, language: str) -> Vocabulary:
    """A vocabulary from the text of a TOML file, with every problem reported at once."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise VocabularyError(language, [f"not valid TOML: {e}"]) from None
    problems: list[str] = []
    words: dict[str, tuple[str, ...]] = {}
    for key, value in data.items():
        if key in _META:
            continue
        if key not in CATEGORIES:
            problems.append(f"unknown category {key!r} (known: {', '.join(CATEGORIES)})")
        elif not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            problems.append(f"{key} must be a list of strings")
        else:
            words[key] = tuple(fold(v).strip() for v in value if v.strip())
            problems += [f"{key}: {w!r}: '*' marks a compound part, so it needs one word"
                         for w in words[key] if "*" in w and len(w.strip("*").split()) != 1]
    patterns: dict[str, tuple[str, ...]] = {}
    for key, value in (data.get("patterns") or {}).items():
        if key not in CATEGORIES or not isinstance(value, list):
            problems.append(f"patterns.{key}: not a category with a list of expressions")
            continue
        for p in value:
            try:
                re.compile(p)
            except (re.error, TypeError) as e:
                problems.append(f"patterns.{key}: {p!r} is not a regular expression ({e})")
        patterns[key] = tuple(value)
    endings = data.get("endings", [])
    if not (isinstance(endings, list) and all(isinstance(e, str) for e in endings)):
        problems.append("endings must be a list of strings")
        endings = []
    if problems:
        raise VocabularyError(language, problems)
    return Vocabulary(language=str(data.get("language", language)),
                      name=str(data.get("name", language)), endings=tuple(endings),
                      words=words, patterns=patterns)


# -- matching ---------------------------------------------------------------------------------
_TOKEN = re.compile(r"[^\W_]+")


class Match(NamedTuple):
    category: str
    language: str
    start: int  # character span in the folded text
    end: int


class Matcher:
    """Every category's entries of several vocabularies, matched in one pass over the words
    of a text: whole phrases by dictionary look-up, compound parts by their ends, and the
    few entries without letters (emoji) or written as expressions by search.

    A regular expression of a thousand alternatives is simple to write but costs a scan per
    alternative; look-ups keep a cold sync's classification in milliseconds."""

    def __init__(self, entries: list[tuple[str, str, str, tuple[str, ...]]],
                 patterns: list[tuple[str, str, str]]) -> None:
        """``entries``: (category, language, entry, endings); ``patterns``: (category,
        language, regular expression)."""
        self.exact: dict[str, list[tuple[str, str]]] = {}
        self.suffix: dict[str, list[tuple[str, str]]] = {}
        self.prefix: dict[str, list[tuple[str, str]]] = {}
        self.symbols: list[tuple[str, str, str]] = []
        # every expression in one, a named group each: one scan instead of one per expression;
        # those anchored at the start are tried there only
        self._pattern_of = [(cat, lang) for cat, lang, _ in patterns]
        anchored = [(i, p) for i, (_, _, p) in enumerate(patterns) if p.startswith("^")]
        loose = [(i, p) for i, (_, _, p) in enumerate(patterns) if not p.startswith("^")]
        self.anchored = re.compile("|".join(f"(?P<p{i}>{p[1:]})" for i, p in anchored)) \
            if anchored else None
        self.patterns = re.compile("|".join(f"(?P<p{i}>{p})" for i, p in loose)) \
            if loose else None
        self.longest = 1
        #: word -> what it is alone (see _word); grows with the calendar's words
        self._words: dict[str, tuple[tuple[str, str], ...]] = {}
        for cat, lang, entry, endings in entries:
            lead, trail = entry.startswith("*"), entry.endswith("*")
            words = _TOKEN.findall(entry.strip("*"))
            if not words:
                self.symbols.append((cat, lang, entry.strip()))
                continue
            last = words[-1]
            forms = [last] + ([last + e for e in endings] if last.isalpha() and not trail else [])
            if lead or trail:
                table = self.suffix if lead else self.prefix
                for form in forms:
                    _add(table, " ".join([*words[:-1], form]), cat, lang)
                continue
            self.longest = max(self.longest, len(words))
            for form in forms:
                _add(self.exact, " ".join([*words[:-1], form]), cat, lang)
        # which lengths to try, by a word's last (first) three letters; which words start a
        # phrase: most words need one or two look-ups, not dozens
        self._suffix_lens: dict[str, list[int]] = {}
        for k in self.suffix:
            self._suffix_lens.setdefault(k[-3:], []).append(len(k))
        self._prefix_lens: dict[str, list[int]] = {}
        for k in self.prefix:
            self._prefix_lens.setdefault(k[:3], []).append(len(k))
        # the phrase lengths (in words) that start with a given word
        self._phrases: dict[str, frozenset[int]] = {}
        for k in self.exact:
            if " " in k:
                first, n = k.split(" ", 1)[0], k.count(" ") + 1
                self._phrases[first] = self._phrases.get(first, frozenset()) | {n}

    def find(self, text: str, skip: list[tuple[int, int]] = ()) -> list[Match]:  # type: ignore[assignment]
        """Every match in ``text`` (folded), leftmost first, longest first at one place;
        nothing inside the character spans ``skip``."""
        tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]
        if skip:
            tokens = [t for t in tokens if not any(a <= t[1] < b for a, b in skip)]
        out: list[Match] = []
        n = len(tokens)
        exact, words, phrases = self.exact, self._words, self._phrases
        for i in range(n):
            word, start, end = tokens[i]
            found = words.get(word)
            if found is None:
                found = words[word] = self._word(word)
            for cat, lang in found:
                out.append(Match(cat, lang, start, end))
            lengths = phrases.get(word)
            if lengths:
                key, longest = word, min(max(lengths), n - i)
                for j in range(i + 1, i + longest):
                    if tokens[j][1] - tokens[j - 1][2] > 3:
                        break  # a phrase's words sit next to each other
                    key = f"{key} {tokens[j][0]}"
                    if j - i + 1 in lengths:
                        for cat, lang in exact.get(key, ()):
                            out.append(Match(cat, lang, start, tokens[j][2]))
        tail = len(out)
        for cat, lang, symbol in self.symbols if not text.isascii() else ():
            at = text.find(symbol)
            if at >= 0 and not any(a <= at < b for a, b in skip):
                out.append(Match(cat, lang, at, at + len(symbol)))
        first = self.anchored.match(text) if self.anchored is not None else None
        for m in ([first] if first else []) + (list(self.patterns.finditer(text))
                                               if self.patterns is not None else []):
            if not any(a <= m.start() < b for a, b in skip):
                cat, lang = self._pattern_of[int(m.lastgroup[1:])]  # type: ignore[index]
                out.append(Match(cat, lang, m.start(), m.end()))
        if len(out) > tail or any(out[k].start == out[k + 1].start for k in range(tail - 1)):
            out.sort(key=lambda m: (m.start, -m.end))
        return out

    def _word(self, word: str) -> tuple[tuple[str, str], ...]:
        """What one word is on its own: a whole entry, or a compound ending or starting with
        one. Cached per word: calendars repeat their words."""
        out = list(self.exact.get(word, ()))
        size = len(word)
        if size >= 5:  # a compound part has at least three letters, and two more beside it
            for length in self._suffix_lens.get(word[-3:], ()):
                if size >= length + 2:
                    out += self.suffix.get(word[-length:], ())
            for length in self._prefix_lens.get(word[:3], ()):
                if size >= length + 2:
                    out += self.prefix.get(word[:length], ())
        return tuple(out)


def _add(table: dict[str, list[tuple[str, str]]], key: str, cat: str, lang: str) -> None:
    found = table.get(key)
    if found is None:  # most keys: one entry (this runs ~8,000 times per cold start)
        table[key] = [(cat, lang)]
    elif all(c != cat for c, _ in found):
        found.append((cat, lang))  # the first language to list a word is credited with it
