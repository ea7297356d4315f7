"""The status page: the week as server-rendered HTML + inline CSS + an inline SVG timeline.

``render_page`` is a pure function of a :class:`~legday_sync.views.week.Week`.
``StatusPage`` is the small WSGI piece the feed server mounts behind the feed's
secret token (``GET /<token>/``); ``with_status_page`` wraps an existing WSGI
app with it. Calendar text is attacker-controlled: every string goes through
``html.escape``. Nothing is loaded from elsewhere (no fonts, scripts or CDNs);
the one inline script (the copy button; on a narrow screen, opening the timeline at
the training hours) is allowed by its hash in ``CSP``. The Dismiss buttons are plain
forms: they work without the script, and a POST is accepted only from the page's own
origin (Origin, else Referer) and behind the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time as _time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from ..views.week import (
    ConflictView,
    Day,
    Placed,
    SuggestionView,
    Week,
    WorkoutView,
    day_name,
    hm,
    hours_text,
    span_text,
    when,
)
from .token import feed_url as build_feed_url
from .token import read_token

if TYPE_CHECKING:
    from ..config import Settings

COPY_SCRIPT = (
    "(function(){var b=document.getElementById('copy'),i=document.getElementById('feed-url'),"
    "s=document.getElementById('copy-status');if(!b||!i)return;b.hidden=false;"
    "b.addEventListener('click',function(){i.select();var done=function(){s.textContent="
    "'Copied.'};if(navigator.clipboard&&window.isSecureContext){navigator.clipboard."
    "writeText(i.value).then(done,function(){document.execCommand('copy');done()})}else{"
    "document.execCommand('copy');done()}})})();"
    "(function(){var t=document.querySelector('.scroll[data-start]');if(t&&t.scrollWidth>"
    "t.clientWidth){t.scrollLeft=t.scrollWidth*parseFloat(t.dataset.start)}})();"
)
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(COPY_SCRIPT.encode()).digest()).decode()

#: The Content-Security-Policy the server sends with the page.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
       f"script-src 'sha256-{_SCRIPT_HASH}'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")

#: Every header the page is sent with (besides Content-Type/Length).
HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CSP),
    ("Cache-Control", "no-store"),
    # same-origin: the Dismiss form's POST carries the page's own Origin (with no-referrer
    # browsers send "Origin: null"); nothing on the page links elsewhere
    ("Referrer-Policy", "same-origin"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
)


@dataclass(frozen=True)
class SourceHealth:
    """One calendar source as the page shows it."""

    name: str
    kind: str  # "ics file", "ics URL", "Google Calendar"
    ok: bool | None  # None: not tried yet
    message: str = ""


def e(text: object) -> str:
    return escape(str(text), quote=True)


# -- the SVG timeline ----------------------------------------------------------------
W, GUTTER, PAD_R, AXIS_H, ROW_H = 1000, 118, 12, 30, 74
LANE_Y, LANE_H, SUG_Y, SUG_H = 6, 34, 46, 22
TRACK = W - GUTTER - PAD_R
CHAR_W = 7.0  # width of one (bold) character at font-size 12, near enough for layout

FILL = {
    ("leg_day", "normal"): "#1e40af", ("leg_day", "heavy"): "#312e81",
    ("run", "easy"): "#166534", ("run", "moderate"): "#92400e", ("run", "hard"): "#991b1b",
}
PATTERN = {
    ("leg_day", "heavy"): "p-dots", ("run", "moderate"): "p-stripes", ("run", "hard"): "p-cross",
}
SHORT = {
    ("leg_day", "normal"): "LEG", ("leg_day", "heavy"): "HEAVY LEG",
    ("run", "easy"): "EASY", ("run", "moderate"): "MOD", ("run", "hard"): "HARD",
}

DEFS = """<defs>
<pattern id="p-stripes" width="8" height="8" patternUnits="userSpaceOnUse"
 patternTransform="rotate(45)">
<rect width="3" height="8" fill="#000" fill-opacity=".3"/></pattern>
<pattern id="p-cross" width="8" height="8" patternUnits="userSpaceOnUse">
<path d="M0 0L8 8M8 0L0 8" stroke="#000" stroke-opacity=".35" stroke-width="1.6"/></pattern>
<pattern id="p-dots" width="7" height="7" patternUnits="userSpaceOnUse">
<circle cx="3.5" cy="3.5" r="1.5" fill="#fff" fill-opacity=".35"/></pattern>
<pattern id="p-rec" width="9" height="9" patternUnits="userSpaceOnUse"
 patternTransform="rotate(45)">
<rect width="9" height="9" fill="#eceff3"/><rect width="2.5" height="9" fill="#8a94a3"/></pattern>
</defs>"""


def _x(day: Day, t: datetime) -> float:
    return GUTTER + TRACK * day.offset(t) / day.hours


def _tw(text: str) -> float:
    """Estimated width of ``text`` in bold 12px: capitals are wider."""
    return sum(8.6 if c.isupper() or c in "→⚠—" else CHAR_W for c in text)


def _fit(text: str, width: float) -> str:
    if _tw(text) <= width - 8:
        return text
    while text and _tw(text + "…") > width - 8:
        text = text[:-1]
    return text + "…" if len(text) > 1 else ""


def _workout_label(w: WorkoutView) -> str:
    mark = "⚠ " if w.in_conflict else ""
    return f"{mark}{w.label}: {w.title} {span_text(w.start, w.end)}" + (
        " — in conflict" if w.in_conflict else "")


Taken = list[tuple[float, float]]


def _free(lo: float, hi: float, taken: Taken) -> bool:
    return lo >= GUTTER and hi <= W - PAD_R and all(hi <= a or lo >= b for a, b in taken)


def _svg_workout(day: Day, p: Placed[WorkoutView], y: float, taken: Taken) -> str:
    w = p.item
    x1, x2 = _x(day, p.start), _x(day, p.end)
    width = max(x2 - x1, 3.0)
    key = (w.kind, w.intensity)
    fill = FILL.get(key, "#374151")
    label = _workout_label(w)
    parts = [f'<g class="wk" role="img" aria-label="{e(label)}"><title>{e(label)}</title>',
             f'<rect x="{x1:.1f}" y="{y + LANE_Y}" width="{width:.1f}" height="{LANE_H}" '
             f'rx="3" fill="{fill}"/>']
    if key in PATTERN:
        parts.append(f'<rect x="{x1:.1f}" y="{y + LANE_Y}" width="{width:.1f}" '
                     f'height="{LANE_H}" rx="3" fill="url(#{PATTERN[key]})"/>')
    if w.in_conflict:
        parts.append(f'<rect class="conflict-outline" x="{x1 - 2:.1f}" y="{y + LANE_Y - 2}" '
                     f'width="{width + 4:.1f}" height="{LANE_H + 4}" rx="4" fill="none" '
                     f'stroke="#000" stroke-width="2.5" stroke-dasharray="5 2"/>')
    short = ("⚠ " if w.in_conflict else "") + SHORT.get(key, w.kind)
    if width >= 90:  # room inside: kind on the first line, title on the second
        parts.append(f'<text class="bl" x="{x1 + 4:.1f}" y="{y + LANE_Y + 14}">'
                     f'{e(_fit(short, width))}</text>')
        parts.append(f'<text class="bl" x="{x1 + 4:.1f}" y="{y + LANE_Y + 28}">'
                     f'{e(_fit(w.title, width))}</text>')
    else:  # a short block: the label goes beside it, dark on a white halo
        parts.append(_beside(x1, x2, y + LANE_Y, short, w.title, "ol", taken))
    parts.append("</g>")
    return "".join(parts)


def _beside(x1: float, x2: float, top: float, line1: str, line2: str, cls: str,
            taken: Taken) -> str:
    """Label right of [x1, x2] if that space is free, else left of it, else nowhere
    (the block's <title> and the day list still say it all)."""
    for n in (34, 22, 14):
        t1, t2 = _fit(line1, n * CHAR_W + 8), _fit(line2, n * CHAR_W + 8)
        need = max(_tw(t1), _tw(t2)) + 4
        for lo, hi, x, anchor in ((x2 + 3, x2 + 5 + need, x2 + 5, "start"),
                                  (x1 - 5 - need, x1 - 3, x1 - 5, "end")):
            if _free(lo, hi, taken):
                taken.append((lo, hi))
                out = (f'<text class="{cls}" x="{x:.1f}" y="{top + 14}" '
                       f'text-anchor="{anchor}">{e(t1)}</text>')
                if t2:
                    out += (f'<text class="{cls} t2" x="{x:.1f}" y="{top + 28}" '
                            f'text-anchor="{anchor}">{e(t2)}</text>')
                return out
    return ""


def _recovery_label(c: ConflictView) -> str:
    assert c.recovery_end is not None
    return (f"Recovery window after {c.leg_day.title}: {hours_text(c.window_hours or 0)} for a "
            f"{c.run.intensity} run, until {when(c.recovery_end)}")


def _svg_recovery(day: Day, p: Placed[ConflictView], y: float) -> str:
    x1, x2 = _x(day, p.start), _x(day, p.end)
    width = x2 - x1
    if width <= 0:
        return ""
    label = _recovery_label(p.item)
    return (f'<g class="rec" role="img" aria-label="{e(label)}"><title>{e(label)}</title>'
            f'<rect x="{x1:.1f}" y="{y + 2}" width="{width:.1f}" height="{LANE_H + 8}" '
            f'fill="url(#p-rec)" fill-opacity=".75"/></g>')


def _svg_recovery_label(day: Day, p: Placed[ConflictView], y: float, taken: Taken) -> str:
    """"recovery until 19:15" where the window ends, if that spot is free."""
    x1, x2 = _x(day, p.start), _x(day, p.end)
    text = "recovery →" if p.cut_end else f"recovery until {hm(p.end)}"
    lo, hi = x2 - 4 - _tw(text), x2 - 2
    if lo < x1 or not _free(lo, hi, taken):
        return ""
    taken.append((lo, hi))
    return (f'<text class="rl" x="{x2 - 4:.1f}" y="{y + LANE_H + 8}" text-anchor="end" '
            f'aria-hidden="true">{e(text)}</text>')


def _svg_suggestion(day: Day, p: Placed[SuggestionView], y: float, taken: Taken) -> str:
    s = p.item
    x1, x2 = _x(day, p.start), _x(day, p.end)
    width = max(x2 - x1, 3.0)
    label = f"Suggestion ({s.kind}): {s.title}, {span_text(s.start, s.end)}"
    verb = {"move": "MOVED HERE", "move-leg-day": "LEG DAY MOVED HERE"}.get(s.kind,
                                                                          s.verb.upper())
    text = f"→ {verb}: {s.what}"
    out = [f'<g class="sg" role="img" aria-label="{e(label)}"><title>{e(label)}</title>'
           f'<rect x="{x1:.1f}" y="{y + SUG_Y}" width="{width:.1f}" height="{SUG_H}" rx="3" '
           f'fill="#fff" stroke="#0f5132" stroke-width="1.6" stroke-dasharray="4 2"/>']
    if width >= _tw(text) + 8:
        out.append(f'<text class="sl" x="{x1 + 4:.1f}" y="{y + SUG_Y + 15}">{e(text)}</text>')
    else:
        out.append(_beside(x1, x2, y + SUG_Y + 1, text, "", "sl", taken))
    out.append("</g>")
    return "".join(out)


def render_timeline(week: Week) -> str:
    height = AXIS_H + ROW_H * len(week.days) + 6
    title = f"Timeline of {day_name(week.start)} to {day_name(week.days[-1].date)}"
    n_conf = sum(1 for c in week.conflicts if c.severity == "conflict")
    desc = (f"{len(week.days)} days, one row each, hours 0 to 24 left to right. "
            f"{n_conf} conflict(s) with their recovery windows hatched, "
            f"{len(week.suggestions)} suggestion(s) in dashed boxes under the runs.")
    out = [f'<svg class="timeline" viewBox="0 0 {W} {height}" role="group" '
           f'aria-labelledby="tl-title tl-desc" xmlns="http://www.w3.org/2000/svg">',
           f'<title id="tl-title">{e(title)}</title><desc id="tl-desc">{e(desc)}</desc>', DEFS]
    first = week.days[0]
    for h, _off in first.hour_ticks(3):
        x = GUTTER + TRACK * h / 24
        anchor = "start" if h == 0 else "end" if h == 24 else "middle"
        out.append(f'<text class="ax" x="{x:.1f}" y="18" text-anchor="{anchor}">{h:02d}:00</text>')
    for i, day in enumerate(week.days):
        y = AXIS_H + i * ROW_H
        shade = ' class="today"' if day.date == week.now.date() else ""
        out.append(f'<g class="day" aria-label="{e(day_name(day.date))}">'
                   f'<rect{shade} x="0" y="{y}" width="{W}" height="{ROW_H}" '
                   f'fill="{"#fffbea" if shade else ("#fff" if i % 2 else "#f7f8fa")}"/>')
        out.append(f'<text class="dl" x="8" y="{y + 26}">{e(f"{day.date:%a}")}</text>'
                   f'<text class="dd" x="8" y="{y + 44}">{e(f"{day.date:%d %b}")}</text>')
        for h, off in day.hour_ticks(3):
            x = GUTTER + TRACK * off / day.hours
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + ROW_H}" '
                       f'stroke="#c9ced6" stroke-width="{1 if h % 6 else 1.4}"/>')
        out.extend(_svg_recovery(day, p, y) for p in day.recovery)
        lane: Taken = [(_x(day, p.start) - 2, _x(day, p.end) + 2) for p in day.workouts]
        out.extend(_svg_workout(day, p, y, lane) for p in day.workouts)
        out.extend(_svg_recovery_label(day, p, y, lane) for p in day.recovery)
        lane = [(_x(day, p.start) - 2, _x(day, p.end) + 2) for p in day.suggestions]
        out.extend(_svg_suggestion(day, p, y, lane) for p in day.suggestions)
        if day.start <= week.now < day.end:
            x = _x(day, week.now)
            out.append(f'<g class="now"><title>now, {e(when(week.now))}</title>'
                       f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + ROW_H}" '
                       f'stroke="#b00020" stroke-width="2"/>'
                       f'<text class="nl" x="{x + 3:.1f}" y="{y + ROW_H - 4}">now</text></g>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def _legend_swatch(fill: str, pattern: str | None, label: str, extra: str = "") -> str:
    pat = (f'<rect width="28" height="16" rx="2" fill="url(#{pattern})"/>' if pattern else "")
    return (f'<li><svg width="28" height="16" aria-hidden="true" focusable="false">{DEFS}'
            f'<rect width="28" height="16" rx="2" fill="{fill}" {extra}/>{pat}</svg> '
            f"{e(label)}</li>")


def render_legend() -> str:
    items = [
        _legend_swatch(FILL[("leg_day", "normal")], None, "LEG — leg day (solid blue)"),
        _legend_swatch(FILL[("leg_day", "heavy")], "p-dots", "HEAVY LEG — heavy leg day (dots)"),
        _legend_swatch(FILL[("run", "easy")], None, "EASY — easy run (solid green)"),
        _legend_swatch(FILL[("run", "moderate")], "p-stripes", "MOD — moderate run (stripes)"),
        _legend_swatch(FILL[("run", "hard")], "p-cross", "HARD — hard run (cross-hatch)"),
        _legend_swatch("#fff", "p-rec", "recovery window of a conflict (grey hatch)"),
        _legend_swatch("none", None, "⚠ — a workout in conflict (dashed black outline)",
                       'stroke="#000" stroke-width="3" stroke-dasharray="5 2"'),
        _legend_swatch("#fff", None, "→ suggestion (dashed green box, lower lane)",
                       'stroke="#0f5132" stroke-width="2" stroke-dasharray="4 2"'),
    ]
    return '<ul class="legend" aria-label="Legend">' + "".join(items) + "</ul>"


# -- the HTML around it ------------------------------------------------------------------
CSS = """
:root{color-scheme:light;--fg:#14181f;--muted:#4a5361;--line:#d3d8df;--bad:#9b1c1c;
--good:#14532d;--warn:#7a4a00;--accent:#1e3a8a}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
background:#fff}
header,main,footer{max-width:1100px;margin:0 auto;padding:0 16px}
header{padding-top:16px}
h1{font-size:1.6rem;margin:.2em 0}
h2{font-size:1.25rem;margin:1.4em 0 .4em;border-bottom:2px solid var(--line);padding-bottom:.2em}
h3{font-size:1.05rem;margin:1em 0 .3em}
.sub{color:var(--muted);margin:0}
.summary{display:flex;flex-wrap:wrap;gap:8px;padding:0;list-style:none;margin:12px 0}
.summary li{border:1px solid var(--line);border-radius:6px;padding:6px 10px}
.summary .bad{border-color:var(--bad);color:var(--bad);font-weight:600}
.scroll{overflow-x:auto;border:1px solid var(--line);border-radius:6px}
svg.timeline{display:block;width:100%;min-width:860px;height:auto;font-family:inherit}
svg.timeline text{font-size:12px}
svg.timeline .bl{fill:#fff;font-weight:600}
svg.timeline .rl{fill:#1f2937;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px}
svg.timeline .sl{fill:#0f3d26;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px}
svg.timeline .ol{fill:#111827;font-weight:700;paint-order:stroke;stroke:#fff;stroke-width:3px}
svg.timeline .ol.t2{font-weight:500}
svg.timeline .ax,svg.timeline .dd{fill:var(--muted)}
svg.timeline .dl{font-size:15px;font-weight:700;fill:var(--fg)}
svg.timeline .nl{fill:#b00020;font-weight:700}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 18px;font-size:.9rem}
.legend svg{vertical-align:middle}
.days{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:12px;
align-items:start}
.day{border:1px solid var(--line);border-radius:6px;padding:4px 12px 10px}
.day.today{border-color:#b7791f;border-width:2px}
.day ul{padding-left:1.1em;margin:.3em 0}
.empty{color:var(--muted)}
.tag{display:inline-block;font-size:.8rem;font-weight:700;border-radius:4px;padding:0 5px;
color:#fff;margin-right:4px}
.t-leg_day{background:#1e40af}.t-heavy{background:#312e81}.t-easy{background:#166534}
.t-moderate{background:#92400e}.t-hard{background:#991b1b}
.conflict{border-left:5px solid var(--bad);background:#fdf2f2;padding:6px 10px;margin:8px 0;
border-radius:0 6px 6px 0}
.conflict.info{border-color:var(--warn);background:#fff8eb}
.conflict strong{color:var(--bad)}.conflict.info strong{color:var(--warn)}
.conflict details{font-size:.9rem;color:var(--muted)}
.sugg{list-style:none;padding-left:0}
.sugg li{border:2px dashed #2f6f4f;border-radius:6px;padding:4px 8px;margin:6px 0;background:#fff}
.sugg .k{font-weight:700;color:var(--good)}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
.ok{color:var(--good);font-weight:600}.err{color:var(--bad);font-weight:600}
.feed{display:flex;gap:8px;flex-wrap:wrap;align-items:center}
.feed input{flex:1 1 360px;min-width:0;font:inherit;font-family:ui-monospace,monospace;
padding:8px;border:1px solid #6b7280;border-radius:6px;background:#f9fafb;color:var(--fg)}
.msg{border:2px solid var(--good);border-radius:6px;padding:6px 10px;color:var(--good)}
form.dis{display:inline;margin-left:6px}
form.dis button{font:inherit;font-size:.85rem;padding:2px 10px;border-radius:6px;
border:1px solid #6b7280;background:#fff;color:var(--fg);cursor:pointer}
.sugg li.gone{border-color:var(--line);color:var(--muted)}
.feed button{font:inherit;font-weight:600;padding:8px 16px;border-radius:6px;border:0;
background:var(--accent);color:#fff;cursor:pointer}
:focus-visible{outline:3px solid #b45309;outline-offset:2px}
footer{color:var(--muted);font-size:.85rem;padding:24px 16px}
"""


def _tag(w: WorkoutView) -> str:
    cls = "heavy" if w.intensity == "heavy" else (w.intensity if w.kind == "run" else "leg_day")
    return f'<span class="tag t-{cls}">{e(w.label)}</span>'


@dataclass(frozen=True)
class Controls:
    """The page's own path ("/<token>/", where the forms post) and the dismissed ids as the
    state has them now (the week may come from a sync before the last click)."""

    path: str
    dismissed: frozenset[str] = frozenset()

    def is_dismissed(self, s: SuggestionView) -> bool:
        return s.dismissed or s.id in self.dismissed


def _dismiss_form(s: SuggestionView, action: Controls | None) -> str:
    """A plain form (no script needed): POST to the page's own address, behind its token."""
    if action is None:
        return ""
    verb, op = ("Bring back", "undismiss") if action.is_dismissed(s) else ("Dismiss", "dismiss")
    return (f'<form class="dis" method="post" action="{e(action.path + op)}">'
            f'<input type="hidden" name="id" value="{e(s.id)}">'
            f'<button type="submit" aria-label="{e(verb)}: {e(s.title)}">{verb}</button></form>')


def _suggestions_html(items: Iterable[SuggestionView], action: Controls | None = None) -> str:
    items = list(items)
    if not items:
        return ""
    li = []
    for s in items:
        dismissed = action.is_dismissed(s) if action is not None else s.dismissed
        gone = ' <span class="sub">(dismissed: in none of your calendars)</span>' \
            if dismissed else ""
        cls = ' class="gone"' if dismissed else ""
        span = "all day" if s.all_day else f"{when(s.start)}–{hm(s.end)}"
        li.append(f'<li id="s-{e(s.id[:12])}"{cls}>'
                  f'<span class="k">→ {s.verb}:</span> {e(s.title)} '
                  f'<span class="when">({e(span)})</span>{gone}'
                  f'{_dismiss_form(s, action)}'
                  f'<details><summary>Why</summary>{e(s.description)}</details></li>')
    return '<ul class="sugg" aria-label="Suggestions">' + "".join(li) + "</ul>"


def _conflict_html(c: ConflictView, action: Controls | None = None) -> str:
    if c.severity == "conflict" and c.recovery_end is not None:
        head = (f"<strong>⚠ Conflict:</strong> {e(c.run.title)} ({e(c.run.label.lower())}, "
                f"{e(when(c.run.start))}) starts {e(hours_text(c.gap_hours))} after "
                f"{e(c.leg_day.title)} ends ({e(when(c.leg_day.end))}); it needs "
                f"{e(hours_text(c.window_hours or 0))} — recovery until "
                f"{e(when(c.recovery_end))}.")
        cls = "conflict"
    else:
        head = (f"<strong>ℹ Order hint:</strong> {e(c.run.title)} and {e(c.leg_day.title)} "
                f"are on the same day in the order your goal advises against.")
        cls = "conflict info"
    return (f'<div class="{cls}" data-conflict="{e(c.id)}" role="note">'
            f"<p>{head}</p><details><summary>Why</summary>{e(c.explanation)}</details>"
            f"{_suggestions_html(c.suggestions, action)}</div>")


def _day_html(day: Day, week: Week, action: Controls | None = None) -> str:
    today = day.date == week.now.date()
    rows = []
    for p in day.workouts:
        w = p.item
        cont = " (continues)" if p.cut_end else ""
        warn = ' <strong class="err">⚠ in conflict</strong>' if w.in_conflict else ""
        rows.append(f"<li>{e(span_text(w.start, w.end))} {_tag(w)} {e(w.title)}{cont}{warn}</li>")
    recovery = [p.item for p in day.recovery if p.item.recovery_end is not None]
    rec_html = ""
    if recovery:
        seen, lines = set(), []
        for c in recovery:
            key = (c.leg_day.title, c.recovery_end)
            if key in seen:
                continue
            seen.add(key)
            lines.append(f"<li>Recovering from {e(c.leg_day.title)} until "
                         f"{e(when(c.recovery_end))} ({e(c.run.intensity)} runs)</li>")
        rec_html = '<ul class="rec-list" aria-label="Recovery windows">' + "".join(lines) + "</ul>"
    moved_here = [p.item for p in day.suggestions
                  if p.item.kind in ("move", "move-leg-day") and p.start.date() == day.date
                  and not any(p.item in c.suggestions for c in day.conflicts)]
    moved_html = ""
    if moved_here:
        moved_html = ("<p>Sessions suggested to move here:</p>"
                      + _suggestions_html(moved_here, action))
    body = ("<ul>" + "".join(rows) + "</ul>") if rows else '<p class="empty">No workouts.</p>'
    label = day_name(day.date) + (" — today" if today else "")
    return (f'<section class="day{" today" if today else ""}" aria-labelledby="d-{day.date}">'
            f'<h3 id="d-{day.date}">{e(label)}</h3>{body}{rec_html}'
            + "".join(_conflict_html(c, action) for c in day.conflicts) + moved_html
            + "</section>")


def _status_html(week: Week, last_sync: dict[str, Any] | None,
                 sources: Sequence[SourceHealth], daemon: bool = False) -> str:
    if last_sync and last_sync.get("time"):
        try:
            t = datetime.fromisoformat(str(last_sync["time"])).astimezone(week.tz)
            at = when(t)
        except ValueError:
            at = str(last_sync["time"])
        ok = bool(last_sync.get("ok"))
        state = ('<span class="ok">✓ ok</span>' if ok
                 else '<span class="err">✗ with errors</span>')
        sync = (f"<p>Last sync: <strong>{e(at)}</strong> — {state}; "
                f"{e(last_sync.get('conflicts', 0))} conflict(s), "
                f"{e(last_sync.get('suggestions', 0))} suggestion(s) written.</p>")
    else:
        sync = ("<p>Last sync: <strong>none yet</strong> — the daemon writes one soon.</p>"
                if daemon else
                "<p>Last sync: <strong>none yet</strong>. This server only serves the page and "
                "the feed: run <code>legday-sync sync</code> (or the daemon, or the systemd "
                "timer) to write suggestions.</p>")
    rows = []
    for s in sources:
        if s.ok is None:
            st = "<span>— not tried</span>"
        elif s.ok:
            st = '<span class="ok">✓ OK</span>'
        else:
            st = '<span class="err">✗ Error</span>'
        rows.append(f"<tr><td>{e(s.name)}</td><td>{e(s.kind)}</td><td>{st}</td>"
                    f"<td>{e(s.message)}</td></tr>")
    table = ('<table><caption class="sub">Calendar sources</caption><thead><tr><th scope="col">'
             'Source</th><th scope="col">Type</th><th scope="col">Health</th>'
             '<th scope="col">Detail</th></tr></thead><tbody>' + "".join(rows)
             + "</tbody></table>") if rows else "<p>No sources configured.</p>"
    extra = "".join(f'<p class="err">✗ {e(src)}: {e(msg)}</p>' for src, msg in week.errors)
    extra += "".join(f"<p>⚠ warning: {e(w)}</p>" for w in week.warnings)
    extra += "".join(f'<p class="sub">note: {e(n)}</p>' for n in week.notes)
    return sync + table + extra


def _private_note(url: str) -> str:
    """Why this address can't work from a phone, if it is a loopback or private one."""
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return " (this one, on localhost, is reachable only from this computer)"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return ""
    if ip.is_loopback:
        return f" (this one, {host}, is reachable only from this computer)"
    if ip.is_private or ip.is_link_local:
        return f" (this one, {host}, is reachable only from your own network)"
    return ""


def render_page(week: Week, *, last_sync: dict[str, Any] | None,
                sources: Sequence[SourceHealth] = (), feed_url: str,
                action: Controls | None = None,
                daemon: bool = False, training_start: float | None = None,
                message: str = "") -> str:
    """The whole page as one HTML5 string; no external resources.

    With ``action`` (the page's own path and the dismissed ids) each suggestion has a
    Dismiss button. ``training_start`` (an hour of the day) is where the timeline opens
    on a screen too narrow for all of it. ``message`` confirms what a button did."""
    n_conf = sum(1 for c in week.conflicts if c.severity == "conflict")
    n_info = len(week.conflicts) - n_conf
    title = f"legday-sync — {day_name(week.start)} to {day_name(week.days[-1].date)}"
    summary = [
        f'<li class="{"bad" if n_conf else ""}">{"⚠ " if n_conf else "✓ "}'
        f"{n_conf} conflict{'s' if n_conf != 1 else ''}</li>",
        f"<li>{len(week.suggestions)} suggestion{'s' if len(week.suggestions) != 1 else ''}</li>",
    ]
    if n_info:
        summary.append(f"<li>{n_info} order hint(s)</li>")
    if week.errors:
        summary.append(f'<li class="bad">✗ {len(week.errors)} source error(s)</li>')
    tzname = getattr(week.tz, "key", str(week.tz))
    outside = [c for c in week.conflicts
               if not any(c in d.conflicts for d in week.days)]
    outside_html = ""
    if outside:
        outside_html = ("<h3>Conflicts just outside this view</h3>"
                        + "".join(_conflict_html(c, action) for c in outside))
    start = "" if training_start is None else \
        f' data-start="{(GUTTER + TRACK * max(0.0, training_start - 1) / 24) / W:.4f}"'
    note = f'<p class="msg" role="status">{e(message)}</p>' if message else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="robots" content="noindex, nofollow">
<title>{e(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>Your training week</h1>
<p class="sub">{e(day_name(week.start))} – {e(day_name(week.days[-1].date))} · goal
<strong>{e(week.goal or "balanced")}</strong> · times in {e(tzname)} · page made
{e(when(week.now))}</p>
<ul class="summary" aria-label="Summary">{"".join(summary)}</ul>
{note}
</header>
<main>
<section aria-labelledby="h-status">
<h2 id="h-status">Sync status</h2>
{_status_html(week, last_sync, sources, daemon)}
</section>
<section aria-labelledby="h-timeline">
<h2 id="h-timeline">Timeline</h2>
{render_legend()}
<div class="scroll"{start}>{render_timeline(week)}</div>
</section>
<section aria-labelledby="h-days">
<h2 id="h-days">Day by day</h2>
<div class="days">{"".join(_day_html(d, week, action) for d in week.days)}</div>
{outside_html}
</section>
<section aria-labelledby="h-feed">
<h2 id="h-feed">Subscribe to the suggestions</h2>
<p>Add this address to your calendar app as a subscription (Google Calendar: “From URL”;
Apple Calendar: “New Calendar Subscription”). Select it and copy it.</p>
<div class="feed"><label for="feed-url" class="sub">Feed URL</label>
<input id="feed-url" type="text" readonly value="{e(feed_url)}" spellcheck="false"
autocomplete="off">
<button id="copy" type="button" hidden>Copy</button>
<span id="copy-status" role="status" aria-live="polite"></span></div>
<p class="sub">The address is a secret: anyone who has it can read your suggestions.
<code>legday-sync feed-url --rotate</code> makes a new one.</p>
<p><strong>On a phone, or in Google Calendar?</strong> They fetch the feed themselves, from
the internet, so they can only reach a <em>public</em> address{_private_note(feed_url)}.
Instead: write the suggestions into a CalDAV calendar (iCloud, Fastmail, Nextcloud) or a
Google calendar, which your phone already syncs (<code>[output.caldav]</code>,
<code>[output.google]</code> in the config); or put this server behind a tunnel or reverse
proxy with HTTPS and print its public address with
<code>legday-sync feed-url --base-url URL</code>.</p>
</section>
</main>
<footer>legday-sync · the page refreshes its data at most once a minute ·
<a href="">reload</a></footer>
<script>{COPY_SCRIPT}</script>
</body>
</html>
"""


# -- the WSGI piece ---------------------------------------------------------------------
PATH = re.compile(r"^/(?P<token>[A-Za-z0-9_-]{16,})(?:/(?P<op>dismiss|undismiss)?)?$")
#: a Dismiss form's body is one id; anything much longer is not ours
MAX_FORM_BYTES = 1024
NOT_FOUND = b"not found\n"


def source_health(settings: Settings, errors: Iterable[tuple[str, str]]) -> list[SourceHealth]:
    failed = dict(errors)
    out = []
    for s in settings.source:
        kind = ("Google Calendar" if s.type == "google"
                else "ics URL" if s.url else "ics file")
        name = s.display_name
        out.append(SourceHealth(name, kind, name not in failed, failed.get(name, "")))
    return out


def read_last_sync(settings: Settings) -> dict[str, Any] | None:
    from ..adapters.state import State

    state = State(settings.state_dir, readonly=True)
    try:
        raw = state.meta("last_sync")
    finally:
        state.close()
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class StatusPage:
    """WSGI app for ``GET|HEAD /<token>/``; any other path or a wrong token is a 404.

    ``token`` gives the current feed token (None: no token yet -> every request 404s);
    ``week`` builds the Week for a ``now`` (default: a dry-run sync of ``settings``),
    cached for ``ttl`` seconds so a reload does not re-read every calendar.
    ``POST /<token>/dismiss`` (and ``undismiss``) with ``id=`` records a dismissal, then
    ``on_dismiss`` runs (the daemon brings its next sync forward) and the browser is sent
    back to the page. ``daemon`` says whether a daemon syncs behind this page.
    """

    def __init__(self, settings: Settings, *, token: Callable[[], str | None] | None = None,
                 week: Callable[[datetime], Week] | None = None,
                 clock: Callable[[], datetime] | None = None, days: int = 14,
                 ttl: float = 60.0, fallback: Callable[..., Iterable[bytes]] | None = None,
                 daemon: bool = False, on_dismiss: Callable[[], None] | None = None
                 ) -> None:
        self.daemon = daemon
        self.on_dismiss = on_dismiss
        self._message = ""
        self.settings = settings
        self.token = token or (lambda: read_token(settings.state_dir))
        self.week = week or self._dry_run_week
        self.clock = clock or (lambda: datetime.now(settings.tz))
        self.days = days
        self.ttl = ttl
        self.fallback = fallback
        self._lock = threading.Lock()
        self._cached: tuple[float, Week] | None = None

    def _dry_run_week(self, now: datetime) -> Week:
        from ..service import sync_once
        from ..views.week import build_week

        report = sync_once(self.settings, now, dry_run=True)
        return build_week(report, now, self.settings.tz, self.days)

    def current_week(self) -> Week:
        with self._lock:
            t = _time.monotonic()
            if self._cached is None or t - self._cached[0] > self.ttl:
                self._cached = (t, self.week(self.clock()))
            return self._cached[1]

    def matches(self, path: str) -> bool:
        """Whether ``path`` is this page's, with the right token (constant-time compare)."""
        m = PATH.match(path)
        if m is None:  # e.g. /feed/<token>.ics: don't read the token file for every feed hit
            return False
        token = self.token()
        return bool(token and hmac.compare_digest(m["token"].encode(), token.encode()))

    def dismissed_now(self) -> frozenset[str]:
        from ..adapters.state import State

        state = State(self.settings.state_dir, readonly=True)
        try:
            return frozenset(state.dismissed())
        finally:
            state.close()

    def training_start(self) -> float:
        ranges = self.settings.schedule.ranges
        first = min((r.start for r in ranges), default=None)
        return 6.0 if first is None else first.hour + first.minute / 60

    def feed_url(self, environ: dict[str, Any], token: str) -> str:
        scheme = environ.get("wsgi.url_scheme", "http")
        host = environ.get("HTTP_HOST") or (
            f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}")
        return build_feed_url(token, f"{scheme}://{host}")

    def render(self, environ: dict[str, Any]) -> bytes:
        week = self.current_week()
        token = self.token() or ""
        with self._lock:
            message, self._message = self._message, ""
        return render_page(week, last_sync=read_last_sync(self.settings),
                           sources=source_health(self.settings, week.errors),
                           feed_url=self.feed_url(environ, token),
                           action=Controls(f"/{token}/", self.dismissed_now()),
                           daemon=self.daemon, training_start=self.training_start(),
                           message=message).encode("utf-8")

    # -- the Dismiss button -----------------------------------------------------------
    def same_origin(self, environ: dict[str, Any]) -> bool:
        """A POST must come from this page: its Origin (else its Referer) names our host.

        The token in the path already keeps other sites out; this is the second lock
        against a page that learned the address (CSRF)."""
        from urllib.parse import urlsplit

        host = (environ.get("HTTP_HOST") or "").lower()
        origin = environ.get("HTTP_ORIGIN") or environ.get("HTTP_REFERER") or ""
        if not host or not origin or origin == "null":
            return False
        return (urlsplit(origin).netloc or "").lower() == host

    def post(self, environ: dict[str, Any], op: str) -> tuple[str, str]:
        """Record a dismissal; (HTTP status, message for the page)."""
        from urllib.parse import parse_qs

        from ..adapters.state import State
        from ..dismissals import known_suggestions, set_dismissed

        if not self.same_origin(environ):
            return "403 Forbidden", "a Dismiss must come from the status page itself"
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_FORM_BYTES:
            return "400 Bad Request", "a Dismiss form carries one suggestion id"
        form = parse_qs(environ["wsgi.input"].read(length).decode("utf-8", "replace"))
        sid = (form.get("id") or [""])[0]
        state = State(self.settings.state_dir)
        try:
            known = known_suggestions(state)
            chosen = known.get(sid)
            if chosen is None:  # ids come from our own page: an unknown one is stale
                return "409 Conflict", "that suggestion is gone (its conflict changed): reload"
            set_dismissed(state, [chosen], dismiss=op == "dismiss", now=self.clock())
        finally:
            state.close()
        if self.on_dismiss is not None:
            self.on_dismiss()
        with self._lock:
            self._cached = None
        when_ = "at the daemon's sync, which starts now" if self.daemon else \
            "at the next `legday-sync sync`"
        verb = "Dismissed" if op == "dismiss" else "Brought back"
        return "303 See Other", f"{verb} “{chosen.title}”: your calendars follow {when_}."

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if not self.matches(path):
            if self.fallback is not None:
                return self.fallback(environ, start_response)
            return _plain(start_response, "404 Not Found", NOT_FOUND, method)
        op = (PATH.match(path) or {"op": None})["op"]  # type: ignore[index]
        if op is not None and method == "POST":
            status, message = self.post(environ, op)
            if status.startswith("303"):
                with self._lock:
                    self._message = message
                start_response(status, [("Location", f"/{self.token()}/"),
                                        ("Content-Length", "0"), ("Cache-Control", "no-store")])
                return [b""]
            return _plain(start_response, status, (message + "\n").encode(), method)
        if method not in ("GET", "HEAD") or op is not None:
            allow = "POST" if op is not None else "GET, HEAD"
            start_response("405 Method Not Allowed",
                           [("Allow", allow), ("Content-Type", "text/plain"),
                            ("Content-Length", "0")])
            return [b""]
        body = self.render(environ)
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                  ("Content-Length", str(len(body))), *HEADERS])
        return [b""] if method == "HEAD" else [body]


def _plain(start_response: Callable[..., Any], status: str, body: bytes,
           method: str) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body))),
                            ("Cache-Control", "no-store")])
    return [b""] if method == "HEAD" else [body]


def with_status_page(app: Callable[..., Iterable[bytes]], settings: Settings,
                     **kwargs: Any) -> StatusPage:
    """Wrap the feed's WSGI ``app``: ``/<token>/`` is the page, every other request goes to
    ``app`` untouched (so ``/feed/<token>.ics`` and ``/healthz`` keep working)."""
    return StatusPage(settings, fallback=app, **kwargs)
