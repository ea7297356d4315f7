"""Google Calendar v3 REST emulator for tests (see README.md)."""

from ._errors import ApiError
from .emulator import API_PREFIX, BATCH_PATH, TOKEN_PATH, CalendarEmulator, RequestRecord

__all__ = [
    "API_PREFIX",
    "BATCH_PATH",
    "TOKEN_PATH",
    "ApiError",
    "CalendarEmulator",
    "RequestRecord",
]
