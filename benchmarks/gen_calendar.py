"""Seeded generator of realistic calendars for benchmarks and tests.

``generate(n_events, seed=..., around=...)`` returns the bytes of an RFC 5545 VCALENDAR
that looks like a person's Google Calendar export: years of history before ``around`` and
a few months after it, Europe/Berlin (with its VTIMEZONE) and UTC times, all-day events,
weekly and biweekly series with EXDATEs and RECURRENCE-ID overrides (some cancelled),
workouts mixed with meetings, descriptions and locations with non-ASCII text.

The output is deterministic for a given ``(n_events, seed, around, years)``: all
randomness comes from ``random.Random(seed)`` and no clock is read. ``n_events`` is the
exact number of VEVENT components. With ``n_events >= 100`` every feature listed above is
present (the first series and single events are fixed templates); smaller calendars get
as many as fit.

CLI: ``python benchmarks/gen_calendar.py --events 20000 --seed 1 --around 2026-11-24
-o /tmp/x.ics``
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

__all__ = [
    "LEG_DAY_TITLES",
    "MEETING_TITLES",
    "RUN_TITLES",
    "generate",
    "main",
]

# --- vocabulary -----------------------------------------------------------------------

LEG_DAY_TITLES = ("Leg day", "Legs — squats 5x5", "Heavy deadlifts 1RM", "Lower body")
# title -> intensity as DESIGN.md §1 classifies it
RUN_TITLES = {
    "Easy run 5k": "easy",
    "Recovery jog": "easy",
    "Morning run 🏃": "moderate",
    "Run 10k": "moderate",
    "Tempo run": "hard",
    "Intervals 6x800m": "hard",
    "Long run 20k": "hard",
    "Hill repeats": "hard",
    "Race 10k": "hard",
}
MEETING_TITLES = (
    "Sprint review",
    "Dry run of the demo",
    "1:1",
    "Team standup",
    "Legal sync",
    "Brunch",
    "Sprint planning",
    "Retrospektive",
    "Quarterly planning",
    "Café with Zoë ☕",
    "Design critique",
    "Customer call — Müller GmbH",
    "Interview: backend engineer",
    "All hands",
)
OTHER_TITLES = (
    "Zahnärztin",
    "Haircut",
    "Call with Mum 📞",
    "Upper body",
    "Yoga & stretching 🧘",
    "Swim 2km",
    "Bike ride to Potsdam 🚴",
    "Groceries",
    "Pick up parcel",
    "Dinner at Renée's",
)
ALL_DAY_TITLES = (
    "Vacation 🏖️",
    "Public holiday",
    "Berlin Marathon weekend",
    "Birthday: Jörg 🎂",
    "Conference — PyCon DE",
    "Off-site in München",
    "Rest day",
    "Parents visiting",
)

WORKOUT_LOCATIONS = (
    "McFit Berlin-Schöneberg, Hauptstraße 12, 10827 Berlin",
    "Urban Sports Club — Kraftwerk, Köpenicker Str. 70, 10179 Berlin",
    "Tempelhofer Feld, Columbiadamm, Berlin",
    "Volkspark Friedrichshain",
    "Treptower Park, Puschkinallee",
    "Stadion Rote Erde 🏟️, Dortmund",
    "Home gym",
    "Grunewald, Teufelsberg trail",
)
MEETING_LOCATIONS = (
    "Meeting room Ägäis (3rd floor)",
    "Meeting room Zürich",
    "https://meet.google.com/pxq-hrnd-wzb",
    "https://zoom.us/j/93847561234?pwd=U2FsdGVkX1",
    "Café Zoë, Kastanienallee 7, 10435 Berlin",
    "Office, Rosenthaler Str. 40, 10178 Berlin",
    "Microsoft Teams Meeting",
    "",
)

WORKOUT_LINES = (
    "Warm-up: 10 min easy jog, leg swings, hip openers.",
    "Main set: back squat 5×5 @ 80 %, rest 3 min between sets.",
    "Romanian deadlift 3×8, Bulgarian split squat 3×10 each leg.",
    "Walking lunges 3×12, calf raises 4×15, Nordic curls 3×6.",
    "Cool-down: 10 min stretching 🧘, foam roller on quads and calves.",
    "Pace: 5:30–5:45 min/km, keep HR in zone 2 (< 145 bpm).",
    "6 × 800 m at 5k pace (3:50/km), 400 m jog recovery.",
    "20 min at threshold (4:25/km), then 10 min easy.",
    "8 × 60 s uphill hard, jog back down — Kreuzberg Viktoriapark.",
    "Bring gels 🍌 and water; route along the Spree to Treptow and back.",
    "Coach says: keep it conversational, don't chase the Strava segment 😅.",
    "Notes: left knee felt a bit stiff last time — warm up longer.",
    "Goal: sub-50 10k by spring. Today is about consistency, not heroics.",
    "Straps + belt in the locker. Try a new PR attempt only if warm-up feels good 💪.",
)
MEETING_LINES = (
    "Agenda:",
    "1. Status of the current sprint and blockers",
    "2. Demo of the new onboarding flow (Renée)",
    "3. Open questions from legal about the data-processing agreement",
    "4. Action items and owners",
    "Please read the doc beforehand: https://docs.google.com/document/d/1aBcD3fGhIjKlMnOpQrStUvWxYz",
    "Notes from last time: we agreed to move the release to the following Tuesday.",
    "Bitte die Zahlen für Q3 mitbringen — danke! 🙏",
    "Réunion mensuelle avec l'équipe de Paris, traduction par Zoë.",
    "Dial-in: +49 30 1234 5678, PIN 918 273 645#",
    "If you can't make it, add your updates to the Confluence page.",
    "Parking is free in the courtyard after 17:00.",
    "Reminder: the Münster office is closed on Friday.",
)
MEET_BLURB = (
    "-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-\n"
    "Join with Google Meet: https://meet.google.com/{code}\n"
    "Or dial: (DE) +49 30 300195{pin4} PIN: {pin9}#\n"
    "More phone numbers: https://tel.meet/{code}?pin={pin13}\n\n"
    "Learn more about Meet at: https://support.google.com/a/users/answer/9282720\n\n"
    "Please do not edit this section.\n"
    "-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-"
)
PEOPLE = (
    "anna.schmidt@example.com",
    "jörg.weiß@example.de",
    "renee.dubois@example.fr",
    "zoe.mueller@example.com",
    "li.wei@example.com",
    "sam.okafor@example.com",
)

BERLIN_VTIMEZONE = (
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Berlin",
    "X-LIC-LOCATION:Europe/Berlin",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
)

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
UID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
FUTURE_DAYS = 120  # how far after `around` the calendar reaches

# --- RFC 5545 text helpers ----------------------------------------------------------


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> bytes:
    """Encode one content line as UTF-8 and fold it at 75 octets (never inside a character)."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return raw + b"\r\n"
    parts: list[bytes] = []
    current = bytearray()
    limit = 75
    for ch in line:
        b = ch.encode("utf-8")
        if len(current) + len(b) > limit:
            parts.append(bytes(current))
            current = bytearray(b" ")
            limit = 75  # the leading space counts toward the 75 octets
        current += b
    parts.append(bytes(current))
    return b"\r\n".join(parts) + b"\r\n"


def fmt_utc(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fmt_local(dt: datetime) -> str:
    return dt.strftime("%Y%m%dT%H%M%S")


def fmt_date(d: date) -> str:
    return d.strftime("%Y%m%d")


# --- event plans ----------------------------------------------------------------------


@dataclass
class Series:
    title: str
    kind: str  # "workout" | "meeting" | "other"
    tz: str  # "berlin" | "utc"
    start: datetime  # naive wall time (Berlin local or UTC)
    duration: timedelta
    byday: tuple[int, ...]  # weekdays, 0 = Monday
    interval: int
    until: date | None = None
    count: int | None = None
    exdates: list[datetime] = field(default_factory=list)
    overrides: list[tuple[datetime, bool]] = field(default_factory=list)  # (orig, cancelled)
    want_exdates: int = 0
    want_overrides: int = 0
    want_cancelled: int = 0

    def occurrences(self, last: date) -> list[datetime]:
        """Occurrence start times (naive wall time) up to ``last``, WKST=MO."""
        week0 = self.start.date() - timedelta(days=self.start.weekday())
        out: list[datetime] = []
        d = self.start.date()
        end = last if self.until is None else min(last, self.until)
        while d <= end:
            if d.weekday() in self.byday and ((d - week0).days // 7) % self.interval == 0:
                out.append(datetime.combine(d, self.start.time()))
                if self.count is not None and len(out) >= self.count:
                    break
            d += timedelta(days=1)
        return out


class _Gen:
    def __init__(self, n_events: int, seed: int, around: datetime, years: int) -> None:
        if n_events < 0:
            raise ValueError("n_events must be >= 0")
        if years < 1:
            raise ValueError("years must be >= 1")
        if around.tzinfo is not None:
            around = around.astimezone(UTC).replace(tzinfo=None)
        self.n = n_events
        self.rng = random.Random(seed)
        self.around = around
        self.first_day = (around - timedelta(days=365 * years)).date()
        self.last_day = (around + timedelta(days=FUTURE_DAYS)).date()
        self.years = years
        self.dtstamp = fmt_utc(around.replace(tzinfo=UTC))
        self.seen_uids: set[str] = set()

    # -- small random pieces --

    def uid(self) -> str:
        while True:
            u = "".join(self.rng.choices(UID_ALPHABET, k=26)) + "@google.com"
            if u not in self.seen_uids:
                self.seen_uids.add(u)
                return u

    def random_day(self) -> date:
        span = (self.last_day - self.first_day).days
        return self.first_day + timedelta(days=self.rng.randrange(span + 1))

    def wall_time(self, kind: str) -> time:
        r = self.rng
        if kind == "workout":
            hour = r.choice((6, 6, 7, 7, 12, 17, 18, 18, 19, 20))
        elif kind == "meeting":
            hour = r.randrange(8, 18)
        else:
            hour = r.randrange(8, 21)
        return time(hour, r.choice((0, 0, 0, 15, 30, 30, 45)))

    def duration(self, title: str, kind: str) -> timedelta:
        r = self.rng
        if "Long run" in title or "Race" in title:
            return timedelta(minutes=r.choice((60, 90, 120, 150)))
        if kind == "workout":
            return timedelta(minutes=r.choice((30, 45, 60, 60, 75, 90)))
        if title == "Team standup":
            return timedelta(minutes=15)
        if kind == "meeting":
            return timedelta(minutes=r.choice((25, 30, 30, 45, 50, 60, 90)))
        return timedelta(minutes=r.choice((30, 60, 60, 90, 120)))

    def description(self, kind: str) -> str:
        r = self.rng
        if kind == "workout":
            lines = r.sample(WORKOUT_LINES, r.choice((0, 0, 0, 1, 1, 2)))
            return "\n".join(lines)
        if kind == "meeting":
            lines = r.sample(MEETING_LINES, r.choice((0, 0, 0, 1, 2, 3)))
            if r.random() < 0.04:
                code = "-".join(
                    "".join(r.choices("abcdefghijklmnopqrstuvwxyz", k=k)) for k in (3, 4, 3)
                )
                lines.append(
                    MEET_BLURB.format(
                        code=code,
                        pin4=r.randrange(1000, 9999),
                        pin9=r.randrange(10**8, 10**9),
                        pin13=r.randrange(10**12, 10**13),
                    )
                )
            return "\n".join(lines)
        if r.random() < 0.6:
            return ""
        return r.choice(
            (
                "Don't forget the Krankenversicherungskarte.",
                "Bring the receipts 🧾",
                "Table for four, booked under Müller.",
                "Ask about the thing from last week — you know which one 😉",
                "Rückruf bis 18 Uhr.",
            )
        )

    def location(self, kind: str) -> str:
        if self.rng.random() < 0.45:
            return ""
        if kind == "workout":
            return self.rng.choice(WORKOUT_LOCATIONS)
        if kind == "meeting":
            return self.rng.choice(MEETING_LOCATIONS)
        return self.rng.choice(("", "", "Kastanienallee 7, 10435 Berlin", "Zuhause"))

    def created_before(self, when: datetime) -> tuple[str, str]:
        r = self.rng
        created = when - timedelta(days=r.randrange(1, 60), minutes=r.randrange(1440))
        modified = created + timedelta(minutes=r.randrange(0, 60 * 24 * 30))
        limit = self.around - timedelta(hours=1)
        created, modified = min(created, limit), min(modified, limit)
        return fmt_utc(created.replace(tzinfo=UTC)), fmt_utc(modified.replace(tzinfo=UTC))

    # -- plans --

    def plan_series(self, count: int) -> list[Series]:
        r = self.rng
        y = self.years
        around = self.around

        def begin(min_days: int, max_days: int, weekday: int, t: time) -> datetime:
            d = (around - timedelta(days=r.randint(min_days, max_days))).date()
            d += timedelta(days=(weekday - d.weekday()) % 7)
            return datetime.combine(d, t)

        long_ago = (365 * max(1, y - 2), 365 * y - 7)
        templates = [
            # (title, kind, tz, byday, interval, end) where end is "open", "until-past",
            # "until-future" or "count"
            ("Leg day", "workout", "berlin", (1,), 1, "open"),
            ("Team standup", "meeting", "berlin", (0, 1, 2, 3, 4), 1, "open"),
            ("Tempo run", "workout", "utc", (3,), 1, "until-future"),
            ("1:1", "meeting", "berlin", (2,), 2, "count"),
            ("Long run 20k", "workout", "berlin", (6,), 1, "until-past"),
            ("Sprint review", "meeting", "berlin", (4,), 2, "open"),
            ("Easy run 5k", "workout", "utc", (5,), 1, "count"),
            ("Heavy deadlifts 1RM", "workout", "berlin", (4,), 2, "open"),
        ]
        out: list[Series] = []
        for i in range(count):
            if i < len(templates):
                title, kind, tz, byday, interval, end = templates[i]
            else:
                kind = r.choices(("workout", "meeting", "other"), (4, 5, 1))[0]
                title = self.title_for(kind)
                tz = "berlin" if r.random() < 0.7 else "utc"
                interval = r.choice((1, 1, 2))
                if title == "Team standup":
                    byday, interval = (0, 1, 2, 3, 4), 1
                elif interval == 1 and r.random() < 0.2:
                    byday = tuple(sorted(r.sample(range(5), 2)))
                else:
                    byday = (r.randrange(7),)
                end = r.choices(("open", "until-past", "until-future", "count"), (5, 3, 1, 2))[0]
            t = self.wall_time(kind)
            if tz == "utc":
                t = time((t.hour - 1) % 24, t.minute)
            start = begin(*long_ago, byday[0], t)
            s = Series(
                title=title,
                kind=kind,
                tz=tz,
                start=start,
                duration=self.duration(title, kind),
                byday=byday,
                interval=interval,
            )
            if end == "until-past":
                s.until = (around - timedelta(days=r.randint(30, 365))).date()
            elif end == "until-future":
                s.until = (around + timedelta(days=r.randint(30, FUTURE_DAYS))).date()
            elif end == "count":
                # long enough that some reach past `around`, short enough that some don't
                s.count = r.randint(20, 60 * y)
            out.append(s)
        return out

    def title_for(self, kind: str) -> str:
        r = self.rng
        if kind == "workout":
            if r.random() < 0.4:
                return r.choice(LEG_DAY_TITLES)
            return r.choice(tuple(RUN_TITLES))
        if kind == "meeting":
            return r.choice(MEETING_TITLES)
        return r.choice(OTHER_TITLES)

    def assign_exceptions(self, series: list[Series], n_overrides: int) -> None:
        """Pick EXDATEs and RECURRENCE-ID overrides among real occurrences."""
        r = self.rng
        if not series:
            return
        # series 0 always gets EXDATEs, a moved and a cancelled override when budget allows
        for s in series:
            s.want_exdates = r.choice((0, 0, 1, 2, 3, 5))
        series[0].want_exdates = max(series[0].want_exdates, 3)
        remaining = n_overrides
        if remaining >= 3:
            series[0].want_overrides, series[0].want_cancelled = 3, 1
            remaining -= 3
        while remaining > 0:
            s = r.choice(series)
            s.want_overrides += 1
            remaining -= 1
        for s in series:
            occ = s.occurrences(self.last_day)
            if not occ:
                continue
            near = [
                i for i, o in enumerate(occ) if abs((o - self.around).days) <= 42
            ] or list(range(len(occ)))
            taken: set[int] = set()

            def pick(prefer_near: bool, occ=occ, near=near, taken=taken) -> int | None:
                pool = near if prefer_near else range(len(occ))
                free = [i for i in pool if i not in taken] or [
                    i for i in range(len(occ)) if i not in taken
                ]
                if not free:
                    return None
                i = r.choice(free)
                taken.add(i)
                return i

            for _ in range(s.want_exdates):
                i = pick(r.random() < 0.3)
                if i is not None:
                    s.exdates.append(occ[i])
            for k in range(s.want_overrides):
                i = pick(r.random() < 0.5 or k < 2)
                if i is None:
                    break
                cancelled = k < s.want_cancelled or (k >= 2 and r.random() < 0.25)
                s.overrides.append((occ[i], cancelled))
            s.exdates.sort()
            s.overrides.sort()

    # -- rendering --

    def dt_line(self, name: str, tz: str, wall: datetime) -> str:
        if tz == "berlin":
            return f"{name};TZID=Europe/Berlin:{fmt_local(wall)}"
        return f"{name}:{fmt_local(wall)}Z"

    def common(self, title: str, kind: str, uid: str, when: datetime) -> list[str]:
        r = self.rng
        created, modified = self.created_before(when)
        lines = [f"DTSTAMP:{self.dtstamp}", f"UID:{uid}"]
        if kind == "meeting" and r.random() < 0.06:
            people = r.sample(PEOPLE, r.randrange(1, 3))
            lines.append(f"ORGANIZER;CN={people[0].split('@')[0]}:mailto:{people[0]}")
            for p in people:
                part = r.choice(("ACCEPTED", "ACCEPTED", "TENTATIVE", "NEEDS-ACTION"))
                lines.append(
                    "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;"
                    f"PARTSTAT={part};CN={p}:mailto:{p}"
                )
        lines += [
            f"CREATED:{created}",
            f"DESCRIPTION:{escape_text(self.description(kind))}",
            f"LAST-MODIFIED:{modified}",
            f"LOCATION:{escape_text(self.location(kind))}",
        ]
        if kind == "workout" and r.random() < 0.15:
            lines.append("CATEGORIES:" + r.choice(("Training", "Sport,Health", "Fitness")))
        return lines

    def render_series(self, s: Series) -> Iterator[list[str]]:
        uid = self.uid()
        rule = f"RRULE:FREQ=WEEKLY;WKST=MO;BYDAY={','.join(DAYS[d] for d in s.byday)}"
        if s.interval != 1:
            rule += f";INTERVAL={s.interval}"
        if s.until is not None:
            stamp = "T225959Z" if s.tz == "berlin" else "T235959Z"
            rule += f";UNTIL={fmt_date(s.until)}{stamp}"
        if s.count is not None:
            rule += f";COUNT={s.count}"
        lines = [
            "BEGIN:VEVENT",
            self.dt_line("DTSTART", s.tz, s.start),
            self.dt_line("DTEND", s.tz, s.start + s.duration),
            rule,
        ]
        for ex in s.exdates:
            lines.append(self.dt_line("EXDATE", s.tz, ex))
        lines += self.common(s.title, s.kind, uid, s.start)
        lines += [
            "SEQUENCE:0",
            "STATUS:CONFIRMED",
            f"SUMMARY:{escape_text(s.title)}",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
        yield lines
        for orig, cancelled in s.overrides:
            r = self.rng
            if cancelled:
                new = orig
            else:
                new = orig + r.choice(
                    (
                        timedelta(hours=1),
                        timedelta(hours=-1),
                        timedelta(hours=2),
                        timedelta(days=1),
                        timedelta(days=-1, hours=1),
                        timedelta(minutes=30),
                    )
                )
            dur = s.duration if r.random() < 0.8 else s.duration + timedelta(minutes=30)
            lines = [
                "BEGIN:VEVENT",
                self.dt_line("DTSTART", s.tz, new),
                self.dt_line("DTEND", s.tz, new + dur),
                self.dt_line("RECURRENCE-ID", s.tz, orig),
            ]
            lines += self.common(s.title, s.kind, uid, orig)
            lines += [
                f"SEQUENCE:{r.randrange(1, 4)}",
                "STATUS:CANCELLED" if cancelled else "STATUS:CONFIRMED",
                f"SUMMARY:{escape_text(s.title)}",
                "TRANSP:OPAQUE",
                "END:VEVENT",
            ]
            yield lines

    def render_single(self, title: str, kind: str, shape: str) -> list[str]:
        """shape: "berlin" | "utc" | "allday" (DTEND) | "berlin-duration" (DURATION)."""
        r = self.rng
        day = self.random_day()
        uid = self.uid()
        lines = ["BEGIN:VEVENT"]
        if shape == "allday":
            days = r.choice((1, 1, 1, 2, 3, 7))
            lines += [
                f"DTSTART;VALUE=DATE:{fmt_date(day)}",
                f"DTEND;VALUE=DATE:{fmt_date(day + timedelta(days=days))}",
            ]
            when = datetime.combine(day, time())
            transp = "TRANSPARENT"
        else:
            t = self.wall_time(kind)
            tz = "utc" if shape == "utc" else "berlin"
            if tz == "utc":
                t = time((t.hour - 1) % 24, t.minute)
            when = datetime.combine(day, t)
            dur = self.duration(title, kind)
            lines.append(self.dt_line("DTSTART", tz, when))
            if shape == "berlin-duration":
                lines.append(f"DURATION:PT{int(dur.total_seconds() // 60)}M")
            else:
                lines.append(self.dt_line("DTEND", tz, when + dur))
            transp = "OPAQUE"
        lines += self.common(title, kind, uid, when)
        lines += [
            f"SEQUENCE:{r.choice((0, 0, 0, 1))}",
            "STATUS:" + ("TENTATIVE" if r.random() < 0.03 else "CONFIRMED"),
            f"SUMMARY:{escape_text(title)}",
            f"TRANSP:{transp}",
            "END:VEVENT",
        ]
        return lines

    def run(self) -> bytes:
        r = self.rng
        n = self.n
        n_series = min(max(8, n // 150), n // 4)
        series = self.plan_series(n_series)
        n_overrides = min(max(0, n - n_series - 40), n_series * 4)
        self.assign_exceptions(series, n_overrides)
        components: list[list[str]] = []
        for s in series:
            components.extend(self.render_series(s))
        # the fixed singles guarantee every title and every shape at least once
        must: list[tuple[str, str, str]] = []
        for t in LEG_DAY_TITLES:
            must.append((t, "workout", "berlin"))
        for t in RUN_TITLES:
            must.append((t, "workout", "utc" if len(must) % 3 == 0 else "berlin"))
        for t in MEETING_TITLES:
            must.append((t, "meeting", "berlin"))
        for t in ALL_DAY_TITLES[:3]:
            must.append((t, "other", "allday"))
        must.append(("Swim 2km", "other", "berlin-duration"))
        i = 0
        while len(components) < n:
            if i < len(must):
                title, kind, shape = must[i]
            else:
                shape = r.choices(
                    ("berlin", "utc", "allday", "berlin-duration"), (58, 30, 8, 4)
                )[0]
                if shape == "allday":
                    title, kind = r.choice(ALL_DAY_TITLES), "other"
                else:
                    kind = r.choices(("workout", "meeting", "other"), (30, 55, 15))[0]
                    title = self.title_for(kind)
            components.append(self.render_single(title, kind, shape))
            i += 1
        del components[n:]
        r.shuffle(components)

        out = bytearray()
        head = [
            "BEGIN:VCALENDAR",
            "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
            "VERSION:2.0",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:jörg.weiß@example.de",
            "X-WR-TIMEZONE:Europe/Berlin",
            *BERLIN_VTIMEZONE,
        ]
        for line in head:
            out += fold(line)
        for comp in components:
            for line in comp:
                out += fold(line)
        out += fold("END:VCALENDAR")
        return bytes(out)


def generate(n_events: int, *, seed: int, around: datetime, years: int = 5) -> bytes:
    """Return a realistic VCALENDAR with exactly ``n_events`` VEVENTs, deterministic in seed.

    ``around`` is the centre of interest (naive = UTC); the calendar covers ``years`` years
    before it and ~4 months after it.
    """
    return _Gen(n_events, seed, around, years).run()


def _parse_around(text: str) -> datetime:
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, required=True, help="number of VEVENT components")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--around", type=_parse_around, required=True, help="ISO date or datetime")
    p.add_argument("--years", type=int, default=5, help="years of history before --around")
    p.add_argument("-o", "--output", type=Path, help="output file (default: stdout)")
    args = p.parse_args(argv)
    data = generate(args.events, seed=args.seed, around=args.around, years=args.years)
    if args.output is None:
        sys.stdout.buffer.write(data)
    else:
        args.output.write_bytes(data)
        print(f"{args.output}: {args.events} events, {len(data):,} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
