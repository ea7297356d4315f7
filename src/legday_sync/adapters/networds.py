"""Network failures in words: "connection refused by 127.0.0.1:8080 — is the server running?"
instead of urllib3's ``HTTPConnectionPool(...): Max retries exceeded ...``.

requests wraps the real cause (a refused connection, a DNS failure, a certificate
problem) in two or three layers of exceptions; this walks them and names it.
"""

from __future__ import annotations

import errno
import socket
import ssl
from urllib.parse import urlsplit


def _causes(exc: BaseException):
    """``exc`` and everything it wraps (cause, context, urllib3's ``reason``, args)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        for nxt in (e.__cause__, e.__context__, getattr(e, "reason", None),
                    *(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def _where(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "the server"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{host}:{port}"


def explain(exc: BaseException, url: str) -> tuple[str, str]:
    """(what happened, the fix) for a failed request to ``url``; never a traceback's words."""
    where = _where(url)
    host = urlsplit(url).hostname or "the server"
    for e in _causes(exc):
        if isinstance(e, ConnectionRefusedError) or (
                isinstance(e, OSError) and e.errno == errno.ECONNREFUSED):
            return (f"connection refused by {where}",
                    "is the server running, and is the port right?")
        if isinstance(e, socket.gaierror):
            return (f"can't find the host {host} (no DNS answer)",
                    "check the spelling of the host name and that you are online")
        if isinstance(e, ssl.SSLCertVerificationError):
            why = getattr(e, "verify_message", "") or "not trusted"
            return (f"{host}'s certificate is not accepted ({why})",
                    "check the address (https:// to the right host); a self-signed server "
                    "needs its CA in the system's trust store")
        if isinstance(e, ssl.SSLError):
            return (f"the secure connection to {where} failed ({e.reason or e})",
                    "check that the address speaks https on that port")
        if isinstance(e, TimeoutError | socket.timeout):
            return (f"{where} did not answer in time",
                    "check that the server is up; a slow server needs a longer timeout_seconds")
        if isinstance(e, ConnectionResetError):
            return (f"{where} closed the connection", "try again; if it persists, check the "
                    "server's logs or a proxy in between")
        if isinstance(e, OSError) and e.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return (f"no route to {where} (network unreachable)", "check that you are online")
    return (f"could not connect to {where}", "check the URL and your network connection")
