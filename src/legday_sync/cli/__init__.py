# PYTHON_ARGCOMPLETE_OK  (argcomplete's global completion looks for this marker)
"""The `legday-sync` command."""

from .main import main

__all__ = ["main"]
