"""`legday-sync man`: the manual page, written from the parser as roff."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import EXIT_OK
from .common import command, examples


def register(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub, "man", summary="print the manual page (roff), made from every command's --help",
        description="Print legday-sync's manual page in roff, generated from the same parser "
                    "as --help, or write it to a file for man to find.",
        example=examples(("legday-sync man | man -l -", "read it now"),
                         ("legday-sync man -o ~/.local/share/man/man1/legday-sync.1",
                          "install it for `man legday-sync`")))
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .manpage import render

    page = render(args.parser)
    if args.output:
        out = Path(args.output).expanduser()
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
    else:
        print(page, end="")
    return EXIT_OK
