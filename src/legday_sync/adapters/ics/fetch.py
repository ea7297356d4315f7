"""Fetching an .ics URL: conditional GET, size and redirect limits, a last good copy.

The last good copy of each source lives in one file under ``cache_dir``: a JSON
header line (validators, fetch time, body hash) followed by the raw body. It is
written atomically (temp file + ``os.replace``, mode 0600) and only after the body
parsed as a calendar (``Fetched.commit``), so a captive-portal page or a broken
upload never replaces a good copy. With ``readonly`` nothing is ever written.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ...errors import SourceError
from ...redact import redact_url, scrub
from ..files import ensure_private_dir, write_private

__all__ = ["Fetched", "HttpFetcher", "StoredCopy", "redact_url", "scrub"]


_USER_AGENT = "legday-sync/0.1 (+https://github.com/legday-sync)"


@dataclass
class StoredCopy:
    body: bytes
    etag: str | None
    last_modified: str | None
    fetched_at: str
    sha256: str


@dataclass
class Fetched:
    body: bytes
    sha256: str
    #: whether ``body`` came from the server just now (else from the stored copy)
    fresh: bool
    stored: StoredCopy | None
    warnings: list[str] = field(default_factory=list)
    #: store ``body`` as the last good copy (no-op when readonly or not fresh)
    commit: Callable[[], None] = lambda: None


class _Failure(Exception):
    def __init__(self, reason: str, fix: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


class HttpFetcher:
    def __init__(
        self,
        name: str,
        url: str,
        *,
        cache_dir: Path | None,
        readonly: bool,
        timeout: float,
        max_bytes: int,
        max_redirects: int,
    ) -> None:
        self.name = name
        self.url = url
        self.cache_dir = cache_dir
        self.readonly = readonly
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.shown_url = redact_url(url)

    # --- the stored copy ---------------------------------------------------------------

    @property
    def cache_file(self) -> Path | None:
        if self.cache_dir is None:
            return None
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", self.name)[:60]
        tag = hashlib.sha256(self.name.encode("utf-8")).hexdigest()[:8]
        return self.cache_dir / f"{safe}-{tag}.ics-cache"

    def _url_key(self) -> str:
        return hashlib.sha256(self.url.encode("utf-8")).hexdigest()

    def load_stored(self) -> StoredCopy | None:
        path = self.cache_file
        if path is None:
            return None
        try:
            raw = path.read_bytes()
            head, _, body = raw.partition(b"\n")
            meta = json.loads(head)
            if meta.get("url") != self._url_key():
                return None  # the source now points elsewhere
            if hashlib.sha256(body).hexdigest() != meta.get("sha256"):
                return None  # damaged
            return StoredCopy(
                body=body,
                etag=meta.get("etag"),
                last_modified=meta.get("last_modified"),
                fetched_at=str(meta.get("fetched_at", "?")),
                sha256=meta["sha256"],
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _store(self, body: bytes, sha: str, etag: str | None, last_modified: str | None) -> None:
        path = self.cache_file
        if path is None or self.readonly:
            return
        meta = {
            "url": self._url_key(),
            "etag": etag,
            "last_modified": last_modified,
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "sha256": sha,
        }
        ensure_private_dir(path.parent)
        write_private(path, (json.dumps(meta).encode("utf-8") + b"\n", body))

    # --- fetching ----------------------------------------------------------------------

    def fetch(self) -> Fetched:
        stored = self.load_stored()
        try:
            status, body, etag, last_modified = self._get_within_deadline(stored)
        except _Failure as failure:
            if stored is not None:
                return Fetched(
                    body=stored.body,
                    sha256=stored.sha256,
                    fresh=False,
                    stored=stored,
                    warnings=[
                        f"could not refresh {self.shown_url}: {failure.reason}; "
                        f"using the stale copy from {stored.fetched_at}"
                    ],
                )
            raise SourceError(
                self.name,
                f"could not fetch {self.shown_url}: {failure.reason}",
                fix=failure.fix or "check the URL and your network connection",
            ) from None
        if status == 304:
            assert stored is not None  # we only ask conditionally when we hold a copy
            return Fetched(body=stored.body, sha256=stored.sha256, fresh=False, stored=stored)
        sha = hashlib.sha256(body).hexdigest()
        fetched = Fetched(body=body, sha256=sha, fresh=True, stored=stored)
        if not self.readonly and self.cache_dir is not None:
            fetched.commit = lambda: self._store(body, sha, etag, last_modified)
        return fetched

    def _get_within_deadline(
        self, stored: StoredCopy | None
    ) -> tuple[int, bytes, str | None, str | None]:
        """``_get`` with an overall deadline of 4 x timeout.

        The timeout bounds each read, so a server that drips its headers or body a byte
        at a time would hold ``_get`` for as long as it likes; the check inside ``_get``
        only runs between chunks. So ``_get`` runs in a daemon thread that is abandoned
        at the deadline (it ends when the server lets go; it writes nothing).
        """
        box: dict[str, object] = {}

        def run() -> None:
            try:
                box["value"] = self._get(stored)
            except BaseException as exc:  # handed to the caller's thread
                box["error"] = exc

        worker = threading.Thread(target=run, name=f"fetch {self.name}", daemon=True)
        worker.start()
        worker.join(4 * self.timeout + 1)
        if worker.is_alive():
            raise _Failure(f"no complete answer within {4 * self.timeout:g} s")
        if "error" in box:
            raise box["error"]  # type: ignore[misc]
        return box["value"]  # type: ignore[return-value]

    def _get(self, stored: StoredCopy | None) -> tuple[int, bytes, str | None, str | None]:
        headers = {"User-Agent": _USER_AGENT, "Accept": "text/calendar, */*;q=0.5"}
        if stored is not None:
            if stored.etag:
                headers["If-None-Match"] = stored.etag
            if stored.last_modified:
                headers["If-Modified-Since"] = stored.last_modified
        import requests  # here, not at the top: a file-only sync never pays for it (~0.1 s)

        deadline = time.monotonic() + 4 * self.timeout
        with requests.Session() as session:
            session.max_redirects = self.max_redirects
            try:
                resp = session.get(self.url, headers=headers, timeout=self.timeout, stream=True)
            except requests.TooManyRedirects:
                raise _Failure(
                    f"more than {self.max_redirects} redirects (a redirect loop?)",
                    "check the URL; open it in a browser to see where it leads",
                ) from None
            except requests.Timeout:
                raise _Failure(f"no answer within {self.timeout:g} s") from None
            except requests.ConnectionError as exc:
                from ..networds import explain

                reason, fix = explain(exc, self.url)
                raise _Failure(scrub(reason, self.url), fix) from None
            except requests.RequestException as exc:
                raise _Failure(scrub(f"{type(exc).__name__}: {_short(exc)}", self.url)) from None
            with resp:
                if resp.status_code == 304 and stored is not None:
                    return 304, b"", None, None
                if not 200 <= resp.status_code < 300:
                    raise _Failure(
                        f"HTTP {resp.status_code} {resp.reason or ''}".strip(),
                        _fix_for_status(resp.status_code),
                    )
                length = resp.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > self.max_bytes:
                    raise _Failure(
                        f"the feed is {int(length)} bytes, more than the limit of {self.max_bytes}",
                        "raise the size limit or point at a smaller feed",
                    )
                chunks: list[bytes] = []
                total = 0
                try:
                    for chunk in resp.iter_content(chunk_size=1 << 16):
                        total += len(chunk)
                        if total > self.max_bytes:
                            raise _Failure(
                                f"the feed is larger than the limit of {self.max_bytes} bytes",
                                "raise the size limit or point at a smaller feed",
                            )
                        if time.monotonic() > deadline:
                            raise _Failure(f"download took longer than {4 * self.timeout:g} s")
                        chunks.append(chunk)
                except requests.RequestException as exc:
                    raise _Failure(
                        scrub(f"download broke off: {type(exc).__name__}", self.url)
                    ) from None
                return (
                    resp.status_code,
                    b"".join(chunks),
                    resp.headers.get("ETag"),
                    resp.headers.get("Last-Modified"),
                )


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 300 else text[:300] + "…"


def _fix_for_status(status: int) -> str:
    if status in (401, 403):
        return "the server refused access: check the credentials or the secret address"
    if status in (404, 410):
        return "the feed is gone from this address: check the URL"
    if status >= 500:
        return "the server has a problem; it usually passes, try again later"
    return "check the URL"
