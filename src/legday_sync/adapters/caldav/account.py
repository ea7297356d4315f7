"""What a CalDAV source and sink share: the account's settings, the lazy connection,
and the calendar URL found by discovery, kept in the state so that a steady-state
sync sends no discovery requests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import CalDavError
from ...redact import redact_url
from .client import CalendarInfo, Connection
from .password import read_password


@dataclass(frozen=True)
class Account:
    url: str
    username: str
    password_file: Path | None = None
    password_command: str | None = None
    timeout: float = 30

    @classmethod
    def of(cls, s: Any) -> Account:
        """From a ``[[source]]`` or ``[output.caldav]`` section of the config."""
        return cls(s.url, s.username, s.password_file, s.password_command,
                   getattr(s, "timeout_seconds", 30))

    @property
    def key(self) -> str:
        """Names the account in the state (no secret in it)."""
        return f"{redact_url(self.url)}|{self.username}"


class Session:
    """A connection opened on first use, with the password read then (not at build time)."""

    def __init__(self, account: Account, state: Any, *, readonly: bool) -> None:
        self.account = account
        self.state = state
        self.readonly = readonly
        self.warnings: list[str] = []
        self._conn: Connection | None = None

    @property
    def auth_key(self) -> str:
        return f"caldav_auth:{self.account.key}"

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            pw = read_password(password_file=self.account.password_file,
                               password_command=self.account.password_command)
            self.warnings.extend(pw.warnings)
            self._conn = Connection(self.account.url, self.account.username, pw.value,
                                    timeout=self.account.timeout,
                                    auth_type=self.state.meta(self.auth_key))
        return self._conn

    def remember_auth(self) -> None:
        """Keep the auth scheme the server asked for: later syncs skip the 401 round trip."""
        if self._conn is None or self.readonly:
            return
        scheme = self._conn.negotiated_auth
        if scheme and self.state.meta(self.auth_key) != scheme:
            self.state.set_meta(self.auth_key, scheme)

    def calendar(self, spec: str, meta_key: str, *, rediscover: bool = False) -> str | None:
        """The URL of calendar ``spec``, from the state or by discovery (None: not there).
        ``rediscover``: the stored URL failed (404): ask the server again."""
        want = f"{self.account.key}|{spec}"
        stored = self.state.meta_json(meta_key)
        if not rediscover and isinstance(stored, dict) and stored.get("spec") == want \
                and stored.get("url"):
            return str(stored["url"])
        found = self.conn.find_calendar(spec)
        if found is None:
            return None
        self.remember_calendar(spec, meta_key, found.url)
        return found.url

    def remember_calendar(self, spec: str, meta_key: str, url: str | None) -> None:
        if self.readonly:
            return
        if url is None:
            self.state.set_meta(meta_key, "")
        else:
            self.state.set_meta(meta_key, json.dumps(
                {"spec": f"{self.account.key}|{spec}", "url": url}))


def no_such_calendar(spec: str, cals: list[CalendarInfo]) -> CalDavError:
    shown = sorted(c.name for c in cals)
    names = ", ".join(repr(n) for n in shown[:12]) or "none"
    if len(shown) > 12:
        names += f" and {len(shown) - 12} more"
    return CalDavError(f"no calendar {spec!r} in this account (it has: {names})",
                       "set `calendar` to one of these names or to the calendar's full URL "
                       "(`legday-sync check` lists them)")
