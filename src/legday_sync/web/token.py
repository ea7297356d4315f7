"""The feed's secret token: the one place it is made, read, rotated and put in a URL.

The token is ``secrets.token_urlsafe(32)`` (ASCII) in ``<state dir>/feed-token``, mode
0600. It is read as bytes and decoded as ASCII everywhere; a file that isn't ASCII is no
token at all (every request is a 404: fail closed).
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import threading
from pathlib import Path

from ..adapters.files import ensure_private_dir, private_tmp

TOKEN_NAME = "feed-token"


def token_path(state_dir: Path) -> Path:
    return state_dir / TOKEN_NAME


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def _decode(raw: bytes) -> str | None:
    try:
        return raw.strip().decode("ascii") or None
    except UnicodeDecodeError:
        return None


def read_token(state_dir: Path) -> str | None:
    """The current token, or None when there is none (no file, empty, not ASCII)."""
    try:
        return _decode(token_path(state_dir).read_bytes())
    except FileNotFoundError:
        return None


def ensure_token(state_dir: Path) -> str:
    """The feed token, created (0600, atomically, once) if there is none yet."""
    token = read_token(state_dir)
    if token:
        return token
    ensure_private_dir(state_dir)
    path = token_path(state_dir)
    tmp = private_tmp(path, (_new_token() + "\n").encode("ascii"))
    try:
        os.link(tmp, path)  # fails if another process created it first: then theirs wins
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    token = read_token(state_dir)
    if not token:  # an empty file left by hand: replace it
        return rotate_token(state_dir)
    return token


def rotate_token(state_dir: Path) -> str:
    """Write a new token; the old feed URL stops working at once (the server re-reads)."""
    ensure_private_dir(state_dir)
    token = _new_token()
    path = token_path(state_dir)
    os.replace(private_tmp(path, (token + "\n").encode("ascii")), path)
    return token


class TokenFile:
    """The current token for a server, re-read whenever the file's identity or mtime changes
    (so `feed-url --rotate` takes effect without a restart)."""

    def __init__(self, state_dir: Path) -> None:
        self.path = token_path(state_dir)
        self._key: tuple[int, int, int] | None = None
        self._token: str | None = None
        self._lock = threading.Lock()

    def current(self) -> str | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None  # no token file: nothing matches (fail closed)
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if key != self._key:
            with self._lock:
                try:
                    raw = self.path.read_bytes()
                except OSError:
                    return None
                self._token, self._key = _decode(raw), key
        return self._token


def listen_base_url(host: str, port: int) -> str:
    """The server's own address as a base URL (a wildcard listen becomes this host's name)."""
    if host in ("0.0.0.0", "::", ""):
        host = socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def feed_url(token: str, base_url: str) -> str:
    """The one place the feed's address is built (the CLI, the status page)."""
    return f"{base_url.rstrip('/')}/feed/{token}.ics"


def page_url(feed: str) -> str:
    """The status page's address, from the feed's: same base, ``/<token>/``."""
    base, _, name = feed.rpartition("/feed/")
    return f"{base}/{name.removesuffix('.ics')}/"


def webcal_url(url: str) -> str:
    return re.sub(r"^https?://", "webcal://", url)
