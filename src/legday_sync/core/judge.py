"""The whole product decision as one pure function: events in, judgement out.

``judge`` takes what the sources read (events and extra busy time), the settings it
needs as plain values, and ``now``; it returns the workouts, conflicts, suggestions
and notes. The shell (``service.sync_once``) fetches before it and plans the sinks'
writes after it; everything between is here, so a test or a benchmark can judge a
week without SQLite, a network or a clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .classify import Classifier, classify_all, without_duplicates
from .model import Conflict, Event, Suggestion, Window, Workout
from .planner import Schedule, plan_week
from .rules import Profile, find_conflicts


@dataclass(frozen=True)
class JudgeSettings:
    """What the judgement depends on, as values (built from the config by the shell)."""

    # no config defaults here (the window's days, the rules' hours): they are config.py's
    profile: Profile
    schedule: Schedule
    past_days: int
    future_days: int
    #: the built-in vocabulary unless the config extends it
    classifier: Classifier = field(default_factory=Classifier)

    def window(self, now: datetime) -> Window:
        """The stretch a sync reports on."""
        return Window(now - timedelta(days=self.past_days), now + timedelta(days=self.future_days))

    def fetch_window(self, now: datetime) -> Window:
        """What the sources must cover for the window at ``now``."""
        return widened(self.window(now), self.profile, self.schedule.horizon_days)


def widened(window: Window, profile: Profile, horizon_days: int) -> Window:
    """What the sources must cover for ``window``: leg days whose recovery reaches into it,
    and the days after it where a moved session may land."""
    return Window(window.start - timedelta(hours=profile.max_window_hours + 24),
                  window.end + timedelta(days=horizon_days + 1))


def cut(workouts: Sequence[Workout], conflicts: Sequence[Conflict],
        window: Window) -> tuple[list[Workout], list[Conflict]]:
    """What a report shows of ``window``: workouts that overlap it, and conflicts whose run
    starts in it (a leg day before the window still counts against a run inside)."""
    return ([w for w in workouts if window.overlaps(w.start, w.end)],
            [c for c in conflicts if window.start <= c.run.start < window.end])


@dataclass
class Decision:
    window: Window
    #: workouts that overlap the window (what the report shows)
    workouts: list[Workout] = field(default_factory=list)
    #: conflicts whose run starts in the window
    conflicts: list[Conflict] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: how many events were read at all (so "no workout found" is never "all clear")
    events_read: int = 0
    #: events in the window, per source, and how many of them were read as workouts
    events_in_window: dict[str, int] = field(default_factory=dict)
    workouts_in_window: dict[str, int] = field(default_factory=dict)

    @property
    def recognised_nothing(self) -> bool:
        """Events in the window but not one workout: the opposite of "all clear"."""
        return sum(self.events_in_window.values()) > 0 and not self.workouts


def judge(events: Sequence[Event], busy: Sequence[Event], settings: JudgeSettings,
          now: datetime) -> Decision:
    """Classify, count each workout once, find conflicts, plan the week around them.

    ``events`` are every event the sources read over ``settings.fetch_window(now)``;
    ``busy`` is extra busy time (e.g. Google free/busy) that is not itself an event.
    """
    window = settings.window(now)
    decision = Decision(window=window, events_read=len(events))
    workouts, copies = without_duplicates(classify_all(settings.classifier, events))
    if copies:
        decision.notes.append(
            f"{len(copies)} workout(s) appear in more than one calendar and count once, e.g. "
            f"“{copies[0].event.title}” in “{copies[0].event.source}”")
    conflicts = find_conflicts(workouts, settings.profile)
    decision.workouts, decision.conflicts = cut(workouts, conflicts, window)
    for e in events:
        if window.overlaps(e.start, e.end):
            decision.events_in_window[e.source] = decision.events_in_window.get(e.source, 0) + 1
    for w in decision.workouts:
        src = w.event.source
        decision.workouts_in_window[src] = decision.workouts_in_window.get(src, 0) + 1
    decision.notes.extend(recognition_notes(decision.events_in_window,
                                            decision.workouts_in_window))
    suggestions, notes = plan_week(decision.conflicts, workouts, [*events, *busy],
                                   settings.profile, settings.schedule, now,
                                   settings.classifier.away_word)
    decision.suggestions = suggestions
    decision.notes.extend(notes)
    return decision


#: where to look when the calendar's words were not understood
_HOW_TO_FIX = ("run `legday-sync events` to see how each event was read and why, then add "
               "your words to [classify] (leg_day, run, easy, hard, heavy) or set "
               "[classify] languages")


def recognition_notes(events: dict[str, int], workouts: dict[str, int]) -> list[str]:
    """What to say when events were read but no workout recognised, overall or per source.

    A calendar the classifier can't read must never look "all clear"; a source that has
    events but no workout while another has workouts may be one written in words the
    vocabulary lacks (or simply a work calendar, which the note allows for)."""
    total = sum(events.values())
    if total and not workouts:
        return [f"NOT all clear: {total} event(s) in the window, but none was recognised as a "
                f"leg day or a run, so nothing could be checked — {_HOW_TO_FIX}."]
    if not workouts:
        return []
    return [f"“{src}” has {n} event(s) in the window and none was recognised as a workout "
            f"(fine if it holds no training; if it does, {_HOW_TO_FIX})."
            for src, n in events.items() if n and not workouts.get(src)]
