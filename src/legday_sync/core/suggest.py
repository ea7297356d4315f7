"""The name the week planner had before :mod:`core.planner`; kept so older imports work."""

from .planner import Schedule, plan_week

__all__ = ["Schedule", "plan_week"]
