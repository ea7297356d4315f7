"""TOML -> validated settings. Every problem is reported at once, by key, with a fix.

pydantic does the validation; this module's job is turning its errors into
:class:`ConfigProblem` values people can act on (a did-you-mean for an unknown
key, the accepted values for a bad choice).
"""

from __future__ import annotations

import difflib
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
from .core.rules import Profile
from .core.suggest import Schedule
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


class ClassifySettings(_Section):
    leg_day: tuple[str, ...] = ()
    run: tuple[str, ...] = ()
    easy: tuple[str, ...] = ()
    hard: tuple[str, ...] = ()
    heavy: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


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


class ScheduleSettings(_Section):
    training_hours: tuple[str, ...] = ("06:00-09:00", "17:00-20:00")
    horizon_days: int = Field(7, ge=1, le=60)

    @field_validator("training_hours")
    @classmethod
    def _ranges(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for item in v:
            parse_training_range(item)
        return v

    @property
    def ranges(self) -> tuple[TrainingRange, ...]:
        return tuple(sorted((parse_training_range(t) for t in self.training_hours),
                            key=lambda r: r.start))


class SourceSettings(_Section):
    name: str = ""
    type: Literal["ics", "google"]
    path: Path | None = None
    url: str | None = None
    calendar_id: str | None = None
    timeout_seconds: float = Field(30, gt=0, le=600)
    max_bytes: int = Field(50 * 1024 * 1024, gt=0)

    @model_validator(mode="after")
    def _shape(self) -> SourceSettings:
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
        if self.url:
            return redact_url(self.url)
        return self.calendar_id or "primary"


class IcsOutput(_Section):
    path: Path


class GoogleOutput(_Section):
    calendar: str = "Legday suggestions"


class OutputSettings(_Section):
    ics: IcsOutput | None = None
    google: GoogleOutput | None = None


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
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {v!r}") from None
        return v

    @model_validator(mode="after")
    def _unique_names(self) -> Settings:
        seen: set[str] = set()
        for s in self.source:
            if s.display_name in seen:
                raise ValueError(f"two sources are named {s.display_name!r}; give each a `name`")
            seen.add(s.display_name)
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
                            heavy_extra_hours=r.heavy_extra_hours, tz=self.tz),
            classifier=Classifier(leg_day=c.leg_day, run=c.run, easy=c.easy, hard=c.hard,
                                  heavy=c.heavy, ignore=c.ignore),
            schedule=Schedule(self.schedule.ranges, self.schedule.horizon_days),
            past_days=self.window.past_days, future_days=self.window.future_days)

    @property
    def state_dir(self) -> Path:
        if self.state.dir is not None:
            return self.state.dir
        import platformdirs

        return Path(platformdirs.user_state_dir(APP_NAME))


def local_timezone() -> ZoneInfo:
    """The machine's zone from $TZ or /etc/localtime, else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        try:
            target = os.path.realpath("/etc/localtime")
            name = target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""
        except OSError:
            name = ""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


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


def load(path: Path) -> Settings:
    """Read and validate ``path``; raise ConfigError listing every problem."""
    if not path.exists():
        raise ConfigError(str(path), [ConfigProblem(
            "", "config file not found",
            f"create one with `legday-sync init`, or copy config.example.toml to {path}")])
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        problem = ConfigProblem("", f"not valid TOML: {e}", "fix the syntax at the place named")
        raise ConfigError(str(path), [problem]) from None
    return parse(raw, base=path.parent.resolve(), config_path=path)


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
    sources = tuple(src.model_copy(update={"path": _resolve(src.path, base)}) for src in s.source)
    output = s.output
    if output.ics is not None:
        output = output.model_copy(update={"ics": IcsOutput(path=_resolve(output.ics.path, base))})
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


def _problems(e: ValidationError) -> list[ConfigProblem]:
    problems = []
    for err in e.errors():
        loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
        key = _key(loc)
        typ = err["type"]
        msg = str(err["msg"]).removeprefix("Value error, ")
        fix = ""
        if typ == "extra_forbidden":
            model = _model_for(loc)
            names = [n for n in (model.model_fields if model else {}) if n != "config_path"]
            close = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.5)
            msg = "unknown key"
            fix = f"did you mean `{close[0]}`?" if close else f"known keys here: {', '.join(names)}"
        elif typ == "literal_error":
            fix = f"use one of {err.get('ctx', {}).get('expected', '')}"
        elif loc and loc[-1] == "timezone":
            guess = _tz_guess(str(err.get("input", "")))
            fix = (f"did you mean {guess!r}?" if guess
                   else "use an IANA name such as \"Europe/Berlin\"")
        elif "training_hours" in key:
            fix = "write ranges as \"HH:MM-HH:MM\" in your timezone, e.g. [\"06:00-09:00\"]"
        elif typ == "missing":
            fix = "add this key"
        problems.append(ConfigProblem(key, msg, fix))
    return problems


def _tz_guess(text: str) -> str | None:
    import zoneinfo

    names = sorted(zoneinfo.available_timezones())
    close = difflib.get_close_matches(text, names, n=1, cutoff=0.6)
    return close[0] if close else None
