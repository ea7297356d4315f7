"""`legday-sync rules`: the rules and windows in force, explained with their sources."""

from __future__ import annotations

import argparse

from ..errors import EXIT_OK
from .common import command, console, examples, load_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub, "rules", summary="the active rules and windows, explained",
        description="Print the recovery windows your goal and [rules] give (how long each "
                    "kind of run waits after a normal or heavy leg day), why, with the "
                    "studies behind them, and the words that make a leg day or a run.",
        example=examples(("legday-sync rules", "the rules for your config"),
                         ("legday-sync --config other.toml rules", "for another config")))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..views.explain import print_rules

    print_rules(load_settings(args), console(args))
    return EXIT_OK
