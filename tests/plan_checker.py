"""An independent checker of a week's plan against DESIGN §1–2.

Written apart from the planner, from the design text alone: it applies every move of a
plan to the calendar and verifies every hard constraint on the result, recomputing the
recovery windows itself from the guidance table and the profile's numbers. The planner's
tests (Hypothesis weeks) and the coach-labelled weeks run it on every plan they make.

``check_plan`` returns a list of :class:`Violation`; an empty list means the plan is one
the design allows. Constraints 1–7 are numbered as in DESIGN §2; the other checks have
names: ``recovery`` (a required resolution is missing), ``race``, ``instead``,
``date-only``, ``tolerance``, ``past``, ``plan`` (a malformed plan).

Where DESIGN leaves room, the checker reads it so (the planner must agree):
- a pair with a date-only side is judged in days (dates of the starts, in the profile's zone);
- the horizon bounds the shift either way: a session moves at most ``horizon_days`` from its
  own original time, and never to before ``now``;
- constraint 5's "unless the user's own plan already had that adjacency": a move may not bring
  a hard run closer than two days to another hard or long run than the two were originally
  (a back-to-back pair may stay back to back, but not become one day);
- constraint 6 counts runs per local day; a day may hold as many as the user's own plan had;
- a move keeps the session's length; a date-only move is whole days from local midnight;
- a day away is any local day an opaque all-day or > 24 h event touches, or any event whose
  title holds an away word — but never a workout's own event (plans export workouts as
  all-day events);
- training hours bind timed moves; a date-only move only avoids a weekday given no hours;
- a conflict counts as resolved when its run moves or gets an ``instead``, or its leg day
  moves or is lightened; one the plan leaves must have its run's title in a note.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from legday_sync.core.model import Event, TrainingRange, Workout

UTC = ZoneInfo("UTC")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIN_SHIFT = timedelta(hours=2)
INSTEAD_CAP = timedelta(minutes=60)
RECOVERY_RUN_CAP = timedelta(minutes=30)
KEY_INSTEAD_CAP = timedelta(minutes=90)

Key = tuple[tuple[str, str, str], str]  # (occurrence, kind): one workout


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``constraint`` is DESIGN §2's number (1–7) or a check's name."""

    constraint: int | str
    message: str

    def __str__(self) -> str:
        return f"[{self.constraint}] {self.message}"


@dataclass(frozen=True)
class _Placed:
    """A workout where the plan puts it."""

    workout: Workout
    start: datetime
    end: datetime
    all_day: bool
    moved: bool

    @property
    def kind(self) -> str:
        return self.workout.kind

    @property
    def title(self) -> str:
        return self.workout.event.title


def key_of(w: Workout) -> Key:
    return (w.event.occurrence, w.kind)


# -- the guidance, recomputed ---------------------------------------------------------

def window_hours(profile: object, leg: Workout, run: Workout) -> float | None:
    """DESIGN §1's table for ``profile``'s goal; None when the goal lets the run follow at once."""
    recovery = float(getattr(profile, "recovery_hours", 48))
    moderate = float(getattr(profile, "moderate_hours", 24))
    same_day = float(getattr(profile, "same_day_gap_hours", 6))
    extra = float(getattr(profile, "heavy_extra_hours", 24))
    rows: dict[str, dict[str, float | None]] = {
        "strength": {"easy": same_day, "moderate": recovery, "hard": recovery},
        "balanced": {"easy": None, "moderate": moderate, "hard": recovery},
        "running": {"easy": None, "moderate": None, "hard": recovery},
    }
    hours = rows[getattr(profile, "goal", "balanced")].get(run.intensity)
    if hours is not None and leg.intensity == "heavy" and run.intensity in ("moderate", "hard"):
        hours += extra
    return hours


def _date(t: datetime, tz: ZoneInfo) -> date:
    return t.astimezone(tz).date()


def _pair_gap(leg: _Placed, run: _Placed, tz: ZoneInfo) -> float | None:
    """The gap in hours (date-only pairs: whole days × 24), None when the run comes first."""
    if leg.all_day or run.all_day:
        days = (_date(run.start, tz) - _date(leg.start, tz)).days
        return None if days < 0 else days * 24.0
    if run.start < leg.start:
        return None
    return max(0.0, (run.start - leg.end).total_seconds() / 3600)


def _conflict(leg: _Placed, run: _Placed, profile: object) -> tuple[float, float] | None:
    """(gap, window) when ``run`` falls inside ``leg``'s recovery window."""
    if leg.workout.event is run.workout.event:  # one HYROX event is never paired with itself
        return None
    window = window_hours(profile, leg.workout, run.workout)
    if window is None:
        return None
    gap = _pair_gap(leg, run, getattr(profile, "tz", UTC))
    if gap is None or gap >= window:
        return None
    return gap, window


def conflict_pairs(workouts: Iterable[Workout], profile: object
                   ) -> list[tuple[Workout, Workout, float, float]]:
    """(leg day, run, gap, window) for every pair of the calendar as it stands, by brute force."""
    placed = [_Placed(w, w.start, w.end, w.event.all_day, False) for w in workouts]
    out = []
    for r in (p for p in placed if p.kind == "run"):
        for leg in (p for p in placed if p.kind == "leg_day"):
            c = _conflict(leg, r, profile)
            if c is not None:
                out.append((leg.workout, r.workout, *c))
    return out


# -- days away ---------------------------------------------------------------------------

def _fold(text: str) -> str:
    """Lower case without accents, so “Flúg” matches “flug” and “Dienstreise” “DIENSTREISE”."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _away_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    bodies = [r"\s+".join(re.escape(p) for p in _fold(w).split()) for w in words if w.strip()]
    if not bodies:
        return None
    return re.compile(rf"(?<!\w)(?:{'|'.join(sorted(bodies, key=len, reverse=True))})(?!\w)")


def _days_touched(start: datetime, end: datetime, tz: ZoneInfo) -> set[date]:
    """Local dates that [start, end) overlaps (an instant event: its date)."""
    first = _date(start, tz)
    last = _date(max(start, end - timedelta(microseconds=1)), tz)
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


def days_away(events: Iterable[Event], workout_keys: set[tuple[str, str, str]],
              away_words: Iterable[str], tz: ZoneInfo) -> dict[date, str]:
    """Local date -> the title of the event that makes it a day away."""
    pattern = _away_pattern(away_words)
    out: dict[date, str] = {}
    for e in events:
        if e.occurrence in workout_keys:
            continue  # a date-only workout is training, not absence
        opaque_long = not e.transparent and (e.all_day or e.end - e.start > timedelta(hours=24))
        if opaque_long or (pattern and pattern.search(_fold(e.title))):
            for d in _days_touched(e.start, e.end, tz):
                out.setdefault(d, e.title)
    return out


# -- training hours ----------------------------------------------------------------------

def _ranges_for(training_hours: Mapping[str, Sequence[TrainingRange]] | Sequence[TrainingRange],
                day: date) -> tuple[Sequence[TrainingRange], bool]:
    """The day's ranges, and whether the day was named explicitly (an empty day = no training)."""
    if not isinstance(training_hours, Mapping):
        return training_hours, False
    name = WEEKDAYS[day.weekday()]
    if name in training_hours:
        return training_hours[name], True
    return training_hours.get("default", ()), False


def _local_at(day: date, t: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, t).replace(tzinfo=tz).astimezone(UTC)


def _in_training_hours(start: datetime, end: datetime, ranges: Sequence[TrainingRange],
                       tz: ZoneInfo) -> bool:
    day = _date(start, tz)
    for r in ranges:
        lo = _local_at(day, r.start, tz)
        hi = (_local_at(day + timedelta(days=1), time(0), tz) if r.end == time.max
              else _local_at(day, r.end, tz))
        if lo <= start and end <= hi:
            return True
    return False


# -- the check ---------------------------------------------------------------------------

def _fmt(t: datetime, tz: ZoneInfo, all_day: bool = False) -> str:
    local = t.astimezone(tz)
    return local.strftime("%a %d %b") if all_day else local.strftime("%a %d %b %H:%M")


def target_of(s: object) -> Workout | None:
    """The session a suggestion acts on: the leg day for leg-day kinds, else the run."""
    kind = getattr(s, "kind", "")
    if kind in ("move-leg-day", "lighten") or getattr(s, "target", "run") == "leg_day":
        return getattr(s, "leg_day", None)
    return getattr(s, "run", None)


def _is_key(w: Workout) -> bool:
    return bool(getattr(w, "key", False) or getattr(w, "long", False))


def check_plan(*, workouts: Sequence[Workout], events: Sequence[Event],
               suggestions: Sequence[object], profile: object,
               training_hours: Mapping[str, Sequence[TrainingRange]] | Sequence[TrainingRange],
               horizon_days: int, away_words: Iterable[str], now: datetime,
               notes: Sequence[str] | None = None,
               until: datetime | None = None) -> list[Violation]:
    """Every way the plan (``suggestions`` applied to ``workouts``) breaks DESIGN §2.

    ``events`` are every event read (busy time and days away come from them; workouts'
    own events may be among them). ``notes``, when given, excuse a conflict the plan
    leaves unresolved if one of them names its run. ``until`` (optional): conflicts
    whose run starts at or after it are outside the reported window and need no
    resolution.
    """
    tz: ZoneInfo = getattr(profile, "tz", UTC)
    tolerance = float(getattr(profile, "tolerance_hours", 1))
    out: list[Violation] = []
    flag = out.append

    by_key = {key_of(w): w for w in workouts}
    original = {k: _Placed(w, w.start, w.end, w.event.all_day, False) for k, w in by_key.items()}

    # -- read the plan: which session each suggestion acts on -----------------------------
    moves: dict[Key, object] = {}
    insteads: dict[Key, list[object]] = {}
    lightened: set[Key] = set()
    for s in suggestions:
        kind = getattr(s, "kind", "")
        w = target_of(s)
        if w is None or key_of(w) not in by_key:
            flag(Violation("plan", f"{kind} suggestion “{getattr(s, 'title', '?')}” acts on no "
                                   f"workout of the calendar"))
            continue
        k = key_of(w)
        want = "leg_day" if kind in ("move-leg-day", "lighten") else "run"
        if w.kind != want:
            flag(Violation("plan", f"{kind} suggestion acts on the {w.kind} “{w.event.title}”"))
            continue
        if w.start < now:
            flag(Violation("past", f"{kind} suggestion for “{w.event.title}” "
                                   f"({_fmt(w.start, tz)}), which is already in the past"))
        if kind in ("move", "move-leg-day"):
            if k in moves:
                flag(Violation("plan", f"“{w.event.title}” ({_fmt(w.start, tz)}) is moved twice"))
                continue
            moves[k] = s
        elif kind == "instead":
            insteads.setdefault(k, []).append(s)
        elif kind == "lighten":
            lightened.add(k)
        else:
            flag(Violation("plan", f"unknown suggestion kind {kind!r}"))

    final = dict(original)
    for k, s in moves.items():
        o = original[k]
        final[k] = _Placed(o.workout, s.start, s.end,  # type: ignore[attr-defined]
                           bool(getattr(s, "all_day", False)), True)

    # -- original conflicts: what needs resolving ----------------------------------------
    actionable: dict[Key, list[tuple[Key, float, float]]] = {}  # run -> (leg, gap, window)
    tolerated: set[Key] = set()
    for leg, r, gap, window in conflict_pairs(by_key.values(), profile):
        if window - gap <= tolerance:
            tolerated.add(key_of(r))
        else:
            actionable.setdefault(key_of(r), []).append((key_of(leg), gap, window))

    # -- races, insteads, tolerance -------------------------------------------------------
    for k, s in moves.items():
        w = by_key[k]
        if w.race:
            flag(Violation("race", f"the race “{w.event.title}” ({_fmt(w.start, tz)}) is moved "
                                   f"to {_fmt(s.start, tz)}; a race keeps its date"))
    for k, ss in insteads.items():
        w = by_key[k]
        for s in ss:
            out.extend(_check_instead(w, s, tz))
    for k in set(moves) | set(insteads):
        w = by_key[k]
        if w.kind == "run" and k in tolerated and k not in actionable:
            flag(Violation("tolerance", f"“{w.event.title}” ({_fmt(w.start, tz)}) is within "
                                        f"{tolerance:g} h of the end of its window and gets "
                                        f"no suggestion"))
        elif k in insteads and k not in actionable:
            flag(Violation("tolerance", f"“{w.event.title}” ({_fmt(w.start, tz)}) is in no "
                                        f"recovery window, yet gets an instead"))
    leg_conflicted = {lk for cs in actionable.values() for lk, _, _ in cs}
    for s in suggestions:
        w = target_of(s)
        if getattr(s, "kind", "") != "lighten" or w is None or key_of(w) not in by_key:
            continue
        if key_of(w) not in leg_conflicted:
            flag(Violation("tolerance", f"“{w.event.title}” ({_fmt(w.start, tz)}) is lightened "
                                        f"though no run needs it to be"))
        out.extend(_check_lighten(w, s, tz))

    # -- every actionable future conflict is resolved or named ----------------------------
    for rk, cs in actionable.items():
        run = by_key[rk]
        if run.start < now or (until is not None and run.start >= until):
            continue
        for lk, gap, window in cs:
            if rk in moves or rk in insteads or lk in moves or lk in lightened:
                continue
            if notes is not None and any(run.event.title in n for n in notes):
                continue
            leg = by_key[lk]
            flag(Violation("recovery", f"“{run.event.title}” ({_fmt(run.start, tz)}) is "
                                       f"{gap:.2f} h after “{leg.event.title}” "
                                       f"({_fmt(leg.start, tz)}), inside its {window:g} h "
                                       f"window, and the plan neither resolves it nor says why"))

    # -- the hard constraints on every move ----------------------------------------------
    out.extend(_check_moves(final, original, moves, events, profile, tz, training_hours,
                            horizon_days, away_words, now))
    return out


def _check_lighten(leg: Workout, s: object, tz: ZoneInfo) -> list[Violation]:
    """A lighten note sits on the leg day itself: its date (date-only: a date-only event)."""
    start = s.start  # type: ignore[attr-defined]
    all_day = bool(getattr(s, "all_day", False))
    if _date(start, tz) != _date(leg.start, tz) or all_day != leg.event.all_day:
        what = "date-only " if leg.event.all_day else ""
        return [Violation("date-only" if leg.event.all_day else "plan",
                          f"the lighten note for the {what}leg day “{leg.event.title}” "
                          f"({_fmt(leg.start, tz, leg.event.all_day)}) is at "
                          f"{_fmt(start, tz, all_day)}, not on the leg day")]
    return []


def _check_instead(run: Workout, s: object, tz: ZoneInfo) -> list[Violation]:
    out = []
    title = run.event.title
    start, end = s.start, s.end  # type: ignore[attr-defined]
    if run.race:
        out.append(Violation("race", f"“{getattr(s, 'title', '')}” replaces the race “{title}” "
                                     f"({_fmt(run.start, tz)}); a race is never replaced"))
    if run.event.all_day:
        if not getattr(s, "all_day", False) or _date(start, tz) != _date(run.start, tz):
            out.append(Violation("date-only", f"the instead for the date-only “{title}” "
                                              f"({_fmt(run.start, tz, True)}) must be date-only "
                                              f"on that date, not {_fmt(start, tz)}–"
                                              f"{_fmt(end, tz)}"))
        return out
    if start != run.start:
        out.append(Violation("instead", f"the instead for “{title}” starts {_fmt(start, tz)}, "
                                        f"not at the run's time {_fmt(run.start, tz)}"))
    if getattr(s, "all_day", False):
        out.append(Violation("instead", f"the instead for the timed “{title}” is all-day"))
    length = end - start
    if _is_key(run):
        cap = KEY_INSTEAD_CAP
    elif getattr(s, "activity", "") == "easy_run":
        cap = RECOVERY_RUN_CAP
    else:
        cap = INSTEAD_CAP
    if length <= timedelta(0) or length > cap:
        out.append(Violation("instead", f"the instead for “{title}” lasts {length}, "
                                        f"over its cap of {cap}"))
    if length > max(run.end - run.start, RECOVERY_RUN_CAP):
        out.append(Violation("instead", f"the instead for “{title}” lasts {length}, longer "
                                        f"than the run ({run.end - run.start})"))
    if _is_key(run) and length < min(run.end - run.start, INSTEAD_CAP):
        out.append(Violation("instead", f"the instead for the key session “{title}” lasts only "
                                        f"{length}: it should keep the session's purpose"))
    return out


def _check_moves(final: dict[Key, _Placed], original: dict[Key, _Placed],
                 moves: Mapping[Key, object], events: Sequence[Event], profile: object,
                 tz: ZoneInfo,
                 training_hours: Mapping[str, Sequence[TrainingRange]] | Sequence[TrainingRange],
                 horizon_days: int, away_words: Iterable[str], now: datetime) -> list[Violation]:
    out: list[Violation] = []
    flag = out.append
    moved = [final[k] for k in sorted(moves)]
    workout_occ = {k[0] for k in final}
    moved_occ = {k[0] for k in moves}
    away = days_away(events, workout_occ, away_words, tz)
    # busy time: every opaque timed event, minus the slots the moved sessions left
    busy: list[tuple[datetime, datetime, str]] = []
    seen: set[tuple[str, str, str]] = set()
    for e in [*events, *(p.workout.event for p in original.values())]:
        if e.occurrence in seen or e.occurrence in moved_occ or not e.busy:
            continue
        seen.add(e.occurrence)
        busy.append((e.start, e.end, e.title))

    races = {_date(p.start, tz): p.title for p in final.values() if p.workout.race}

    def day_of(p: _Placed) -> date:
        return _date(p.start, tz)

    for p in moved:
        o = original[key_of(p.workout)]
        what = f"“{p.title}” (from {_fmt(o.start, tz, o.all_day)}, moved to " \
               f"{_fmt(p.start, tz, p.all_day)})"
        d = day_of(p)
        # 7: a real move; date-only stays date-only
        if o.all_day:
            # whole local days: midnight to midnight (23 or 25 real hours across DST)
            midnight = p.start.astimezone(tz).time() == time(0) == p.end.astimezone(tz).time()
            if not p.all_day or not midnight:
                flag(Violation(7, f"{what}: a date-only session moves to another date, "
                                  f"date-only"))
            elif d == day_of(o):
                flag(Violation(7, f"{what}: a date-only session must move to another date"))
        else:
            if p.all_day:
                flag(Violation(7, f"{what}: a timed session's move is all-day"))
            if abs(p.start - o.start) < MIN_SHIFT:
                flag(Violation(7, f"{what}: shifted by {abs(p.start - o.start)}, under 2 h"))
        if p.end <= p.start:
            flag(Violation("plan", f"{what}: ends before it starts"))
        elif not (o.all_day or p.all_day) and p.end - p.start != o.end - o.start:
            flag(Violation("plan", f"{what}: lasts {p.end - p.start}, the session "
                                   f"{o.end - o.start}"))
        # 1: training hours, horizon, busy time, days away; never into the past
        ranges, named = _ranges_for(training_hours, d)
        if p.all_day:
            if named and not ranges:
                flag(Violation(1, f"{what}: no training hours on {WEEKDAYS[d.weekday()]}"))
        elif not _in_training_hours(p.start, p.end, ranges, tz):
            flag(Violation(1, f"{what}: outside training hours "
                              f"{', '.join(map(str, ranges)) or '(none that day)'}"))
        if p.all_day or o.all_day:
            shift_days = abs((d - day_of(o)).days)
            if shift_days > horizon_days:
                flag(Violation(1, f"{what}: {shift_days} days away, beyond the horizon of "
                                  f"{horizon_days}"))
        elif abs(p.start - o.start) > timedelta(days=horizon_days):
            flag(Violation(1, f"{what}: beyond the horizon of {horizon_days} days"))
        if p.start < now:
            flag(Violation("past", f"{what}: moved into the past (now {_fmt(now, tz)})"))
        if not p.all_day:
            for bs, be, title in busy:
                if bs < p.end and p.start < be:
                    until = (f"{be.astimezone(tz):%H:%M}" if _date(be, tz) == _date(bs, tz)
                             else _fmt(be, tz))
                    flag(Violation(1, f"{what}: overlaps the busy event “{title}” "
                                      f"({_fmt(bs, tz)}–{until})"))
        touched = {d} if p.all_day else _days_touched(p.start, p.end, tz)
        for day in sorted(touched & away.keys()):
            flag(Violation(1, f"{what}: {day:%a %d %b} is a day away (“{away[day]}”)"))
        # 3: race day and its eve
        for day in (d, d + timedelta(days=1)):
            if day in races and not p.workout.race:
                when = "race day" if day == d else "the day before the race"
                flag(Violation(3, f"{what}: on {when} (“{races[day]}”)"))

    # moved sessions must not collide with each other either
    timed = [p for p in moved if not p.all_day]
    for i, a in enumerate(timed):
        for b in timed[i + 1:]:
            if a.start < b.end and b.start < a.end:
                flag(Violation(1, f"“{a.title}” and “{b.title}” are both moved to overlapping "
                                  f"slots ({_fmt(a.start, tz)}, {_fmt(b.start, tz)})"))

    legs = [p for p in final.values() if p.kind == "leg_day"]
    runs = [p for p in final.values() if p.kind == "run"]

    # 2: no recovery conflict that a move made or kept
    for r in runs:
        for leg in legs:
            if not (r.moved or leg.moved):
                continue
            c = _conflict(leg, r, profile)
            if c is not None:
                gap, window = c
                flag(Violation(2, f"after the moves “{r.title}” ({_fmt(r.start, tz, r.all_day)}) "
                                  f"is {gap:.2f} h after “{leg.title}” "
                                  f"({_fmt(leg.start, tz, leg.all_day)}), inside its "
                                  f"{window:g} h window"))

    # 4: a moved run not on a leg day's day; a moved leg day not on a hard run's day
    for p in moved:
        if p.kind == "run":
            for leg in legs:
                if day_of(leg) == day_of(p) and leg.workout.event is not p.workout.event:
                    flag(Violation(4, f"the moved run “{p.title}” ({_fmt(p.start, tz)}) is on "
                                      f"the day of the leg day “{leg.title}”"))
        else:
            for r in runs:
                if r.workout.intensity == "hard" and day_of(r) == day_of(p) \
                        and r.workout.event is not p.workout.event:
                    flag(Violation(4, f"the moved leg day “{p.title}” ({_fmt(p.start, tz)}) is "
                                      f"on the day of the hard run “{r.title}”"))

    # 5: no moved hard run next to another hard run or a long run, unless already so
    def demanding(p: _Placed) -> bool:
        return p.workout.intensity == "hard" or bool(getattr(p.workout, "long", False))

    for p in moved:
        if p.kind != "run" or p.workout.intensity != "hard":
            continue
        k = key_of(p.workout)
        for q in runs:
            qk = key_of(q.workout)
            if qk == k or not demanding(q):
                continue
            now_apart = abs((day_of(p) - day_of(q)).days)
            was_apart = abs((day_of(original[k]) - day_of(original[qk])).days)
            if now_apart <= 1 and now_apart < was_apart:
                rel = ("on the day of" if now_apart == 0 else
                       "the day before" if day_of(p) < day_of(q) else "the day after")
                flag(Violation(5, f"the moved hard run “{p.title}” ({_fmt(p.start, tz)}) is "
                                  f"{rel} “{q.title}” ({_fmt(q.start, tz, q.all_day)})"))

    # 6: one run a day, unless the user's own plan had a double that day
    def per_day(placed: Iterable[_Placed]) -> dict[date, list[_Placed]]:
        days: dict[date, list[_Placed]] = {}
        for p in placed:
            if p.kind == "run":
                days.setdefault(day_of(p), []).append(p)
        return days

    before, after = per_day(original.values()), per_day(final.values())
    for day, rs in sorted(after.items()):
        if len(rs) > max(1, len(before.get(day, ()))):
            flag(Violation(6, f"{len(rs)} runs on {day:%a %d %b}: "
                              f"{', '.join('“' + p.title + '”' for p in rs)}"))
    return out
