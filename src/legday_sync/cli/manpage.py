"""A roff man page written from the argument parser, so it can't drift from `--help`."""

from __future__ import annotations

import argparse

from .. import __version__
from ..errors import EXIT_CODES
from .common import PROG

ENVIRONMENT = (
    ("LEGDAY_SYNC_CONFIG", "the config file, when --config is not given"),
    ("NO_COLOR", "when set and not empty, no colour (unless --color=always)"),
    ("TZ", "the local timezone, when the config sets no timezone"),
)


def roff(text: str) -> str:
    """Text safe in a roff body: backslashes, hyphens and leading dots/quotes escaped."""
    out = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + line) if line[:1] in (".", "'") else line
                     for line in out.splitlines())


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)


def _option(action: argparse.Action) -> str:
    if action.option_strings:
        names = ", ".join(f"\\fB{roff(s)}\\fR" for s in action.option_strings)
        if action.nargs == 0:
            return names
        metavar = action.metavar or (("{" + ",".join(action.choices) + "}") if action.choices
                                     else action.dest.upper())
        return f"{names} \\fI{roff(str(metavar))}\\fR"
    name = action.metavar or (("{" + ",".join(action.choices) + "}") if action.choices
                              else action.dest)
    return f"\\fI{roff(str(name))}\\fR"


def _options(parser: argparse.ArgumentParser, skip: set[str]) -> list[str]:
    lines: list[str] = []
    for action in parser._actions:
        meta = isinstance(action, argparse._SubParsersAction | argparse._HelpAction)
        if action.help == argparse.SUPPRESS or meta or action.dest in skip:
            continue
        lines += [".TP", _option(action), roff(action.help or "")]
    return lines


def _command(name: str, parser: argparse.ArgumentParser, skip: set[str]) -> list[str]:
    usage = parser.format_usage().removeprefix("usage: ").strip()
    lines = [f'.SS "{roff(PROG)} {roff(name)}"', ".nf", roff(" ".join(usage.split())), ".fi",
             ".PP", roff(parser.description or "")]
    options = _options(parser, skip)
    if options:
        lines += [".PP", "Options:", ".RS", *options, ".RE"]
    if parser.epilog:
        lines += [".PP", ".nf", roff(parser.epilog), ".fi"]
    return lines


def render(parser: argparse.ArgumentParser) -> str:
    """The whole page: name, synopsis, global options, every command, environment, exit."""
    sub = _subparsers(parser)
    global_dests = {a.dest for a in parser._actions} | {"_after_verbose", "_after_quiet"}
    lines = [f'.TH LEGDAY\\-SYNC 1 "" "{PROG} {__version__}" "User Commands"',
             ".SH NAME", f"{roff(PROG)} \\- {roff(parser.description or '')}",
             ".SH SYNOPSIS", f".B {roff(PROG)}",
             "[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR]",
             ".SH DESCRIPTION", roff(parser.description or ""),
             "The global options are accepted before or after the command.",
             ".SH GLOBAL OPTIONS", *_options(parser, set()), ".SH COMMANDS"]
    if sub is not None:
        for name, child in sub.choices.items():
            lines += _command(name, child, global_dests)
    lines.append(".SH ENVIRONMENT")
    for var, what in ENVIRONMENT:
        lines += [".TP", f"\\fB{roff(var)}\\fR", roff(what)]
    lines.append(".SH EXIT STATUS")
    for code, what in EXIT_CODES.items():
        lines += [".TP", f"\\fB{code}\\fR", roff(what)]
    lines += [".SH SEE ALSO", "\\fBkhal\\fR(1), \\fBvdirsyncer\\fR(1)"]
    return "\n".join(lines) + "\n"
