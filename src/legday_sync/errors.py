"""Errors that carry data. Only the CLI turns them into words for people."""

from __future__ import annotations

from dataclasses import dataclass, field


class LegdayError(Exception):
    """Base of every error the tool expects and explains."""


@dataclass
class ConfigProblem:
    key: str
    message: str
    fix: str = ""


class ConfigError(LegdayError):
    def __init__(self, path: str, problems: list[ConfigProblem]) -> None:
        super().__init__(f"{path}: {len(problems)} problem(s)")
        self.path = path
        self.problems = problems


@dataclass
class SourceError(LegdayError):
    """A source could not be read; its events are unknown (never "no events")."""

    source: str
    message: str
    fix: str = ""
    detail: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.source}: {self.message}")


@dataclass
class SinkError(LegdayError):
    sink: str
    message: str
    fix: str = ""

    def __post_init__(self) -> None:
        super().__init__(f"{self.sink}: {self.message}")


@dataclass
class AuthError(LegdayError):
    message: str
    fix: str = "run `legday-sync auth` again"

    def __post_init__(self) -> None:
        super().__init__(self.message)


@dataclass
class LockBusy(LegdayError):
    path: str
    holder: str = ""

    def __post_init__(self) -> None:
        super().__init__(f"another legday-sync is running ({self.path})")


@dataclass
class UsageError(LegdayError):
    """A command was given something it can't use (e.g. an id that names no suggestion)."""

    message: str
    fix: str = ""

    def __post_init__(self) -> None:
        super().__init__(self.message)
