"""Secrets never reach a log: a filter that masks them in every record."""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    # the feed token in a feed or status URL
    (re.compile(r"(/feed/)[A-Za-z0-9_\-]{8,}"), r"\1***"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/]+=*"), r"\1***"),
    (re.compile(r"(?i)((?:access_token|refresh_token|client_secret|id_token|token|password|"
                r"secret|key|sig)[\"']?\s*[=:]\s*[\"']?)[^\s\"'&,}]+"), r"\1***"),
    # credentials inside URLs: scheme://user:pass@host
    (re.compile(r"(?<=://)[^/@\s:]+:[^/@\s]+@"), "***@"),
]


def redact(text: str) -> str:
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction() -> None:
    """Attach the filter to every handler of the root logger (idempotent)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
