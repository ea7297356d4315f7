"""The CalDAV password: from a 0600 file or a command, and from then on a secret the logs mask.

It is read when a connection is first needed (not when the config is loaded), kept in
memory only, and registered with the log redaction so no record can carry it.
"""

from __future__ import annotations

import shlex
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import CalDavError
from ...redact import remember_secret


@dataclass
class Password:
    value: str = field(repr=False)  # never in a repr, a traceback or a log
    #: e.g. "password_file is readable by others"
    warnings: list[str] = field(default_factory=list)


def read_password(*, password_file: Path | None, password_command: str | None,
                  timeout: float = 30) -> Password:
    """The password from its 0600 file (first line) or from a command's first output line."""
    warnings: list[str] = []
    if password_file is not None:
        try:
            mode = password_file.stat().st_mode
            text = password_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CalDavError(f"password_file not found: {password_file}",
                              "create it with the password on one line, then "
                              f"`chmod 600 {password_file}`") from None
        except (OSError, UnicodeDecodeError) as e:
            raise CalDavError(f"can't read password_file {password_file}: "
                              f"{getattr(e, 'strerror', None) or type(e).__name__}",
                              "check the file's permissions") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            warnings.append(f"{password_file} is readable by other users: "
                            f"run `chmod 600 {password_file}`")
        value = text.splitlines()[0].strip() if text.strip() else ""
        where = f"password_file {password_file}"
    elif password_command:
        try:
            done = subprocess.run(shlex.split(password_command), capture_output=True, text=True,
                                  timeout=timeout, check=False, stdin=subprocess.DEVNULL)
        except (OSError, ValueError) as e:
            raise CalDavError(f"password_command could not be started: "
                              f"{getattr(e, 'strerror', None) or e}",
                              "check the command (it runs without a shell)") from None
        except subprocess.TimeoutExpired:
            raise CalDavError(f"password_command took longer than {timeout:.0f} s",
                              "check that it doesn't wait for input") from None
        if done.returncode != 0:
            # its stderr is not shown: a password manager may print secrets there
            raise CalDavError(f"password_command exited with status {done.returncode}",
                              "run it by hand to see why") from None
        lines = done.stdout.splitlines()
        value = lines[0].strip() if lines else ""
        where = "password_command"
    else:
        raise CalDavError("no password_file or password_command", "add one of them")
    if not value:
        raise CalDavError(f"{where} gave an empty password",
                          "put the password on the first line")
    remember_secret(value)
    return Password(value, warnings)
