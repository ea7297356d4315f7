"""The feed's WSGI app, called directly (no sockets): routes, headers, conditional requests,
tokens, and the atomic snapshot swap under concurrent readers."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from legday_sync.adapters.ics.sink import StoredEvent, render
from legday_sync.web import app as feedmod
from legday_sync.web.app import EMPTY_MODIFIED, Feed, calendar_last_modified, none_match
from legday_sync.web.token import ensure_token, rotate_token

TZ = ZoneInfo("Europe/Berlin")
MODIFIED = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


def _event(title: str, sid: str = "a" * 32) -> StoredEvent:
    start = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    return StoredEvent(suggestion_id=sid, kind="instead", start=start,
                       end=start + timedelta(minutes=45), title=title, description="why",
                       fingerprint="f" * 32, run_start=start, sequence=0, created=MODIFIED,
                       last_modified=MODIFIED)


def _calendar(title: str, modified: datetime = MODIFIED) -> bytes:
    return render([_event(title)], tz=TZ, name="Legday suggestions", modified=modified)


@pytest.fixture
def setup(tmp_path: Path):
    state = tmp_path / "state"
    token = ensure_token(state)
    path = tmp_path / "suggestions.ics"
    path.write_bytes(_calendar("Yoga & stretching instead of Tempo run 8k"))
    app = Feed(path, state, tz=TZ, status=lambda: {"time": "t", "ok": True})
    return app, token, path, state


def call(app, path: str, method: str = "GET", **headers: str):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": "x",
               "SERVER_PORT": "1", "wsgi.url_scheme": "http"}
    environ.update({"HTTP_" + k.upper(): v for k, v in headers.items()})
    seen: dict[str, object] = {}

    def start_response(status, hdrs):
        seen["status"], seen["headers"] = status, dict(hdrs)

    body = b"".join(app(environ, start_response))
    return int(str(seen["status"])[:3]), seen["headers"], body


def test_get_serves_the_file_with_headers(setup):
    app, token, path, _ = setup
    status, h, body = call(app, f"/feed/{token}.ics")
    assert status == 200
    assert body == path.read_bytes()
    assert h["Content-Type"] == "text/calendar; charset=utf-8"
    assert h["ETag"] == '"' + hashlib.sha256(body).hexdigest() + '"'
    assert h["Last-Modified"] == "Mon, 23 Nov 2026 05:00:00 GMT"
    assert h["Content-Length"] == str(len(body))
    assert "max-age" in h["Cache-Control"] and "private" in h["Cache-Control"]
    assert h["Content-Disposition"].startswith("inline; filename=")


def test_bodies_are_byte_identical_and_head_has_no_body(setup):
    app, token, _, _ = setup
    _s1, h1, b1 = call(app, f"/feed/{token}.ics")
    _s2, h2, b2 = call(app, f"/feed/{token}.ics")
    s3, h3, b3 = call(app, f"/feed/{token}.ics", "HEAD")
    assert b1 == b2 and h1 == h2
    assert (s3, b3) == (200, b"")
    assert h3 == h1  # same headers, Content-Length included


def test_if_none_match(setup):
    app, token, _, _ = setup
    url = f"/feed/{token}.ics"
    etag = call(app, url)[1]["ETag"]
    assert call(app, url, if_none_match=etag)[0] == 304
    assert call(app, url, "HEAD", if_none_match=etag)[0] == 304
    assert call(app, url, if_none_match=f'"nope", {etag}, "other"')[0] == 304
    assert call(app, url, if_none_match="*")[0] == 304
    assert call(app, url, if_none_match="W/" + etag)[0] == 304  # weak comparison
    _status, h, body = call(app, url, if_none_match=etag)
    assert body == b"" and h["ETag"] == etag and "Last-Modified" in h
    assert call(app, url, if_none_match='"something-else"')[0] == 200
    assert call(app, url, if_none_match=etag[1:-1])[0] == 200  # unquoted is malformed


def test_if_modified_since(setup):
    app, token, _, _ = setup
    url = f"/feed/{token}.ics"
    lm = call(app, url)[1]["Last-Modified"]
    assert call(app, url, if_modified_since=lm)[0] == 304
    later = format_datetime(MODIFIED + timedelta(days=1), usegmt=True)
    assert call(app, url, if_modified_since=later)[0] == 304
    older = format_datetime(MODIFIED - timedelta(seconds=1), usegmt=True)
    assert call(app, url, if_modified_since=older)[0] == 200
    assert call(app, url, if_modified_since="not a date")[0] == 200


def test_if_none_match_wins_over_if_modified_since(setup):
    app, token, _, _ = setup
    url = f"/feed/{token}.ics"
    lm = call(app, url)[1]["Last-Modified"]
    # a stale ETag with a fresh date: the ETag decides, so the full body comes back
    assert call(app, url, if_none_match='"stale"', if_modified_since=lm)[0] == 200


@pytest.mark.parametrize("make_path", [
    lambda t: f"/feed/{t[:-1]}.ics",          # short
    lambda t: f"/feed/{t}x.ics",              # long
    lambda t: f"/feed/{t[:-1]}Z.ics" if t[-1] != "Z" else f"/feed/{t[:-1]}Y.ics",
    lambda t: "/feed/" + "é" * 43 + ".ics",   # non-ASCII
    lambda t: "/feed/.ics",
    lambda t: f"/feed/{t}",                   # no .ics
    lambda t: f"/feed/{t}.ics/extra",
    lambda t: "/",
    lambda t: f"/{t}.ics",
])
def test_wrong_tokens_and_paths_are_404(setup, make_path):
    app, token, _, _ = setup
    status, h, body = call(app, make_path(token))
    assert status == 404
    assert h["Content-Type"].startswith("text/plain")
    assert token.encode() not in body


def test_post_is_405_with_allow(setup):
    app, token, _, _ = setup
    for path in (f"/feed/{token}.ics", "/healthz"):
        status, h, _ = call(app, path, "POST")
        assert status == 405 and h["Allow"] == "GET, HEAD"


def test_healthz_has_status_and_no_token(setup):
    app, token, _, state = setup
    status, h, body = call(app, "/healthz")
    assert status == 200 and h["Content-Type"] == "application/json"
    info = json.loads(body)
    assert info["ok"] is True and info["last_sync"]["time"] == "t"
    assert info["feed"]["events"] == 1
    assert token not in body.decode()
    assert str(state) not in body.decode()


def test_public_status_masks_credentials():
    raw = {"time": "t", "ok": False, "sources": {"https://***@x/cal.ics": "error"},
           "errors": [{"source": "s", "message": "GET https://u:pw@h/c.ics?token=abc failed"}],
           "conflicts": 0, "suggestions": 0, "secret_thing": "zzz"}
    out = json.dumps(feedmod.public_status(raw))
    assert "pw@" not in out and "abc" not in out and "zzz" not in out


def test_no_file_yet_serves_an_empty_calendar(tmp_path):
    state = tmp_path / "state"
    token = ensure_token(state)
    app = Feed(tmp_path / "missing.ics", state, tz=TZ, status=dict)
    status, h, body = call(app, f"/feed/{token}.ics")
    assert status == 200
    assert body.startswith(b"BEGIN:VCALENDAR") and b"BEGIN:VEVENT" not in body
    assert h["Last-Modified"] == format_datetime(EMPTY_MODIFIED, usegmt=True)
    # stable: the same bytes from a second app
    app2 = Feed(tmp_path / "missing.ics", state, tz=TZ, status=dict)
    assert call(app2, f"/feed/{token}.ics")[2] == body


def test_refresh_swaps_only_on_change_and_updates_validators(setup):
    app, token, path, _ = setup
    url = f"/feed/{token}.ics"
    _, h1, _ = call(app, url)
    assert app.refresh() is False
    later = MODIFIED + timedelta(hours=2)
    path.write_bytes(_calendar("Walk instead of Intervals", later))
    assert app.refresh() is True
    _, h2, body = call(app, url)
    assert b"Walk instead of Intervals" in body
    assert h2["ETag"] != h1["ETag"]
    assert h2["Last-Modified"] == format_datetime(later, usegmt=True)
    assert call(app, url, if_none_match=h1["ETag"])[0] == 200


def test_watch_notices_another_process_writing(setup, monkeypatch):
    app, token, path, _ = setup
    monkeypatch.setattr(feedmod, "RECHECK_SECONDS", 0.0)
    tmp = path.with_name("x.tmp")
    tmp.write_bytes(_calendar("Walk instead of Hill repeats", MODIFIED + timedelta(hours=1)))
    os.replace(tmp, path)
    assert b"Hill repeats" in call(app, f"/feed/{token}.ics")[2]


def test_rotation_makes_the_old_token_404(setup):
    app, token, _, state = setup
    assert call(app, f"/feed/{token}.ics")[0] == 200
    new = rotate_token(state)
    assert new != token
    assert call(app, f"/feed/{token}.ics")[0] == 404
    assert call(app, f"/feed/{new}.ics")[0] == 200


def test_token_file_is_private_and_stable(tmp_path):
    state = tmp_path / "state"
    t1 = ensure_token(state)
    assert ensure_token(state) == t1
    assert len(t1) >= 43
    mode = stat.S_IMODE((state / "feed-token").stat().st_mode)
    assert mode == 0o600


def test_none_match_parsing():
    e = '"abc"'
    assert none_match('W/"abc"', e)
    assert none_match(' "x" ,W/"abc"', e)
    assert not none_match('"abcd"', e)
    assert not none_match("garbage", e)


def test_calendar_last_modified_ignores_event_stamps():
    body = _calendar("x", MODIFIED)
    assert calendar_last_modified(body) == MODIFIED
    assert calendar_last_modified(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n") is None


def test_readers_only_ever_see_a_whole_feed_during_swaps(setup):
    """Many threads GET while another swaps between two bodies: each response is one of
    the two bodies, whole, with that body's own ETag."""
    app, token, path, _ = setup
    a = _calendar("Yoga & stretching instead of Tempo run 8k")
    b = _calendar("Walk instead of Intervals 6x800m " + "x" * 5000, MODIFIED + timedelta(hours=1))
    etags = {a: '"' + hashlib.sha256(a).hexdigest() + '"',
             b: '"' + hashlib.sha256(b).hexdigest() + '"'}
    app.watch = False
    stop = threading.Event()
    bad: list[str] = []
    seen: set[bytes] = set()

    def reader():
        while not stop.is_set():
            _status, h, body = call(app, f"/feed/{token}.ics")
            if body not in etags or h["ETag"] != etags[body] \
                    or h["Content-Length"] != str(len(body)):
                bad.append(h.get("ETag", "?"))
            seen.add(body)

    def writer():
        for i in range(120):
            data = a if i % 2 else b
            tmp = path.with_name(f"t{i}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
            app.refresh()
        stop.set()

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    w = threading.Thread(target=writer)
    w.start()
    w.join(30)
    stop.set()
    for t in threads:
        t.join(10)
    assert not bad
    assert seen == {a, b}
