"""Errors that carry data: a message, a fix and the exit code (todoman's habit).

Only the CLI turns them into words for people, in one place (`cli/errors.py`); a new
error class needs no CLI edit: it says its own exit code and fix here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_INTERRUPTED = 130

#: what each exit status means (the man page and `--help` list these)
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_FAILED: "a source, a sink or the file system failed (the others were still judged)",
    EXIT_USAGE: "bad config or command line",
    EXIT_LOCKED: "another legday-sync holds the lock",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}


class LegdayError(Exception):
    """Base of every error the tool expects and explains."""

    exit_code: ClassVar[int] = EXIT_FAILED
    #: what the user can do about it ("" when there is nothing to say)
    fix: str = ""

    def describe(self) -> str:
        """The message for people, with its fix."""
        message = str(getattr(self, "message", "") or self)
        return message + (f" — {self.fix}" if self.fix else "")


@dataclass
class ConfigProblem:
    key: str
    message: str
    fix: str = ""


class ConfigError(LegdayError):
    exit_code = EXIT_USAGE

    def __init__(self, path: str, problems: list[ConfigProblem]) -> None:
        super().__init__(f"{path}: {len(problems)} problem(s)")
        self.path = path
        self.problems = problems

    def describe(self) -> str:
        lines = [f"bad config {self.path}:"]
        for p in self.problems:
            key = f"{p.key}: " if p.key else ""
            fix = f" — {p.fix}" if p.fix else ""
            lines.append(f"  {key}{p.message}{fix}")
        return "\n".join(lines)


@dataclass
class UsageError(LegdayError):
    """The command line asks for something that can't be done (nothing was changed)."""

    exit_code: ClassVar[int] = EXIT_USAGE
    message: str
    fix: str = ""

    def __post_init__(self) -> None:
        super().__init__(self.message)


@dataclass
class SourceError(LegdayError):
    """A source could not be read; its events are unknown (never "no events")."""

    source: str
    message: str
    fix: str = ""
    detail: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.source}: {self.message}")

    def describe(self) -> str:
        return str(self) + (f" — {self.fix}" if self.fix else "")


@dataclass
class SinkError(LegdayError):
    sink: str
    message: str
    fix: str = ""
    #: e.g. {"retry_after": seconds} when the service asked for a long pause
    detail: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.sink}: {self.message}")

    def describe(self) -> str:
        return str(self) + (f" — {self.fix}" if self.fix else "")


@dataclass
class AuthError(LegdayError):
    message: str
    fix: str = "run `legday-sync auth` again"

    def __post_init__(self) -> None:
        super().__init__(self.message)


@dataclass
class ServeError(LegdayError):
    """The feed server could not start (e.g. the port is taken)."""

    message: str
    fix: str = ""

    def __post_init__(self) -> None:
        super().__init__(self.message)


@dataclass
class LockBusy(LegdayError):
    exit_code: ClassVar[int] = EXIT_LOCKED
    path: str
    holder: str = ""
    fix: str = "try again when it is done, or pass --wait SECONDS"

    def __post_init__(self) -> None:
        super().__init__(f"another legday-sync is running ({self.path})")

    def describe(self) -> str:
        held = f", held by {self.holder}" if self.holder else ""
        return f"another legday-sync is running (lock {self.path}{held}); {self.fix}"


@dataclass
class CalDavError(LegdayError):
    """A CalDAV login or request failed: 401, 403, unreachable, timeout, 5xx, an answer that
    isn't CalDAV. The source or sink that met it reports it as its own Source/SinkError."""

    message: str
    fix: str = ""
    #: the HTTP status, when there was one
    status: int | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)
