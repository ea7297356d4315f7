"""One CalDAV connection: discovery, and the few requests legday-sync sends.

The ``caldav`` library (imported only here, and only when a CalDAV source or sink
is configured) carries the HTTP session and the authentication handshake; the
requests themselves (REPORT, PUT with If-Match, …) are written out here so that
each one is counted, its preconditions are ours, and every failure becomes a
``CalDavError`` with a message and a fix — never a traceback, never the password.

The auth scheme a server asked for is remembered (``auth_type``), so later
connections send credentials at once instead of paying a 401 round trip.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from ...errors import CalDavError
from ...redact import redact_url

log = logging.getLogger(__name__)

NS_DAV = "DAV:"
NS_CALDAV = "urn:ietf:params:xml:ns:caldav"
NS_CS = "http://calendarserver.org/ns/"
NS_APPLE = "http://apple.com/ns/ical/"

#: how to make the password a provider wants, said when a login fails
APP_PASSWORD_HELP = (
    "check the username and the app-specific password: iCloud and Fastmail refuse your normal "
    "password here — make one at account.apple.com → Sign-In and Security → App-Specific "
    "Passwords (iCloud) or Settings → Privacy & Security → Manage app passwords (Fastmail); "
    "Nextcloud: Settings → Security → Devices & sessions → Create new app password")


# -- replies -------------------------------------------------------------------------------

@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    #: the parsed XML (lxml element) of a multistatus or error body, else None
    tree: Any

    def header(self, name: str) -> str:
        low = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == low), "")


@dataclass(frozen=True)
class Resource:
    """One calendar object resource of a multistatus answer."""

    href: str
    etag: str
    #: its iCalendar text; "" when the answer said only that it is gone or changed
    data: str
    #: the resource is gone (a sync-collection report's 404)
    gone: bool = False


@dataclass(frozen=True)
class CalendarInfo:
    url: str
    name: str
    color: str = ""
    description: str = ""
    ctag: str = ""
    sync_token: str = ""
    components: tuple[str, ...] = ()


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _text(el: Any, ns: str, tag: str) -> str:
    found = el.find(".//" + _q(ns, tag)) if el is not None else None
    return (found.text or "").strip() if found is not None and found.text else ""


class Connection:
    """One CalDAV account at ``url``, logged in as ``username``."""

    def __init__(self, url: str, username: str, password: str, *, timeout: float = 30,
                 auth_type: str | None = None) -> None:
        self.url = url if url.endswith("/") else url + "/"
        self.username = username
        self._password = password
        self.timeout = timeout
        self.auth_type = auth_type
        #: HTTP requests sent, 401 handshakes and retries included
        self.requests_sent = 0
        self._client: Any = None
        self._home: str | None = None

    def __repr__(self) -> str:  # never the password
        return f"Connection({redact_url(self.url)!r}, {self.username!r})"

    @property
    def client(self) -> Any:
        if self._client is None:
            import caldav  # heavy (niquests, lxml): only when CalDAV is used

            client = caldav.DAVClient(
                self.url, username=self.username, password=self._password,
                timeout=self.timeout, auth_type=self.auth_type, enable_rfc6764=False)
            send = client.session.request

            def counted(*args: Any, **kwargs: Any) -> Any:
                self.requests_sent += 1
                return send(*args, **kwargs)

            client.session.request = counted
            self._client = client
        return self._client

    @property
    def negotiated_auth(self) -> str | None:
        """The auth scheme in use after a successful request ("basic", "digest")."""
        auth = getattr(self._client, "auth", None)
        name = type(auth).__name__.lower() if auth is not None else ""
        return "digest" if "digest" in name else "basic" if "basic" in name else None

    def absolute(self, href: str) -> str:
        return urljoin(self.url, href)

    # -- sending ------------------------------------------------------------------------
    def send(self, method: str, url: str, body: str = "", *, what: str,
             headers: dict[str, str] | None = None, ok: tuple[int, ...] = ()) -> Reply:
        """One request; statuses in ``ok`` (and 2xx) come back, anything else raises."""
        from caldav.lib import error as dav_error

        hdrs = dict(headers or {})
        if body and "Content-Type" not in hdrs:
            hdrs["Content-Type"] = 'application/xml; charset="utf-8"'
        try:
            resp = self.client.request(self.absolute(url), method, body, hdrs)
        except dav_error.AuthorizationError as e:
            status = _status(e)
            if status in ok:
                return Reply(status, {}, None)  # e.g. 403: a sync-token the server forgot
            if status == 403:
                raise CalDavError(f"{what}: the server refused access (403) to "
                                  f"{redact_url(self.absolute(url))}",
                                  "check that this account may use that calendar",
                                  403) from None
            raise CalDavError(f"{what}: the server rejected the login for "
                              f"{self.username!r} (401)", APP_PASSWORD_HELP, 401) from None
        except dav_error.RateLimitError as e:
            status = _status(e) if _status(e) in (429, 503) else 503
            raise CalDavError(f"{what}: the server is busy ({status})",
                              "try again later; nothing was changed", status) from None
        except Exception as e:
            raise self._transport_failure(e, what) from None
        reply = Reply(int(resp.status), dict(resp.headers or {}), getattr(resp, "tree", None))
        if 200 <= reply.status < 300 or reply.status in ok:
            if self.auth_type is None:
                self.auth_type = self.negotiated_auth
            return reply
        if reply.status in (429, 503):
            raise CalDavError(f"{what}: the server is busy ({reply.status})",
                              "try again later; nothing was changed", reply.status)
        if reply.status >= 500:
            raise CalDavError(f"{what}: the server failed ({reply.status})",
                              "try again later; nothing was changed", reply.status)
        raise CalDavError(f"{what}: unexpected answer {reply.status} from "
                          f"{redact_url(self.absolute(url))}",
                          "check the url and calendar in the config", reply.status)

    def _transport_failure(self, e: Exception, what: str) -> CalDavError:
        name = type(e).__name__
        host = urlsplit(self.url).netloc.rpartition("@")[2]
        if "Timeout" in name:
            return CalDavError(f"{what}: {host} did not answer within {self.timeout:.0f} s",
                               "check your connection; try again later")
        if "Connection" in name or "NameResolution" in name or isinstance(e, OSError):
            return CalDavError(f"{what}: can't reach {host}",
                               "check the url and your network connection")
        if "XMLSyntax" in name or "Parse" in name:
            return CalDavError(f"{what}: the server's answer is not valid XML",
                               "check that the url points at a CalDAV server")
        log.debug("caldav request failed: %s", name)
        return CalDavError(f"{what}: request failed ({name})",
                           "check the url; try again later")

    # -- discovery ----------------------------------------------------------------------
    def propfind(self, url: str, props: str, *, depth: int, what: str) -> list[Any]:
        body = (f'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" '
                f'xmlns:C="{NS_CALDAV}" xmlns:CS="{NS_CS}" xmlns:A="{NS_APPLE}">'
                f"<D:prop>{props}</D:prop></D:propfind>")
        reply = self.send("PROPFIND", url, body, what=what, headers={"Depth": str(depth)})
        return self._responses(reply, what)

    def _responses(self, reply: Reply, what: str) -> list[Any]:
        if reply.status != 207 or reply.tree is None or \
                reply.tree.tag != _q(NS_DAV, "multistatus"):
            raise CalDavError(f"{what}: the server's answer is not a WebDAV multistatus",
                              "check that the url points at a CalDAV server")
        return list(reply.tree.findall(_q(NS_DAV, "response")))

    def calendar_home(self) -> str:
        """The calendar-home-set of the logged-in user, found from ``url``."""
        if self._home is None:
            self._home = self._calendar_home()
        return self._home

    def _calendar_home(self) -> str:
        what = "finding your calendars"
        principal = self.url
        for r in self.propfind(self.url, "<D:current-user-principal/><C:calendar-home-set/>",
                               depth=0, what=what):
            home = r.find(f".//{_q(NS_CALDAV, 'calendar-home-set')}/{_q(NS_DAV, 'href')}")
            if home is not None and home.text:
                return self.absolute(home.text.strip())
            cup = r.find(f".//{_q(NS_DAV, 'current-user-principal')}/{_q(NS_DAV, 'href')}")
            if cup is not None and cup.text:
                principal = self.absolute(cup.text.strip())
        if principal != self.url:
            for r in self.propfind(principal, "<C:calendar-home-set/>", depth=0, what=what):
                home = r.find(f".//{_q(NS_CALDAV, 'calendar-home-set')}/{_q(NS_DAV, 'href')}")
                if home is not None and home.text:
                    return self.absolute(home.text.strip())
        raise CalDavError(f"{what}: {redact_url(self.url)} names no calendar home",
                          "use the server's CalDAV address (e.g. https://caldav.icloud.com/, "
                          "https://caldav.fastmail.com/, https://HOST/remote.php/dav/)")

    def calendars(self) -> list[CalendarInfo]:
        """Every calendar (VEVENT-capable collection) in the user's calendar home."""
        home = self.calendar_home()
        props = ("<D:resourcetype/><D:displayname/><A:calendar-color/>"
                 "<C:calendar-description/><CS:getctag/><D:sync-token/>"
                 "<C:supported-calendar-component-set/>")
        out = []
        for r in self.propfind(home, props, depth=1, what="listing your calendars"):
            if r.find(f".//{_q(NS_DAV, 'resourcetype')}/{_q(NS_CALDAV, 'calendar')}") is None:
                continue
            href = _text(r, NS_DAV, "href")
            comps = tuple(c.get("name", "").upper() for c in
                          r.iter(_q(NS_CALDAV, "comp")))
            out.append(CalendarInfo(
                url=self.absolute(href), name=_text(r, NS_DAV, "displayname") or
                href.rstrip("/").rpartition("/")[2],
                color=_text(r, NS_APPLE, "calendar-color"),
                description=_text(r, NS_CALDAV, "calendar-description"),
                ctag=_text(r, NS_CS, "getctag"), sync_token=_text(r, NS_DAV, "sync-token"),
                components=comps))
        return out

    def find_calendar(self, spec: str) -> CalendarInfo | None:
        """The calendar ``spec`` names: a full URL, or a display name (exact, then any case)."""
        if spec.lower().startswith(("http://", "https://", "/")):
            want = self.absolute(spec).rstrip("/")
            for c in self.calendars():
                if c.url.rstrip("/") == want:
                    return c
            return self._calendar_at(want + "/")  # shared with you, outside your home
        cals = self.calendars()
        exact = [c for c in cals if c.name == spec]
        loose = [c for c in cals if c.name.casefold() == spec.casefold()]
        found = exact or loose
        return found[0] if found else None

    def _calendar_at(self, url: str) -> CalendarInfo | None:
        try:
            found = self.propfind(url, "<D:resourcetype/><D:displayname/>", depth=0,
                                  what="looking at the calendar")
        except CalDavError as e:
            if e.status in (403, 404, 410):
                return None
            raise
        for r in found:
            if r.find(f".//{_q(NS_DAV, 'resourcetype')}/{_q(NS_CALDAV, 'calendar')}") is not None:
                return CalendarInfo(url=url, name=_text(r, NS_DAV, "displayname"))
        return None

    def collection_state(self, url: str) -> tuple[str, str]:
        """(ctag, sync-token) of the calendar at ``url``: one PROPFIND."""
        for r in self.propfind(url, "<CS:getctag/><D:sync-token/>", depth=0,
                               what="checking the calendar for changes"):
            return _text(r, NS_CS, "getctag"), _text(r, NS_DAV, "sync-token")
        return "", ""

    # -- calendar objects ---------------------------------------------------------------
    def resources(self, reply: Reply, what: str) -> list[Resource]:
        out = []
        for r in self._responses(reply, what):
            href = _text(r, NS_DAV, "href")
            if not href or href.endswith("/"):
                continue  # a collection (some servers list the calendar itself), not an event
            status = " ".join(s.text or "" for s in r.findall(_q(NS_DAV, "status")))
            ok = any(" 200 " in (s.text or "") + " " for s in
                     r.findall(f".//{_q(NS_DAV, 'propstat')}/{_q(NS_DAV, 'status')}"))
            if " 404 " in status + " " and not ok:
                out.append(Resource(self.absolute(href), "", "", gone=True))
                continue
            out.append(Resource(self.absolute(href), _text(r, NS_DAV, "getetag"),
                                _text(r, NS_CALDAV, "calendar-data")))
        return out

    def query(self, calendar: str, *, start: str | None = None, end: str | None = None
              ) -> list[Resource]:
        """calendar-query REPORT: the VEVENT resources (overlapping start..end, when given)."""
        span = f'<C:time-range start="{start}" end="{end}"/>' if start and end else ""
        body = (f'<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" '
                f'xmlns:C="{NS_CALDAV}"><D:prop><D:getetag/><C:calendar-data/></D:prop>'
                f'<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
                f"{span}</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>")
        reply = self.send("REPORT", calendar, body, what="reading the calendar",
                          headers={"Depth": "1"})
        return [r for r in self.resources(reply, "reading the calendar") if not r.gone]

    def sync_collection(self, calendar: str, token: str) -> tuple[list[Resource], str] | None:
        """RFC 6578 sync-collection from ``token``: (changed or gone resources, new token);
        None when the server no longer accepts the token (then read everything again)."""
        body = (f'<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">'
                f"<D:sync-token>{xml_escape(token)}</D:sync-token><D:sync-level>1"
                f"</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>")
        reply = self.send("REPORT", calendar, body, what="checking the calendar for changes",
                          headers={"Depth": "0"}, ok=(403, 409, 410))
        if reply.status in (403, 409, 410):
            return None  # DAV:valid-sync-token failed: the token expired
        token_new = _text(reply.tree, NS_DAV, "sync-token") if reply.tree is not None else ""
        changes = self.resources(reply, "checking the calendar for changes")
        return changes, token_new

    def multiget(self, calendar: str, hrefs: list[str]) -> list[Resource]:
        if not hrefs:
            return []
        refs = "".join(f"<D:href>{xml_escape(urlsplit(h).path)}</D:href>" for h in hrefs)
        body = (f'<?xml version="1.0" encoding="utf-8"?><C:calendar-multiget xmlns:D="DAV:" '
                f'xmlns:C="{NS_CALDAV}"><D:prop><D:getetag/><C:calendar-data/></D:prop>'
                f"{refs}</C:calendar-multiget>")
        reply = self.send("REPORT", calendar, body, what="reading changed events",
                          headers={"Depth": "1"})
        return self.resources(reply, "reading changed events")

    def reread(self, calendar: str, href: str) -> Resource | None:
        """One resource as it is now (after a 412), or None when it is gone."""
        got = [r for r in self.multiget(calendar, [href]) if not r.gone and r.data]
        return got[0] if got else None


def _status(e: Exception) -> int:
    """401 or 403, from the library's AuthorizationError."""
    for attr in ("status", "status_code"):
        value = getattr(e, attr, None)
        if str(value).isdigit():
            return int(str(value))
    return 403 if "403" in str(getattr(e, "reason", "")) else 401


def xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

