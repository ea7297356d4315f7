"""Helpers shared by the Google adapter tests: an emulator-backed environment."""

from __future__ import annotations

import atexit
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from legday_sync import config
from legday_sync.adapters.files import ensure_private_dir, write_private
from legday_sync.adapters.google import api as google_api
from legday_sync.adapters.google.api import GoogleClient
from legday_sync.adapters.google.sink import GoogleSink
from legday_sync.adapters.state import State
from tests.google_emulator import CalendarEmulator

BERLIN = ZoneInfo("Europe/Berlin")
#: a Monday morning; every test calendar is written around it
NOW = datetime(2030, 1, 7, 6, 0, tzinfo=BERLIN)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Local time ``day`` days after NOW's date."""
    d = NOW.date() + timedelta(days=day)
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=BERLIN)


def timed(start: datetime, end: datetime, summary: str, **extra: Any) -> dict:
    return {"summary": summary, "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": end.isoformat()}, **extra}


def leg_and_tempo(emu: CalendarEmulator, day: int = 0, cal: str = "primary") -> tuple[dict, dict]:
    """A leg day in the evening of ``day`` and a tempo run the next morning: one conflict."""
    leg = emu.add_event(cal, timed(at(day, 18), at(day, 19), "Leg day", id=f"leg{day:04d}"))
    run = emu.add_event(cal, timed(at(day + 1, 7), at(day + 1, 8), "Tempo run",
                                   id=f"tempo{day:04d}"))
    return leg, run


@dataclass
class GoogleEnv:
    emu: CalendarEmulator
    root: Path
    state_dir: Path

    def settings(self, *, sources: list[dict] | None = None, google_output: bool = True,
                 **extra: Any) -> config.Settings:
        raw: dict[str, Any] = {
            "timezone": "Europe/Berlin",
            "source": sources if sources is not None else [{"type": "google"}],
            "output": {"ics": {"path": str(self.root / "suggestions.ics")}},
            "state": {"dir": str(self.state_dir)},
        }
        if google_output:
            raw["output"]["google"] = {"calendar": "Legday suggestions"}
        raw.update(extra)
        return config.parse(raw, base=self.root)

    def suggestions_calendar(self) -> str:
        ids = [c for c, v in self.emu.backend.calendars.items()
               if not v.get("_primary") and not v.get("_deleted")]
        assert len(ids) == 1, f"expected exactly one suggestions calendar, got {ids}"
        return ids[0]

    def suggestion_events(self, include_deleted: bool = False) -> list[dict]:
        return self.emu.events(self.suggestions_calendar(), include_deleted=include_deleted)

    def top_level(self) -> list:
        return [r for r in self.emu.requests if not r.is_batch_part]

    def write_token(self, *, expired: bool = False) -> Path:
        creds = self.emu.credentials()
        if expired:
            creds.expiry = datetime(2000, 1, 1)
        path = google_api.token_path(self.state_dir)
        write_private(path, creds.to_json().encode())
        return path


def fast_backoff() -> google_api.Backoff:
    return google_api.Backoff(tries=6, budget_seconds=10, initial_seconds=0.001,
                              max_seconds=0.01)


@pytest.fixture
def genv(calendar_emulator: CalendarEmulator, tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> GoogleEnv:
    monkeypatch.setenv(google_api.ENV_ENDPOINT, calendar_emulator.base_url)
    monkeypatch.setenv(google_api.ENV_TOKEN_URI, calendar_emulator.token_uri)
    monkeypatch.setattr(google_api, "BACKOFF", fast_backoff())
    state_dir = ensure_private_dir(tmp_path / "state")
    env = GoogleEnv(calendar_emulator, tmp_path, state_dir)
    env.write_token()
    return env


def subprocess_env(emu: CalendarEmulator) -> dict[str, str]:
    env = dict(os.environ)
    env[google_api.ENV_ENDPOINT] = emu.base_url
    env[google_api.ENV_TOKEN_URI] = emu.token_uri
    return env


_SHARED: list[CalendarEmulator] = []


def shared_emulator() -> CalendarEmulator:
    """One emulator for the contract tests' factories (which get no fixtures)."""
    if not _SHARED:
        _SHARED.append(CalendarEmulator().start())
        atexit.register(_SHARED[0].stop)
    return _SHARED[0]


def contract_google_sink(tmp: Path) -> GoogleSink:
    """A GoogleSink on the shared emulator, with a calendar of its own (a unique name)."""
    emu = shared_emulator()
    return GoogleSink("Legday suggestions", state=State(tmp / "google-state"),
                      tz_name="Europe/Berlin", name=f"google-{tmp.name}",
                      connect=lambda: GoogleClient(emu.credentials(), base_url=emu.base_url))
