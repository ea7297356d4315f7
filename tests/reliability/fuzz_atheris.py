"""Optional coverage-guided fuzzing of the .ics source with atheris (libFuzzer).

Not collected by pytest (its name does not start with ``test_``) and atheris is not a
test dependency. To run it:

    .venv/bin/pip install atheris          # needs a clang-built CPython wheel or clang
    mkdir -p /tmp/ics-corpus && cp examples/*.ics /tmp/ics-corpus/
    .venv/bin/python tests/reliability/fuzz_atheris.py /tmp/ics-corpus \
        -max_total_time=600 -rss_limit_mb=1536 -timeout=30

Each input is parsed by ``parse_ics`` (the whole source minus the file read) in a fixed
window. The only allowed outcomes are a list of events or ``SourceError``; any other
exception is a crash, which libFuzzer saves as ``crash-<sha1>``; ``-timeout`` and
``-rss_limit_mb`` turn hangs and blow-ups into findings too. Reproduce one with
``python tests/reliability/fuzz_atheris.py crash-<sha1>``.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def main() -> None:
    import atheris  # type: ignore[import-not-found]

    with atheris.instrument_imports():
        from legday_sync.adapters.ics.source import parse_ics
        from legday_sync.core.model import Window
        from legday_sync.errors import SourceError

    window = Window(datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 12, 21, tzinfo=UTC))
    tz = ZoneInfo("Europe/Berlin")

    def one_input(data: bytes) -> None:
        try:
            events, _ = parse_ics(data, window, source="fuzz", default_tz=tz)
        except SourceError:
            return
        for e in events:
            assert e.start <= e.end and e.start.utcoffset() is not None

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
