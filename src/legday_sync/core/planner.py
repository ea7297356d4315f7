"""Conflicts + workouts + busy time + training hours -> suggestions: the week, planned jointly.

Every future run in a ``run-within-recovery`` conflict, and every future leg day in one, is a
*session* the planner may move. Each session gets candidate slots that already keep the
constraints against everything that stays put (training hours, busy time, days away, race
days and their eves, recovery windows both ways, one run a day, no hard days stacked, a shift
of at least 2 h; DESIGN §2). A depth-first branch-and-bound over the conflicts then picks, for
all of them at once, which session moves where, checking every moved session against every
other one as placed, and minimises, in order: conflicts left without a move, sessions moved,
moves on the side the guidance does not prefer (the leg day, unless it frees a race or a key
session), the total shift, and the distance from the original time of day. Ties go to the
earlier candidate in a fixed order, so the same calendar gives the same plan.

A conflict left without a move still gets advice: ``instead`` for the run, or ``lighten`` for
the leg day when the run is a race; and a note says which constraint blocked every move.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from .model import Conflict, Event, Suggestion, TrainingRange, Workout, digest
from .rules import EVIDENCE, RUN_WITHIN_RECOVERY, SEED_000, SEED_001, Profile, span_gap

if TYPE_CHECKING:
    from .classify import Classifier

STEP = timedelta(minutes=15)
UTC = ZoneInfo("UTC")
DAY = timedelta(days=1)
MIN_SHIFT = timedelta(hours=2)
INSTEAD_MAX = timedelta(minutes=60)
EASY_RUN_MAX = timedelta(minutes=30)
KEY_INSTEAD_MAX = timedelta(minutes=90)
#: search steps per group before the planner settles for the best plan found so far: the
#: quick pass, then the exact pass — a full budget for small groups (where it finishes and
#: is provably optimal), a short one for big groups (where it rarely beats the quick pass
#: and would cost a week's planning far more than 20 ms); see BENCHMARKS.md
QUICK_NODES = 200
EXACT_NODES = 5_000
EXACT_NODES_BIG = 100
EXACT_MAX = 6

ACTIVITIES = {
    "upper_body": ("Upper-body workout",
                   f"Upper-body work (push-ups, pull-ups, presses) keeps you training while the "
                   f"legs recover — {SEED_000}."),
    "walk": ("Walk", f"Walking keeps you moving at low impact on a recovery day — {SEED_000}."),
    "yoga": ("Yoga & stretching",
             f"Yoga and stretching ease sore legs without impact — {SEED_000}."),
    "easy_run": ("Easy recovery run (≤ 30 min, warm up first)",
                 f"An easy recovery run brings blood flow to tired legs; keep it short and "
                 f"low-intensity and warm up first — {SEED_001}."),
    "easy_long_run": ("Easy long run at conversational pace (≤ 90 min)",
                      f"This is a key session: keep its purpose, time on feet, but easy enough "
                      f"to talk the whole way and no longer than 90 minutes while the legs "
                      f"recover — {SEED_001}."),
}
LIGHTEN = "no 1RM, RPE ≤ 7, half the sets"

# lexicographic weights of the objective (each level's total stays below the next weight)
_W_TOD = 1
_W_SHIFT = 1 << 20
_W_SIDE = 1 << 48
_W_MOVED = 1 << 56
_W_OPEN = 1 << 64


@dataclass(frozen=True)
class Schedule:
    """When the person trains, how far a session may move, and what marks a day away."""

    #: daily ranges for every weekday without one of its own
    training_hours: tuple[TrainingRange, ...] = ()
    horizon_days: int = 7
    #: Monday..Sunday: that weekday's ranges, or None for ``training_hours`` (empty: none)
    weekday_hours: tuple[tuple[TrainingRange, ...] | None, ...] = ()
    #: words that mark a day away, beyond the vocabulary's (``[schedule] away``)
    away: tuple[str, ...] = ()

    def hours_on(self, weekday: int) -> tuple[TrainingRange, ...]:
        """The training ranges of a weekday (0 = Monday)."""
        own = self.weekday_hours[weekday] if self.weekday_hours else None
        return self.training_hours if own is None else own

    def away_pattern(self) -> re.Pattern[str] | None:
        """The config's own away words as one expression (None: it has none)."""
        words = sorted({w.strip().lower() for w in self.away if w.strip()}, key=len,
                       reverse=True)
        if not words:
            return None
        return re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, words)) + r")(?![\w-])",
                          re.I)


class Busy:
    """Disjoint, sorted busy intervals."""

    def __init__(self, intervals: Iterable[tuple[datetime, datetime]]) -> None:
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        for s, e in sorted(i for i in intervals if i[1] > i[0]):
            if self.ends and s <= self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], e)
            else:
                self.starts.append(s)
                self.ends.append(e)

    def between(self, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
        """The busy intervals that overlap [lo, hi)."""
        i = bisect.bisect_right(self.ends, lo)
        j = bisect.bisect_left(self.starts, hi)
        return list(zip(self.starts[i:j], self.ends[i:j], strict=True))


# (plain classes and named tuples rather than dataclasses: this module is imported on every
# start, and each dataclass costs milliseconds to build)
class Slot(NamedTuple):
    cost: int
    start: datetime
    end: datetime
    day: date


class Session:
    """A workout the planner may move, with the slots it may move to."""

    __slots__ = (
        "blocked",
        "candidates",
        "conflicts",
        "date_only",
        "day",
        "hard",
        "hard_or_long",
        "is_run",
        "movable",
        "w",
    )

    def __init__(self, w: Workout, movable: bool, day: date) -> None:
        self.w, self.movable, self.day = w, movable, day
        #: conflicts (indexes into the planned list) this session is part of
        self.conflicts: list[int] = []
        self.candidates: list[Slot] = []
        #: why each day of the horizon offers no slot, for the note when nothing fits
        self.blocked: dict[date, str] = {}
        # plain fields, read in the search's innermost loop
        self.is_run = w.kind == "run"
        self.date_only = w.event.all_day
        self.hard = self.is_run and w.intensity == "hard"
        self.hard_or_long = self.hard or w.long

    @property
    def best(self) -> int:
        return self.candidates[0].cost if self.candidates else _W_OPEN


class _Why(NamedTuple):
    """Why a recovery window rules a start out, worded on demand."""

    leg: Workout
    run: Workout
    hours: float
    for_run: bool
    tz: ZoneInfo

    def __str__(self) -> str:
        if self.for_run:
            return (f"within {self.hours:g} h of “{self.leg.event.title}” "
                    f"({_local(self.leg.start, self.tz)})")
        return (f"within {self.hours:g} h before “{self.run.event.title}” "
                f"({_local(self.run.start, self.tz)})")


class _Pos(NamedTuple):
    start: datetime
    end: datetime
    day: date
    moved: bool


def plan_week(conflicts: Sequence[Conflict], workouts: Sequence[Workout],
              busy_events: Iterable[Event], profile: Profile, schedule: Schedule,
              now: datetime, away_word: Callable[[Event], str | None] | None = None
              ) -> tuple[list[Suggestion], list[str]]:
    """Suggestions for every future ``run-within-recovery`` conflict, planned jointly, and
    notes on the conflicts no move could resolve (naming what blocked it).

    ``away_word`` finds the vocabulary's away word in an event (flight, Urlaub, vacances…;
    the classifier's ``away_word``); by default the built-in vocabulary's."""
    planned = [c for c in conflicts if c.rule == RUN_WITHIN_RECOVERY
               and c.severity == "conflict" and c.run.start >= now]
    if not planned:
        return [], []
    planned.sort(key=lambda c: (c.run.start, c.leg_day.start, c.id))
    if away_word is None:
        away_word = _builtin_classifier().away_word
    return _Planner(planned, workouts, busy_events, profile, schedule, now, away_word).run()


@cache
def _builtin_classifier() -> Classifier:
    from .classify import Classifier

    return Classifier()


def _key(w: Workout) -> tuple[str, tuple[str, str, str]]:
    return (w.kind, w.event.occurrence)


class _Planner:
    def __init__(self, planned: list[Conflict], workouts: Sequence[Workout],
                 busy_events: Iterable[Event], profile: Profile, schedule: Schedule,
                 now: datetime, away_word: Callable[[Event], str | None]) -> None:
        self.planned, self.profile, self.schedule, self.now = planned, profile, schedule, now
        self.away_word = away_word
        self.tz = profile.tz
        self.horizon = timedelta(days=schedule.horizon_days)
        #: sessions more local days apart than this can't interact (windows, neighbour days)
        self._far_days = int(profile.max_window_hours // 24) + 2
        self.sessions: dict[tuple[str, tuple[str, str, str]], Session] = {}
        for i, c in enumerate(planned):
            for w in (c.run, c.leg_day):
                s = self.sessions.get(_key(w))
                if s is None:
                    movable = w.start >= now and not (w.kind == "run" and w.race)
                    s = self.sessions[_key(w)] = Session(w, movable, self._date(w.start))
                s.conflicts.append(i)
        self.order = sorted(self.sessions.values(),
                            key=lambda s: (s.w.start, s.w.kind, s.w.event.uid))
        lo = min(s.w.start for s in self.order) - self.horizon - timedelta(
            hours=profile.max_window_hours) - 2 * DAY
        hi = max(s.w.end for s in self.order) + self.horizon + timedelta(
            hours=profile.max_window_hours) + 2 * DAY
        self.lo, self.hi = lo, hi
        near = [w for w in workouts if w.end > lo and w.start < hi]
        self.fixed = sorted((w for w in near if _key(w) not in self.sessions),
                            key=lambda w: (w.start, w.kind, w.event.uid))
        self._fixed_starts = [w.start for w in self.fixed]
        #: each workout's local start date, worked out once (the candidate loop's hot path)
        self._start_day = {id(w): self._date(w.start)
                           for w in [*self.fixed, *(s.w for s in self.order)]}
        self.races: dict[date, Workout] = {}
        for w in sorted(near, key=lambda w: w.start):
            if w.kind == "run" and w.race:
                self.races.setdefault(self._date(w.start), w)
        workout_events = {id(w.event) for w in workouts}
        events = [e for e in busy_events if e.end > lo and e.start < hi]
        self.busy = Busy((e.start, e.end) for e in events if e.busy)
        self.away = self._days_away(e for e in events if id(e) not in workout_events)
        for s in self.order:
            if s.movable:
                self._candidates(s)

    # ---- the world that stays put -------------------------------------------------------

    def _date(self, t: datetime) -> date:
        return t.astimezone(self.tz).date()

    def _days_away(self, events: Iterable[Event]) -> dict[date, str]:
        pattern = self.schedule.away_pattern()
        out: dict[date, str] = {}
        for e in events:
            long = not e.transparent and (e.all_day or e.end - e.start >= DAY)
            if not (long or (pattern is not None and pattern.search(e.title))
                    or self.away_word(e)):
                continue
            day, last = self._date(e.start), self._date(max(e.start, e.end - timedelta(
                microseconds=1)))
            while day <= last:
                out.setdefault(day, e.title)
                day += DAY
        return out

    def _day_blocked(self, s: Session, day: date) -> str | None:
        """Why ``day`` can't take ``s`` whatever the time (against what stays put)."""
        if day in self.away:
            return f"a day away (“{self.away[day]}”)"
        race = self.races.get(day)
        if race is not None:
            return f"race day (“{race.event.title}”)"
        race = self.races.get(day + DAY)
        if race is not None:
            return f"the day before “{race.event.title}”"
        if s.date_only and day == s.day:
            return "its own date"
        return None

    def _fixed_near(self, lo: datetime, hi: datetime) -> list[Workout]:
        i = bisect.bisect_left(self._fixed_starts, lo)
        out = []
        for w in self.fixed[i:]:
            if w.start >= hi:
                break
            out.append(w)
        return out

    # ---- candidate slots ----------------------------------------------------------------

    def _candidates(self, s: Session) -> None:
        w, tz = s.w, self.tz
        earliest = max(self.now, w.start - self.horizon)
        latest = w.start + self.horizon
        margin = timedelta(hours=self.profile.max_window_hours) + 2 * DAY
        fixed = self._fixed_near(earliest - margin, latest + margin)
        # the other sessions where they are now: they may move, so their windows only add
        # candidate times (the earliest start after a window), never rule times out
        # (only those whose windows can reach a start in [earliest, latest]: a window
        # lasts less than ``margin``, and a leg day's reaches back by its duration)
        lo, hi = earliest - margin, latest + margin + 2 * (w.end - w.start)
        # (of the other kind: only a leg day and a run make a recovery window)
        other_kind = "leg_day" if s.is_run else "run"
        others = [o.w for o in self.order if o is not s and not o.date_only
                  and o.w.kind == other_kind and o.w.end > lo and o.w.start < hi]
        # per-day blocks from the workouts that stay (one run a day, no run on a leg day, ...)
        day_rule: dict[date, str] = {}
        forbidden: list[tuple[datetime, datetime, _Why]] = []  # open intervals of starts
        soft: list[tuple[datetime, datetime]] = []
        dur = w.end - w.start
        n_fixed = len(fixed)
        start_day = self._start_day
        for k, f in enumerate([*fixed, *others]):
            is_fixed = k < n_fixed
            fday = start_day[id(f)]
            if is_fixed:
                for d, text in self._same_or_next_day(s, f, fday):
                    day_rule.setdefault(d, text)
            leg, run = (w, f) if not s.is_run else (f, w)
            if leg.kind != "leg_day" or run.kind != "run" or leg.event is run.event:
                continue
            window = self.profile.window_hours(leg, run)
            if window is None:
                continue
            # the reason is worded only where it is shown (most pairs never are)
            label = _Why(leg, run, window, s.is_run, tz)
            if s.date_only or f.event.all_day:
                if not is_fixed:
                    continue
                hours_needed = window
                for d in _days(fday - timedelta(days=8), fday + timedelta(days=8)):
                    gap = ((fday - d).days if not s.is_run else (d - fday).days)
                    if gap >= 0 and gap * 24 < hours_needed and d not in day_rule:
                        day_rule[d] = str(label)
                continue
            win = timedelta(hours=window)
            if s.is_run:  # run start in [leg.start, leg.end + window)
                span = (f.start - timedelta(microseconds=1), f.end + win)
            else:  # leg start in (run.start - dur - window, run.start]
                span = (f.start - dur - win, f.start + timedelta(microseconds=1))
            if is_fixed:
                forbidden.append((*span, label))
            else:
                soft.append(span)
        candidates: list[Slot] = []
        side = self._side_cost(s)
        for day in _days(self._date(earliest), self._date(latest)):
            why = self._day_blocked(s, day) or day_rule.get(day)
            if why:
                s.blocked[day] = why
                continue
            if s.date_only:
                if not self.schedule.hours_on(day.weekday()):
                    s.blocked[day] = "no training hours"
                    continue
                start = _day_start(day, tz)
                if not earliest <= start <= latest:
                    continue
                end_day = day + (self._date(w.end - timedelta(microseconds=1)) - s.day) + DAY
                shift = abs((day - s.day).days) * 1440
                candidates.append(Slot(_W_MOVED + side + shift * _W_SHIFT, start,
                                       _day_start(end_day, tz), day))
                continue
            found = self._slots_on(s, day, dur, earliest, latest, forbidden, soft, side)
            if isinstance(found, str):
                s.blocked[day] = found
            else:
                candidates.extend(found)
        candidates.sort(key=lambda c: (c.cost, c.start))
        s.candidates = candidates

    def _same_or_next_day(self, s: Session, f: Workout, fday: date
                          ) -> list[tuple[date, str]]:
        """Days ``f`` (staying put) rules out for ``s``."""
        title = f"“{f.event.title}”"
        if s.is_run and f.kind == "leg_day":
            return [(fday, f"leg day {title} that day")]
        if s.is_run and f.kind == "run":
            out = [(fday, f"already a run that day ({title})")]
            if s.w.intensity == "hard" and (f.intensity == "hard" or f.long) \
                    and abs((fday - s.day).days) > 1:
                out += [(fday - DAY, f"the day before hard run {title}"),
                        (fday + DAY, f"the day after hard run {title}")]
            return out
        if not s.is_run and f.kind == "run" and f.intensity == "hard":
            return [(fday, f"hard run {title} that day")]
        if not s.is_run and f.kind == "leg_day":
            return [(fday, f"another leg day that day ({title})")]
        return []

    def _slots_on(self, s: Session, day: date, dur: timedelta, earliest: datetime,
                  latest: datetime, forbidden: list[tuple[datetime, datetime, _Why]],
                  soft: list[tuple[datetime, datetime]], side: int) -> list[Slot] | str:
        tz, w = self.tz, s.w
        ranges = self.schedule.hours_on(day.weekday())
        if not ranges:
            return "no training hours"
        free: list[tuple[datetime, datetime]] = []  # closed intervals of allowed starts
        for r in ranges:
            a = _at(day, r.start, tz)
            b = (_day_start(day + DAY, tz) if r.end == time.max else _at(day, r.end, tz)) - dur
            a, b = max(a, earliest), min(b, latest)
            if a <= b:
                free.append((a, b))
        if not free:
            return "no training slot long enough"
        day_lo, day_hi = free[0][0], free[-1][1] + dur
        blocks = [(x - dur, y) for x, y in self.busy.between(day_lo, day_hi)]
        blocks.append((w.start - MIN_SHIFT, w.start + MIN_SHIFT))
        free = _subtract(free, blocks)
        if not free:
            return "busy through the training hours"
        windows = [f for f in forbidden if f[0] < day_hi and f[1] > day_lo]
        left = _subtract(free, [(p, q) for p, q, _ in windows])
        if not left:
            biggest = max(windows, key=lambda f: min(f[1], day_hi) - max(f[0], day_lo))
            return str(biggest[2])
        softs = [(p, q) for p, q in soft if p < day_hi and q > day_lo]
        if softs:
            left = left + _subtract(left, softs)
        target_tod = w.start.astimezone(tz)
        target = _at(day, target_tod.time().replace(tzinfo=None), tz)
        orig_minutes = target_tod.hour * 60 + target_tod.minute
        out: dict[datetime, Slot] = {}
        for a, b in left:
            first, last = _ceil(a), _floor(b)
            if first > last:
                continue
            near = _ceil(min(max(target, first), last))
            # the earliest start and the one nearest the usual time of day: the rest of the
            # interval is only later and further off
            for t in {first, near if near <= last else last}:
                local = t.astimezone(tz)
                tod = abs(local.hour * 60 + local.minute - orig_minutes)
                shift = int(abs((t - w.start).total_seconds()) // 60)
                out[t] = Slot(_W_MOVED + side + shift * _W_SHIFT + tod * _W_TOD, t, t + dur,
                              day)
        return list(out.values()) or "no free quarter hour in the training hours"

    def _side_cost(self, s: Session) -> int:
        """A move on the side the guidance doesn't prefer: a key run, or a leg day that frees
        no race or key session."""
        if s.is_run:
            return _W_SIDE if s.w.key or s.w.long else 0
        protects = any(self.planned[i].run.race or self.planned[i].run.key
                       or self.planned[i].run.long for i in s.conflicts)
        return 0 if protects else _W_SIDE

    # ---- the pair constraints between moved sessions ------------------------------------

    def _compatible(self, a: Session, pa: _Pos, b: Session, pb: _Pos) -> bool:
        """Whether two sessions at these positions (at least one moved) keep DESIGN §2."""
        days = (pa.day - pb.day).days
        if days > self._far_days or -days > self._far_days or a.w.event is b.w.event:
            return True  # too far apart for any window, neighbour day or overlap
        date_only = a.date_only or b.date_only
        if not date_only and pa.start < pb.end and pb.start < pa.end:
            return False
        if a.is_run and b.is_run:
            if pa.day == pb.day:
                return False
            # a moved hard run next to another hard or long run, unless the plan had that
            return not (-1 <= days <= 1 and abs((a.day - b.day).days) > 1 and (
                (pa.moved and a.hard and b.hard_or_long) or
                (pb.moved and b.hard and a.hard_or_long)))
        if not a.is_run and not b.is_run:
            return pa.day != pb.day
        (leg, pl), (run, pr) = ((a, pa), (b, pb)) if b.is_run else ((b, pb), (a, pa))
        if days == 0 and (pr.moved or (pl.moved and run.hard)):
            return False
        window = self.profile.window_hours(leg.w, run.w)
        if window is None:
            return True
        gap = span_gap(pl.start, pl.end, pr.start, date_only, self.tz)
        return gap is None or gap >= window

    # ---- the search ---------------------------------------------------------------------

    def run(self) -> tuple[list[Suggestion], list[str]]:
        self.nodes = 0
        plan: dict[int, Slot] = {}
        for group in self._independent_groups():
            # A quick pass where every move must also fit where the other sessions are now
            # gives a good plan at once; the exact pass, where a session may take a place
            # another move frees, then only has to beat it (within a budget of search steps).
            best = self._search(group, strict=True, budget=QUICK_NODES)
            budget = EXACT_NODES if len(group) <= EXACT_MAX else EXACT_NODES_BIG
            best = self._search(group, strict=False, budget=budget, incumbent=best)
            plan.update(best[1])
        return self._emit(plan)

    def _independent_groups(self) -> list[list[int]]:
        """Conflicts in groups no move of one can reach the other's (solved apart, exactly)."""
        reach = timedelta(hours=self.profile.max_window_hours) + 2 * DAY
        self.reach: dict[int, tuple[datetime, datetime]] = {}
        for s in self.order:
            times = [s.w.start, s.w.end, *(x.start for x in s.candidates),
                     *(x.end for x in s.candidates)]
            self.reach[id(s)] = (min(times) - reach, max(times) + reach)
        spans = []
        for i, c in enumerate(self.planned):
            (a, b), (x, y) = (self.reach[id(self.sessions[_key(w)])] for w in (c.run, c.leg_day))
            spans.append((min(a, x), max(b, y), i))
        spans.sort()
        groups: list[list[int]] = []
        end: datetime | None = None
        for lo, hi, i in spans:
            if end is None or lo >= end:
                groups.append([])
                end = hi
            groups[-1].append(i)
            end = max(end, hi)
        # sessions shared by conflicts of one group stay in that group (spans overlap then)
        return [sorted(g) for g in groups]

    def _search(self, group: list[int], strict: bool, budget: int,
                incumbent: tuple[int, dict[int, Slot]] | None = None
                ) -> tuple[int, dict[int, Slot]]:
        """Branch and bound over the conflicts of ``group``, in order; each is resolved by
        moving its run or its leg day to one of their candidate slots, or left open."""
        search = _Search(self, group, strict, budget, incumbent)
        search.dfs(0, 0)
        if strict and not search.found:
            search.greedy()  # too deep for the budget to reach a first complete plan
        self.nodes += search.nodes
        return search.best_cost, search.best_plan

    def _solo(self, s: Session, other: Session) -> int:
        """The cheapest slot of ``s`` that keeps every constraint with ``other`` where it is."""
        if not s.movable:
            return _W_OPEN
        here = _Pos(other.w.start, other.w.end, other.day, False)
        for slot in s.candidates:
            if self._compatible(s, _Pos(slot.start, slot.end, slot.day, True), other, here):
                return slot.cost
        return _W_OPEN

    # ---- suggestions and notes ----------------------------------------------------------

    def _emit(self, plan: dict[int, Slot]) -> tuple[list[Suggestion], list[str]]:
        tz, profile = self.tz, self.profile
        out: list[Suggestion] = []
        notes: list[str] = []
        by_session: dict[int, list[Conflict]] = {}
        #: leg day -> (where its note goes, the races it can't move away from)
        before_races: dict[int, tuple[int, list[Conflict]]] = {}
        for c in self.planned:
            for w in (c.run, c.leg_day):
                by_session.setdefault(id(self.sessions[_key(w)]), []).append(c)
        for s in self.order:
            group = by_session[id(s)]
            slot = plan.get(id(s))
            if s.is_run and slot is not None:
                binding = max(group, key=_recovery_end)
                move = _move(binding, slot, profile)
                instead = _instead(binding, profile, alternative=move)
                out.append(_with_alternative(move, instead, tz))
                out.append(instead)
            elif not s.is_run and slot is not None:
                binding = min(group, key=lambda c: (c.run.start, c.id))
                runs = list(dict.fromkeys(self.sessions[_key(c.run)] for c in group))
                if any(r.w.race or r.w.key or r.w.long for r in runs):
                    reason = ""
                elif len(runs) > 1:
                    reason = (f"One move of the leg day frees {len(runs)} runs; moving the runs "
                              f"would change {len(runs)} sessions. ")
                else:
                    reason = (f"“{runs[0].w.event.title}” has nowhere better to go: "
                              f"{self._why_stuck(runs[0], plan)}. ")
                out.append(_move_leg(binding, group, slot, profile, reason))
        for s in self.order:
            if not s.is_run or id(s) in plan:
                continue
            open_ = [c for c in by_session[id(s)]
                     if id(self.sessions[_key(c.leg_day)]) not in plan]
            if not open_:
                continue
            if s.w.race:
                for c in open_:  # races in order: a leg day's first race comes first
                    leg_id = id(self.sessions[_key(c.leg_day)])
                    if leg_id not in before_races:
                        before_races[leg_id] = (len(notes), [])
                        notes.append("")  # its place among the notes, written below
                    before_races[leg_id][1].append(c)
                continue
            binding = max(open_, key=_recovery_end)
            out.append(_instead(binding, profile, alternative=None))
            leg = self.sessions[_key(binding.leg_day)]
            text = (f"No slot to move “{s.w.event.title}” ({_local(s.w.start, tz)}): "
                    f"{self._why_stuck(s, plan)}")
            if leg.w.start >= self.now:
                text += (f"; and “{leg.w.event.title}” ({_local(leg.w.start, tz)}) can't move "
                         f"either: {self._why_stuck(leg, plan)}")
            notes.append(text + ". Suggested instead: an easier session at the run's time.")
        for at, races in before_races.values():
            notes[at] = self._lighten_for_races(races, plan, out)
        out.sort(key=lambda x: (x.start, x.kind, x.id))
        return out, notes

    def _lighten_for_races(self, races: list[Conflict], plan: dict[int, Slot],
                           out: list[Suggestion]) -> str:
        """A leg day that can't move away from the races it precedes: one lighten note on
        it (not one per race: a leg day before five races is still one session) and one
        note naming every race."""
        first, tz = races[0], self.tz
        leg = self.sessions[_key(first.leg_day)]
        why = self._why_stuck(leg, plan)
        future = first.leg_day.start >= self.now
        if future:
            out.append(_lighten(first, why, self.profile, [c.run for c in races[1:]]))
        names = ", ".join(f"“{c.run.event.title}” ({_local(c.run.start, tz)})" for c in races)
        are = "is a race and keeps its date" if len(races) == 1 else \
            "are races and keep their dates"
        return (f"{names} {are}; “{first.leg_day.event.title}” "
                f"({_local(first.leg_day.start, tz)}) can't move: {why}."
                + (" Suggested: lighten it." if future else ""))

    def _why_stuck(self, s: Session, plan: dict[int, Slot]) -> str:
        if s.w.start < self.now:
            return "it is already under way or past"
        if s.is_run and s.w.race:
            return "it is a race"
        blocked = dict(s.blocked)
        for slot in s.candidates:  # each slot left clashes with another session, as planned
            if slot.day not in blocked:
                blocked[slot.day] = self._clash_reason(s, slot, plan)
        if not blocked:
            return (f"nothing free inside training hours within {self.schedule.horizon_days} "
                    f"day(s) of it")
        parts: list[str] = []
        days = sorted(blocked)
        i = 0
        while i < len(days):
            j = i
            while j + 1 < len(days) and days[j + 1] == days[j] + DAY and \
                    blocked[days[j + 1]] == blocked[days[i]]:
                j += 1
            span = (f"{days[i]:%a %d %b}" if i == j
                    else f"{days[i]:%a %d}–{days[j]:%a %d %b}")
            parts.append(f"{span}: {blocked[days[i]]}")
            i = j + 1
        return "; ".join(parts)

    def _clash_reason(self, s: Session, slot: Slot, plan: dict[int, Slot]) -> str:
        """In words, which other session (where the plan leaves it) rules ``slot`` out."""
        p = _Pos(slot.start, slot.end, slot.day, True)
        # first against the calendar as it is, then against the plan's other moves
        where = [(t, None) for t in self.order if t is not s] + [
            (t, plan[id(t)]) for t in self.order if t is not s and id(t) in plan]
        for t, moved in where:
            pt = (_Pos(moved.start, moved.end, moved.day, True) if moved
                  else _Pos(t.w.start, t.w.end, t.day, False))
            if self._compatible(s, p, t, pt):
                continue
            title = f"“{t.w.event.title}”" + (" (as moved)" if moved else "")
            if s.is_run and t.is_run:
                return (f"already a run that day ({title})" if pt.day == p.day
                        else f"next to hard run {title}")
            if not s.is_run and not t.is_run:
                return f"another leg day that day ({title})"
            if pt.day == p.day:
                return f"{'leg day' if not t.is_run else 'hard run'} {title} that day"
            return f"inside a recovery window with {title}"
        return "taken by another move of this plan"


class _Search:
    """One branch and bound over a group's conflicts, in order (``_Planner._search``).

    The state every step shares lives here: where each session is (``pos``), which have
    moved (``moved``) and which must stay from now on (``stay``), and the best plan so far
    (the incumbent). Each step changes that state, recurses, and puts it back."""

    __slots__ = ("best_cost", "best_plan", "budget", "cheapest", "clash_cache", "compatible",
                 "found", "last", "moved", "n", "near", "nodes", "original", "pair_ids", "pairs",
                 "pos", "sessions", "stay", "strict")

    def __init__(self, planner: _Planner, group: list[int], strict: bool, budget: int,
                 incumbent: tuple[int, dict[int, Slot]] | None) -> None:
        self.compatible = planner._compatible
        #: strict (the quick pass): a move must also fit where every other session is now
        self.strict, self.budget, self.nodes = strict, budget, 0
        self.pairs = [(planner.sessions[_key(planner.planned[g].run)],
                       planner.sessions[_key(planner.planned[g].leg_day)]) for g in group]
        self.n = len(self.pairs)
        self.pair_ids = [(id(r), id(leg), r.movable, leg.movable) for r, leg in self.pairs]
        self.sessions = list(dict.fromkeys(s for pair in self.pairs for s in pair))
        self.pos = {id(s): _Pos(s.w.start, s.w.end, s.day, False) for s in self.sessions}
        self.original = dict(self.pos)
        # the sessions a session's moves can reach at all (the only ones to check it against)
        reach = [(s, *planner.reach[id(s)]) for s in self.sessions]
        self.near: dict[int, list[Session]] = {
            id(s): [t for t, t_lo, t_hi in reach if t is not s and t_lo < s_hi and s_lo < t_hi]
            for s, s_lo, s_hi in reach}
        self.moved: dict[int, Slot] = {}
        self.stay: set[int] = set()
        self.best_cost = incumbent[0] if incumbent else _W_OPEN * (self.n + 1)
        self.best_plan: dict[int, Slot] = incumbent[1] if incumbent else {}
        #: whether a complete plan was reached (the incumbent counts)
        self.found = incumbent is not None
        #: the last conflict that may still move a session: after it, it stays put
        self.last: dict[int, int] = {}
        share: dict[int, int] = {}
        for j, pair in enumerate(self.pairs):
            for s in pair:
                self.last[id(s)] = j
                share[id(s)] = share.get(id(s), 0) + 1
        self.cheapest = self._cheapest(planner, share)
        #: (session, slot) -> the sessions it clashes with where they are in the calendar
        self.clash_cache: dict[tuple[int, datetime], frozenset[int]] = {}

    def _cheapest(self, planner: _Planner, share: dict[int, int]) -> list[int]:
        """The cheapest way each conflict can be resolved, for the lower bound: one side
        moving where the other one is now, or both moving (a session shared by several
        conflicts counts its share in each, so the bound never overestimates)."""
        return [min(_W_OPEN,
                    planner._solo(r, leg) // share[id(r)], planner._solo(leg, r) // share[id(leg)],
                    r.best // share[id(r)] + leg.best // share[id(leg)])
                for r, leg in self.pairs]

    # ---- checks against the plan as it stands --------------------------------------------

    def fits(self, s: Session, slot: Slot, i: int, skip: Session | None = None) -> bool:
        """Whether ``s`` may move to ``slot`` while deciding conflict ``i``: it must keep
        every constraint with the moves made, and with each session that stays put."""
        p = _Pos(slot.start, slot.end, slot.day, True)
        near, moved, compatible = self.near[id(s)], self.moved, self.compatible
        key = (id(s), slot.start)
        clash = self.clash_cache.get(key)
        if clash is None:  # against the calendar as it is: the same on every visit
            original = self.original
            clash = self.clash_cache[key] = frozenset(
                id(t) for t in near if not compatible(s, p, t, original[id(t)]))
        for t in near:
            tid = id(t)
            if t is skip:
                continue
            if tid in moved:
                if not compatible(s, p, t, self.pos[tid]):
                    return False
            elif tid in clash and (self.strict or tid in self.stay or self.last[tid] <= i):
                return False  # where it is, and it stays (or may not move any more)
        return True

    def undecided_ok(self) -> bool:
        """Whether every session neither moved nor held still keeps the constraints with
        the moves where it is (it stays there when the plan is complete)."""
        moved, stay, pos = self.moved, self.stay, self.pos
        for t in self.sessions:
            tid = id(t)
            if tid in moved or tid in stay:
                continue
            for m in self.near[tid]:
                if id(m) in moved and not self.compatible(t, pos[tid], m, pos[id(m)]):
                    return False
        return True

    def stays_ok(self, s: Session) -> bool:
        pos, moved = self.pos, self.moved
        return all(self.compatible(s, pos[id(s)], m, pos[id(m)])
                   for m in self.near[id(s)] if id(m) in moved)

    def bound(self, i: int, exclude: tuple[Session, ...]) -> int:
        """A lower bound on the cost of conflicts i.. not touching ``exclude``."""
        moved, stay, total = self.moved, self.stay, 0
        out = {id(s) for s in exclude}
        for j in range(i, self.n):  # the search's inner loop: ids only, no attribute lookups
            rid, lid, r_movable, leg_movable = self.pair_ids[j]
            if rid in moved or lid in moved or rid in out or lid in out:
                continue
            if (rid in stay or not r_movable) and (lid in stay or not leg_movable):
                total += _W_OPEN
            else:
                total += self.cheapest[j]
        return total

    # ---- the steps of the search ---------------------------------------------------------

    def dfs(self, i: int, cost: int) -> None:
        """Decide conflict ``i`` every way the bound and the budget allow, cheapest first."""
        self.nodes += 1
        if i == self.n:
            self._complete(cost)
            return
        if self.nodes > self.budget:
            return
        r, leg = self.pairs[i]
        rest = self.bound(i + 1, (r, leg))
        done = id(r) in self.moved or id(leg) in self.moved
        if done:  # resolved by an earlier move: the other side stays, if it can
            self._hold(i, cost, [s for s in (r, leg) if id(s) not in self.moved
                                 and id(s) not in self.stay and self.last[id(s)] <= i])
        for c, _, s, slot in self._options(r, leg):
            # best_cost may drop inside the loop: the bound tightens as better plans turn up
            if cost + c + rest >= self.best_cost or self.nodes > self.budget:
                break
            self._try(i, cost, rest, s, leg if s is r else r, slot)
        # leave this conflict without a move: both sessions stay where they are
        if done or cost + _W_OPEN + rest >= self.best_cost or self.nodes > self.budget:
            return
        self._hold(i, cost + _W_OPEN, [s for s in (r, leg) if id(s) not in self.stay])

    def _complete(self, cost: int) -> None:
        """A complete plan: the new incumbent if it is cheaper and every session it leaves
        where it is still fits."""
        if cost < self.best_cost and self.undecided_ok():
            self.best_cost = cost
            self.best_plan = dict(self.moved)
            self.found = True

    def greedy(self) -> None:
        """A complete plan without backtracking (and without recursion, whatever the
        group's depth): each conflict in order takes its cheapest move that fits the moves
        before it and every session where it is now (the strict pass's rule), or stays
        open. For groups so deep that the budget ran out before the search's first descent
        reached the end: without it, such a group got no move at all."""
        assert self.strict and not self.moved
        cost = 0
        for i, (r, leg) in enumerate(self.pairs):
            if id(r) in self.moved or id(leg) in self.moved:
                continue  # resolved by an earlier move
            for c, _, s, slot in self._options(r, leg):
                if self.fits(s, slot, i):
                    self._place(s, slot)
                    cost += c
                    break
            else:
                cost += _W_OPEN
        self._complete(cost)
        for sid in list(self.moved):
            del self.moved[sid]
            self.pos[sid] = self.original[sid]

    def _options(self, r: Session, leg: Session) -> list[tuple[int, int, Session, Slot]]:
        """Every move that could resolve the conflict, cheapest first; ties go to the run,
        then the earlier slot, so the same calendar gives the same plan."""
        options: list[tuple[int, int, Session, Slot]] = []
        for k, s in enumerate((r, leg)):
            if s.movable and id(s) not in self.stay and id(s) not in self.moved:
                options.extend((slot.cost, k, s, slot) for slot in s.candidates)
        options.sort(key=lambda o: (o[0], o[1], o[3].start))
        return options

    def _try(self, i: int, cost: int, rest: int, s: Session, other: Session,
             slot: Slot) -> None:
        """Move ``s`` to ``slot`` and recurse; if it lands where ``other`` (still free to
        move) is now, the two trade places: ``other`` must move too."""
        free = other.movable and id(other) not in self.stay and id(other) not in self.moved
        if not self.fits(s, slot, i, skip=other if free else None):
            return
        self._place(s, slot)
        if free and id(other) in self.clash_cache[(id(s), slot.start)]:
            self._swap(i, cost + slot.cost, rest, other)
        else:
            self.dfs(i + 1, cost + slot.cost)
        self._unplace(s)

    def _swap(self, i: int, cost: int, rest: int, other: Session) -> None:
        """The move just made clashes with ``other`` where it is: move it too."""
        for slot in other.candidates:
            if cost + slot.cost + rest >= self.best_cost or self.nodes > self.budget:
                break
            if not self.fits(other, slot, i):
                continue
            self._place(other, slot)
            self.dfs(i + 1, cost + slot.cost)
            self._unplace(other)

    def _hold(self, i: int, cost: int, sides: list[Session]) -> None:
        """Recurse with ``sides`` staying where they are from here on, if that fits the
        moves made so far."""
        if not all(self.stays_ok(s) for s in sides):
            return
        self.stay.update(id(s) for s in sides)
        self.dfs(i + 1, cost)
        self.stay.difference_update(id(s) for s in sides)

    def _place(self, s: Session, slot: Slot) -> None:
        self.moved[id(s)] = slot
        self.pos[id(s)] = _Pos(slot.start, slot.end, slot.day, True)

    def _unplace(self, s: Session) -> None:
        del self.moved[id(s)]
        self.pos[id(s)] = self.original[id(s)]


# ---- the suggestions' words --------------------------------------------------------------

def _recovery_end(c: Conflict) -> tuple[datetime, str]:
    return (c.leg_day.end + timedelta(hours=c.window_hours or 0), c.id)


def choose_activity(goal: str, binding: Conflict) -> str:
    if binding.run.key or binding.run.long:
        return "easy_long_run"
    if goal == "strength":
        return "upper_body"
    if goal == "running":
        return "easy_run"
    # Soon after leg day, or after a heavy one, legs are sorest: stretch rather than walk.
    if binding.leg_day.intensity == "heavy" or binding.gap_hours < 12:
        return "yoga"
    return "walk"


def suggestion_id(binding: Conflict, kind: str) -> str:
    return digest(binding.rule, *binding.leg_day.event.occurrence, *binding.run.event.occurrence,
                  kind)


def _local(t: datetime, tz: ZoneInfo) -> str:
    return t.astimezone(tz).strftime("%a %d %b %H:%M")


def _when(w: Workout, tz: ZoneInfo) -> str:
    return f"{w.start.astimezone(tz):%a %d %b}" if w.event.all_day else _local(w.start, tz)


def _slot_text(start: datetime, end: datetime, all_day: bool, tz: ZoneInfo) -> str:
    if all_day:
        return f"{start.astimezone(tz):%a %d %b}"
    return f"{_local(start, tz)}–{end.astimezone(tz):%H:%M}"


def how_to_dismiss(suggestion_id: str) -> str:
    """The description's last line: how to be rid of a suggestion, in every kind of calendar
    (a subscribed feed can't be edited, so "delete this event" is not enough)."""
    short = suggestion_id[:8]
    return (f"Suggested by legday-sync (id {short}). Not for you? Run `legday-sync dismiss "
            f"{short}` or press Dismiss on the status page; in a Google or CalDAV calendar, "
            f"deleting this event works too. It stays away while this conflict stands.")


def _why(binding: Conflict, profile: Profile, sid: str) -> str:
    run, leg, tz = binding.run.event, binding.leg_day.event, profile.tz
    return (f"Why: {binding.explanation}\n\n"
            f"Rule: {binding.rule} (gap {binding.gap_hours:g} h, window "
            f"{binding.window_hours:g} h, goal {profile.goal}).\n"
            f"Leg day: “{leg.title}”, {_slot_text(leg.start, leg.end, leg.all_day, tz)} "
            f"(calendar “{leg.source}”).\n"
            f"Original run: “{run.title}”, {_slot_text(run.start, run.end, run.all_day, tz)} "
            f"(calendar “{run.source}”, uid {run.uid})"
            + (f"\n{run.url}" if run.url else "") +
            f"\n\n{how_to_dismiss(sid)}")


def _instead(binding: Conflict, profile: Profile, alternative: Suggestion | None) -> Suggestion:
    run = binding.run
    activity = choose_activity(profile.goal, binding)
    label, reason = ACTIVITIES[activity]
    all_day = run.event.all_day
    if all_day:
        start, end = run.start, run.end
    else:
        cap = {"easy_run": EASY_RUN_MAX, "easy_long_run": KEY_INSTEAD_MAX}.get(activity,
                                                                               INSTEAD_MAX)
        start, end = run.start, min(max(run.end, run.start + EASY_RUN_MAX), run.start + cap)
    alt = ""
    if alternative is not None:
        alt = (f"\n\nThis is one of two alternatives: do this at the usual time, or move the "
               f"run itself — “{alternative.title}”, "
               f"{_slot_text(alternative.start, alternative.end, alternative.all_day, profile.tz)}"
               f". Pick one; delete the other.")
    sid = suggestion_id(binding, "instead")
    return Suggestion(
        id=sid, conflict_id=binding.id, kind="instead",
        activity=activity, start=start, end=end,
        title=f"{label} instead of {run.event.title}",
        description=f"{reason}{alt}\n\n{_why(binding, profile, sid)}", run=run, target="run",
        all_day=all_day, leg_day=binding.leg_day)


def _move(binding: Conflict, slot: Slot, profile: Profile) -> Suggestion:
    run, tz = binding.run, profile.tz
    all_day = run.event.all_day
    if all_day:
        ready = f"{(slot.day - binding.leg_day.start.astimezone(tz).date()).days} day(s)"
    else:
        ready = f"{(slot.start - binding.leg_day.end).total_seconds() / 3600:.0f} h"
    sid = suggestion_id(binding, "move")
    return Suggestion(
        id=sid, conflict_id=binding.id, kind="move", activity="run",
        start=slot.start, end=slot.end,
        title=f"{run.event.title} (moved from {_when(run, tz)})",
        description=(f"By then your legs have had {ready} to recover after "
                     f"“{binding.leg_day.event.title}”. {EVIDENCE['doma2019']}.\n\n"
                     f"{_why(binding, profile, sid)}"),
        run=run, target="run", all_day=all_day, leg_day=binding.leg_day)


def _with_alternative(move: Suggestion, instead: Suggestion, tz: ZoneInfo) -> Suggestion:
    head, sep, rest = move.description.partition("\n\n")
    alt = (f"\n\nThis is one of two alternatives: move the run here, or keep its time and do "
           f"“{instead.title}” ({_slot_text(instead.start, instead.end, instead.all_day, tz)})"
           f". Pick one; delete the other.")
    return replace(move, description=head + alt + sep + rest)


def _move_leg(binding: Conflict, group: list[Conflict], slot: Slot, profile: Profile,
              reason: str) -> Suggestion:
    leg, tz = binding.leg_day, profile.tz
    freed = ", ".join(dict.fromkeys(f"“{c.run.event.title}” ({_when(c.run, tz)})"
                                    for c in group))
    protect = (any(c.run.race for c in group) and "the race keeps its date") or \
        (any(c.run.key or c.run.long for c in group) and "the key session keeps its day") or \
        "the run keeps its slot"
    sid = suggestion_id(binding, "move-leg-day")
    return Suggestion(
        id=sid, conflict_id=binding.id, kind="move-leg-day",
        activity="leg_day", start=slot.start, end=slot.end,
        title=f"{leg.event.title} (moved from {_when(leg, tz)})",
        description=(f"Move the leg day so that {protect}: here it keeps every recovery window "
                     f"and leaves {freed} clear. {reason}{EVIDENCE['doma2019']}.\n\n"
                     f"{_why(binding, profile, sid)}"),
        run=binding.run, target="leg_day", all_day=leg.event.all_day, leg_day=leg)


def _lighten(c: Conflict, why_stuck: str, profile: Profile,
             later_races: Sequence[Workout] = ()) -> Suggestion:
    """Lighten ``c``'s leg day for its race and ``later_races`` (inside its window too)."""
    leg, race, tz = c.leg_day, c.run, profile.tz
    last = later_races[-1] if later_races else race
    sid = suggestion_id(c, "lighten")
    more = (f" and {len(later_races)} more race(s) up to “{last.event.title}” "
            f"({_when(last, tz)})" if later_races else "")
    keep = "are races and keep their dates" if more else "is a race and keeps its date"
    return Suggestion(
        id=sid, conflict_id=c.id, kind="lighten", activity="leg_day",
        start=leg.start, end=leg.end,
        title=f"Lighten {leg.event.title}: {LIGHTEN}",
        description=(f"“{race.event.title}” ({_when(race, tz)}){more} {keep}, and this leg "
                     f"day can't move ({why_stuck}). Keep it light: {LIGHTEN}; no jumps or "
                     f"eccentric-heavy work, stop well short of failure. "
                     f"Keep every leg session this light until after the race on "
                     f"{last.start.astimezone(tz):%a %d %b}. {EVIDENCE['doma2019']}.\n\n"
                     f"{_why(c, profile, sid)}"),
        run=race, target="leg_day", all_day=leg.event.all_day, leg_day=leg)


# ---- time helpers --------------------------------------------------------------------

def _days(first: date, last: date) -> Iterable[date]:
    d = first
    while d <= last:
        yield d
        d += DAY


def _subtract(free: list[tuple[datetime, datetime]], blocks: Iterable[tuple[datetime, datetime]]
              ) -> list[tuple[datetime, datetime]]:
    """Closed intervals ``free`` minus open intervals ``blocks``."""
    for p, q in blocks:
        out = []
        for a, b in free:
            if q <= a or p >= b:
                out.append((a, b))
                continue
            if a <= p:
                out.append((a, p))
            if q <= b:
                out.append((q, b))
        free = out
        if not free:
            break
    return free


def _at(day: date, t: time, tz: ZoneInfo) -> datetime:
    # fold=0 and zoneinfo's normalisation pick a real instant even for a time skipped by DST
    return datetime.combine(day, t).replace(tzinfo=tz).astimezone(UTC)


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time()).replace(tzinfo=tz).astimezone(UTC)


def _ceil(t: datetime) -> datetime:
    """Round up to the next quarter hour (UTC; every real zone is a multiple of 15 min)."""
    t = t.astimezone(UTC)
    rem = (t - t.replace(minute=0, second=0, microsecond=0)) % STEP
    return t if not rem else t + (STEP - rem)


def _floor(t: datetime) -> datetime:
    t = t.astimezone(UTC)
    return t - (t - t.replace(minute=0, second=0, microsecond=0)) % STEP
