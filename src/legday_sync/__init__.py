"""legday-sync: recovery-aware calendar sync for people who lift and run."""

__version__ = "0.1.0"
