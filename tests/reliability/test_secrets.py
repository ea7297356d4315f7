"""Secrets and files: private from creation, never in any output.

- With umask 000 that the CLI can't change (``modehook``), every file legday-sync
  creates in the state dir is 0600 and every folder 0700 *at creation*; with the
  ordinary CLI under umask 000 the final modes are the same.
- The Google client secret, refresh token and access token never reach stdout or
  stderr, even at ``-vv`` and through a token refresh.
- Credentials inside a source URL (user, password, query token) never reach any
  output: ``sync``, ``sync --json``, ``sync --dry-run``, ``check``, ``rules``, ``-vv``,
  errors, warnings (source down, stale copy, unreadable body).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from legday_sync.adapters.files import ensure_private_dir, write_private
from legday_sync.adapters.google import api as google_api
from tests.conftest import EXAMPLE_NOW, EXAMPLES, ROOT
from tests.google_emulator import CalendarEmulator

CLIENT_SECRET = "cs-PLANTED-7f3a9"
REFRESH_TOKEN = "rt-PLANTED-51c2e"
ACCESS_TOKEN = "at-PLANTED-0b8d4"
URL_USER, URL_PASSWORD, URL_QUERY = "usr-PLANTED", "pw-PLANTED", "abc-PLANTED"


def _env(emu: CalendarEmulator | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGDAY_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    if emu is not None:
        env[google_api.ENV_ENDPOINT] = emu.base_url
        env[google_api.ENV_TOKEN_URI] = emu.token_uri
    env.update(extra)
    return env


def _run(module: str, cfg: Path, *args: str, env: dict[str, str], umask: int | None = None
         ) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, "--config", str(cfg), *args], cwd=cfg.parent, env=env,
        capture_output=True, text=True, timeout=90,
        preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)


class CalendarServer:
    """Serves the example calendar at any path; ``mode`` switches to failures."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.seen: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append(self.path)
                if outer.mode == "ok":
                    body, status = (EXAMPLES / "training.ics").read_bytes(), 200
                elif outer.mode == "garbage":
                    body, status = b"<html>login</html>", 200
                else:
                    body, status = b"down", 503
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.port = self.httpd.server_address[1]

    def url(self, port: int | None = None) -> str:
        return (f"http://{URL_USER}:{URL_PASSWORD}@127.0.0.1:{port or self.port}/cal/x.ics"
                f"?token={URL_QUERY}&x=1")

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def calendar_server() -> Iterator[CalendarServer]:
    s = CalendarServer()
    yield s
    s.stop()


def _config(root: Path, *, url: str, google: bool) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLES / "training.ics", root / "training.ics")
    text = (EXAMPLES / "legday-sync.toml").read_text(encoding="utf-8")
    text += f'\n[[source]]\ntype = "ics"\nurl = "{url}"\ntimeout_seconds = 3\n'
    if google:
        text += '\n[output.google]\ncalendar = "Legday suggestions"\n'
    cfg = root / "legday-sync.toml"
    cfg.write_text(text, encoding="utf-8")
    return cfg


def _token_json(emu: CalendarEmulator, *, expired: bool) -> bytes:
    creds = emu.credentials(token=ACCESS_TOKEN)
    info = json.loads(creds.to_json())
    info.update(client_secret=CLIENT_SECRET, refresh_token=REFRESH_TOKEN)
    if expired:
        info["expiry"] = "2000-01-01T00:00:00Z"
    return json.dumps(info).encode()


# -- modes ---------------------------------------------------------------------------
def _modes_under(folder: Path) -> dict[str, int]:
    out = {}
    for p in [folder, *folder.rglob("*")]:
        out[str(p.relative_to(folder.parent))] = stat.S_IMODE(p.lstat().st_mode)
    return out


def test_files_are_private_from_creation_even_with_umask_000(
        tmp_path: Path, calendar_server: CalendarServer) -> None:
    log = tmp_path / "modes.jsonl"
    with CalendarEmulator() as emu:
        cfg = _config(tmp_path / "home", url=calendar_server.url(), google=True)
        state = tmp_path / "home" / ".state"
        # the token goes in first (as `auth` would leave it); expired, so it is rewritten
        ensure_private_dir(state)
        write_private(state / "google-token.json", _token_json(emu, expired=True))
        env = _env(emu, LEGDAY_MODE_LOG=str(log))
        done = _run("tests.reliability.modehook", cfg, "sync", "--now", EXAMPLE_NOW, env=env)
        assert done.returncode == 0, done.stderr
        url = _run("tests.reliability.modehook", cfg, "feed-url", env=env)
        assert url.returncode == 0, url.stderr
    created = [json.loads(line) for line in log.read_text().splitlines()]
    in_state = [c for c in created if c["path"].startswith(str(state))]
    names = {Path(c["path"]).name for c in in_state}
    # the state database, the HTTP cache, the feed token (a temp file, then a link), the
    # sink's temp files, the lock
    assert {"state.sqlite3", "sync.lock"} <= names
    assert any(n.startswith(".feed-token.") for n in names), names
    assert any(n.startswith(".google-token.json.") for n in names), names  # the refresh
    assert any(".ics-cache" in n for n in names), names
    wide = [c for c in in_state
            if c["mode"] & 0o077 or (c["how"] == "mkdir" and c["mode"] != 0o700)]
    assert not wide, f"created readable by others: {wide}"
    final = _modes_under(state)
    assert final[".state"] == 0o700
    wide_final = {k: oct(v) for k, v in final.items()
                  if k != ".state" and v & 0o077 and not stat.S_ISDIR(v)}
    assert not wide_final, wide_final


def test_the_cli_under_umask_000_leaves_only_private_files(
        tmp_path: Path, calendar_server: CalendarServer) -> None:
    cfg = _config(tmp_path / "home", url=calendar_server.url(), google=False)
    env = _env()
    assert _run("legday_sync", cfg, "sync", "--now", EXAMPLE_NOW, env=env, umask=0).returncode == 0
    assert _run("legday_sync", cfg, "feed-url", env=env, umask=0).returncode == 0
    state = tmp_path / "home" / ".state"
    final = _modes_under(state)
    assert len(final) >= 5
    for name, mode in final.items():
        path = tmp_path / "home" / name
        want = 0o700 if path.is_dir() else 0o600
        assert mode == want, f"{name} is {oct(mode)}"


# -- the Google client secret and tokens -------------------------------------------------
def test_google_secrets_never_reach_the_output(tmp_path: Path) -> None:
    with CalendarEmulator() as emu:
        cfg = _config(tmp_path / "home", url="http://127.0.0.1:9/x.ics", google=True)
        state = ensure_private_dir(tmp_path / "home" / ".state")
        write_private(state / "google-token.json", _token_json(emu, expired=True))
        outputs = []
        for args in (("-vv", "sync", "--now", EXAMPLE_NOW), ("-vv", "sync", "--json"),
                     ("-vv", "check")):
            done = _run("legday_sync", cfg, *args, env=_env(emu))
            outputs.append(done.stdout + done.stderr)
        # a revoked grant: the error path
        emu.invalidate_access_tokens()
        write_private(state / "google-token.json", _token_json(emu, expired=True))
        emu.script_faults("POST", "/token", ["invalid_grant"])
        done = _run("legday_sync", cfg, "-vv", "sync", env=_env(emu))
        outputs.append(done.stdout + done.stderr)
        refreshed = any(r.path.endswith("/token") for r in emu.requests)
    text = "\n".join(outputs)
    assert refreshed, "the expired token was never refreshed: the test proves nothing"
    assert "DEBUG" in text  # -vv really logged
    issued = [t for t in emu.issued_tokens if len(t) >= 8]
    for secret in (CLIENT_SECRET, REFRESH_TOKEN, ACCESS_TOKEN, *issued):
        assert secret not in text, f"{secret} leaked"
    saved = json.loads((state / "google-token.json").read_text())
    assert saved["client_secret"] == CLIENT_SECRET  # it is kept where it belongs, 0600
    assert stat.S_IMODE((state / "google-token.json").stat().st_mode) == 0o600


# -- credentials inside source URLs ----------------------------------------------------
def _assert_clean(text: str, where: str) -> None:
    for secret in (URL_USER, URL_PASSWORD, URL_QUERY):
        assert secret not in text, f"{secret} in the output of {where}:\n{text[-2000:]}"


def test_url_credentials_never_reach_any_output(tmp_path: Path,
                                                calendar_server: CalendarServer) -> None:
    cfg = _config(tmp_path / "home", url=calendar_server.url(), google=False)
    env = _env()
    commands = [("sync", "--now", EXAMPLE_NOW), ("sync", "--json", "--now", EXAMPLE_NOW),
                ("-vv", "sync", "--dry-run"), ("check",), ("rules",), ("-vv", "check")]
    seen = 0
    for mode in ("ok", "garbage", "down"):  # served; unreadable body; 503 (stale copy)
        calendar_server.mode = mode
        for args in commands:
            done = _run("legday_sync", cfg, *args, env=env)
            _assert_clean(done.stdout + done.stderr, f"{' '.join(args)} ({mode})")
            seen += 1
    assert any("stale copy" in r for r in [_run("legday_sync", cfg, "sync", env=env).stdout])
    # unreachable, no copy: an error naming the host, without the credentials
    dead = _config(tmp_path / "dead", url=calendar_server.url(port=9), google=False)
    for args in commands:
        done = _run("legday_sync", dead, *args, env=env)
        _assert_clean(done.stdout + done.stderr, f"{' '.join(args)} (unreachable)")
        seen += 1
    assert "127.0.0.1" in done.stdout + done.stderr
    assert seen == 24
    assert calendar_server.seen and all(URL_QUERY in p for p in calendar_server.seen)
    # the state holds the source's error for /healthz; it is redacted there too
    from legday_sync.adapters.state import State

    st = State(tmp_path / "dead" / ".state", readonly=True)
    try:
        _assert_clean(json.dumps(st.meta_json("last_sync")), "the state's last_sync")
    finally:
        st.close()
    assert datetime.fromisoformat(EXAMPLE_NOW)  # the pinned clock parses


# -- the CalDAV password ---------------------------------------------------------------
@pytest.mark.slow
def test_the_caldav_password_never_reaches_output_or_state(tmp_path: Path,
                                                           radicale_server) -> None:
    import base64

    from tests.caldav_support import PASSWORD, USER

    training = radicale_server.phone().make_calendar(name=f"Training-{tmp_path.name[-6:]}")
    training.save_event("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//phone//EN\nBEGIN:VEVENT\n"
                        "UID:leg\nDTSTAMP:20261101T000000Z\nDTSTART:20261123T170000Z\n"
                        "DTEND:20261123T180000Z\nSUMMARY:Leg day\nEND:VEVENT\nEND:VCALENDAR\n")
    root = tmp_path / "home"
    root.mkdir()
    pw = root / "caldav-password"
    text = (EXAMPLES / "legday-sync.toml").read_text(encoding="utf-8")
    text += (f'\n[[source]]\nname = "phone"\ntype = "caldav"\nurl = "{radicale_server.url}"\n'
             f'calendar = "{training.get_display_name()}"\nusername = "{USER}"\n'
             f'password_file = "caldav-password"\n'
             f'\n[output.caldav]\nurl = "{radicale_server.url}"\nusername = "{USER}"\n'
             f'password_command = "cat caldav-password"\n')
    cfg = root / "legday-sync.toml"
    cfg.write_text(text, encoding="utf-8")
    shutil.copy(EXAMPLES / "training.ics", root / "training.ics")
    wrong = "pw-PLANTED-wrong-caldav"
    secrets = {PASSWORD, wrong}
    secrets |= {base64.b64encode(f"{USER}:{p}".encode()).decode() for p in (PASSWORD, wrong)}
    outputs = []
    for password in (PASSWORD, wrong):
        pw.write_text(password + "\n")
        pw.chmod(0o600)
        for args in (("sync", "--now", EXAMPLE_NOW), ("sync", "--json", "--now", EXAMPLE_NOW),
                     ("-vv", "sync", "--now", EXAMPLE_NOW), ("check",), ("-vv", "check")):
            done = _run("legday_sync", cfg, *args, env=_env())
            outputs.append((password, args, done.returncode, done.stdout + done.stderr))
    right_runs = [o for o in outputs if o[0] == PASSWORD]
    assert all(code == 0 for _, _, code, _ in right_runs), right_runs[0][3][-2000:]
    assert all(code != 0 for p, _, code, _ in outputs if p == wrong)
    # -vv really logged the CalDAV requests
    assert any('"PROPFIND /' in out for *_, out in outputs)
    for password, args, _, out in outputs:
        for secret in secrets:
            assert secret not in out, f"a secret in {' '.join(args)} ({password}):\n{out[-1500:]}"
    state = root / ".state"
    assert (state / "state.sqlite3").exists()
    for f in state.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            for secret in secrets:
                assert secret.encode() not in data, f"{secret} in {f}"
