"""`legday-sync`: parse, run the command, and turn what went wrong into a message.

Exit codes are in ``errors.EXIT_CODES``; each error class carries its own.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from ..errors import EXIT_INTERRUPTED, EXIT_OK, LegdayError
from .errors import error_message


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _run(argv)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
    except BrokenPipeError:
        return _closed_stdout()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return code


def _run(argv: Sequence[str] | None) -> int:
    from .common import log_level, merge_global_options
    from .completion import autocomplete
    from .parser import build_parser

    parser = build_parser()
    autocomplete(parser)
    args = merge_global_options(parser.parse_args(argv))
    args.parser = parser
    logging.basicConfig(level=log_level(args),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from ..redact import install_log_redaction

    install_log_redaction()
    os.umask(0o077)  # state, tokens and caches are private; created that way, not chmod-ed later
    try:
        return args.func(args)
    except BrokenPipeError:
        raise
    except (LegdayError, OSError) as e:
        msg, code = error_message(e)
        print(msg, file=sys.stderr)
        return code


def _closed_stdout() -> int:
    """The reader went away (`| head -1`): stop quietly, and stop Python's exit-time flush
    from complaining about the same closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return EXIT_OK
