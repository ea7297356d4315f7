"""The classifier's words, one TOML file per language in ``core/vocab/``.

A file holds phrases per category (leg day, run, easy, hard, heavy, race, look-alikes, …);
a contributor adds a language by adding a file. Reading package data is the core's only
"input": it happens lazily, on first use, never at import time, and the result is cached.

Entry syntax (after case and accent folding, see :func:`fold`):
- words match whole words; a space matches spaces, hyphens, slashes or underscores;
- ``*word`` matches the end of a compound (``*intervall`` → "hugelintervalle"), ``word*``
  its start (``bein*`` → "beinkrafttraining"); either needs two more letters, so list the
  bare word as well when it counts alone;
- the file's ``endings`` may follow the last word ("squat" → "squats").
``[patterns]`` holds regular expressions over the folded text, for what words can't say.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
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
    "other_sport": "another sport: hard or easy words alone don't make a run",
    "work": "work, errands, talk about training: not a workout",
    "social": "a meal or a party: hard or easy words alone don't make a run",
    "generic": "training in general: the description decides",
    "ignore": "look-alike phrases, removed before matching",
    "away": "a day away",
}
_META = {"language", "name", "endings", "patterns"}


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
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """:func:`fold`, and for each folded character the index of the character it came from
    (so evidence can quote the words as the user wrote them)."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        f = fold(ch)
        out.append(f)
        where.extend([i] * len(f))
    return "".join(out), where


def _dir() -> Traversable:
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


def entry_regex(entry: str, endings: tuple[str, ...] = ()) -> str:
    """The regular expression of one vocabulary entry, over folded text."""
    lead, trail = entry.startswith("*"), entry.endswith("*")
    core = entry.strip("*").strip()
    body = r"[\s_/-]+".join(re.escape(part) for part in core.split())
    if endings and not trail and core[-1].isalpha():
        body += "(?:" + "|".join(re.escape(e) for e in sorted(endings, key=len,
                                                               reverse=True)) + ")?"
    bounded_left, bounded_right = core[0].isalnum(), core[-1].isalnum()
    left = r"(?<!\w)\w{2,}" if lead else r"(?<!\w)" if bounded_left else ""
    right = r"\w{2,}" if trail else r"(?!\w)" if bounded_right else ""
    return left + body + right
