"""`legday-sync auth`: connect a Google account (OAuth installed-app flow).

The token (``Credentials.to_json()``: access and refresh token, client id and
secret) goes to ``<state dir>/google-token.json``, created with mode 0600.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import EXIT_OK, ConfigError, ConfigProblem
from .common import command, examples, load_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub, "auth", summary="connect your Google account (OAuth in a browser)",
        description="Authorise legday-sync to read your Google calendars and to keep a "
                    "calendar of suggestions of its own. The login is saved in the state "
                    "folder, readable only by you.",
        example=examples(("legday-sync auth", "opens a browser"),
                         ("legday-sync auth --no-browser --port 8080",
                          "on a server, through ssh -L 8080:localhost:8080"),
                         ("legday-sync auth --new-calendar",
                          "the suggestions calendar was made by another OAuth client")))
    p.add_argument("--no-browser", action="store_true",
                   help="don't open a browser: print the URL to open (e.g. on a server, "
                        "through `ssh -L PORT:localhost:PORT server`)")
    p.add_argument("--port", type=int, default=8080, metavar="N",
                   help="local port the browser is sent back to (default 8080; 0: any free)")
    p.add_argument("--new-calendar", action="store_true",
                   help="start a fresh suggestions calendar (when the old one was made by "
                        "another OAuth client); the old one stays in Google Calendar")
    p.set_defaults(func=run)


def client_secrets_path(settings) -> Path:
    path = settings.google.client_secrets
    if path is None and settings.config_path is not None:
        guess = Path(settings.config_path).parent / "client_secret.json"
        if guess.exists():
            return guess
    if path is None:
        raise ConfigError(str(settings.config_path or "<config>"), [ConfigProblem(
            "google.client_secrets", "no OAuth client configured",
            "download the Desktop OAuth client JSON (Google Auth Platform → Clients), save it "
            "as client_secret.json next to the config or set [google] client_secrets "
            "(see docs/google.md)")])
    return path


def permission_lines(perms) -> list[str]:
    """One line per permission: granted or not, and what is lost without it."""
    return [f"  {'✓' if ok else '✗'} {p.label}" + ("" if ok else f" — not granted: {p.without}")
            for ok, p in perms]


def run(args: argparse.Namespace) -> int:
    from ..adapters.google.login import free_port, save_login, sign_in
    from ..adapters.google.scopes import missing, summary

    settings = load_settings(args)
    secrets = client_secrets_path(settings)
    port = args.port or free_port()  # a real port, so that the ssh -L line below is usable
    prompt = ("Open this URL in a browser to connect legday-sync to Google Calendar:\n\n"
              "    {url}\n\nOn Google's consent screen, tick every box.\n")
    if args.no_browser:
        prompt += (f"\nOn a server without a browser, first forward the port from your own "
                   f"machine:  ssh -L {port}:localhost:{port} <this server>\n")
    creds, granted = sign_in(secrets, port=port, open_browser=not args.no_browser,
                             prompt=prompt)
    path = save_login(settings.state_dir, creds, granted)
    print(f"Connected. The login is saved in {path} (readable only by you).")
    if missing(granted):
        print("Google granted only some of the permissions legday-sync asks for:")
        print("\n".join(permission_lines(summary(granted))))
        print("legday-sync works with what it has. To grant the rest, run `legday-sync auth` "
              "again and tick every box.")
    if args.new_calendar:
        from ..adapters.google.sink import start_new_calendar
        from ..adapters.state import State

        state = State(settings.state_dir)
        try:
            old = start_new_calendar(state)
        finally:
            state.close()
        print("The next sync starts a new suggestions calendar"
              + (f"; the old one (id {old}) stays in Google Calendar, untouched: delete it "
                 f"there when you no longer want it." if old else "."))
    return EXIT_OK
