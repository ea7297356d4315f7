"""pytest fixtures for the Google Calendar emulator.

Use from a conftest.py::

    from tests.google_emulator.fixtures import calendar_emulator  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .emulator import CalendarEmulator


@pytest.fixture
def calendar_emulator() -> Iterator[CalendarEmulator]:
    """A started emulator on 127.0.0.1:<free port>; stopped after the test."""
    emu = CalendarEmulator()
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def calendar_service(calendar_emulator: CalendarEmulator):
    """A real googleapiclient Calendar v3 service pointed at ``calendar_emulator``."""
    service = calendar_emulator.build_service()
    try:
        yield service
    finally:
        service.close()
