"""A small seeded generator of messy calendars, for the prefilter equivalence tests.

``generate(seed, around)`` returns .ics bytes with years of history around
``around``: single events in UTC, Europe/Berlin, America/New_York, floating and
all-day; DURATION instead of DTEND, no end at all; multi-day events straddling
any window edge; daily/weekly/monthly series that began years ago (with UNTIL,
COUNT or no end), EXDATEs, RDATEs (plain and PERIOD), RECURRENCE-ID overrides
moved near and far (some cancelled), events without UID, TODOs.
Deterministic: all randomness comes from ``random.Random(seed)``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

ZONES = ("Europe/Berlin", "America/New_York")

VTIMEZONES = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:20070311T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:20071104T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE"""


def _fmt(dt: datetime, style: str) -> tuple[str, str]:
    """(params, value) for a DTSTART-like property in ``style``."""
    if style == "utc":
        return "", dt.strftime("%Y%m%dT%H%M%SZ")
    if style == "float":
        return "", dt.strftime("%Y%m%dT%H%M%S")
    if style == "date":
        return ";VALUE=DATE", dt.strftime("%Y%m%d")
    return f";TZID={style}", dt.strftime("%Y%m%dT%H%M%S")


class _Gen:
    def __init__(self, seed: int, around: datetime, years: int, near: float) -> None:
        self.r = random.Random(seed)
        self.near = near
        self.around = around.replace(tzinfo=None, minute=0, second=0, microsecond=0)
        self.years = years
        self.n = 0
        self.out: list[str] = []

    def uid(self) -> str:
        self.n += 1
        return f"gen-{self.n}@example.com"

    def when(self, spread_days: int | None = None) -> datetime:
        """A time, often near ``around`` (so windows have content), else anywhere."""
        r = self.r
        if spread_days is None:
            near = r.random() < self.near
            spread_days = r.choice([3, 10, 30]) if near else 365 * self.years
        day = self.around + timedelta(days=r.randint(-spread_days, spread_days // 3 + 3))
        return day.replace(hour=r.randint(0, 23), minute=r.choice([0, 15, 30, 45]))

    def style(self) -> str:
        return self.r.choice(["utc", "utc", "float", "date", *ZONES, *ZONES])

    def times(self, start: datetime, style: str, length: timedelta) -> list[str]:
        p, v = _fmt(start, style)
        lines = [f"DTSTART{p}:{v}"]
        how = self.r.choice(["dtend", "dtend", "duration", "none"])
        if style == "date":
            length = timedelta(days=max(1, length.days))
        if how == "dtend":
            p, v = _fmt(start + length, style)
            lines.append(f"DTEND{p}:{v}")
        elif how == "duration":
            if style == "date":
                lines.append(f"DURATION:P{length.days}D")
            else:
                lines.append(f"DURATION:PT{int(length.total_seconds() // 60)}M")
        return lines

    def length(self) -> timedelta:
        r = self.r
        return r.choice(
            [
                timedelta(minutes=r.choice([30, 45, 60, 90])),
                timedelta(hours=r.randint(2, 30)),
                timedelta(days=r.randint(1, 9)),
            ]
        )

    def event(self, lines: list[str], uid: str | None) -> None:
        body = ["BEGIN:VEVENT"]
        if uid is not None:
            body.append(f"UID:{uid}")
        body.append("DTSTAMP:20200101T000000Z")
        body += lines
        body.append("END:VEVENT")
        self.out.extend(body)

    def single(self) -> None:
        r = self.r
        style = self.style()
        start = self.when()
        lines = self.times(start, style, self.length())
        lines.append(f"SUMMARY:Single {self.n} Lauf über Berge")
        if r.random() < 0.1:
            lines.append("STATUS:CANCELLED")
        if r.random() < 0.1:
            lines.append("TRANSP:TRANSPARENT")
        if r.random() < 0.2:
            lines.append("CATEGORIES:Sport,Run")
        self.event(lines, None if r.random() < 0.03 else self.uid())

    def series(self) -> None:
        r = self.r
        uid = self.uid()
        style = r.choice(["utc", "float", "date", *ZONES, *ZONES])
        start = self.when(365 * self.years)
        if r.random() < 0.2:
            start = self.when(40)
        freq, step = r.choice(
            [
                ("DAILY", timedelta(days=1)),
                ("WEEKLY", timedelta(days=7)),
                ("WEEKLY", timedelta(days=14)),
                ("MONTHLY", timedelta(days=31)),
            ]
        )
        interval = 2 if step == timedelta(days=14) else 1
        rule = f"FREQ={freq}" + (";INTERVAL=2" if interval == 2 else "")
        end_kind = r.choice(["until", "until", "count", "forever"])
        count = r.randint(2, 60)
        if end_kind == "until":
            until = self.when()
            if style == "date":
                rule += f";UNTIL={until:%Y%m%d}"
            else:
                rule += f";UNTIL={until:%Y%m%dT%H%M%S}Z"
        elif end_kind == "count":
            rule += f";COUNT={count}"
        length = timedelta(minutes=r.choice([30, 60, 90])) if r.random() < 0.8 else self.length()
        lines = self.times(start, style, length)
        lines.append(f"RRULE:{rule}")
        lines.append(f"SUMMARY:Series {uid}")
        # occurrences, roughly, to pick EXDATEs and overrides from
        slots = [start + i * step for i in range(0, 400)]
        if freq == "MONTHLY":
            slots = []
        near = [s for s in slots if abs(s - self.around) < timedelta(days=40)]
        pick = near + r.sample(slots, min(5, len(slots)))
        if pick and r.random() < 0.5:
            ex = r.choice(pick)
            p, v = _fmt(ex, style)
            lines.append(f"EXDATE{p}:{v}")
        if r.random() < 0.3:
            extra = self.when()
            p, v = _fmt(extra, style)
            if style != "date" and r.random() < 0.5:
                lines.append(f"RDATE;VALUE=PERIOD:{extra:%Y%m%dT%H%M%S}Z/PT3H")
            else:
                lines.append(f"RDATE{p}:{v}")
        self.event(lines, uid)
        for _ in range(r.randint(0, 3)):
            if not pick:
                break
            slot = r.choice(pick)
            moved = slot + r.choice(
                [timedelta(hours=2), timedelta(days=1), timedelta(days=r.randint(-900, 900))]
            )
            if style == "date":
                moved = moved.replace(hour=0, minute=0)
            p, v = _fmt(slot, style)
            mod = [f"RECURRENCE-ID{p}:{v}"]
            mod += self.times(moved, style, length)
            mod.append(f"SUMMARY:Moved {uid}")
            if r.random() < 0.3:
                mod.append("STATUS:CANCELLED")
            self.event(mod, uid)

    def todo(self) -> None:
        self.out += [
            "BEGIN:VTODO",
            f"UID:{self.uid()}",
            "SUMMARY:todo",
            f"DTSTART:{self.when():%Y%m%dT%H%M%S}Z",
            "END:VTODO",
        ]


def generate(
    seed: int,
    around: datetime,
    *,
    n_single: int = 120,
    n_series: int = 40,
    years: int = 4,
    near: float = 0.75,
) -> bytes:
    """``near``: the share of times drawn within a month of ``around`` (else any year)."""
    g = _Gen(seed, around, years, near)
    g.out += ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//legday-sync//ics_gen//EN"]
    g.out += VTIMEZONES.split("\n")
    for _ in range(n_single):
        g.single()
    for _ in range(n_series):
        g.series()
    g.todo()
    g.out.append("END:VCALENDAR")
    return ("\r\n".join(g.out) + "\r\n").encode("utf-8")
