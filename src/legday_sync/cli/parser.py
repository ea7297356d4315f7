"""The argument parser: the global options and every command, in one place.

To add a command, write ``cli/<name>.py`` with ``register(sub) -> None`` (it adds its
subparser with ``common.command`` and sets ``func``) and add the module to ``COMMANDS``.
"""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import Any

from .. import __version__
from . import (
    auth,
    check,
    completion,
    daemon,
    dismiss,
    events,
    feed_url,
    init,
    man,
    rules,
    serve,
    sync,
    week,
)
from .common import EXAMPLES, PROG, add_global_options

#: every command, in the order --help lists them
COMMANDS: tuple[ModuleType, ...] = (
    sync,
    week,
    events,
    dismiss,
    rules,
    check,
    init,
    daemon,
    serve,
    feed_url,
    auth,
    completion,
    man,
)


class HelpFormatter(argparse.HelpFormatter):
    """Descriptions wrapped to the terminal; example blocks kept line by line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith(EXAMPLES):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class CommandParser(argparse.ArgumentParser):
    """A command's parser: takes the global options too, and keeps examples' layout."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        kw.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kw)
        add_global_options(self, after_command=True)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG, formatter_class=HelpFormatter,
        description="Find runs scheduled too soon after leg day and suggest what to do instead.",
        epilog="Run `legday-sync COMMAND --help` for a command's options and examples.")
    p.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    add_global_options(p, after_command=False)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    sub.required = True
    for module in COMMANDS:
        module.register(sub)
    return p
