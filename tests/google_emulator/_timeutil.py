"""Time parsing/rendering and recurrence expansion helpers for the emulator."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rruleset, rrulestr

from ._errors import ApiError

MAX_INSTANCES_PER_SERIES = 2500
DEFAULT_HORIZON = timedelta(days=730)


def zone(name: str | None, fallback: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or fallback)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ApiError(400, "invalid", f"Invalid time zone definition: {name}") from exc


def parse_rfc3339(value: str, *, param: str) -> datetime:
    """Parse a timestamp that MUST carry an offset (as Google requires for timeMin etc.)."""
    try:
        dt = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError as exc:
        raise ApiError(
            400, "badRequest", f"Bad Request: invalid value for {param}: {value}"
        ) from exc
    if dt.tzinfo is None:
        raise ApiError(
            400, "badRequest", f"Bad Request: {param} must be an RFC3339 timestamp with offset"
        )
    return dt


def render(dt: datetime, tz: ZoneInfo) -> str:
    local = dt.astimezone(tz).replace(microsecond=0)
    if local.utcoffset() == timedelta(0):
        return local.strftime("%Y-%m-%dT%H:%M:%SZ")
    return local.isoformat()


def render_utc_ms(dt: datetime) -> str:
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_event_time(value: dict, cal_tz: str, *, which: str) -> datetime | date:
    """Return an aware datetime for a dateTime, or a date for all-day values."""
    if not isinstance(value, dict):
        raise ApiError(400, "required", f"Missing {which} time.")
    if value.get("date"):
        if value.get("dateTime"):
            raise ApiError(400, "invalid", f"Invalid {which} time.")
        try:
            return date.fromisoformat(value["date"])
        except (TypeError, ValueError) as exc:
            raise ApiError(400, "invalid", f"Invalid {which} time.") from exc
    if not value.get("dateTime"):
        raise ApiError(400, "required", f"Missing {which} time.")
    try:
        dt = datetime.fromisoformat(str(value["dateTime"]).replace("z", "Z"))
    except ValueError as exc:
        raise ApiError(400, "invalid", f"Invalid {which} time.") from exc
    if dt.tzinfo is None:
        if not value.get("timeZone"):
            raise ApiError(400, "required", f"Missing time zone definition for {which} time.")
        dt = dt.replace(tzinfo=zone(value["timeZone"], cal_tz))
    return dt


def normalize_time(value: dict, cal_tz: str, *, which: str) -> dict:
    """Normalize a start/end object the way Google echoes it back."""
    parsed = parse_event_time(value, cal_tz, which=which)
    if isinstance(parsed, datetime):
        out = {"dateTime": render(parsed, zone(value.get("timeZone"), cal_tz))}
        if value.get("timeZone"):
            out["timeZone"] = value["timeZone"]
        return out
    return {"date": parsed.isoformat()}


def to_utc_bounds(value: dict, cal_tz: str, *, which: str) -> datetime:
    parsed = parse_event_time(value, cal_tz, which=which)
    if isinstance(parsed, datetime):
        return parsed.astimezone(UTC)
    return datetime.combine(parsed, time(), tzinfo=zone(None, cal_tz)).astimezone(UTC)


def event_interval(ev: dict, cal_tz: str) -> tuple[datetime, datetime]:
    return (
        to_utc_bounds(ev["start"], cal_tz, which="start"),
        to_utc_bounds(ev["end"], cal_tz, which="end"),
    )


# --------------------------------------------------------------------------- recurrence

_SUFFIX_TIMED = re.compile(r"^\d{8}T\d{6}Z$")
_SUFFIX_DATE = re.compile(r"^\d{8}$")


def _fix_until(rule: str, all_day: bool, tz: ZoneInfo) -> str:
    def repl(m: re.Match) -> str:
        val = m.group(1)
        if all_day:
            return "UNTIL=" + val[:8]
        if len(val) == 8:  # date-only UNTIL on a timed series: end of that day (local)
            d = datetime.strptime(val, "%Y%m%d").replace(hour=23, minute=59, second=59, tzinfo=tz)
            return "UNTIL=" + d.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        if not val.endswith("Z"):
            d = datetime.strptime(val, "%Y%m%dT%H%M%S").replace(tzinfo=tz)
            return "UNTIL=" + d.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return "UNTIL=" + val

    return re.sub(r"UNTIL=([0-9TZ]+)", repl, rule, flags=re.IGNORECASE)


def _parse_date_list(name_params: list[str], value: str, all_day: bool, tz: ZoneInfo) -> list:
    params = {}
    for p in name_params[1:]:
        k, _, v = p.partition("=")
        params[k.upper()] = v
    ptz = ZoneInfo(params["TZID"]) if "TZID" in params else tz
    out = []
    for raw in value.split(","):
        raw = raw.strip()
        if not raw:
            continue
        if "/" in raw:  # PERIOD values: take the start
            raw = raw.split("/", 1)[0]
        if len(raw) == 8:
            d = datetime.strptime(raw, "%Y%m%d")
            out.append(d if all_day else d.replace(tzinfo=tz))
            continue
        if raw.endswith("Z"):
            d = datetime.strptime(raw, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        else:
            d = datetime.strptime(raw, "%Y%m%dT%H%M%S").replace(tzinfo=ptz)
        if all_day:
            out.append(datetime.combine(d.astimezone(tz).date(), time()))
        else:
            out.append(d.astimezone(tz))
    return out


class Series:
    """Expansion of a recurring master event."""

    def __init__(self, master: dict, cal_tz: str):
        self.master = master
        self.cal_tz = cal_tz
        start, end = master["start"], master["end"]
        self.all_day = "date" in start
        self.tz = zone(start.get("timeZone"), cal_tz)
        if self.all_day:
            self.dtstart = datetime.combine(date.fromisoformat(start["date"]), time())
            self.duration = date.fromisoformat(end["date"]) - date.fromisoformat(start["date"])
        else:
            self.dtstart = parse_event_time(start, cal_tz, which="start").astimezone(self.tz)
            self.duration = parse_event_time(end, cal_tz, which="end") - self.dtstart
        rset = rruleset()
        try:
            for line in master.get("recurrence") or []:
                name, _, value = line.partition(":")
                parts = name.split(";")
                key = parts[0].strip().upper()
                if key == "RRULE":
                    rset.rrule(
                        rrulestr(
                            "RRULE:" + _fix_until(value, self.all_day, self.tz),
                            dtstart=self.dtstart,
                        )
                    )
                elif key == "EXRULE":
                    rset.exrule(
                        rrulestr(
                            "RRULE:" + _fix_until(value, self.all_day, self.tz),
                            dtstart=self.dtstart,
                        )
                    )
                elif key == "EXDATE":
                    for d in _parse_date_list(parts, value, self.all_day, self.tz):
                        rset.exdate(d)
                elif key == "RDATE":
                    for d in _parse_date_list(parts, value, self.all_day, self.tz):
                        rset.rdate(d)
                else:
                    raise ValueError(line)
        except (ValueError, KeyError, ZoneInfoNotFoundError) as exc:
            raise ApiError(400, "invalid", f"Invalid recurrence rule: {exc}") from exc
        self.rset = rset

    def _utc(self, occ: datetime) -> datetime:
        if self.all_day:
            return occ.replace(tzinfo=zone(None, self.cal_tz)).astimezone(UTC)
        return occ.astimezone(UTC)

    def suffix(self, occ: datetime) -> str:
        if self.all_day:
            return occ.strftime("%Y%m%d")
        return occ.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    def occurrences(
        self, window_start: datetime | None, window_end: datetime | None
    ) -> Iterator[datetime]:
        """Local occurrence starts whose [start, start+duration) overlaps the UTC window."""
        n = 0
        for occ in self.rset:
            start_utc = self._utc(occ)
            if window_end is not None and start_utc >= window_end:
                return
            n += 1
            if n > MAX_INSTANCES_PER_SERIES:
                return
            if (
                window_start is not None
                and start_utc + self.duration <= window_start
                and not (self.duration == timedelta(0) and start_utc == window_start)
            ):
                continue
            yield occ

    def occurrence_for_suffix(self, suffix: str) -> datetime | None:
        if self.all_day:
            if not _SUFFIX_DATE.match(suffix):
                return None
            target = datetime.strptime(suffix, "%Y%m%d")
            lo, hi = target - timedelta(seconds=1), target + timedelta(seconds=1)
        else:
            if not _SUFFIX_TIMED.match(suffix):
                return None
            target = (
                datetime.strptime(suffix, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).astimezone(self.tz)
            )
            lo, hi = target - timedelta(seconds=1), target + timedelta(seconds=1)
        for occ in self.rset.between(lo, hi, inc=True):
            if self.suffix(occ) == suffix:
                return occ
        return None

    def original_start(self, occ: datetime) -> dict:
        if self.all_day:
            return {"date": occ.date().isoformat()}
        out = {"dateTime": render(occ, self.tz)}
        if self.master["start"].get("timeZone"):
            out["timeZone"] = self.master["start"]["timeZone"]
        return out

    def instance_times(self, occ: datetime) -> tuple[dict, dict]:
        if self.all_day:
            s = occ.date()
            return {"date": s.isoformat()}, {"date": (s + self.duration).isoformat()}
        start = {"dateTime": render(occ, self.tz)}
        end_tz = zone(self.master["end"].get("timeZone"), self.cal_tz)
        end = {"dateTime": render(occ + self.duration, end_tz)}
        if self.master["start"].get("timeZone"):
            start["timeZone"] = self.master["start"]["timeZone"]
        if self.master["end"].get("timeZone"):
            end["timeZone"] = self.master["end"]["timeZone"]
        return start, end
