"""Secrets never reach a log: a filter that masks them in every record."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

_PATTERNS = [
    # the feed token in a feed or status URL
    (re.compile(r"(/feed/)[A-Za-z0-9_\-]{8,}"), r"\1***"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/]+=*"), r"\1***"),
    (re.compile(r"(?i)(authorization[\"']?\s*[:,=]\s*[\"']?basic\s+)[A-Za-z0-9+/]+=*"),
     r"\1***"),
    (re.compile(r"(?i)((?:access_token|refresh_token|client_secret|id_token|token|password|"
                r"secret|key|sig)[\"']?\s*[=:]\s*[\"']?)[^\s\"'&,}]+"), r"\1***"),
    # credentials inside URLs: scheme://user:pass@host
    (re.compile(r"(?<=://)[^/@\s:]+:[^/@\s]+@"), "***@"),
]


def redact_url(url: str) -> str:
    """``url`` without what may be a secret: user:pass@, query values, private path parts."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:
        return "<unparseable URL>"
    if parts.username or parts.password:
        host = "***@" + host
    query = ""
    if parts.query:
        query = (
            "&".join(f"{k}=***" for k, _ in parse_qsl(parts.query, keep_blank_values=True)) or "***"
        )
    path = "/".join(_redact_segment(s) for s in parts.path.split("/"))
    return urlunsplit((parts.scheme, host, path, query, ""))


def _redact_segment(segment: str) -> str:
    if segment.lower().startswith("private-"):
        return "private-***"
    # long random-looking tokens (letters and digits, 24+ chars)
    if (
        len(segment) >= 24
        and re.fullmatch(r"[A-Za-z0-9_\-]+", segment)
        and re.search(r"\d", segment)
        and re.search(r"[A-Za-z]", segment)
    ):
        return "***"
    return segment


def _secrets_of(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    found = [url, parts.query, parts.username or "", parts.password or ""]
    found += [v for _, v in parse_qsl(parts.query, keep_blank_values=True)]
    found += [s for s in parts.path.split("/") if _redact_segment(s) != s]
    return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """``text`` (an exception message, say) with every secret part of ``url`` masked."""
    for secret in _secrets_of(url):
        text = text.replace(secret, redact_url(url) if secret == url else "***")
    return text


#: secrets known only at run time (a CalDAV password read from its file or command)
_KNOWN: set[str] = set()


def remember_secret(secret: str) -> None:
    """Mask ``secret`` wherever it appears in a log record from now on."""
    if len(secret) >= 3:
        _KNOWN.add(secret)


def redact(text: str) -> str:
    for secret in sorted(_KNOWN, key=len, reverse=True):
        text = text.replace(secret, "***")
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
