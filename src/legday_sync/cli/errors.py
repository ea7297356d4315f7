"""The one place an error becomes a message for people and an exit code."""

from __future__ import annotations

from ..errors import EXIT_FAILED, LegdayError


def error_message(e: BaseException) -> tuple[str, int]:
    """Every expected error as words with a fix, and its exit code."""
    if isinstance(e, LegdayError):
        return f"error: {e.describe()}", e.exit_code
    if isinstance(e, OSError):
        where = f" {e.filename}" if e.filename else ""
        return (f"error: can't use{where}: {e.strerror or e} — check that the path exists and "
                f"that you may write there (e.g. [state] dir, [output.ics] path)"), EXIT_FAILED
    return f"error: {e}", EXIT_FAILED
