"""The one error translator: each error says its own exit code and fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from legday_sync.cli.errors import error_message
from legday_sync.errors import (
    EXIT_CODES,
    AuthError,
    ConfigError,
    ConfigProblem,
    LegdayError,
    LockBusy,
    ServeError,
    SourceError,
    UsageError,
)


def test_each_error_carries_its_exit_code_and_fix() -> None:
    cases = [
        (ConfigError("a.toml", [ConfigProblem("goal", "bad", "use balanced")]), 2,
         "a.toml:\n  goal: bad — use balanced"),
        (LockBusy("/s/lock", "pid 7"), 3, "held by pid 7"),
        (UsageError("--now 'x' is not ISO 8601", "write it like …"), 2, "— write it like …"),
        (SourceError("gym", "HTTP 500", "try later"), 1, "gym: HTTP 500 — try later"),
        (AuthError("grant revoked"), 1, "grant revoked — run `legday-sync auth` again"),
        (ServeError("can't listen on 127.0.0.1:1", "change [feed] listen"), 1, "[feed] listen"),
    ]
    for error, code, text in cases:
        message, exit_code = error_message(error)
        assert exit_code == code == error.exit_code, error
        assert message.startswith("error: ") and text in message, message
    assert set(EXIT_CODES) >= {0, 1, 2, 3, 130}


def test_a_new_error_class_needs_no_cli_edit() -> None:
    @dataclass
    class QuotaError(LegdayError):
        exit_code: ClassVar[int] = 75
        message: str
        fix: str = "wait an hour"

        def __post_init__(self) -> None:
            super().__init__(self.message)

    assert error_message(QuotaError("daily quota used")) == (
        "error: daily quota used — wait an hour", 75)


def test_os_errors_name_the_path() -> None:
    message, code = error_message(PermissionError(13, "Permission denied", "/state/x"))
    assert code == 1 and "/state/x" in message and "Permission denied" in message
