"""The status page at HTML level: content, escaping, accessibility, self-containment, WSGI."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from legday_sync import config
from legday_sync.adapters.memory import FakeSource
from legday_sync.adapters.state import State
from legday_sync.core.model import Event
from legday_sync.service import sync_once
from legday_sync.views.week import Week, build_week
from legday_sync.web.status_page import (
    COPY_SCRIPT,
    CSP,
    SourceHealth,
    StatusPage,
    render_page,
    with_status_page,
)

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=BERLIN)
TOKEN = "T0k3n-abcdefghijklmnopqrstuvwxyz_0123456789"
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def ev(uid: str, title: str, start: str, end: str) -> Event:
    s = datetime.fromisoformat(start).replace(tzinfo=BERLIN).astimezone(UTC)
    e = datetime.fromisoformat(end).replace(tzinfo=BERLIN).astimezone(UTC)
    return Event("training", uid, s, e, title)


EVENTS = [
    ev("legs", "Leg day", "2026-11-23T18:00", "2026-11-23T19:15"),
    ev("tempo", "Tempo run 8k", "2026-11-24T07:00", "2026-11-24T07:45"),
    ev("easy", "Easy run 5k", "2026-11-26T18:30", "2026-11-26T19:00"),
    ev("heavy", "Heavy squats 1RM", "2026-11-27T18:00", "2026-11-27T19:30"),
    ev("evil", f"Intervals {EVIL}", "2026-11-28T09:00", "2026-11-28T10:00"),
]


@pytest.fixture
def settings(tmp_path: Path) -> config.Settings:
    return config.parse({"timezone": "Europe/Berlin", "goal": "balanced",
                         "state": {"dir": str(tmp_path / "state")},
                         "source": [{"name": "training", "type": "ics",
                                     "url": "https://example.org/cal.ics"}]}, base=tmp_path)


@pytest.fixture
def week(settings: config.Settings, tmp_path: Path) -> Week:
    state = State(tmp_path / "state", readonly=True)
    try:
        report = sync_once(settings, NOW, dry_run=True, state=state,
                           sources=[FakeSource("training", EVENTS)], sinks=[])
    finally:
        state.close()
    return build_week(report, NOW, BERLIN, 7)


class Page(HTMLParser):
    """Tags with their attributes, the text, and the text inside each <title> element."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.titles: list[str] = []
        self.scripts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "script":
            self.scripts.append(data)
            return
        if self.stack and self.stack[-1] == "title":
            self.titles.append(data)
        if not (self.stack and self.stack[-1] == "style"):
            self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags
                if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())]

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def render(week: Week, **kw) -> str:
    args = {"last_sync": {"time": "2026-11-23T05:00:00+00:00", "ok": True, "conflicts": 2,
                          "suggestions": 4},
            "sources": [SourceHealth("training", "ics URL", True),
                        SourceHealth("work", "Google Calendar", False, "HTTP 503 <b>down</b>")],
            "feed_url": f"http://127.0.0.1:8765/feed/{TOKEN}.ics"}
    args.update(kw)
    return render_page(week, **args)


def test_conflicts_and_suggestions_are_on_the_page_in_words(week):
    html = render(week)
    page = Page(html)
    text = page.all_text
    conflicts = [c for c in week.conflicts if c.severity == "conflict"]
    assert {c.run.title for c in conflicts} >= {"Tempo run 8k", f"Intervals {EVIL}"}
    blocks = page.find("div", class_="conflict")
    assert len(blocks) == len(conflicts) == 2
    assert {b["data-conflict"] for b in blocks} == {c.id for c in conflicts}
    # a text label, not colour alone
    assert text.count("⚠ Conflict:") == 2
    assert "Tempo run 8k (hard run, Tue 24 Nov 07:00) starts 11.8 h after Leg day" in text
    assert "recovery until Wed 25 Nov 19:15" in text
    for s in week.suggestions:
        assert s.title in text
    assert "→ Instead:" in text and "→ Move:" in text
    # intensity in words in the lists and in the timeline
    assert "Hard run" in text and "Easy run" in text and "Heavy leg day" in text
    assert "HARD" in text and "EASY" in text


def test_calendar_text_is_escaped(week):
    html = render(week)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "HTTP 503 &lt;b&gt;down&lt;/b&gt;" in html
    page = Page(html)
    assert page.scripts == [COPY_SCRIPT]  # the only script is ours
    assert not page.find("img")
    assert EVIL in page.all_text  # shown as text, intact


def test_head_and_accessibility_basics(week):
    page = Page(render(week))
    assert page.find("html", lang="en")
    (viewport,) = page.find("meta", name="viewport")
    assert "width=device-width" in viewport["content"]
    assert page.find("meta", charset="utf-8")
    assert [a for t, a in page.tags if t == "h1"] and len([t for t, _ in page.tags
                                                           if t == "h2"]) >= 4
    # the feed URL is copyable without JS: a labelled readonly input
    (inp,) = page.find("input", id="feed-url")
    assert "readonly" in inp and inp["value"] == f"http://127.0.0.1:8765/feed/{TOKEN}.ics"
    assert page.find("label", for_="feed-url")
    (button,) = page.find("button", id="copy")
    assert "hidden" in button  # shown by the script only, so it never is a dead button


def test_the_svg_timeline_labels_every_block(week):
    page = Page(render(week))
    (svg,) = [a for t, a in page.tags if t == "svg" and "timeline" in a.get("class", "")]
    assert svg["aria-labelledby"] == "tl-title tl-desc"
    blocks = page.find("g", class_="wk")
    n_workouts = sum(len(d.workouts) for d in week.days)
    assert len(blocks) == n_workouts == 5
    assert all(b["role"] == "img" and b["aria-label"] for b in blocks)
    labels = [b["aria-label"] for b in blocks]
    assert any(lbl.startswith("⚠ Hard run: Tempo run 8k") and "in conflict" in lbl
               for lbl in labels)
    assert any(lbl.startswith("Easy run: Easy run 5k") and "conflict" not in lbl
               for lbl in labels)
    # every block, window and suggestion has a <title> (a tooltip and an accessible name)
    recs = page.find("g", class_="rec")
    sugg = page.find("g", class_="sg")
    assert recs and sugg
    assert len(page.titles) >= 1 + len(blocks) + len(recs) + len(sugg)
    assert any(t.startswith("Recovery window after Leg day: 48 h") for t in page.titles)
    in_conflict = [p.item.title for d in week.days for p in d.workouts if p.item.in_conflict]
    assert len(in_conflict) == 4  # two leg days, two runs
    assert len(page.find("rect", class_="conflict-outline")) == len(in_conflict)
    # patterns tell intensity apart without colour
    html = render(week)
    assert 'fill="url(#p-cross)"' in html and 'fill="url(#p-rec)"' in html


def test_nothing_is_loaded_from_elsewhere(week):
    html = render(week)
    page = Page(html)
    for tag, attrs in page.tags:
        for key in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(key, "")
            assert not re.match(r"^\s*(https?:)?//", value), (tag, key, value)
    assert not page.find("link") and not page.find("iframe")
    assert "@import" not in html and not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    # the only absolute URLs: the SVG namespace and the feed URL itself
    urls = set(re.findall(r"https?://[^\s\"'<>]+", html))
    assert urls == {"http://www.w3.org/2000/svg", f"http://127.0.0.1:8765/feed/{TOKEN}.ics"}


def test_csp_allows_exactly_the_inline_script():
    digest = base64.b64encode(hashlib.sha256(COPY_SCRIPT.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in CSP
    assert CSP.startswith("default-src 'none';")
    assert "style-src 'unsafe-inline'" in CSP and "frame-ancestors 'none'" in CSP
    assert "http" not in CSP


def test_status_and_sources(week):
    text = Page(render(week)).all_text
    assert "Last sync: Mon 23 Nov 06:00 — ✓ ok" in text
    assert "training ics URL ✓ OK" in text
    assert "work Google Calendar ✗ Error HTTP 503 <b>down</b>" in text
    text = Page(render(week, last_sync=None)).all_text
    assert "Last sync: none yet" in text


# -- WSGI ----------------------------------------------------------------------------
def call(app, path: str, method: str = "GET", host: str = "phone.local:8765"):
    seen: dict[str, object] = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "wsgi.url_scheme": "http",
               "HTTP_HOST": host, "wsgi.input": io.BytesIO()}
    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


@pytest.fixture
def app(settings, week):
    calls = []

    def make_week(now):
        calls.append(now)
        return week

    page = StatusPage(settings, token=lambda: TOKEN, week=make_week, clock=lambda: NOW)
    page.calls = calls  # type: ignore[attr-defined]
    return page


def test_the_right_token_serves_the_page_with_its_headers(app):
    status, headers, body = call(app, f"/{TOKEN}/")
    assert status == "200 OK"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"] == CSP
    assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "same-origin"
    html = body.decode()
    assert "Tempo run 8k" in html
    # the feed URL is built from the Host the browser used
    assert f'value="http://phone.local:8765/feed/{TOKEN}.ics"' in html
    assert call(app, f"/{TOKEN}")[0] == "200 OK"
    status, headers, body = call(app, f"/{TOKEN}/", "HEAD")
    assert status == "200 OK" and body == b"" and int(headers["Content-Length"]) > 1000
    assert call(app, f"/{TOKEN}/", "POST")[0].startswith("405")
    assert len(app.calls) == 1  # the week is cached between requests


@pytest.mark.parametrize("path", [
    "/", f"/{TOKEN[:-1]}/", f"/{TOKEN}x/", f"/{TOKEN}/x", "/feed/", f"/feed/{TOKEN}.ics",
    "/healthz", f"/{TOKEN.lower()}/", "/ü/"])
def test_a_wrong_token_or_path_shows_nothing(app, path):
    status, _headers, body = call(app, path)
    assert status == "404 Not Found"
    assert b"Tempo" not in body and b"<html" not in body
    assert app.calls == []


def test_no_token_file_means_no_page(settings, week):
    page = StatusPage(settings, week=lambda now: week, clock=lambda: NOW)  # reads feed-token
    assert call(page, f"/{TOKEN}/")[0] == "404 Not Found"
    settings.state_dir.mkdir(parents=True)
    (settings.state_dir / "feed-token").write_text(TOKEN + "\n")
    assert call(page, f"/{TOKEN}/")[0] == "200 OK"


def test_wrapping_the_feed_app_passes_everything_else_through(settings, week):
    def feed_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/calendar")])
        return [b"BEGIN:VCALENDAR"]

    app = with_status_page(feed_app, settings, token=lambda: TOKEN, week=lambda now: week,
                           clock=lambda: NOW)
    assert call(app, f"/feed/{TOKEN}.ics")[2] == b"BEGIN:VCALENDAR"
    assert call(app, "/healthz")[2] == b"BEGIN:VCALENDAR"
    assert call(app, "/nope/")[2] == b"BEGIN:VCALENDAR"  # the feed app decides its own 404s
    assert b"Your training week" in call(app, f"/{TOKEN}/")[2]
