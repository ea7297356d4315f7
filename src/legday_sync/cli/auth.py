"""`legday-sync auth`: connect a Google account (OAuth installed-app flow).

The token (``Credentials.to_json()``: access and refresh token, client id and
secret) goes to ``<state dir>/google-token.json``, created with mode 0600.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import EXIT_OK, AuthError, ConfigError, ConfigProblem
from .common import command, examples, load_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub, "auth", summary="connect your Google account (OAuth in a browser)",
        description="Authorise legday-sync to read your Google calendars and to keep a "
                    "calendar of suggestions of its own. The login is saved in the state "
                    "folder, readable only by you.",
        example=examples(("legday-sync auth", "opens a browser"),
                         ("legday-sync auth --no-browser --port 8080",
                          "on a server, through ssh -L 8080:localhost:8080")))
    p.add_argument("--no-browser", action="store_true",
                   help="don't open a browser: print the URL to open (e.g. on a server, "
                        "through `ssh -L PORT:localhost:PORT server`)")
    p.add_argument("--port", type=int, default=8080, metavar="N",
                   help="local port the browser is sent back to (default 8080; 0: any free)")
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
            "download the Desktop OAuth client JSON from Google Cloud console, save it as "
            "client_secret.json next to the config or set [google] client_secrets "
            "(see README, Connect Google Calendar)")])
    return path


def run(args: argparse.Namespace) -> int:
    from ..adapters.files import ensure_private_dir, write_private
    from ..adapters.google.api import SCOPES, token_path

    settings = load_settings(args)
    secrets = client_secrets_path(settings)
    from google_auth_oauthlib.flow import InstalledAppFlow

    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(secrets), scopes=list(SCOPES))
    except ValueError as e:
        raise AuthError(f"{secrets} is not an OAuth client file ({e})",
                        "create an OAuth client of type \"Desktop app\" and download "
                        "its JSON") from None
    prompt = ("Open this URL in a browser to connect legday-sync to Google Calendar:\n\n"
              "    {url}\n")
    if args.no_browser:
        prompt += (f"\nOn a server without a browser, first forward the port from your own "
                   f"machine:  ssh -L {args.port}:localhost:{args.port} <this server>\n")
    try:
        creds = flow.run_local_server(
            host="localhost", port=args.port, open_browser=not args.no_browser,
            authorization_prompt_message=prompt,
            success_message="legday-sync is connected. You can close this tab.",
            access_type="offline", prompt="consent")
    except OSError as e:
        raise AuthError(f"can't listen on localhost:{args.port} ({e.strerror or e})",
                        "pick another port with --port N") from None
    except Exception as e:  # oauthlib's errors (access denied, bad state) have no common base
        raise AuthError(f"Google sign-in did not complete: {e}",
                        "run `legday-sync auth` again") from None
    ensure_private_dir(settings.state_dir)
    path = token_path(settings.state_dir)
    write_private(path, creds.to_json().encode("utf-8"))
    print(f"Connected. The login is saved in {path} (readable only by you).")
    return EXIT_OK
