"""Signing in to Google: the installed-app flow, what was granted, the saved login.

Google's consent screen has one checkbox per permission; a user who unticks one
still signs in, and Google's token answer lists only what was granted. oauthlib
treats that as an error ("Scope has changed") unless ``OAUTHLIB_RELAX_TOKEN_SCOPE``
is set, so the flow runs with it set, and the login is saved with the scopes
actually granted (so that a refresh asks only for those).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...errors import AuthError
from .api import load_credentials, token_path
from .scopes import SCOPES, Permission, granted_scopes, summary

#: how long `auth` waits for the browser to come back (Google may show an error page instead)
TIMEOUT_SECONDS = 300
TIMEOUT_FIX = (
    "if Google showed an error page instead of asking for permission: “Access blocked … has "
    "not completed the Google verification process” means your account is not a test user "
    "(Google Auth Platform → Audience: add it, or publish the app to Production); "
    "“redirect_uri_mismatch” or “invalid_request” means the OAuth client is not of type "
    "“Desktop app” (Clients → create one and download its JSON); “access_denied” means the "
    "request was cancelled. Then run `legday-sync auth` again (docs/google.md, "
    "Troubleshooting)")


def free_port(host: str = "localhost") -> int:
    """A port that is free now, so the address printed for `ssh -L` is a real one."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _relaxed_scope() -> Iterator[None]:
    """Let oauthlib accept a token whose scopes differ from those asked (granular consent)."""
    old = os.environ.get("OAUTHLIB_RELAX_TOKEN_SCOPE")
    os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("OAUTHLIB_RELAX_TOKEN_SCOPE", None)
        else:
            os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] = old


def sign_in(client_secrets: Path, *, port: int, open_browser: bool, prompt: str,
            timeout: float | None = None) -> tuple[Any, frozenset[str]]:
    """Run the browser sign-in; the credentials and the scopes the user granted."""
    from google_auth_oauthlib.flow import InstalledAppFlow, WSGITimeoutError

    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets),
                                                         scopes=list(SCOPES))
    except (ValueError, KeyError, json.JSONDecodeError) as e:
        raise AuthError(f"{client_secrets} is not an OAuth client file ({e})",
                            "create an OAuth client of type “Desktop app” (Google Auth "
                            "Platform → Clients) and download its JSON") from None
    wait = TIMEOUT_SECONDS if timeout is None else timeout
    try:
        with _relaxed_scope():
            creds = flow.run_local_server(
                host="localhost", port=port, open_browser=open_browser,
                authorization_prompt_message=prompt,
                success_message="legday-sync is connected. You can close this tab.",
                access_type="offline", prompt="consent", timeout_seconds=wait)
    except WSGITimeoutError:
        minutes = f"{wait / 60:g} minutes" if wait >= 60 else f"{wait:g} seconds"
        raise AuthError(f"Google sign-in did not come back within {minutes}",
                            TIMEOUT_FIX) from None
    except OSError as e:
        raise AuthError(f"can't listen on localhost:{port} ({e.strerror or e})",
                            "pick another port with --port N (0: any free one)") from None
    except Exception as e:  # oauthlib's errors (access denied, bad state) have no common base
        raise AuthError(f"Google sign-in did not complete: {e}",
                            "run `legday-sync auth` again") from None
    # Google's token answer lists what was granted (none listed: all that was asked)
    return creds, granted_scopes_of(getattr(creds, "granted_scopes", None))


def granted_scopes_of(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        value = value.split()
    return frozenset(value or SCOPES)


def save_login(state_dir: Path, creds: Any, granted: frozenset[str]) -> Path:
    """The login as authorized-user JSON (0600), with the scopes actually granted."""
    from ..files import ensure_private_dir, write_private

    ensure_private_dir(state_dir)
    data = json.loads(creds.to_json())
    data["scopes"] = sorted(granted)
    path = token_path(state_dir)
    write_private(path, json.dumps(data).encode("utf-8"))
    return path


def saved_permissions(state_dir: Path) -> list[tuple[bool, Permission]] | None:
    """Each permission and whether the saved login holds it (None: not signed in).
    Reads the file only: no request to Google."""
    path = token_path(state_dir)
    if not path.exists():
        return None
    return summary(granted_scopes(load_credentials(path)))
