"""`legday-sync completion SHELL`: the shell code for tab completion (argcomplete)."""

from __future__ import annotations

import argparse

from ..errors import EXIT_OK, UsageError
from .common import PROG, command, examples

SHELLS = ("bash", "zsh", "fish")


def register(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub, "completion", summary="print the shell code for tab completion",
        description="Print the code that makes your shell complete legday-sync's commands "
                    "and options (needs the argcomplete package: pip install argcomplete). "
                    "Load it from your shell's start-up file.",
        example=examples(('eval "$(legday-sync completion bash)"', "in ~/.bashrc"),
                         ('eval "$(legday-sync completion zsh)"', "in ~/.zshrc"),
                         ("legday-sync completion fish | source", "in config.fish")))
    p.add_argument("shell", choices=SHELLS, help="your shell")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import argcomplete
    except ImportError:
        raise UsageError("shell completion needs the argcomplete package",
                         "pip install argcomplete (or pipx inject legday-sync argcomplete)"
                         ) from None
    print(argcomplete.shellcode([PROG], shell=args.shell), end="")
    return EXIT_OK


def autocomplete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request, if this run is one (else a no-op).

    argcomplete is imported only then: it is optional, and a normal run doesn't pay for it.
    """
    import os

    if "_ARGCOMPLETE" not in os.environ:
        return
    try:
        import argcomplete
    except ImportError:
        return
    argcomplete.autocomplete(parser)
