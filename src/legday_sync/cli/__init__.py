"""The `legday-sync` command."""

from .main import main

__all__ = ["main"]
