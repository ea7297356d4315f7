"""`legday-sync check` for CalDAV: log in, discover, and list the calendars each account
shows, marking the ones the config names. Reads only; writes nothing anywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import CalDavError
from .account import Account
from .client import Connection
from .password import read_password


@dataclass(frozen=True)
class AccountCheck:
    ok: bool
    #: "alice @ https://caldav.example.com/"
    account: str
    lines: tuple[str, ...]


def check_accounts(settings: Any) -> list[AccountCheck]:
    """One entry per CalDAV account in the config (sources and ``[output.caldav]``)."""
    wanted: dict[Account, list[str]] = {}
    for s in settings.source:
        if s.type == "caldav":
            wanted.setdefault(Account.of(s), []).append(s.calendar)
    out_cfg = settings.output.caldav
    if out_cfg is not None:
        wanted.setdefault(Account.of(out_cfg), [])
    out = []
    for account, calendars in wanted.items():
        out.append(_check(account, calendars, out_cfg.calendar if out_cfg is not None
                          and Account.of(out_cfg) == account else None))
    return out


def _check(account: Account, reads: list[str], writes: str | None) -> AccountCheck:
    label = f"{account.username} @ {account.key.partition('|')[0]}"
    try:
        pw = read_password(password_file=account.password_file,
                           password_command=account.password_command)
        conn = Connection(account.url, account.username, pw.value, timeout=account.timeout)
        cals = conn.calendars()
    except CalDavError as e:
        return AccountCheck(False, label, (e.message + (f" — {e.fix}" if e.fix else ""),))
    lines = [f"warning: {w}" for w in pw.warnings]
    lines.append(f"logged in; {len(cals)} calendar(s):")
    for c in cals:
        tags = []
        if any(_names(c, r) for r in reads):
            tags.append("read as a source")
        if writes is not None and _names(c, writes):
            tags.append("suggestions go here")
        lines.append(f"  {c.name}" + (f"  ({', '.join(tags)})" if tags else ""))
    ok = True
    for r in reads:
        if not any(_names(c, r) for c in cals):
            ok = False
            lines.append(f"no calendar {r!r} here: set `calendar` to one of the names above")
    if writes is not None and not any(_names(c, writes) for c in cals):
        lines.append(f"{writes!r} will be created on the first sync that has a suggestion")
    return AccountCheck(ok, label, tuple(lines))


def _names(c: Any, spec: str) -> bool:
    if spec.lower().startswith(("http://", "https://", "/")):
        return c.url.rstrip("/").endswith(spec.rstrip("/")) or spec.rstrip("/") == \
            c.url.rstrip("/")
    return c.name.casefold() == spec.casefold()
