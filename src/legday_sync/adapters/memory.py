"""In-memory adapters for the two ports, used by the contract tests and unit tests.

They behave like the real adapters in every way the contract tests check, so a
test written against a fake says something true about the real thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from ..core.model import Action, Event, Window
from ..core.ports import FetchResult, Held
from ..errors import SourceError


@dataclass
class FakeSource:
    name: str
    events: list[Event] = field(default_factory=list)
    #: when set, fetch fails with this message (a feed that is down)
    failure: str | None = None

    def fetch(self, window: Window) -> FetchResult:
        if self.failure is not None:
            raise SourceError(self.name, self.failure)
        inside = [e for e in self.events if window.overlaps(e.start, e.end)]
        return FetchResult(tuple(sorted(inside, key=lambda e: (e.start, e.uid))))


@dataclass
class FakeSink:
    name: str = "fake"
    user_editable: ClassVar[bool] = True
    held: dict[str, Held] = field(default_factory=dict)
    applied: list[Action] = field(default_factory=list)
    #: the config id it stamps on what it writes, like the real sinks
    owner: str | None = None

    def load(self) -> dict[str, Held]:
        return dict(self.held)

    def apply(self, actions: Sequence[Action], now: datetime) -> None:
        for a in actions:
            self.applied.append(a)
            if a.op == "delete":
                self.held.pop(a.suggestion_id, None)
            else:
                assert a.suggestion is not None
                s = a.suggestion
                self.held[s.id] = Held(s.id, s.fingerprint, start=s.run.start, owner=self.owner)

    # the user, in their calendar app
    def user_delete(self, suggestion_id: str) -> None:
        self.held[suggestion_id] = Held(suggestion_id, self.held[suggestion_id].fingerprint,
                                        deleted=True)

    def user_edit(self, suggestion_id: str) -> None:
        old = self.held[suggestion_id]
        self.held[suggestion_id] = Held(suggestion_id, "edited-" + old.fingerprint,
                                        start=old.start)
