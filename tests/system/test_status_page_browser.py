"""The status page in a real browser: headless Chromium loads it from a running server.

The server is the real feed app (``web.app.Feed``) wrapped by ``with_status_page`` and served
by waitress (``web.server.FeedServer``), on the example calendar with the clock pinned.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from legday_sync import config
from legday_sync.web.status_page import CSP, with_status_page
from tests.conftest import EXAMPLE_NOW

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium"
                                        if Path("/usr/bin/chromium").exists() else None)
if CHROMIUM is None:
    if os.environ.get("CI"):
        pytest.fail("chromium is missing: CI must install Debian's `chromium` "
                    "(.ci/run does `apt-get install -y chromium`)", pytrace=False)
    pytestmark = pytest.mark.skip(reason="Debian's chromium is not installed "
                                         "(apt-get install -y chromium)")

TOKEN = "browser-test-token_0123456789abcdefghijklmnopqrstuv"


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    assert CHROMIUM is not None
    profile = tmp_path / "chromium-profile"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120)


@pytest.fixture
def server(example_dir: Path) -> Iterator[str]:
    from legday_sync.service import ics_output_path
    from legday_sync.web.app import Feed
    from legday_sync.web.server import FeedServer

    settings = config.load(example_dir / "legday-sync.toml")
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    (settings.state_dir / "feed-token").write_text(TOKEN + "\n")
    (settings.state_dir / "feed-token").chmod(0o600)
    feed = Feed(ics_output_path(settings), settings.state_dir, tz=settings.tz,
                name=settings.feed.name)
    now = datetime.fromisoformat(EXAMPLE_NOW)
    app = with_status_page(feed, settings, clock=lambda: now, days=14)
    srv = FeedServer(app, "127.0.0.1", 0)  # type: ignore[arg-type]
    srv.start()
    try:
        yield f"http://127.0.0.1:{srv.port}"
    finally:
        srv.stop()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_the_browser_shows_the_conflicts_and_a_screenshot_is_saved(server: str,
                                                                  tmp_path: Path) -> None:
    url = f"{server}/{TOKEN}/"
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.status == 200
        assert r.headers["Content-Security-Policy"] == CSP

    r = chromium(tmp_path, "--dump-dom", url)
    dom = r.stdout
    assert "Your training week" in dom, r.stderr[-2000:]
    # the DOM after the browser ran it: four conflicts, each in words, with suggestions
    assert dom.count('class="conflict"') == 4
    for title in ("Tempo run 8k", "Intervals 6x800m", "Run along the river",
                  "Race 10k — Nikolauslauf"):
        assert title in dom
    assert dom.count("⚠ Conflict:") == 4
    assert "→ Instead:" in dom and "→ Move:" in dom
    assert dom.count('class="wk"') >= 10  # every workout block drawn in the SVG
    # the inline script ran under the CSP: the copy button is no longer hidden
    assert '<button id="copy" type="button">Copy</button>' in dom
    assert f"/feed/{TOKEN}.ics" in dom

    shot = tmp_path / "status-page.png"
    r = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,1600",
                 "--hide-scrollbars", url)
    assert shot.is_file(), r.stderr[-2000:]
    data = shot.read_bytes()
    assert png_size(data) == (1280, 1600)
    assert len(data) > 50_000  # a rendered page, not a blank one


def test_a_wrong_token_shows_nothing(server: str, tmp_path: Path) -> None:
    for path in (f"/{TOKEN[:-1]}x/", "/", "/not-the-token-but-long-enough/"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(server + path, timeout=30)
        assert err.value.code == 404
        assert b"training" not in err.value.read()
    r = chromium(tmp_path, "--dump-dom", f"{server}/{TOKEN[:-1]}x/")
    assert "Your training week" not in r.stdout and "Tempo" not in r.stdout
    # and the feed server's own routes still work behind the wrapper
    with urllib.request.urlopen(f"{server}/healthz", timeout=30) as r2:
        assert r2.status == 200
    with urllib.request.urlopen(f"{server}/feed/{TOKEN}.ics", timeout=30) as r3:
        assert r3.read().startswith(b"BEGIN:VCALENDAR")
