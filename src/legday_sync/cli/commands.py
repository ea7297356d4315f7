"""Registry of the commands that live beside their subsystem.

Each entry adds a subparser and sets ``func`` (via ``set_defaults``) to a
function ``(args) -> exit code``. Modules are imported only when the CLI runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

Register = Callable[[argparse._SubParsersAction], None]

REGISTER: list[Register] = [
    lambda sub: __import__("legday_sync.cli.feed", fromlist=["register"]).register(sub),
    lambda sub: __import__("legday_sync.cli.auth", fromlist=["register"]).register(sub),
    lambda sub: __import__("legday_sync.cli.week", fromlist=["register"]).register(sub),
    lambda sub: __import__("legday_sync.cli.events", fromlist=["register"]).register(sub),
]
