"""TOML -> validated settings. Every problem is reported at once, by key, with a fix.

pydantic does the validation; this module's job is turning its errors into
:class:`ConfigProblem` values people can act on (a did-you-mean for an unknown
key, the accepted values for a bad choice).
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import tomllib
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .core.classify import Classifier
from .core.judge import JudgeSettings
from .core.model import TrainingRange
from .core.planner import Schedule
from .core.rules import Profile
from .errors import ConfigError, ConfigProblem
from .redact import redact_url

APP_NAME = "legday-sync"
ENV_CONFIG = "LEGDAY_SYNC_CONFIG"
DEFAULT_FILENAME = "legday-sync.toml"

Goal = Literal["strength", "balanced", "running"]
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WindowSettings(_Section):
    past_days: int = Field(7, ge=0, le=3650)
    future_days: int = Field(21, ge=1, le=366)


class RuleSettings(_Section):
    recovery_hours: float = Field(48, gt=0, le=24 * 14)
    moderate_hours: float = Field(24, gt=0, le=24 * 14)
    same_day_gap_hours: float = Field(6, ge=0, le=48)
    heavy_extra_hours: float = Field(24, ge=0, le=24 * 7)
    tolerance_hours: float = Field(1, ge=0, le=24)
    pre_race_days: float = Field(7, ge=0, le=60)


class ClassifySettings(_Section):
    leg_day: tuple[str, ...] = ()
    run: tuple[str, ...] = ()
    easy: tuple[str, ...] = ()
    hard: tuple[str, ...] = ()
    heavy: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    #: the vocabularies to use (codes of core/vocab/*.toml); empty: every shipped one
    languages: tuple[str, ...] = ()

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        from .core.vocabulary import shipped_languages

        shipped = shipped_languages()
        unknown = [code for code in v if code not in shipped]
        if unknown:
            raise ValueError(f"no vocabulary for {', '.join(map(repr, unknown))}; "
                             f"shipped: {', '.join(shipped)}")
        return tuple(dict.fromkeys(v))


def parse_training_range(text: str) -> TrainingRange:
    m = _HOURS.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a range like \"06:00-09:00\"")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if not (0 <= h1 <= 23 and 0 <= h2 <= 24 and m1 < 60 and m2 < 60) or (h2 == 24 and m2):
        raise ValueError(f"{text!r} has an hour or minute out of range")
    start = time(h1, m1)
    end = time.max if h2 == 24 else time(h2, m2)
    if end <= start:
        raise ValueError(f"{text!r} ends before it starts (ranges can't cross midnight)")
    return TrainingRange(start, end)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _ranges(items: tuple[str, ...]) -> tuple[TrainingRange, ...]:
    return tuple(sorted((parse_training_range(t) for t in items), key=lambda r: r.start))


class ScheduleSettings(_Section):
    #: a list for every day, or a table by weekday (mon..sun) with an optional `default`
    #: (checked by hand: a union type makes pydantic's schema, built at every start, slower)
    training_hours: Any = ("06:00-09:00", "17:00-20:00")
    horizon_days: int = Field(7, ge=1, le=60)
    #: words that mark a day away (travel, holidays), beyond the built-in ones
    away: tuple[str, ...] = ()

    @field_validator("training_hours")
    @classmethod
    def _ranges(cls, v: Any) -> tuple[str, ...] | dict[str, tuple[str, ...]]:
        def strings(items: Any) -> tuple[str, ...]:
            if not isinstance(items, list | tuple) or not all(isinstance(i, str)
                                                                for i in items):
                raise ValueError("expected a list of ranges like [\"06:00-09:00\"]")
            for item in items:
                parse_training_range(item)
            return tuple(items)

        if isinstance(v, dict):
            unknown = sorted(set(v) - {*WEEKDAYS, "default"})
            if unknown:
                raise ValueError(f"unknown day {unknown[0]!r}: use {', '.join(WEEKDAYS)} or "
                                 f"default")
            return {day: strings(items) for day, items in v.items()}
        return strings(v)

    @property
    def ranges(self) -> tuple[TrainingRange, ...]:
        """The ranges of a day without a list of its own."""
        v = self.training_hours
        if isinstance(v, dict):
            return _ranges(v.get("default", ("06:00-09:00", "17:00-20:00")))
        return _ranges(v)

    def schedule(self) -> Schedule:
        v = self.training_hours
        by_day = tuple(_ranges(v[d]) if d in v else None for d in WEEKDAYS) \
            if isinstance(v, dict) else ()
        return Schedule(self.ranges, self.horizon_days, by_day, self.away)


def _caldav_account(s: Any, what: str) -> None:
    """The keys a CalDAV account needs (a source or [output.caldav])."""
    if not s.url:
        raise ValueError(f"{what} needs `url` (the server's CalDAV address, e.g. "
                         "\"https://caldav.icloud.com/\")")
    if not re.match(r"^https?://", s.url, re.I):
        raise ValueError("`url` must start with https:// (or http:// for a server on this "
                         "machine)")
    if "@" in s.url.partition("://")[2].partition("/")[0]:
        raise ValueError("put the username in `username` and the password in "
                         "`password_file`, not in `url`")
    if not s.username:
        raise ValueError(f"{what} needs `username` (the account's login, often its email)")
    if (s.password_file is None) == (not s.password_command):
        raise ValueError(f"{what} needs exactly one of `password_file` (a 0600 file holding "
                         "the password) or `password_command` (e.g. \"pass show caldav\")")


class SourceSettings(_Section):
    name: str = ""
    type: Literal["ics", "google", "caldav"]
    path: Path | None = None
    url: str | None = None
    calendar_id: str | None = None
    #: CalDAV: the calendar's display name or full URL
    calendar: str | None = None
    username: str | None = None
    password_file: Path | None = None
    password_command: str | None = None
    timeout_seconds: float = Field(30, gt=0, le=600)
    max_bytes: int = Field(50 * 1024 * 1024, gt=0)

    @model_validator(mode="after")
    def _shape(self) -> SourceSettings:
        caldav_keys = [k for k in ("calendar", "username", "password_file", "password_command")
                       if getattr(self, k)]
        if self.type == "caldav":
            _caldav_account(self, "a caldav source")
            if not self.calendar:
                raise ValueError("a caldav source needs `calendar` (the calendar's name as "
                                 "your calendar app shows it, or its full URL)")
            if self.path or self.calendar_id:
                raise ValueError("a caldav source takes `url` and `calendar`, not `path` or "
                                 "`calendar_id`")
            return self
        if caldav_keys:
            raise ValueError(f"`{caldav_keys[0]}` is for caldav sources; this one is "
                             f"type = \"{self.type}\"")
        if self.type == "ics":
            if (self.path is None) == (self.url is None):
                raise ValueError("an ics source needs exactly one of `path` or `url`")
            if self.url and not re.match(r"^(https?|webcal)://", self.url, re.I):
                raise ValueError("`url` must start with http://, https:// or webcal://")
        else:
            if self.path or self.url:
                raise ValueError("a google source takes `calendar_id`, not `path` or `url`")
        return self

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.path is not None:
            return self.path.stem
        if self.type == "caldav" and self.calendar:
            return self.calendar if "/" not in self.calendar else redact_url(self.calendar)
        if self.url:
            return redact_url(self.url)
        return self.calendar_id or "primary"


class IcsOutput(_Section):
    path: Path


class GoogleOutput(_Section):
    calendar: str = "Legday suggestions"


class CalDavOutput(_Section):
    url: str | None = None
    calendar: str = "legday-sync suggestions"
    username: str | None = None
    password_file: Path | None = None
    password_command: str | None = None
    timeout_seconds: float = Field(30, gt=0, le=600)

    @model_validator(mode="after")
    def _shape(self) -> CalDavOutput:
        _caldav_account(self, "[output.caldav]")
        return self


class OutputSettings(_Section):
    ics: IcsOutput | None = None
    google: GoogleOutput | None = None
    caldav: CalDavOutput | None = None


class FeedSettings(_Section):
    listen: str = "127.0.0.1:8765"
    name: str = "Legday suggestions"

    @field_validator("listen")
    @classmethod
    def _listen(cls, v: str) -> str:
        host, sep, port = v.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{v!r} is not HOST:PORT, e.g. \"127.0.0.1:8765\"")
        return v

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])


class DaemonSettings(_Section):
    interval_minutes: float = Field(15, gt=0, le=24 * 60)


class StateSettings(_Section):
    dir: Path | None = None


class GoogleSettings(_Section):
    client_secrets: Path | None = None


class Settings(_Section):
    timezone: str = ""
    goal: Goal = "balanced"
    window: WindowSettings = WindowSettings()
    rules: RuleSettings = RuleSettings()
    classify: ClassifySettings = ClassifySettings()
    schedule: ScheduleSettings = ScheduleSettings()
    source: tuple[SourceSettings, ...] = ()
    output: OutputSettings = OutputSettings()
    feed: FeedSettings = FeedSettings()
    daemon: DaemonSettings = DaemonSettings()
    state: StateSettings = StateSettings()
    google: GoogleSettings = GoogleSettings()

    #: where the settings came from; relative paths were resolved against its folder
    config_path: Path | None = Field(None, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        if not v:
            return v
        problem = timezone_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @model_validator(mode="after")
    def _unique_names(self) -> Settings:
        seen: set[str] = set()
        for s in self.source:
            if s.display_name in seen:
                raise ValueError(f"two sources are named {s.display_name!r}; give each a `name`")
            seen.add(s.display_name)
        out = self.output.caldav
        for s in self.source:
            if out is not None and s.type == "caldav" and s.url and out.url and \
                    s.url.rstrip("/") == out.url.rstrip("/") and s.username == out.username \
                    and (s.calendar or "").casefold() == out.calendar.casefold():
                raise ValueError(f"[output.caldav] calendar {out.calendar!r} is also read as "
                                 f"the source {s.display_name!r}; legday-sync never writes into "
                                 "a calendar it reads: leave `calendar` out to get a calendar "
                                 "of its own")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone) if self.timezone else local_timezone()

    def judge_settings(self) -> JudgeSettings:
        """The values the core's ``judge`` needs, taken from this config."""
        r, c = self.rules, self.classify
        return JudgeSettings(
            profile=Profile(goal=self.goal, recovery_hours=r.recovery_hours,
                            moderate_hours=r.moderate_hours,
                            same_day_gap_hours=r.same_day_gap_hours,
                            heavy_extra_hours=r.heavy_extra_hours, tz=self.tz,
                            tolerance_hours=r.tolerance_hours, pre_race_days=r.pre_race_days),
            classifier=Classifier(leg_day=c.leg_day, run=c.run, easy=c.easy, hard=c.hard,
                                  heavy=c.heavy, ignore=c.ignore,
                                  languages=c.languages or None),
            schedule=self.schedule.schedule(),
            past_days=self.window.past_days, future_days=self.window.future_days)

    @property
    def config_id(self) -> str:
        """Who wrote a suggestion: a short hash of the config file's resolved path, so two
        configs writing to one calendar or feed never delete each other's suggestions."""
        if self.config_path is None:
            return "default"
        resolved = str(Path(self.config_path).expanduser().resolve())
        return hashlib.sha256(resolved.encode()).hexdigest()[:8]

    @property
    def state_dir(self) -> Path:
        """``[state] dir``, else one folder per config file (``<stem>-<hash>``) in the user
        state dir: two configs never share a ledger, a feed token or a lock."""
        if self.state.dir is not None:
            return self.state.dir
        base = shared_state_dir()
        if self.config_path is None:
            return base
        return base / f"{Path(self.config_path).stem}-{self.config_id}"

    def legacy_state_note(self) -> str | None:
        """A note for users of the shared state dir of versions up to 0.1.0, if it is in use."""
        if self.state.dir is not None or self.config_path is None:
            return None
        old = shared_state_dir()
        if not (old / "state.sqlite3").exists() or (self.state_dir / "state.sqlite3").exists():
            return None
        return (f"this config now keeps its state in {self.state_dir} (one folder per config); "
                f"the shared folder {old} of earlier versions is no longer read. To keep your "
                f"feed URL, Google login and remembered deletions, stop the daemon and move "
                f"its files over (state.sqlite3*, feed-token, google-token.json, "
                f"suggestions.ics, http/), or set [state] dir = \"{old}\"")


def shared_state_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_state_dir(APP_NAME))


def local_timezone() -> ZoneInfo:
    """The machine's zone, as tzlocal finds it ($TZ, including ``:/path/zoneinfo/Area/City``,
    /etc/timezone, timedatectl's files), else UTC.

    A plain /etc/localtime symlink into a zoneinfo folder is read first: tzlocal's full
    check costs ~75 ms on a 2-core machine, on every command of a config without `timezone`.
    """
    name = ""
    if not os.environ.get("TZ"):
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            name = target.split("zoneinfo/", 1)[1]
    if not name:
        try:
            import tzlocal

            name = tzlocal.get_localzone_name() or "UTC"
        except Exception:  # tzlocal raises on inconsistent system settings: judge in UTC
            name = "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


_OFFSET_NAME = re.compile(r"^(?:UTC|GMT|Etc/GMT|Etc/UTC)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.I)


def timezone_problem(name: str) -> str | None:
    """What is wrong with ``name`` as a `timezone` value, or None if it is a zone."""
    m = _OFFSET_NAME.match(name.strip())
    if m and not name.startswith("Etc/"):
        return (f"{name!r} is not a zone name: fixed offsets can't follow daylight saving time, "
                f"and in POSIX names the sign is inverted (\"Etc/GMT{m.group(1)}{m.group(2)}\" "
                f"means UTC{'-' if m.group(1) == '+' else '+'}{m.group(2)})")
    try:
        ZoneInfo(name)
    except IsADirectoryError:
        return f"{name!r} is a region, not a zone"
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return f"unknown timezone {name!r}"
    return None


#: a well-known area zone per standard UTC offset, for the fix of "UTC+1"-style names
_AREA_FOR_OFFSET = {-8: "America/Los_Angeles", -7: "America/Denver", -6: "America/Chicago",
                    -5: "America/New_York", -3: "America/Sao_Paulo", 0: "Europe/London",
                    1: "Europe/Paris", 2: "Europe/Athens", 3: "Europe/Moscow",
                    5: "Asia/Karachi", 8: "Asia/Shanghai", 9: "Asia/Tokyo",
                    10: "Australia/Sydney", 12: "Pacific/Auckland"}


#: the zones most people in a region mean, for "Europe"-style values (else the first few)
_WELL_KNOWN = {
    "Europe": ["Europe/Berlin", "Europe/London", "Europe/Paris", "Europe/Madrid"],
    "America": ["America/New_York", "America/Chicago", "America/Denver",
                "America/Los_Angeles"],
    "US": ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"],
    "Canada": ["America/Toronto", "America/Vancouver", "America/Edmonton", "America/Halifax"],
    "Pacific": ["Pacific/Auckland", "Pacific/Honolulu", "Pacific/Fiji", "Pacific/Guam"],
    "Asia": ["Asia/Tokyo", "Asia/Shanghai", "Asia/Kolkata", "Asia/Singapore"],
    "Australia": ["Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane",
                  "Australia/Perth"],
    "Africa": ["Africa/Johannesburg", "Africa/Lagos", "Africa/Cairo", "Africa/Nairobi"],
}


def timezone_fix(name: str) -> str:
    """A fix for a bad `timezone` value: a close zone name, or the zones of the region."""
    import zoneinfo

    names = sorted(zoneinfo.available_timezones())
    region = name.strip().strip("/")
    inside = _WELL_KNOWN.get(region) or [n for n in names if n.startswith(region + "/")]
    if inside:
        shown = ", ".join(f"\"{n}\"" for n in inside[:4])
        return f"name a city's zone, e.g. {shown} (`timedatectl list-timezones` lists them)"
    m = _OFFSET_NAME.match(name.strip())
    if m:
        hours = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
        example = _AREA_FOR_OFFSET.get(hours, "Europe/Paris")
        return (f"use the area zone of the place, which follows its daylight saving time, "
                f"e.g. \"{example}\"")
    guess = _tz_guess(name)
    return (f"did you mean \"{guess}\"?" if guess
            else "use an IANA name such as \"Europe/Berlin\"")


def find_config(explicit: str | None) -> Path:
    """--config, else $LEGDAY_SYNC_CONFIG, else ./legday-sync.toml, else the user config dir."""
    if explicit:
        return Path(explicit)
    if os.environ.get(ENV_CONFIG):
        return Path(os.environ[ENV_CONFIG])
    local = Path.cwd() / DEFAULT_FILENAME
    if local.exists():
        return local
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME)) / DEFAULT_FILENAME


def load(path: Path, *, require_sources: bool = True) -> Settings:
    """Read and validate ``path``; raise ConfigError listing every problem.

    A config with no source reads nothing and would judge nothing: an error, unless
    ``require_sources`` is off (`init` writes such a file as a template to fill in)."""
    if not path.exists():
        raise ConfigError(str(path), [ConfigProblem(
            "", "config file not found",
            f"create one with `legday-sync init` (it asks a few questions and writes {path}), "
            f"or pass --config PATH")])
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        problem = ConfigProblem("", f"not valid TOML: {e}", "fix the syntax at the place named")
        raise ConfigError(str(path), [problem]) from None
    settings = parse(raw, base=path.parent.resolve(), config_path=path)
    if require_sources and not settings.source:
        raise ConfigError(str(path), [ConfigProblem(
            "source", "no calendar to read (no [[source]] section)",
            "add one, e.g. [[source]] type = \"ics\" path = \"~/calendar.ics\" (or url = "
            "\"https://…\", or type = \"google\"); `legday-sync init` writes one for you")])
    return settings


def parse(raw: dict[str, Any], *, base: Path, config_path: Path | None = None) -> Settings:
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(str(config_path or "<config>"), _problems(e)) from None
    settings = _resolve_paths(settings, base)
    settings = settings.model_copy(update={"config_path": config_path})
    missing = [
        ConfigProblem(f"source[{i}].path", f"file not found: {s.path}",
                      "check the path (relative paths start at the config file's folder)")
        for i, s in enumerate(settings.source)
        if s.path is not None and not s.path.exists()
    ]
    missing += [
        ConfigProblem(f"{key}.password_file", f"file not found: {pw}",
                      f"put the password on one line in {pw}, then `chmod 600 {pw}`")
        for key, pw in [*((f"source[{i}]", s.password_file) for i, s in enumerate(settings.source)),
                        ("output.caldav", settings.output.caldav and
                         settings.output.caldav.password_file)]
        if pw is not None and not pw.exists()
    ]
    if settings.google.client_secrets is not None and not settings.google.client_secrets.exists():
        missing.append(ConfigProblem(
            "google.client_secrets", f"file not found: {settings.google.client_secrets}",
            "download the Desktop OAuth client JSON from Google Cloud console (see README)"))
    if missing:
        raise ConfigError(str(config_path or "<config>"), missing)
    return settings


def _resolve(p: Path | None, base: Path) -> Path | None:
    if p is None:
        return None
    p = p.expanduser()
    return p if p.is_absolute() else (base / p)


def _resolve_paths(s: Settings, base: Path) -> Settings:
    sources = tuple(src.model_copy(update={
        "path": _resolve(src.path, base), "password_file": _resolve(src.password_file, base)})
        for src in s.source)
    output = s.output
    if output.ics is not None:
        output = output.model_copy(update={"ics": IcsOutput(path=_resolve(output.ics.path, base))})
    if output.caldav is not None:
        output = output.model_copy(update={"caldav": output.caldav.model_copy(update={
            "password_file": _resolve(output.caldav.password_file, base)})})
    return s.model_copy(update={
        "source": sources,
        "output": output,
        "state": StateSettings(dir=_resolve(s.state.dir, base)),
        "google": GoogleSettings(client_secrets=_resolve(s.google.client_secrets, base)),
    })


def _model_for(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the key at ``loc`` (for did-you-mean)."""
    model: type[BaseModel] | None = Settings
    for part in loc[:-1]:
        if model is None or isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        ann = field.annotation
        candidates = [ann, *getattr(ann, "__args__", ())]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)),
                     None)
    return model


def _key(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith("function-"):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


#: an example value per list key, for "must be a list" messages
_LIST_EXAMPLES = {"leg_day": '["Beintag"]', "run": '["Lauf"]', "easy": '["locker"]',
                  "hard": '["Intervalle"]', "heavy": '["schwer"]', "ignore": '["Run-through"]',
                  "training_hours": '["06:00-09:00", "17:00-20:00"]', "away": '["Holiday"]',
                  "languages": '["en", "de"]'}
_KINDS = {"string_type": "text in quotes, e.g. \"…\"", "bool_type": "true or false",
          "int_type": "a whole number", "int_parsing": "a whole number",
          "int_from_float": "a whole number", "float_type": "a number",
          "float_parsing": "a number", "dict_type": "a table", "model_type": "a table",
          "model_attributes_type": "a table"}
_BOUNDS = {"greater_than": "more than {gt:g}", "greater_than_equal": "at least {ge:g}",
           "less_than": "less than {lt:g}", "less_than_equal": "at most {le:g}"}


def _problems(e: ValidationError) -> list[ConfigProblem]:
    """pydantic's errors in the words of the config file: what is wrong and the fix."""
    problems = []
    for err in e.errors():
        loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
        key = _key(loc)
        name = str(loc[-1]) if loc else ""
        typ = err["type"]
        ctx = err.get("ctx", {}) or {}
        value = err.get("input")
        msg = str(err["msg"]).removeprefix("Value error, ")
        fix = ""
        if typ == "extra_forbidden":
            model = _model_for(loc)
            names = [n for n in (model.model_fields if model else {}) if n != "config_path"]
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
            msg = "unknown key"
            fix = f"did you mean `{close[0]}`?" if close else f"known keys here: {', '.join(names)}"
        elif typ == "literal_error":
            choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
            msg = f"`{name}` must be one of {', '.join(choices)}, not {value!r}"
            close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6)
            fix = (f"did you mean \"{close[0]}\"?" if close
                   else f"write e.g. {name} = \"{choices[0] if choices else ''}\"")
        elif name == "timezone" and typ == "value_error":
            fix = timezone_fix(str(value))
        elif typ in ("tuple_type", "list_type"):
            if name == "source":
                msg = "`source` must be a list of tables"
                fix = "write [[source]] (two brackets) above each calendar"
            else:
                example = _LIST_EXAMPLES.get(name, '["…"]')
                msg = f"`{name}` must be a list, e.g. {example}"
                fix = f"write {name} = {example}"
        elif typ in _KINDS:
            msg = f"`{name}` must be {_KINDS[typ]}, not {value!r}"
            if typ in ("dict_type", "model_type", "model_attributes_type"):
                fix = f"write it as a section: [{key}] on a line of its own, its keys below"
            else:
                fix = f"write e.g. {name} = {_example_for(typ)}"
        elif typ in _BOUNDS:
            msg = f"`{name}` must be {_BOUNDS[typ].format(**ctx)}, not {value!r}"
            fix = "pick a value in range"
        elif "training_hours" in key:
            fix = "write ranges as \"HH:MM-HH:MM\" in your timezone, e.g. [\"06:00-09:00\"]"
        elif typ == "missing":
            msg = f"`{name}` is missing"
            fix = "add this key"
        problems.append(ConfigProblem(key, msg, fix))
    return problems


def _example_for(typ: str) -> str:
    if "bool" in typ:
        return "true"
    if typ.startswith(("int", "float")):
        return "7"
    return "\"…\""


def _tz_guess(text: str) -> str | None:
    import zoneinfo

    names = sorted(zoneinfo.available_timezones())
    close = difflib.get_close_matches(text, names, n=1, cutoff=0.6)
    return close[0] if close else None
