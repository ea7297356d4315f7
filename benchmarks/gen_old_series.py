"""The "old series" calendar: long-running weekly series on top of years of history.

``generate_old_series(seed=..., around=..., age_days=None)`` returns the bytes of a
VCALENDAR made of the ``gen_calendar`` export (``n_history`` VEVENTs: 5 years of history,
its own series and overrides) plus ``n_series`` weekly series of the kind a real
calendar keeps for years: a gym class, a team meeting, a Sunday long run. Half of the
series end by COUNT, the rest are open; a few COUNT series ran out months ago. Some
series have EXDATEs and moved or cancelled occurrences near ``around``.

``age_days=None`` starts each series a random time up to ten years before ``around``;
a number starts every series that many days back (rounded to the series' weekday).
For one seed, calendars of different ages (30 days or more) hold the same occurrences
from ``around - 4 weeks`` onwards: the same weekdays, times, titles, exceptions, and
COUNTs that end on the same occurrence. That makes the series-age benchmark compare like with like.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from benchmarks.gen_calendar import (
    DAYS,
    LEG_DAY_TITLES,
    MEETING_TITLES,
    OTHER_TITLES,
    RUN_TITLES,
    escape_text,
    fmt_local,
    fmt_utc,
    fold,
    generate,
)

__all__ = ["MAX_AGE_DAYS", "generate_old_series"]

MAX_AGE_DAYS = 3652  # ten years


def generate_old_series(
    *,
    seed: int,
    around: datetime,
    age_days: int | None = None,
    n_series: int = 400,
    n_history: int = 20_000,
) -> bytes:
    """A VCALENDAR: ``n_history`` events of history plus ``n_series`` old weekly series."""
    if around.tzinfo is not None:
        around = around.astimezone(UTC).replace(tzinfo=None)
    base = generate(n_history, seed=seed, around=around)
    rng = random.Random(seed * 7919 + 1)  # the series don't depend on age_days
    age_rng = random.Random(seed * 104_729 + 3)
    dtstamp = fmt_utc(around.replace(tzinfo=UTC))
    anchor = around.date() - timedelta(weeks=4)  # occurrences from here on don't depend on age
    lines: list[str] = []
    for i in range(n_series):
        # mostly meetings and errands: a calendar's workouts are a few of its series
        kind = rng.choices(("leg", "run", "meeting", "other"), (2, 3, 70, 25))[0]
        if kind == "leg":
            title = rng.choice(LEG_DAY_TITLES)
        elif kind == "run":
            title = rng.choice(tuple(RUN_TITLES))
        elif kind == "meeting":
            title = rng.choice(MEETING_TITLES)
        else:
            title = rng.choice(OTHER_TITLES)
        weekday = rng.randrange(7)
        byday = [weekday] if rng.random() < 0.8 else sorted({weekday, (weekday + 2) % 7})
        workout = kind in ("leg", "run")
        hour = rng.choice((6, 7, 12, 17, 18, 19)) if workout else rng.randrange(8, 18)
        wall = time(hour, rng.choice((0, 15, 30, 45)))
        duration = timedelta(minutes=rng.choice((30, 45, 60, 75, 90, 120)))
        utc = rng.random() < 0.3
        ends = "count" if i % 2 else "open"
        remaining = rng.randint(-20, 120)  # occurrences after `anchor`; < 0: ran out before
        age = age_days if age_days is not None else age_rng.randint(35, MAX_AGE_DAYS)
        first = around.date() - timedelta(days=age)
        first += timedelta(days=(byday[0] - first.weekday()) % 7)
        start = datetime.combine(first, wall)
        uid = f"old-series-{seed}-{i:04d}@example.org"

        def dt_line(name: str, when: datetime, utc: bool = utc) -> str:
            if utc:
                return f"{name}:{fmt_local(when)}Z"
            return f"{name};TZID=Europe/Berlin:{fmt_local(when)}"

        rule = f"RRULE:FREQ=WEEKLY;WKST=MO;BYDAY={','.join(DAYS[d] for d in byday)}"
        if ends == "count":
            # the occurrences before the anchor, counted the slow and obvious way
            before = sum(
                1
                for k in range((anchor - first).days)
                if (first + timedelta(days=k)).weekday() in byday
            ) if anchor > first else 0
            rule += f";COUNT={max(1, before + remaining)}"
        exdates: list[datetime] = []
        overrides: list[tuple[datetime, bool]] = []
        if rng.random() < 0.3:
            week = rng.randint(-2, 3)
            slot = datetime.combine(
                around.date() + timedelta(days=(byday[0] - around.weekday()) % 7 + 7 * week), wall)
            if rng.random() < 0.5:
                exdates.append(slot)
            else:
                overrides.append((slot, rng.random() < 0.3))
        comp = [
            "BEGIN:VEVENT",
            dt_line("DTSTART", start),
            dt_line("DTEND", start + duration),
            rule,
            *(dt_line("EXDATE", ex) for ex in exdates),
            f"DTSTAMP:{dtstamp}",
            f"UID:{uid}",
            f"CREATED:{fmt_utc((around - timedelta(days=age + 1)).replace(tzinfo=UTC))}",
            "SEQUENCE:0",
            "STATUS:CONFIRMED",
            f"SUMMARY:{escape_text(title)}",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
        lines += comp
        for slot, cancelled in overrides:
            new = slot if cancelled else slot + timedelta(hours=rng.choice((-2, 1, 3)))
            lines += [
                "BEGIN:VEVENT",
                dt_line("DTSTART", new),
                dt_line("DTEND", new + duration),
                dt_line("RECURRENCE-ID", slot),
                f"DTSTAMP:{dtstamp}",
                f"UID:{uid}",
                "SEQUENCE:1",
                "STATUS:" + ("CANCELLED" if cancelled else "CONFIRMED"),
                f"SUMMARY:{escape_text(title)}",
                "END:VEVENT",
            ]
    series = b"".join(fold(line) for line in lines)
    end = b"END:VCALENDAR\r\n"
    assert base.endswith(end)
    return base[: -len(end)] + series + end
