"""The plain pipeline a naive tool runs, as a baseline for speed and for results.

parse  = ``icalendar.Calendar.from_ical(data)`` + ``x_wr_timezone.to_standard(cal)``
expand = ``recurring_ical_events.of(cal).between(start, end)``

It pays for the whole file however small the window is (DESIGN.md §5, speed).
Cancelled overrides are kept, exactly as recurring-ical-events returns them.

CLI: ``python benchmarks/plain_pipeline.py FILE [--around 2026-11-24] [--days 21]
[--repeat 3]`` times parse and expand separately and prints the figures.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar
import recurring_ical_events
import x_wr_timezone

__all__ = ["expand", "normalise", "parse", "plain_events"]

Row = tuple[str, str, str, str]


def parse(data: bytes) -> icalendar.Calendar:
    cal = icalendar.Calendar.from_ical(data)
    return x_wr_timezone.to_standard(cal)


def expand(cal: icalendar.Calendar, start: date | datetime, end: date | datetime) -> list:
    return list(recurring_ical_events.of(cal).between(start, end))


def _iso(value: date | datetime) -> str:
    """UTC ISO 8601 for aware datetimes; floating times and dates as they are."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat()
        return value.astimezone(UTC).isoformat()
    return value.isoformat()


def normalise(events: list) -> list[Row]:
    rows = []
    for ev in events:
        rows.append((str(ev["UID"]), _iso(ev.start), _iso(ev.end), str(ev.get("SUMMARY", ""))))
    rows.sort()
    return rows


def plain_events(data: bytes, start: date | datetime, end: date | datetime) -> list[Row]:
    """Occurrences in [start, end) as sorted (uid, start UTC ISO, end UTC ISO, summary)."""
    return normalise(expand(parse(data), start, end))


def _time(fn):
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Time the plain parse + expand pipeline.")
    p.add_argument("file", type=Path)
    p.add_argument("--around", default="2026-11-24", help="window centre, ISO date/datetime")
    p.add_argument("--days", type=float, default=21, help="window length in days")
    p.add_argument("--repeat", type=int, default=3, help="runs; the median is reported")
    args = p.parse_args(argv)

    around = datetime.fromisoformat(args.around)
    if around.tzinfo is None:
        around = around.replace(tzinfo=UTC)
    half = timedelta(days=args.days / 2)
    start, end = around - half, around + half
    data = args.file.read_bytes()

    parse_s, expand_s, total_s = [], [], []
    n_events = n_occ = 0
    for i in range(args.repeat):
        tp, cal = _time(lambda: parse(data))
        te, events = _time(lambda cal=cal: expand(cal, start, end))
        tn, rows = _time(lambda events=events: normalise(events))
        parse_s.append(tp)
        expand_s.append(te + tn)
        total_s.append(tp + te + tn)
        n_events = len(cal.walk("VEVENT"))
        n_occ = len(rows)
        print(f"run {i + 1}: parse {tp:.2f} s, expand {te + tn:.2f} s", flush=True)
        del cal, events, rows

    def med(xs: list[float]) -> str:
        return f"{statistics.median(xs):.2f} s"

    print(f"file: {args.file} ({len(data):,} bytes, {n_events} VEVENTs)")
    print(f"window: {start.isoformat()} .. {end.isoformat()} -> {n_occ} occurrences")
    print(f"median of {args.repeat}: parse {med(parse_s)}, expand {med(expand_s)}, "
          f"total {med(total_s)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
