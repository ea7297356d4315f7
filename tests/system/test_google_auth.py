"""`legday-sync auth` through the real installed-app flow, against the emulator's consent
screen and token endpoint (granular consent: the user may untick any box)."""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.error
import urllib.request
import webbrowser
from pathlib import Path

import pytest

from legday_sync import cli
from legday_sync.adapters.google import login, scopes
from tests.google_support import NOW, GoogleEnv, genv, leg_and_tempo  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Browser:
    """Follows the consent screen's redirect back to the local server, as a browser does."""

    def __init__(self) -> None:
        self.opened: list[str] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append(url)

        def visit() -> None:
            # an error page (URLError): the user sees it and nothing comes back
            with contextlib.suppress(urllib.error.URLError, OSError):
                urllib.request.urlopen(url, timeout=10).read()

        threading.Thread(target=visit, daemon=True).start()
        return True


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Browser:
    b = Browser()
    monkeypatch.setattr(webbrowser, "get", lambda using=None: b)
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the emulator speaks plain http
    return b


def setup(genv: GoogleEnv) -> Path:  # noqa: F811
    (genv.state_dir / "google-token.json").unlink()
    (genv.root / "client_secret.json").write_text(json.dumps({"installed": {
        "client_id": "desktop-client", "client_secret": "s",
        "auth_uri": genv.emu.auth_uri, "token_uri": genv.emu.token_uri,
        "redirect_uris": ["http://localhost"]}}))
    config = genv.root / "legday-sync.toml"
    config.write_text('timezone = "Europe/Berlin"\n[[source]]\ntype = "google"\n'
                      '[output.google]\ncalendar = "Legday suggestions"\n'
                      f'[state]\ndir = "{genv.state_dir}"\n', encoding="utf-8")
    return config


def run(config: Path, *args: str) -> int:
    return cli.main(["--config", str(config), *args])


def test_auth_with_a_box_unticked_connects_and_says_what_is_missing(genv, browser, capsys):  # noqa: F811
    config = setup(genv)
    genv.emu.unticked = {scopes.FREEBUSY}
    assert run(config, "auth", "--port", "0") == 0
    out = capsys.readouterr().out
    assert "Connected" in out
    assert "✗ View your availability" in out and "busy time comes from the events" in out
    assert "tick every box" in out
    saved = json.loads((genv.state_dir / "google-token.json").read_text())
    assert set(saved["scopes"]) == set(scopes.SCOPES) - {scopes.FREEBUSY}
    # and it works with what it has: no free/busy asked
    leg_and_tempo(genv.emu)
    assert run(config, "sync", "--now", NOW.isoformat()) == 0
    assert len(genv.suggestion_events()) == 2
    assert not any(r.operation == "freebusy.query" for r in genv.emu.requests)
    # check shows the grant
    capsys.readouterr()
    run(config, "check")
    out = capsys.readouterr().out
    assert "✓ View events on all your calendars" in out and "✗ View your availability" in out


def test_auth_with_every_box_ticked_says_nothing_is_missing(genv, browser, capsys):  # noqa: F811
    config = setup(genv)
    assert run(config, "auth", "--port", "0") == 0
    out = capsys.readouterr().out
    assert "Connected" in out and "✗" not in out
    assert browser.opened and "scope=" in browser.opened[0]


def test_auth_gives_up_when_google_shows_an_error_page(genv, browser, capsys, monkeypatch):  # noqa: F811
    config = setup(genv)
    genv.emu.consent_blocked = True
    monkeypatch.setattr(login, "TIMEOUT_SECONDS", 0.5)
    assert run(config, "auth", "--port", "0") == 1
    err = capsys.readouterr().err
    assert "did not come back within 0.5 seconds" in err
    assert "test user" in err and "Desktop app" in err
    assert not (genv.state_dir / "google-token.json").exists()


def test_no_browser_with_port_0_prints_a_real_port(genv, monkeypatch, capsys):  # noqa: F811
    config = setup(genv)
    seen = {}

    def fake_sign_in(secrets, *, port, open_browser, prompt, timeout=None):
        seen["port"], seen["open"] = port, open_browser
        print(prompt.format(url="https://accounts.example/x"))
        return genv.emu.credentials("fresh"), frozenset(scopes.SCOPES)

    monkeypatch.setattr(login, "sign_in", fake_sign_in)
    assert run(config, "auth", "--no-browser", "--port", "0") == 0
    out = capsys.readouterr().out
    assert seen["open"] is False and seen["port"] > 0
    assert f"ssh -L {seen['port']}:localhost:{seen['port']}" in out
    assert "ssh -L 0:" not in out


def test_auth_new_calendar_lets_go_of_the_old_one(genv, monkeypatch, capsys):  # noqa: F811
    from legday_sync.adapters.state import State
    from legday_sync.service import sync_once

    leg_and_tempo(genv.emu)
    genv.write_token()
    assert sync_once(genv.settings(), NOW).ok
    old = genv.suggestions_calendar()
    config = setup(genv)
    monkeypatch.setattr(login, "sign_in", lambda *a, **k: (genv.emu.credentials("fresh"),
                                                          frozenset(scopes.SCOPES)))
    assert run(config, "auth", "--new-calendar") == 0
    out = capsys.readouterr().out
    assert old in out and "stays in Google Calendar" in out
    state = State(genv.state_dir)
    try:
        assert state.meta("google_calendar:google") is None
        assert state.ledger("google") == {}
    finally:
        state.close()
    # the next sync makes a fresh calendar and does not pick the old one up again
    assert sync_once(genv.settings(), NOW).ok
    cals = [c for c, v in genv.emu.backend.calendars.items() if not v.get("_primary")]
    assert len(cals) == 2 and len(genv.emu.events(old)) == 2
    assert all(len(genv.emu.events(c)) == 2 for c in cals)
