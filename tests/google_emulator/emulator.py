"""HTTP front end + test controls of the Google Calendar v3 emulator."""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import compat32
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ._backend import Backend
from ._errors import ApiError

API_PREFIX = "/calendar/v3"
BATCH_PATH = "/batch/calendar/v3"
TOKEN_PATH = "/token"
AUTH_PATH = "/o/oauth2/auth"

_SCOPE = "https://www.googleapis.com/auth/"
EVENTS_READONLY = _SCOPE + "calendar.events.readonly"
APP_CREATED = _SCOPE + "calendar.app.created"
FREEBUSY = _SCOPE + "calendar.freebusy"
CALENDARLIST_READONLY = _SCOPE + "calendar.calendarlist.readonly"
FULL = _SCOPE + "calendar"
#: what a token the emulator didn't issue (tests' "test-token") may do: everything
ALL_SCOPES = frozenset({FULL, EVENTS_READONLY, APP_CREATED, FREEBUSY, CALENDARLIST_READONLY})
DEFAULT_CLIENT = "id"

_DROP = object()  # sentinel: close the connection without answering

_RATE_REASONS = {
    "403_rate": "rateLimitExceeded",
    "403_user_rate": "userRateLimitExceeded",
    "403_userrate": "userRateLimitExceeded",
}


@dataclass(frozen=True)
class Grant:
    """What a token may do: the OAuth client it was issued to and the scopes granted."""

    client_id: str
    scopes: frozenset


_UNKNOWN_GRANT = Grant(DEFAULT_CLIENT, ALL_SCOPES)


@dataclass
class RequestRecord:
    """One logged request (a top-level HTTP request or one part of a batch)."""

    method: str
    path: str
    query: dict[str, str]
    query_all: dict[str, list[str]]
    body: Any
    status: int | None = None
    is_batch_part: bool = False
    batch_id: int | None = None
    operation: str | None = None
    calendar_id: str | None = None
    event_id: str | None = None
    fault: str | None = None
    response: Any = None


@dataclass
class _Response:
    status: int
    body: Any = None  # dict -> JSON, bytes -> raw, None -> empty
    headers: dict[str, str] = field(default_factory=dict)
    drop_after: bool = False

    def encode(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, bytes):
            payload = self.body
        elif self.body is None:
            payload = b""
        else:
            payload = json.dumps(self.body, indent=1).encode()
            headers.setdefault("Content-Type", "application/json; charset=UTF-8")
        return payload, headers


@dataclass
class _FaultScript:
    method: str
    path_re: re.Pattern
    faults: deque


# (method, regex, operation) -- regex is applied to the path with API_PREFIX removed
_ROUTES = [
    ("POST", r"/calendars", "calendars.insert"),
    ("GET", r"/calendars/(?P<cal>[^/]+)", "calendars.get"),
    ("PATCH", r"/calendars/(?P<cal>[^/]+)", "calendars.patch"),
    ("PUT", r"/calendars/(?P<cal>[^/]+)", "calendars.update"),
    ("DELETE", r"/calendars/(?P<cal>[^/]+)", "calendars.delete"),
    ("GET", r"/users/me/calendarList", "calendarList.list"),
    ("GET", r"/users/me/calendarList/(?P<cal>[^/]+)", "calendarList.get"),
    ("GET", r"/calendars/(?P<cal>[^/]+)/events", "events.list"),
    ("POST", r"/calendars/(?P<cal>[^/]+)/events", "events.insert"),
    ("GET", r"/calendars/(?P<cal>[^/]+)/events/(?P<ev>[^/]+)/instances", "events.instances"),
    ("GET", r"/calendars/(?P<cal>[^/]+)/events/(?P<ev>[^/]+)", "events.get"),
    ("PATCH", r"/calendars/(?P<cal>[^/]+)/events/(?P<ev>[^/]+)", "events.patch"),
    ("PUT", r"/calendars/(?P<cal>[^/]+)/events/(?P<ev>[^/]+)", "events.update"),
    ("DELETE", r"/calendars/(?P<cal>[^/]+)/events/(?P<ev>[^/]+)", "events.delete"),
    ("POST", r"/freeBusy", "freebusy.query"),
]
_COMPILED = [(m, re.compile("^" + r + "$"), op) for m, r, op in _ROUTES]


class CalendarEmulator:
    """Google Calendar v3 REST emulator on a local ThreadingHTTPServer.

    >>> with CalendarEmulator() as emu:
    ...     service = emu.build_service()
    """

    def __init__(
        self,
        *,
        primary_id: str = "user@example.com",
        time_zone: str = "UTC",
        now=None,
        batch_limit: int = 50,
        require_auth: bool = True,
    ):
        self.backend = Backend(primary_id=primary_id, time_zone=time_zone, now=now)
        self.primary_id = primary_id
        self.batch_limit = batch_limit
        self.require_auth = require_auth
        self.requests: list[RequestRecord] = []
        self._faults: list[_FaultScript] = []
        self._valid_tokens: set[str] | None = None  # None: any bearer token accepted
        self._issued_tokens: list[str] = []
        #: access and refresh tokens the emulator issued -> their grant
        self._grants: dict[str, Grant] = {}
        self._codes: dict[str, Grant] = {}
        #: scopes the user unticks on the consent screen (granular consent)
        self.unticked: set[str] = set()
        #: the consent screen shows an error page and never redirects ("Access blocked")
        self.consent_blocked = False
        #: per calendar id, an error reason free/busy reports for it (groupTooBig…)
        self.freebusy_errors: dict[str, str] = {}
        self._batch_counter = 0
        self._log_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()

    # ================================================================ lifecycle
    def start(self) -> CalendarEmulator:
        if self._server is not None:
            return self
        emu = self

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False
            allow_reuse_address = True

            def process_request(self, request, client_address):
                with emu._log_lock:
                    emu._conns.add(request)
                super().process_request(request, client_address)

            def shutdown_request(self, request):
                with emu._log_lock:
                    emu._conns.discard(request)
                super().shutdown_request(request)

        self._server = Server(("127.0.0.1", 0), _Handler)
        self._server.emulator = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="calendar-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        with self._log_lock:
            conns = list(self._conns)
        for conn in conns:  # unblock keep-alive handler threads
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> CalendarEmulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("emulator not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_endpoint(self) -> str:
        """Value for client_options={"api_endpoint": ...}."""
        return self.base_url + API_PREFIX + "/"

    @property
    def batch_uri(self) -> str:
        return self.base_url + BATCH_PATH

    @property
    def token_uri(self) -> str:
        return self.base_url + TOKEN_PATH

    # ================================================================ client helpers
    def credentials(self, token: str = "test-token"):
        from google.oauth2.credentials import Credentials

        return Credentials(
            token=token,
            refresh_token="r",
            token_uri=self.token_uri,
            client_id="id",
            client_secret="secret",
        )

    def build_service(self, credentials=None):
        from googleapiclient.discovery import build

        return build(
            "calendar",
            "v3",
            credentials=credentials or self.credentials(),
            static_discovery=True,
            client_options={"api_endpoint": self.api_endpoint},
            cache_discovery=False,
        )

    def new_batch(self, callback=None):
        """A BatchHttpRequest aimed at this emulator.

        service.new_batch_http_request() ignores api_endpoint and would hit googleapis.com.
        """
        from googleapiclient.http import BatchHttpRequest

        return BatchHttpRequest(callback=callback, batch_uri=self.batch_uri)

    # ================================================================ test controls: data
    def add_calendar(
        self,
        summary: str = "Secondary",
        *,
        calendar_id: str | None = None,
        time_zone: str | None = None,
    ) -> dict:
        body = {"summary": summary}
        if time_zone:
            body["timeZone"] = time_zone
        return self.backend.create_calendar(body, cal_id=calendar_id)

    def add_event(self, calendar_id: str, body: dict) -> dict:
        """Create an event server-side (not logged). Honours body['id'] like events.insert."""
        return self.backend.insert_event(calendar_id, body)

    def events(self, calendar_id: str = "primary", include_deleted: bool = False) -> list[dict]:
        """Stored events (masters + exceptions, not expanded), in creation order."""
        return self.backend.stored_events(calendar_id, include_deleted)

    def get_event(self, calendar_id: str, event_id: str) -> dict:
        return self.backend.get_event(calendar_id, event_id)

    def user_edit(self, calendar_id: str, event_id: str, **fields) -> dict:
        """Simulate an edit in the Google UI (patch semantics; bumps updated/etag/sequence)."""
        return self.backend.modify_event(
            calendar_id, event_id, fields, replace=False, bump_sequence=True
        )

    def user_delete(self, calendar_id: str, event_id: str) -> None:
        """Simulate the user deleting an event (or one instance) in the Google UI."""
        self.backend.delete_event(calendar_id, event_id)

    def expire_sync_tokens(self) -> None:
        """Every issued syncToken (and pageToken) becomes invalid -> 410 fullSyncRequired."""
        self.backend.expire_sync_tokens()

    # ================================================================ test controls: auth
    def invalidate_access_tokens(self) -> None:
        """From now on only tokens issued later by POST /token are accepted (others: 401)."""
        with self._log_lock:
            self._valid_tokens = set()

    @property
    def issued_tokens(self) -> list[str]:
        return list(self._issued_tokens)

    def grant(self, token: str, scopes, client_id: str = DEFAULT_CLIENT) -> None:
        """Make ``token`` (an access or a refresh token) carry only ``scopes``, for
        ``client_id``; tokens the emulator never heard of may do everything."""
        with self._log_lock:
            self._grants[token] = Grant(client_id, frozenset(scopes))

    def credentials_for(self, scopes, client_id: str = DEFAULT_CLIENT, *,
                        token: str | None = None):
        """Credentials whose access and refresh tokens carry only ``scopes``."""
        from google.oauth2.credentials import Credentials

        token = token or "ya29.granted-" + secrets.token_urlsafe(8)
        refresh = "1//refresh-" + secrets.token_urlsafe(8)
        self.grant(token, scopes, client_id)
        self.grant(refresh, scopes, client_id)
        return Credentials(token=token, refresh_token=refresh, token_uri=self.token_uri,
                           client_id=client_id, client_secret="secret", scopes=sorted(scopes))

    def set_calendar_client(self, calendar_id: str, client_id: str) -> None:
        """Mark a calendar as made by another OAuth client (``calendar.app.created``)."""
        with self.backend.lock:
            self.backend.resolve_calendar(calendar_id)["_client"] = client_id

    @property
    def auth_uri(self) -> str:
        return self.base_url + AUTH_PATH

    # ================================================================ test controls: faults
    def script_faults(self, method: str | None, path_regex: str, faults: list) -> None:
        """Queue faults for requests matching method and path_regex.

        method "*" or None matches any method; path_regex is re.search()ed on the URL path.

        Fault values: an int HTTP status (429, 500, 502, 503, 403, 404, 410, 401, ...),
        "403_rate" / "403_user_rate" (403 rateLimitExceeded / userRateLimitExceeded),
        "403_quota" (403 quotaExceeded, "Calendar usage limits exceeded."),
        "drop" (close the connection before processing), "drop_after" (process, then close without
        answering), "invalid_grant" (for POST /token), or a dict
        {"status": int, "reason": str, "message": str, "retry_after": int,
         "drop": bool, "drop_after": bool}.
        Each fault is consumed by one matching request; batch parts are matched with their own
        method/path (a "drop" on a part drops the whole batch connection).
        """
        with self._log_lock:
            self._faults.append(
                _FaultScript((method or "*").upper(), re.compile(path_regex), deque(faults))
            )

    def pending_faults(self) -> int:
        with self._log_lock:
            return sum(len(f.faults) for f in self._faults)

    def _take_fault(self, method: str, path: str):
        with self._log_lock:
            for script in self._faults:
                if script.faults and script.method in ("*", method) and script.path_re.search(path):
                    return script.faults.popleft()
        return None

    @staticmethod
    def _fault_response(fault, *, operation: str | None, query: dict) -> _Response:
        spec: dict = fault if isinstance(fault, dict) else {}
        if isinstance(fault, str) and fault in ("drop", "drop_after"):
            spec = {fault: True}
        if spec.get("drop"):
            return _Response(0, drop_after=False)
        if isinstance(fault, str) and fault in _RATE_REASONS:
            spec = {"status": 403, "reason": _RATE_REASONS[fault]}
        elif isinstance(fault, str) and fault == "403_quota":
            # the account hit its daily Calendar limits: read-only for hours
            spec = {"status": 403, "reason": "quotaExceeded",
                    "message": "Calendar usage limits exceeded."}
        elif isinstance(fault, str) and fault == "invalid_grant":
            return _Response(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                },
            )
        elif isinstance(fault, int):
            spec = {"status": fault}
        elif not isinstance(fault, dict):
            raise ValueError(f"unknown fault {fault!r}")
        status = int(spec.get("status", 500))
        defaults = {
            400: ("badRequest", "Bad Request"),
            401: ("authError", "Invalid Credentials"),
            403: ("forbidden", "Forbidden"),
            404: ("notFound", "Not Found"),
            409: ("duplicate", "The requested identifier already exists."),
            410: (
                "fullSyncRequired"
                if operation == "events.list" and "syncToken" in query
                else "deleted",
                "Resource has been deleted",
            ),
            412: ("conditionNotMet", "Precondition Failed"),
            429: ("rateLimitExceeded", "Rate Limit Exceeded"),
            500: ("backendError", "Backend Error"),
            502: ("backendError", "Bad Gateway"),
            503: ("backendError", "Service Unavailable"),
        }
        reason, message = defaults.get(status, ("backendError", "Error"))
        reason = spec.get("reason", reason)
        if reason == "rateLimitExceeded" and status == 403:
            message = "Rate Limit Exceeded"
        if reason == "userRateLimitExceeded":
            message = "User Rate Limit Exceeded"
        err = ApiError(status, reason, spec.get("message", message))
        headers = {}
        if spec.get("retry_after") is not None:
            headers["Retry-After"] = str(spec["retry_after"])
        return _Response(status, err.body(), headers, drop_after=False)

    # ================================================================ test controls: log
    def mutations(self, calendar_id: str | None = None) -> list[RequestRecord]:
        """Logged non-GET requests on events (top-level and batch parts), faulted ones included."""
        with self._log_lock:
            recs = list(self.requests)
        return [
            r
            for r in recs
            if r.operation
            and r.operation.startswith("events.")
            and r.method != "GET"
            and (
                calendar_id is None
                or r.calendar_id in (calendar_id, self._resolve_alias(calendar_id))
            )
        ]

    def clear_requests(self) -> None:
        with self._log_lock:
            self.requests.clear()

    def _resolve_alias(self, cal: str | None) -> str | None:
        return self.primary_id if cal == "primary" else cal

    def _log(self, rec: RequestRecord) -> None:
        with self._log_lock:
            self.requests.append(rec)

    # ================================================================ dispatch
    def _check_auth(self, headers) -> Grant:
        auth = headers.get("Authorization") or headers.get("authorization") or ""
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        with self._log_lock:
            valid = self._valid_tokens
            grant = self._grants.get(token, _UNKNOWN_GRANT)
        if not self.require_auth:
            return grant
        if not token or (valid is not None and token not in valid):
            raise ApiError(
                401,
                "authError",
                "Invalid Credentials",
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
                extra={"location": "Authorization", "locationType": "header"},
            )
        return grant

    def _authorize(self, op: str, cal_id: str | None, grant: Grant) -> None:
        """Google's scope checks, and ``calendar.app.created`` seeing only its own calendars."""
        got = grant.scopes
        full = FULL in got

        def insufficient() -> ApiError:
            return ApiError(403, "insufficientPermissions",
                            "Request had insufficient authentication scopes.")

        if op == "freebusy.query":
            # the scopes Google's freebusy.query reference lists (events.readonly isn't one)
            if not (full or FREEBUSY in got or _SCOPE + "calendar.readonly" in got
                    or _SCOPE + "calendar.events.freebusy" in got):
                raise insufficient()
            return
        if op.startswith("calendarList."):
            if not (full or CALENDARLIST_READONLY in got or _SCOPE + "calendar.readonly" in got):
                raise insufficient()
            return
        if op == "calendars.insert":
            if not (full or APP_CREATED in got):
                raise insufficient()
            return
        writes = op.split(".")[1] not in ("get", "list", "instances")
        cal = None
        if cal_id is not None:
            with self.backend.lock:
                cal = self.backend.calendars.get(self._resolve_alias(cal_id) or "")
        if cal is None or full:
            if cal is None and not full and not (got & {EVENTS_READONLY, APP_CREATED}):
                raise insufficient()
            return
        own = (not cal.get("_primary") and APP_CREATED in got
               and cal.get("_client", DEFAULT_CLIENT) == grant.client_id)
        if own:
            return
        if op.startswith("calendars."):
            if writes or EVENTS_READONLY not in got:
                raise ApiError(404, "notFound", "Not Found")
            return
        if writes:
            if APP_CREATED in got and not cal.get("_primary"):
                raise ApiError(403, "forbidden", "Forbidden")
            raise insufficient()
        if EVENTS_READONLY not in got:
            raise ApiError(404, "notFound", "Not Found")

    def handle(
        self,
        method: str,
        raw_path: str,
        headers,
        body: bytes,
        *,
        is_batch_part: bool = False,
        batch_id: int | None = None,
    ) -> _Response:
        split = urlsplit(raw_path)
        path = split.path
        query_all = parse_qs(split.query, keep_blank_values=True)
        override = headers.get("X-HTTP-Method-Override") or headers.get("x-http-method-override")
        if method == "POST" and override:  # the client does this for GETs with URIs > 2048 chars
            method = override.upper()
            query_all = parse_qs(body.decode(), keep_blank_values=True)
            body = b""
        query = {k: v[-1] for k, v in query_all.items()}
        parsed_body: Any = None
        body_error = None
        if body:
            ctype = (headers.get("Content-Type") or headers.get("content-type") or "").lower()
            if "x-www-form-urlencoded" in ctype:
                parsed_body = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
            else:
                try:
                    parsed_body = json.loads(body)
                except ValueError:
                    body_error = ApiError(400, "parseError", "Parse Error")
        rec = RequestRecord(
            method=method,
            path=path,
            query=query,
            query_all=query_all,
            body=parsed_body,
            is_batch_part=is_batch_part,
            batch_id=batch_id,
        )

        if path == BATCH_PATH and not is_batch_part:
            rec.operation = "batch"
            self._log(rec)
            fault = self._take_fault(method, path)
            if fault is not None:
                rec.fault = str(fault)
                resp = self._fault_response(fault, operation="batch", query=query)
                rec.status = resp.status
                if isinstance(fault, str) and fault == "drop_after":
                    resp = self._batch(headers, body, rec)
                    resp.drop_after = True
                return resp
            resp = self._batch(headers, body, rec)
            rec.status = resp.status
            return resp

        route = self._route(method, path)
        if route is not None:
            rec.operation, params = route
            rec.calendar_id = self._resolve_alias(params.get("cal"))
            rec.event_id = params.get("ev")
        elif path == TOKEN_PATH:
            rec.operation = "token"
        elif path == AUTH_PATH:
            rec.operation = "consent"
        self._log(rec)

        fault = self._take_fault(method, path)
        drop_after = False
        if fault is not None:
            rec.fault = str(fault)
            if fault == "drop_after" or (isinstance(fault, dict) and fault.get("drop_after")):
                drop_after = True
            else:
                resp = self._fault_response(fault, operation=rec.operation, query=query)
                rec.status = resp.status
                return resp
        try:
            if body_error is not None:
                raise body_error
            if path == TOKEN_PATH and method == "POST":
                resp = self._token(parsed_body or {})
            elif path == AUTH_PATH and method == "GET":
                resp = self._consent(query)
            elif route is None:
                raise ApiError(404, "notFound", "Not Found")
            else:
                grant = self._check_auth(headers)
                self._authorize(rec.operation, route[1].get("cal"), grant)
                if rec.operation == "calendars.insert":
                    parsed_body = {**(parsed_body or {}), "_client": grant.client_id}
                resp = self._call(rec.operation, route[1], query_all, parsed_body)
        except ApiError as exc:
            resp = _Response(exc.status, exc.body(), exc.headers)
        rec.status = resp.status
        rec.response = resp.body if isinstance(resp.body, dict) else None
        resp.drop_after = drop_after
        return resp

    @staticmethod
    def _route(method: str, path: str) -> tuple[str, dict] | None:
        if not path.startswith(API_PREFIX + "/"):
            return None
        sub = path[len(API_PREFIX) :]
        for m, rx, op in _COMPILED:
            if m == method:
                match = rx.match(sub)
                if match:
                    return op, {k: unquote(v) for k, v in match.groupdict().items()}
        return None

    def _call(self, op: str, params: dict, query: dict[str, list[str]], body: Any) -> _Response:
        b = self.backend
        cal, ev = params.get("cal"), params.get("ev")
        body = body if isinstance(body, dict) else {}
        if op == "calendars.insert":
            return _Response(200, b.create_calendar(body))
        if op == "calendars.get":
            return _Response(200, b.calendar_resource(cal))
        if op in ("calendars.patch", "calendars.update"):
            return _Response(200, b.patch_calendar(cal, body, replace=op.endswith("update")))
        if op == "calendars.delete":
            b.delete_calendar(cal)
            return _Response(204)
        if op == "calendarList.list":
            return _Response(200, b.calendar_list())
        if op == "calendarList.get":
            return _Response(200, b.calendar_list_entry(cal))
        if op == "events.list":
            return _Response(200, b.list_events(cal, query))
        if op == "events.insert":
            return _Response(200, b.insert_event(cal, body))
        if op == "events.get":
            return _Response(200, b.get_event(cal, ev))
        if op in ("events.patch", "events.update"):
            return _Response(200, b.modify_event(cal, ev, body, replace=op == "events.update"))
        if op == "events.delete":
            b.delete_event(cal, ev)
            return _Response(204)
        if op == "events.instances":
            return _Response(200, b.instances(cal, ev, query))
        if op == "freebusy.query":
            return _Response(200, b.freebusy(body, self.freebusy_errors))
        raise ApiError(404, "notFound", "Not Found")

    def _consent(self, query: dict) -> _Response:
        """The consent screen, already answered: every box ticked except ``unticked``
        (granular consent), then the redirect back with a code, as Google does."""
        if self.consent_blocked:
            return _Response(403, b"<h1>Access blocked: this app's request is invalid</h1>",
                             {"Content-Type": "text/html"})
        redirect = query.get("redirect_uri", "")
        asked = set(query.get("scope", "").split())
        granted = frozenset(asked - self.unticked)
        code = "4/emu-" + secrets.token_urlsafe(12)
        with self._log_lock:
            self._codes[code] = Grant(query.get("client_id", DEFAULT_CLIENT), granted)
        from urllib.parse import urlencode

        sep = "&" if "?" in redirect else "?"
        target = redirect + sep + urlencode(
            {"state": query.get("state", ""), "code": code, "scope": " ".join(sorted(granted))})
        return _Response(302, b"", {"Location": target})

    def _token(self, form: dict) -> _Response:
        grant_type = form.get("grant_type")
        with self._log_lock:
            if grant_type == "authorization_code":
                grant = self._codes.pop(form.get("code", ""), None)
                if grant is None:
                    return _Response(400, {"error": "invalid_grant",
                                           "error_description": "Malformed auth code."})
                refresh = "1//emu-" + secrets.token_urlsafe(12)
                self._grants[refresh] = grant
            elif grant_type == "refresh_token" and form.get("refresh_token"):
                refresh = None
                grant = self._grants.get(form["refresh_token"], _UNKNOWN_GRANT)
            else:
                return _Response(
                    400, {"error": "invalid_request", "error_description": "Missing refresh_token."}
                )
            token = "ya29.emu-" + secrets.token_urlsafe(12)
            self._grants[token] = grant
            self._issued_tokens.append(token)
            if self._valid_tokens is not None:
                self._valid_tokens.add(token)
        body = {
            "access_token": token,
            "expires_in": 3599,
            "token_type": "Bearer",
            # Google answers with what was granted, whatever the request asked for
            "scope": " ".join(sorted(grant.scopes)),
        }
        if refresh is not None:
            body["refresh_token"] = refresh
        return _Response(200, body)

    # ================================================================ batch
    def _batch(self, headers, body: bytes, rec: RequestRecord) -> _Response:
        ctype = headers.get("Content-Type") or headers.get("content-type") or ""
        if not ctype.lower().startswith("multipart/mixed"):
            return _Response(
                400, ApiError(400, "badRequest", "Batch request must be multipart/mixed").body()
            )
        msg = BytesParser(policy=compat32).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body
        )
        parts = msg.get_payload() if msg.is_multipart() else []
        if not parts:
            return _Response(400, ApiError(400, "badRequest", "Empty batch request").body())
        if len(parts) > self.batch_limit:
            return _Response(
                400,
                ApiError(
                    400,
                    "badRequest",
                    f"Batch request contains too many requests (max {self.batch_limit})",
                ).body(),
            )
        with self._log_lock:
            self._batch_counter += 1
            batch_id = self._batch_counter
        rec.batch_id = batch_id
        outer_auth = headers.get("Authorization") or headers.get("authorization")
        boundary = "batch_" + secrets.token_hex(12)
        out: list[bytes] = []
        for part in parts:
            content_id = part.get("Content-ID", "")
            raw = part.get_payload(decode=False)
            if isinstance(raw, list):  # should not happen for application/http
                raw = raw[0].as_string()
            method, path, p_headers, p_body = _parse_http_part(raw)
            if outer_auth and not p_headers.get("authorization"):
                p_headers["authorization"] = outer_auth
            resp = self.handle(
                method, path, _HeaderView(p_headers), p_body, is_batch_part=True, batch_id=batch_id
            )
            if resp.status == 0 or resp.drop_after:
                return _Response(0, drop_after=resp.drop_after)
            payload, resp_headers = resp.encode()
            reason = (
                HTTPStatus(resp.status).phrase
                if resp.status in HTTPStatus._value2member_map_
                else "Error"
            )
            head = [f"HTTP/1.1 {resp.status} {reason}"]
            head += [f"{k}: {v}" for k, v in resp_headers.items()]
            if isinstance(resp.body, dict) and resp.body.get("etag"):
                head.append(f"ETag: {resp.body['etag']}")
            head.append(f"Content-Length: {len(payload)}")
            inner = ("\r\n".join(head) + "\r\n\r\n").encode() + payload
            cid = content_id.strip()
            resp_cid = (
                f"<response-{cid[1:-1]}>"
                if cid.startswith("<") and cid.endswith(">")
                else f"<response-{cid}>"
            )
            out.append(
                f"--{boundary}\r\nContent-Type: application/http\r\n"
                f"Content-ID: {resp_cid}\r\n\r\n".encode()
                + inner
                + b"\r\n"
            )
        out.append(f"--{boundary}--\r\n".encode())
        return _Response(
            200, b"".join(out), {"Content-Type": f"multipart/mixed; boundary={boundary}"}
        )


class _HeaderView(dict):
    """Case-insensitive header lookup for batch parts."""

    def get(self, key, default=None):
        return super().get(key.lower(), default)


def _parse_http_part(raw: str) -> tuple[str, str, dict, bytes]:
    text = raw.replace("\r\n", "\n")
    request_line, _, rest = text.partition("\n")
    method, path = request_line.split(" ")[:2]
    head, _, body = rest.partition("\n\n")
    headers: dict[str, str] = {}
    for line in head.split("\n"):
        if ":" in line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    return method.upper(), path, headers, body.encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "ESF"
    sys_version = ""

    def log_message(self, format, *args):
        pass

    def _serve(self) -> None:
        emu: CalendarEmulator = self.server.emulator  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        resp = emu.handle(self.command, self.path, self.headers, body)
        if resp.status == 0 or resp.drop_after:
            self._drop()
            return
        payload, headers = resp.encode()
        self.send_response(resp.status)
        for k, v in headers.items():
            self.send_header(k, v)
        if isinstance(resp.body, dict) and resp.body.get("etag"):
            self.send_header("ETag", resp.body["etag"])
        self.send_header("Date", self.date_time_string())
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


__all__ = ["CalendarEmulator", "RequestRecord"]
