"""Suggestions in a CalDAV calendar of the tool's own (``[output.caldav]``).

The calendar is found by its display name (default "legday-sync suggestions")
or made with MKCALENDAR, with a colour and a description saying what it is.
Each suggestion is one resource, ``<suggestion id>.ics``, holding one VEVENT
with ``X-LEGDAY-SYNC`` (the suggestion id) and ``TRANSP:TRANSPARENT``.

Writes are conditional, so a change made on the phone is never overwritten
unseen: a create sends ``If-None-Match: *``, an update or a delete sends
``If-Match`` with the ETag read at the start of the sync. A 412 means the user
touched the resource in between: it is read again, and an event the user
edited is theirs (reported back as "edited"), one the user deleted stays
deleted ("dismissed"). Resources without the marker are never touched, and a
calendar that is also a source is never written.

The user's decisions outlive the state dir: the suggestions the user deleted are
kept in a property of the calendar (tombstones for any machine), and each event
carries the fingerprint of what was written (an edit shows without a ledger).
The resource format is in ``event.py``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from ...core.model import Action, Suggestion
from ...core.ports import Held
from ...errors import CalDavError, SinkError
from .account import Account, Session
from .client import NS_APPLE, NS_CALDAV, xml_escape
from .event import ICS_TYPE, edited_by_user, parse_time, render, sequence, to_held

log = logging.getLogger(__name__)

DEFAULT_CALENDAR = "legday-sync suggestions"
#: a dead property of the suggestions calendar: "<id>@<run start>" per line
NS_LEGDAY = "urn:x-legday-sync:"
DISMISSED_PROP = "dismissed"
MAX_DISMISSED = 500
COLOR = "#E8743BFF"
#: the calendar's description starts with this: how a crash-orphaned one is recognised
DESCRIPTION = ("legday-sync: recovery-aware suggestions (what to do instead of a run too soon "
               "after leg day). Delete or edit any of them: legday-sync respects that.")


class CalDavSink:
    """A ``Sink`` writing one resource per suggestion into a CalDAV calendar it owns."""

    user_editable: ClassVar[bool] = True

    def __init__(self, account: Account, calendar: str = DEFAULT_CALENDAR, *, state: Any,
                 tz: ZoneInfo, name: str = "caldav", source_keys: Collection[str] = (),
                 readonly: bool = False, owner: str = "") -> None:
        self.name = name
        #: the config writing (Settings.config_id), recorded in each event
        self.owner = owner
        self.calendar_spec = calendar
        self.state = state
        self.tz = tz
        #: state keys under which the CalDAV sources keep their calendars' URLs
        self.source_keys = tuple(source_keys)
        self.session = Session(account, state, readonly=readonly)
        self._url: str | None = None
        self._looked = False
        #: suggestion id -> (href, ETag, SEQUENCE) as load() saw them
        self._seen: dict[str, tuple[str, str, int]] = {}
        #: suggestions load() saw edited by the user: never rewritten or deleted
        self._edited: set[str] = set()

    @classmethod
    def from_settings(cls, settings: Any, state: Any) -> CalDavSink:
        out = settings.output.caldav
        keys = [f"caldav_calendar:{s.display_name}" for s in settings.source
                if s.type == "caldav"]
        return cls(Account.of(out), out.calendar, state=state, tz=settings.tz,
                   source_keys=keys, readonly=bool(getattr(state, "readonly", False)),
                   owner=settings.config_id)

    @property
    def meta_key(self) -> str:
        return f"caldav_sink_calendar:{self.name}"

    @property
    def requests_sent(self) -> int:
        conn = self.session._conn
        return conn.requests_sent if conn is not None else 0

    # -- the calendar -----------------------------------------------------------------
    def calendar_url(self, *, create: bool) -> str | None:
        if self._url is None and not self._looked:
            self._looked = True  # not there: don't ask again before creating it
            self._url = self.session.calendar(self.calendar_spec, self.meta_key)
        if self._url is None and create:
            self._url = self._make_calendar()
            self.session.remember_calendar(self.calendar_spec, self.meta_key, self._url)
        if self._url is not None:
            self._refuse_source(self._url)
        return self._url

    def _refuse_source(self, url: str) -> None:
        for key in self.source_keys:
            stored = self.state.meta_json(key)
            if isinstance(stored, dict) and str(stored.get("url", "")).rstrip("/") == \
                    url.rstrip("/"):
                raise CalDavError(
                    f"the suggestions calendar {self.calendar_spec!r} is also read as a "
                    "source; legday-sync never writes into a calendar it reads",
                    "give [output.caldav] a calendar of its own (the default "
                    f"{DEFAULT_CALENDAR!r} is created for you)")

    def _make_calendar(self) -> str:
        conn = self.session.conn
        if self.calendar_spec.lower().startswith(("http://", "https://", "/")):
            url = conn.absolute(self.calendar_spec)
            name = DEFAULT_CALENDAR
        else:
            slug = "legday-sync-" + hashlib.sha256(self.calendar_spec.encode()).hexdigest()[:8]
            url = conn.absolute(conn.calendar_home().rstrip("/") + "/" + slug + "/")
            name = self.calendar_spec
        body = (f'<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" '
                f'xmlns:C="{NS_CALDAV}" xmlns:A="{NS_APPLE}"><D:set><D:prop>'
                f"<D:displayname>{xml_escape(name)}</D:displayname>"
                f"<C:calendar-description>{xml_escape(DESCRIPTION)}</C:calendar-description>"
                f"<A:calendar-color>{COLOR}</A:calendar-color>"
                f'<C:supported-calendar-component-set><C:comp name="VEVENT"/>'
                f"</C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>")
        reply = conn.send("MKCALENDAR", url, body, what="creating the suggestions calendar",
                          ok=(405, 409))
        if reply.status in (405, 409):
            # already there: made by a run that crashed before remembering it? only if ours
            for c in conn.calendars():
                if c.url.rstrip("/") == url.rstrip("/") and c.description.startswith(
                        DESCRIPTION[:20]):
                    return c.url
            raise CalDavError(f"can't create the suggestions calendar at {url} "
                              f"({reply.status}): something else is there",
                              "set [output.caldav] calendar to another name")
        log.info("created the suggestions calendar %r", name)
        return url

    # -- the port ---------------------------------------------------------------------
    def load(self) -> dict[str, Held]:
        try:
            cal = self.calendar_url(create=False)
            if cal is None:
                return {}
            try:
                found = self.session.conn.query(cal)
            except CalDavError as e:
                if e.status not in (404, 410):
                    raise
                # the user deleted the whole calendar: everything in it counts as deleted
                log.warning("the suggestions calendar is gone; a new one is made when there "
                            "is something new to write")
                self.session.remember_calendar(self.calendar_spec, self.meta_key, None)
                self._url, self._looked = None, True
                return {}
            self.session.remember_auth()
        except CalDavError as e:
            raise SinkError(self.name, e.message, e.fix) from None
        out: dict[str, Held] = {}
        self._seen, self._edited = {}, set()
        for r in found:
            held = to_held(r)
            if held is None:
                continue  # not ours: never touched
            out[held.suggestion_id] = held
            self._seen[held.suggestion_id] = (r.href, r.etag, sequence(r))
            if edited_by_user(r):
                self._edited.add(held.suggestion_id)
        dismissed: dict[str, str] = {}
        if not self.state.meta(self.no_props_key):
            try:
                dismissed = self._dismissals(cal, out)
            except CalDavError as e:  # a help, not a condition: this machine's ledger holds
                log.warning("can't keep the dismissed suggestions on the server (%s); a new "
                            "machine won't know them", e.message)
                if not self.session.readonly:
                    self.state.set_meta(self.no_props_key, "1")  # don't ask again
        for sid, run_start in dismissed.items():
            if sid not in out:  # a tombstone: the user deleted it (seen from any machine)
                out[sid] = Held(sid, "", deleted=True, start=parse_time(run_start))
        return out

    # -- what the user deleted, kept on the server ---------------------------------------
    def _dismissals(self, cal: str, held: dict[str, Held]) -> dict[str, str]:
        """The suggestions the user deleted (id -> run start), kept in a property of the
        calendar so that a new machine or a lost state dir knows them too. Adds the ones
        this state's ledger shows missing (ours, written and gone, not deleted by us)."""
        conn = self.session.conn
        stored: dict[str, str] = {}
        for r in conn.propfind(cal, f'<L:{DISMISSED_PROP} xmlns:L="{NS_LEGDAY}"/>', depth=0,
                               what="reading the dismissed suggestions"):
            for line in _text_of(r, NS_LEGDAY, DISMISSED_PROP).split():
                sid, _, run_start = line.partition("@")
                if sid:
                    stored[sid] = run_start
        ledger = self.state.ledger(self.name)
        own = set(self.state.meta_json(self.own_key) or ()) & set(ledger)
        gone = {sid: led.run_start.isoformat() for sid, led in ledger.items()
                if sid not in held and sid not in own and sid not in stored}
        if gone and not self.session.readonly:
            keep = sorted({**stored, **gone}.items(), key=lambda kv: kv[1],
                          reverse=True)[:MAX_DISMISSED]
            text = "\n".join(f"{sid}@{run_start}" for sid, run_start in keep)
            body = (f'<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" '
                    f'xmlns:L="{NS_LEGDAY}"><D:set><D:prop><L:{DISMISSED_PROP}>'
                    f"{xml_escape(text)}</L:{DISMISSED_PROP}></D:prop></D:set>"
                    "</D:propertyupdate>")
            reply = conn.send("PROPPATCH", cal, body, what="keeping the dismissed suggestions")
            if reply.tree is not None and any(
                    " 200 " not in (st.text or "") + " " for st in reply.tree.iter(
                        "{DAV:}status")):
                raise CalDavError("the server does not keep custom calendar properties")
            stored = dict(keep)
        if not self.session.readonly and own != set(self.state.meta_json(self.own_key) or ()):
            self.state.set_meta(self.own_key, json.dumps(sorted(own)))
        return stored

    @property
    def no_props_key(self) -> str:
        return f"caldav_no_custom_props:{self.name}"

    @property
    def own_key(self) -> str:
        """State key: suggestions this sink deleted itself (not the user's dismissals)."""
        return f"caldav_deleted_by_us:{self.name}"

    def _deleting(self, sid: str) -> None:
        """Note a deletion of ours before it is sent, so it is never taken for the user's."""
        own = set(self.state.meta_json(self.own_key) or ())
        if sid not in own and not self.session.readonly:
            self.state.set_meta(self.own_key, json.dumps(sorted(own | {sid})))

    def apply(self, actions: Sequence[Action], now: datetime) -> dict[str, str]:
        """Carry out ``actions``; returns the suggestions the user touched meanwhile
        (id -> "edited" or "dismissed"), which were left as the user made them."""
        if not actions:
            return {}
        touched: dict[str, str] = {}
        try:
            cal = self.calendar_url(create=True)
            assert cal is not None
            for a in actions:
                what = self._write(cal, a, now)
                if what:
                    touched[a.suggestion_id] = what
        except CalDavError as e:
            raise SinkError(self.name, e.message, e.fix) from None
        return touched

    def _write(self, cal: str, a: Action, now: datetime) -> str | None:
        conn = self.session.conn
        href, etag, seq = self._seen.get(a.suggestion_id, (self._href(cal, a.suggestion_id),
                                                           "", -1))
        title = a.suggestion.title if a.suggestion is not None else a.suggestion_id[:8]
        what = f"writing “{title}”"
        if a.op != "create" and a.suggestion_id in self._edited:
            return "edited"  # the user's now, whatever this machine's ledger knows
        if a.op == "delete":
            self._deleting(a.suggestion_id)
            hdrs = {"If-Match": etag} if etag else {}
            reply = conn.send("DELETE", href, what=what, headers=hdrs, ok=(404, 410, 412))
            if reply.status == 412:
                now_there = conn.reread(cal, href)
                if now_there is not None and to_held(now_there) is not None:
                    return "edited"  # changed on the phone meanwhile: the user's now
            return None
        s = a.suggestion
        assert s is not None, "create and update carry their suggestion"
        if a.op == "create" or not etag:
            reply = conn.send("PUT", href, render(s, self.tz, now, 0, self.owner), what=what,
                              headers={"If-None-Match": "*", "Content-Type": ICS_TYPE}, ok=(412,))
            if reply.status == 412:
                return self._reconcile(cal, href, s, now)
            return None
        reply = conn.send("PUT", href, render(s, self.tz, now, seq + 1, self.owner), what=what,
                          headers={"If-Match": etag, "Content-Type": ICS_TYPE}, ok=(404, 410, 412))
        if reply.status in (404, 410):
            return "dismissed"
        if reply.status == 412:
            now_there = conn.reread(cal, href)
            if now_there is None:
                return "dismissed"  # deleted on the phone meanwhile: stays deleted
            held = to_held(now_there)
            if held is None or held.fingerprint != s.fingerprint:
                return "edited"
        return None

    def _reconcile(self, cal: str, href: str, s: Suggestion, now: datetime) -> str | None:
        """A create met a resource of the same name: written before a crash (make it current)
        unless it isn't ours, which is never touched."""
        there = self.session.conn.reread(cal, href)
        if there is None:
            raise CalDavError(f"writing “{s.title}”: the server refused to create it (412) "
                              "but holds nothing there", "run `legday-sync sync` again")
        held = to_held(there)
        if held is None or held.suggestion_id != s.id:
            log.warning("%s holds something legday-sync didn't write; leaving it alone", href)
            return "edited"
        if edited_by_user(there):
            return "edited"  # written before a crash, then changed on the phone: theirs
        if held.fingerprint == s.fingerprint:
            return None
        reply = self.session.conn.send(
            "PUT", href, render(s, self.tz, now, sequence(there) + 1, self.owner),
            what=f"writing “{s.title}”", ok=(412,),
            headers={"If-Match": there.etag, "Content-Type": ICS_TYPE} if there.etag else
            {"Content-Type": ICS_TYPE})
        return "edited" if reply.status == 412 else None

    @staticmethod
    def _href(cal: str, suggestion_id: str) -> str:
        return cal.rstrip("/") + f"/{suggestion_id}.ics"


def _text_of(el: Any, ns: str, tag: str) -> str:
    found = el.find(f".//{{{ns}}}{tag}")
    return (found.text or "") if found is not None else ""
