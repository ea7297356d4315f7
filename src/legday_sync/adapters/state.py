"""SQLite state: the suggestion ledger, sync tokens, the parsed-event cache, sync status.

``own_deletion`` remembers the suggestions the tool itself deleted from a sink
that keeps tombstones (Google): a tombstone it did not make is the user's "no".
Every table is created with IF NOT EXISTS when the database opens, which is also
how an older state database gains the newer tables.

One connection per process; a sync's changes go in one transaction, so a crash
leaves the state as it was before the sync or as it is after it. The folder is
0700 and the database 0600, created that way (never readable for a moment).
A read-only State (``--dry-run``) opens nothing on disk that does not exist and
writes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from ..core.model import Event, Window
from ..core.plan import LedgerEntry, Status
from .files import ensure_private_dir, private_file

SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
    sink TEXT NOT NULL, suggestion_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
    status TEXT NOT NULL, run_start TEXT NOT NULL,
    PRIMARY KEY (sink, suggestion_id));
CREATE TABLE IF NOT EXISTS sync_token (source TEXT PRIMARY KEY, token TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS event_cache (
    source TEXT PRIMARY KEY, validator TEXT NOT NULL, window_start TEXT NOT NULL,
    window_end TEXT NOT NULL, events TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS own_deletion (
    sink TEXT NOT NULL, suggestion_id TEXT NOT NULL, run_start TEXT NOT NULL,
    PRIMARY KEY (sink, suggestion_id));
CREATE TABLE IF NOT EXISTS dismissed (
    suggestion_id TEXT PRIMARY KEY, title TEXT NOT NULL, run_start TEXT NOT NULL,
    dismissed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS google_cache (
    source TEXT PRIMARY KEY, calendar TEXT NOT NULL, window_start TEXT NOT NULL,
    window_end TEXT NOT NULL, events TEXT NOT NULL);
"""
DB_NAME = "state.sqlite3"


def event_to_json(e: Event) -> dict[str, object]:
    d = asdict(e)
    for k in ("start", "end", "original_start"):
        d[k] = d[k].isoformat() if d[k] is not None else None
    d["categories"] = list(e.categories)
    return d


def event_from_json(d: dict[str, object]) -> Event:
    d = dict(d)
    for k in ("start", "end", "original_start"):
        d[k] = datetime.fromisoformat(d[k]) if d[k] else None  # type: ignore[arg-type]
    d["categories"] = tuple(d["categories"])  # type: ignore[arg-type]
    return Event(**d)  # type: ignore[arg-type]


class State:
    def __init__(self, directory: Path, *, readonly: bool = False) -> None:
        self.directory = directory
        self.readonly = readonly
        path = directory / DB_NAME
        if readonly:
            if path.exists():
                self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                          check_same_thread=False, isolation_level=None)
            else:
                self.db = sqlite3.connect(":memory:", check_same_thread=False,
                                          isolation_level=None)
                self.db.executescript(SCHEMA)
        else:
            ensure_private_dir(directory)
            private_file(path)
            # autocommit mode: transactions are only the explicit ones of transaction()
            self.db = sqlite3.connect(path, check_same_thread=False, timeout=30,
                                      isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
        self.db.row_factory = sqlite3.Row

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together or not at all (nothing, when read-only)."""
        if self.readonly:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _write(self, sql: str, params: Sequence[object]) -> None:
        if not self.readonly:
            self.db.execute(sql, params)

    # -- ledger ------------------------------------------------------------
    def ledger(self, sink: str) -> dict[str, LedgerEntry]:
        rows = self.db.execute(
            "SELECT suggestion_id, fingerprint, status, run_start FROM ledger WHERE sink=?",
            (sink,))
        return {r[0]: LedgerEntry(r[0], r[1], r[2], datetime.fromisoformat(r[3])) for r in rows}

    def record(self, sink: str, suggestion_id: str, fingerprint: str, status: Status,
               run_start: datetime) -> None:
        self._write("INSERT INTO ledger VALUES (?,?,?,?,?) ON CONFLICT(sink, suggestion_id) DO "
                    "UPDATE SET fingerprint=excluded.fingerprint, status=excluded.status, "
                    "run_start=excluded.run_start",
                    (sink, suggestion_id, fingerprint, status, run_start.isoformat()))

    def set_status(self, sink: str, suggestion_id: str, status: Status) -> None:
        self._write("UPDATE ledger SET status=? WHERE sink=? AND suggestion_id=?",
                    (status, sink, suggestion_id))

    def forget(self, sink: str, suggestion_id: str) -> None:
        self._write("DELETE FROM ledger WHERE sink=? AND suggestion_id=?", (sink, suggestion_id))

    def prune(self, before: datetime) -> None:
        """Forget suggestions for runs that fell out of the window."""
        self._write("DELETE FROM ledger WHERE run_start < ?", (before.isoformat(),))
        self._write("DELETE FROM own_deletion WHERE run_start < ?", (before.isoformat(),))
        self._write("DELETE FROM dismissed WHERE run_start < ?", (before.isoformat(),))

    def forget_sink(self, sink: str) -> None:
        """Forget everything written to ``sink`` (it is being replaced by a fresh one)."""
        self._write("DELETE FROM ledger WHERE sink=?", (sink,))
        self._write("DELETE FROM own_deletion WHERE sink=?", (sink,))

    # -- the tool's own deletions (tombstones it made) ----------------------------
    def note_own_deletion(self, sink: str, suggestion_id: str, run_start: datetime) -> None:
        self._write("INSERT OR REPLACE INTO own_deletion VALUES (?,?,?)",
                    (sink, suggestion_id, run_start.isoformat()))

    def clear_own_deletion(self, sink: str, suggestion_id: str) -> None:
        self._write("DELETE FROM own_deletion WHERE sink=? AND suggestion_id=?",
                    (sink, suggestion_id))

    def own_deletions(self, sink: str) -> set[str]:
        try:
            rows = self.db.execute("SELECT suggestion_id FROM own_deletion WHERE sink=?",
                                   (sink,))
            return {r[0] for r in rows}
        except sqlite3.OperationalError:  # a read-only database from before this table
            return set()

    # -- dismissals (`legday-sync dismiss`, the status page) ------------------------
    def dismissed(self) -> dict[str, str]:
        """Dismissed suggestion ids and their titles."""
        try:
            rows = self.db.execute("SELECT suggestion_id, title FROM dismissed")
        except sqlite3.OperationalError:  # a read-only database from before this table
            return {}
        return {r[0]: r[1] for r in rows}

    def dismissed_details(self) -> dict[str, tuple[str, datetime]]:
        """Dismissed suggestion ids with their title and their run's start."""
        try:
            rows = self.db.execute("SELECT suggestion_id, title, run_start FROM dismissed")
        except sqlite3.OperationalError:
            return {}
        return {r[0]: (r[1], datetime.fromisoformat(r[2])) for r in rows}

    def dismiss(self, suggestion_id: str, title: str, run_start: datetime,
                at: datetime) -> None:
        self._write("INSERT OR REPLACE INTO dismissed VALUES (?,?,?,?)",
                    (suggestion_id, title, run_start.isoformat(), at.isoformat()))

    def undismiss(self, suggestion_id: str) -> None:
        self._write("DELETE FROM dismissed WHERE suggestion_id=?", (suggestion_id,))

    # -- sync tokens and meta ---------------------------------------------------
    def sync_token(self, source: str) -> str | None:
        row = self.db.execute("SELECT token FROM sync_token WHERE source=?", (source,)).fetchone()
        return row[0] if row else None

    def set_sync_token(self, source: str, token: str | None) -> None:
        if token is None:
            self._write("DELETE FROM sync_token WHERE source=?", (source,))
        else:
            self._write("INSERT OR REPLACE INTO sync_token VALUES (?,?)", (source, token))

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._write("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, value))

    def meta_json(self, key: str) -> object:
        raw = self.meta(key)
        return json.loads(raw) if raw else None

    # -- parsed-event cache (implements sources.ics.EventCache) ------------
    def get(self, source: str, validator: str) -> tuple[Window, list[Event]] | None:
        row = self.db.execute(
            "SELECT window_start, window_end, events FROM event_cache "
            "WHERE source=? AND validator=?", (source, validator)).fetchone()
        if row is None:
            return None
        window = Window(datetime.fromisoformat(row[0]), datetime.fromisoformat(row[1]))
        return window, [event_from_json(d) for d in json.loads(row[2])]

    def put(self, source: str, validator: str, window: Window, events: Sequence[Event]) -> None:
        # sources are read before the sync's transaction: this commits on its own
        if self.readonly:
            return
        blob = json.dumps([event_to_json(e) for e in events], separators=(",", ":"))
        self.db.execute("INSERT OR REPLACE INTO event_cache VALUES (?,?,?,?,?)",
                        (source, validator, window.start.isoformat(), window.end.isoformat(),
                         blob))

    # -- Google source: the calendar's events as last synced ----------------
    def google_events(self, source: str) -> tuple[str, Window, dict[str, dict]] | None:
        """(calendar id, window covered, raw events by Google id) of the last sync, if any."""
        try:
            row = self.db.execute(
                "SELECT calendar, window_start, window_end, events FROM google_cache "
                "WHERE source=?", (source,)).fetchone()
        except sqlite3.OperationalError:  # a read-only database from before this table
            return None
        if row is None:
            return None
        window = Window(datetime.fromisoformat(row[1]), datetime.fromisoformat(row[2]))
        return row[0], window, json.loads(row[3])

    def store_google(self, source: str, calendar: str, window: Window,
                     events: dict[str, dict], token: str | None) -> None:
        """Replace the source's events and sync token together (one transaction)."""
        if self.readonly:
            return
        blob = json.dumps(events, separators=(",", ":"), sort_keys=True)
        with self.transaction():
            self._write("INSERT OR REPLACE INTO google_cache VALUES (?,?,?,?,?)",
                        (source, calendar, window.start.isoformat(), window.end.isoformat(),
                         blob))
            self.set_sync_token(source, token)
