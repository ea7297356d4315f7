"""The feed server: waitress in a background thread, with limits and a clean stop."""

from __future__ import annotations

import contextlib
import logging
import threading
import warnings
from typing import TYPE_CHECKING, Any

from ..errors import ServeError

if TYPE_CHECKING:
    from .app import WsgiApp


class FeedServer:
    """waitress in a background thread, with limits and a clean stop."""

    def __init__(self, app: WsgiApp, host: str, port: int, *, threads: int = 4) -> None:
        from waitress.adjustments import Adjustments
        from waitress.server import create_server

        # a feed is ~100 KB: sent in one go, not in waitress's default 18 KB pieces (one poll
        # round each), it serves ~3x the requests/s at a tenth of the p99. waitress 3 marks
        # the knob deprecated; while it exists it is worth having, and once gone, skipped.
        tuning = {"send_bytes": 28 * 9000} if hasattr(Adjustments, "send_bytes") else {}
        self._map: dict[int, Any] = {}
        # "Task queue depth is 1" per request under a burst: noise, not news, for a feed
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                self.server = create_server(
                    app, map=self._map, host=host, port=port, threads=threads,
                    connection_limit=64, channel_timeout=30, cleanup_interval=15,
                    max_request_header_size=16 * 1024, max_request_body_size=4 * 1024,
                    ident="legday-sync", expose_tracebacks=False,
                    clear_untrusted_proxy_headers=True, asyncore_use_poll=True,
                    outbuf_overflow=4 * 1024 * 1024, **tuning)
        except OSError as e:
            where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            fix = ("is another legday-sync daemon or serve running? Stop it, or change "
                   "[feed] listen") if e.errno in (98, 48) else "change [feed] listen"
            raise ServeError(f"can't listen on {where}: {e.strerror or e}", fix) from None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="feed-server", daemon=True)

    @property
    def port(self) -> int:
        """The port actually bound (the first one, if the host resolved to several)."""
        return int(self.server.effective_listen[0][1] if hasattr(self.server, "effective_listen")
                   else self.server.effective_port)  # type: ignore[union-attr]

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        from waitress import wasyncore

        while not self._stop.is_set():
            wasyncore.loop(timeout=1.0, map=self._map, use_poll=True, count=1)
        # stop in the loop's own thread: no socket is closed under a running poll()
        self.server.task_dispatcher.shutdown(timeout=5)  # type: ignore[union-attr]
        wasyncore.close_all(self._map)

    def stop(self, timeout: float = 10.0) -> None:
        from waitress.trigger import trigger

        self._stop.set()
        for obj in list(self._map.values()):
            if isinstance(obj, trigger):
                with contextlib.suppress(OSError):
                    obj.pull_trigger()  # wake the poll now rather than within a second
                break
        if self._thread.is_alive():
            self._thread.join(timeout)
