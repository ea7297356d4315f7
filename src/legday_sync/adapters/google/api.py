"""The Google Calendar client: credentials, the service, retries, error words.

The one place a Calendar v3 client is built. ``LEGDAY_SYNC_GOOGLE_ENDPOINT``
points it (and its batch requests, which ignore ``api_endpoint``) at another
server, ``LEGDAY_SYNC_GOOGLE_TOKEN_URI`` the token refresh; the tests use both
to run the real google-api-python-client against an emulator.

Retries: truncated exponential backoff with full jitter (tenacity) on 429,
403 rateLimitExceeded/userRateLimitExceeded, 5xx and connection errors, bounded
by :data:`BACKOFF`; the client library's own retry is off (``num_retries=0``)
so the two never stack. Every other 4xx fails at once with a message.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import AuthError
from .scopes import SCOPES, granted_scopes

log = logging.getLogger(__name__)

__all__ = ["SCOPES", "ApiFailure", "GoogleClient"]
TOKEN_FILE = "google-token.json"
ENV_ENDPOINT = "LEGDAY_SYNC_GOOGLE_ENDPOINT"
ENV_TOKEN_URI = "LEGDAY_SYNC_GOOGLE_TOKEN_URI"
DEFAULT_BATCH_URI = "https://www.googleapis.com/batch/calendar/v3"
#: Calendar accepts up to 1000 calls per batch but advises keeping them small
BATCH_SIZE = 50
AUTH_FIX = "run `legday-sync auth` again"
TESTING_HINT = ("if your OAuth consent screen is in \"Testing\", Google expires the grant "
                "after 7 days; set it to \"In production\" to keep it (see README, "
                "Connect Google Calendar)")
_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
#: the account's daily Calendar limits: retrying within the hour only makes it worse
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
#: how long Google keeps an account read-only after "Calendar usage limits exceeded"
QUOTA_BACKOFF_SECONDS = 3 * 3600.0
SIGNIN_DOWN = "Google's sign-in service is unavailable"


@dataclass
class Backoff:
    """Truncated exponential backoff with full jitter, bounded in tries and time."""

    tries: int = 6
    budget_seconds: float = 60.0
    initial_seconds: float = 1.0
    max_seconds: float = 32.0


#: tests shrink this; nothing else changes it
BACKOFF = Backoff()


class ApiFailure(Exception):
    """A Google call that failed for good (after any retries): status, reason, words, fix.

    ``retry_after`` (seconds) is set when Google asked for a long pause (a usage limit):
    a scheduler should not retry sooner.
    """

    def __init__(self, status: int | None, reason: str, message: str, fix: str = "",
                 retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.fix = fix
        self.retry_after = retry_after

    @property
    def detail(self) -> dict[str, object]:
        out: dict[str, object] = {"status": self.status, "reason": self.reason}
        if self.retry_after:
            out["retry_after"] = self.retry_after
        return out


def token_path(state_dir: Path) -> Path:
    return state_dir / TOKEN_FILE


def endpoint() -> str | None:
    base = os.environ.get(ENV_ENDPOINT, "").strip()
    return base.rstrip("/") or None


def load_credentials(path: Path):
    """The authorized-user credentials `legday-sync auth` saved; AuthError if there are none."""
    from google.oauth2.credentials import Credentials

    if not path.exists():
        raise AuthError("not connected to Google", "run `legday-sync auth`")
    try:
        creds = Credentials.from_authorized_user_file(str(path))
    except (ValueError, KeyError, json.JSONDecodeError) as e:
        raise AuthError(f"{path} is not a Google token legday-sync can use ({e})",
                        AUTH_FIX) from None
    token_uri = os.environ.get(ENV_TOKEN_URI, "").strip()
    if token_uri:
        expiry = creds.expiry
        creds = creds.with_token_uri(token_uri)
        creds.expiry = expiry  # the copy forgets it, and would use an expired token
    return creds


# -- errors -------------------------------------------------------------------------
def http_status(exc: BaseException) -> int | None:
    from googleapiclient.errors import HttpError

    return exc.resp.status if isinstance(exc, HttpError) else None


def error_reason(exc: BaseException) -> str:
    """Google's ``error.errors[0].reason`` ("rateLimitExceeded", "fullSyncRequired", …)."""
    content = getattr(exc, "content", b"")
    try:
        body = json.loads(content)
        err = body["error"]
        errors = err.get("errors") or [{}]
        return str(errors[0].get("reason") or err.get("status") or "")
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        return ""


def error_message(exc: BaseException) -> str:
    content = getattr(exc, "content", b"")
    try:
        return str(json.loads(content)["error"]["message"])
    except (ValueError, TypeError, KeyError):
        return str(exc)


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: 429, 403 rate limits, 5xx, a connection that failed or dropped."""
    import httplib2
    from google.auth.exceptions import RefreshError, TransportError
    from googleapiclient.errors import HttpError

    if isinstance(exc, HttpError):
        status = exc.resp.status
        return status == 429 or status >= 500 or (
            status == 403 and error_reason(exc) in _RATE_REASONS)
    if isinstance(exc, RefreshError):
        return False
    return isinstance(exc, OSError | socket.timeout | http.client.HTTPException
                      | httplib2.HttpLib2Error | TransportError)


def retry_after(exc: BaseException) -> float:
    resp = getattr(exc, "resp", None)
    try:
        return max(0.0, float(resp.get("retry-after", 0))) if resp is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def describe(exc: BaseException, what: str) -> ApiFailure:
    """A failure as words with a fix; raises AuthError for login problems."""
    from google.auth.exceptions import RefreshError

    if isinstance(exc, ApiFailure):
        return exc
    if isinstance(exc, RefreshError):
        text = str(exc)
        if exc.retryable or _server_side(text):
            # google-auth already retried the token endpoint: it is down, the login is fine
            return ApiFailure(None, "signinUnavailable",
                              f"{SIGNIN_DOWN} (it answered: {_first_line(text)})",
                              "nothing to do: the saved login is fine and the next sync "
                              "retries; run `legday-sync sync` later to try now")
        if "invalid_grant" in text:
            raise AuthError("Google no longer accepts the saved login (invalid_grant: the grant "
                            "was revoked or has expired)", f"{AUTH_FIX}; {TESTING_HINT}") from exc
        raise AuthError(f"Google refused to refresh the saved login: {text}", AUTH_FIX) from exc
    status = http_status(exc)
    if status is None:
        return ApiFailure(None, "connection", f"can't reach Google while {what}: "
                          f"{type(exc).__name__}: {exc}",
                          "check the network connection; legday-sync retries on its own "
                          f"({BACKOFF.tries} tries) before giving up")
    reason = error_reason(exc)
    message = error_message(exc)
    if status == 401:
        raise AuthError(f"Google rejected the saved login while {what} (401 {message})",
                        AUTH_FIX) from exc
    if status == 403 and (reason in QUOTA_REASONS or "usage limits exceeded" in message.lower()):
        return ApiFailure(status, reason or "quotaExceeded",
                          f"Google's Calendar usage limit for this account was exceeded while "
                          f"{what} ({message}); Google keeps the calendar read-only for this "
                          f"tool for a few hours",
                          "wait a few hours: the daemon pauses on its own; many writes in a "
                          "short time (or another tool on the same account) cause this",
                          retry_after=QUOTA_BACKOFF_SECONDS)
    if status == 403 and reason in ("insufficientPermissions", "forbidden",
                                    "ACCESS_TOKEN_SCOPE_INSUFFICIENT"):
        return ApiFailure(status, reason, f"Google denied access while {what}: {message}",
                          "run `legday-sync auth` again to grant the permissions legday-sync "
                          "asks for, and check that the calendar is one you can see")
    if status == 404:
        return ApiFailure(status, reason, f"not found while {what}: {message}",
                          "check `calendar_id` (Google Calendar → Settings → the calendar → "
                          "Integrate calendar → Calendar ID)")
    if is_transient(exc):
        return ApiFailure(status, reason, f"Google kept failing while {what} "
                          f"({status} {reason or message})",
                          f"try again later; legday-sync gave up after {BACKOFF.tries} tries")
    return ApiFailure(status, reason, f"Google answered {status} {reason} while {what}: "
                      f"{message}", "")


# -- the client ------------------------------------------------------------------------
class GoogleClient:
    """A Calendar v3 service with bounded retries; saves a refreshed token (0600)."""

    def __init__(self, credentials, *, token_file: Path | None = None,
                 base_url: str | None = None, timeout: float = 30.0,
                 sleep: Callable[[float], None] | None = None) -> None:
        import google_auth_httplib2
        import httplib2
        from googleapiclient.discovery import build

        # httplib2 silently re-sends any request (POSTs too) once after a dropped
        # connection; a lost response would then create a second calendar. Retries are
        # ours alone, visible and bounded.
        httplib2.RETRIES = 1
        self.credentials = credentials
        self.token_file = token_file
        self._saved_token = credentials.token
        self.http = google_auth_httplib2.AuthorizedHttp(credentials,
                                                        http=httplib2.Http(timeout=timeout))
        options = {"api_endpoint": base_url + "/calendar/v3/"} if base_url else None
        self.batch_uri = base_url + "/batch/calendar/v3" if base_url else DEFAULT_BATCH_URI
        self.service = build("calendar", "v3", http=self.http, static_discovery=True,
                             cache_discovery=False, client_options=options)
        self.sleep = sleep

    @property
    def granted(self) -> frozenset[str]:
        """The permissions the user granted (as Google's last token answer says, if any)."""
        return granted_scopes(self.credentials)

    @classmethod
    def connect(cls, state_dir: Path, *, save_refreshed: bool = True) -> GoogleClient:
        path = token_path(state_dir)
        return cls(load_credentials(path), token_file=path if save_refreshed else None,
                   base_url=endpoint())

    def close(self) -> None:
        self.service.close()

    # -- retries ---------------------------------------------------------------------
    def retrying(self, retry_on: Callable[[BaseException], bool]):
        from tenacity import (
            Retrying,
            retry_if_exception,
            stop_after_attempt,
            stop_after_delay,
            wait_random_exponential,
        )

        b = BACKOFF
        jitter = wait_random_exponential(multiplier=b.initial_seconds, max=b.max_seconds)

        def wait(rs) -> float:
            exc = rs.outcome.exception() if rs.outcome else None
            delay = max(jitter(rs), min(retry_after(exc), b.max_seconds) if exc else 0.0)
            left = b.budget_seconds - (rs.seconds_since_start or 0.0)
            return max(0.0, min(delay, left))

        def before_sleep(rs) -> None:
            exc = rs.outcome.exception() if rs.outcome else None
            log.info("Google call failed (%s), retry %d in %.1fs", _short(exc),
                     rs.attempt_number, rs.upcoming_sleep)

        kwargs: dict[str, Any] = {}
        if self.sleep is not None:
            kwargs["sleep"] = self.sleep
        return Retrying(stop=stop_after_attempt(b.tries) | stop_after_delay(b.budget_seconds),
                        wait=wait, retry=retry_if_exception(retry_on), reraise=True,
                        before_sleep=before_sleep, **kwargs)

    def _save_if_refreshed(self) -> None:
        token = self.credentials.token
        if self.token_file is not None and token and token != self._saved_token:
            from ..files import write_private

            data = json.loads(self.credentials.to_json())
            if self.credentials.granted_scopes:  # a permission withdrawn since `auth` shows here
                data["scopes"] = sorted(self.credentials.granted_scopes)
            write_private(self.token_file, json.dumps(data).encode("utf-8"))
            self._saved_token = token

    def call(self, request, what: str) -> Any:
        """Execute one request with retries; raise ApiFailure (or AuthError) when it fails."""
        try:
            for attempt in self.retrying(is_transient):
                with attempt:
                    result = request.execute(num_retries=0)
            return result
        except Exception as e:
            raise describe(e, what) from e
        finally:
            self._save_if_refreshed()

    def pages(self, make_request: Callable[[str | None], Any], what: str) -> tuple[list, dict]:
        """Every item of a paged list, and the last page (which has ``nextSyncToken``)."""
        items: list = []
        page_token: str | None = None
        while True:
            page = self.call(make_request(page_token), what)
            items.extend(page.get("items", []))
            page_token = page.get("nextPageToken")
            if not page_token:
                return items, page

    def batch(self, parts: Sequence[tuple[str, Any]], what: str,
              on_answer: Callable[[dict[str, tuple[Any, BaseException | None]]], None]
              | None = None) -> dict[str, tuple[Any, BaseException | None]]:
        """Run ``parts`` ((key, request) pairs) in batch requests of BATCH_SIZE.

        Parts that fail transiently (and whole batches that do) are sent again with
        backoff; the result maps each key to (response, None) or (None, last error).
        The parts must be safe to repeat. ``on_answer`` is called with each batch's
        answers as they arrive, so that a caller can record what Google acknowledged
        before the next batch goes out (a crash then loses nothing acknowledged).
        """
        from googleapiclient.http import BatchHttpRequest

        pending = dict(parts)
        results: dict[str, tuple[Any, BaseException | None]] = {}

        class _PartsFailed(Exception):
            pass

        def one_round() -> None:
            keys = list(pending)
            for i in range(0, len(keys), BATCH_SIZE):
                got: dict[str, tuple[Any, BaseException | None]] = {}

                def callback(rid: str, resp: Any, exc: BaseException | None,
                             got: dict = got) -> None:
                    got[rid] = (resp, exc)

                batch = BatchHttpRequest(callback=callback, batch_uri=self.batch_uri)
                # short Content-IDs: a long one gets folded, which some servers mishandle
                chunk = {str(n): key for n, key in enumerate(keys[i:i + BATCH_SIZE])}
                for n, key in chunk.items():
                    batch.add(pending[key], request_id=n)
                batch.execute(http=self.http)
                answered: dict[str, tuple[Any, BaseException | None]] = {}
                for n, (resp, exc) in got.items():
                    key = chunk[n]
                    results[key] = answered[key] = (resp, exc)
                    if exc is None or not is_transient(exc):
                        pending.pop(key, None)
                if on_answer is not None:
                    on_answer(answered)
            if pending:
                raise _PartsFailed(f"{len(pending)} part(s) failed")

        try:
            for attempt in self.retrying(lambda e: isinstance(e, _PartsFailed)
                                          or is_transient(e)):
                with attempt:
                    one_round()
        except _PartsFailed:
            pass  # the failed parts' last errors are in results
        except Exception as e:
            raise describe(e, what) from e
        finally:
            self._save_if_refreshed()
        return results


def _server_side(text: str) -> bool:
    """A token-endpoint answer that is the server's fault (a 5xx page, "internal_failure")."""
    low = text.lower()
    return any(w in low for w in ("internal_failure", "server_error", "temporarily_unavailable",
                                  "service unavailable", "bad gateway", "backend error"))


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:160]


def _short(exc: BaseException | None) -> str:
    if exc is None:
        return "?"
    status = http_status(exc)
    if status is not None:
        return f"{status} {error_reason(exc)}"
    return type(exc).__name__
