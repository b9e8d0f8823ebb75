"""Who may use a shared app and what it may change: users for Gradio's login, the read-only switch, and
the start-up warning for an open deployment.

Gradio's ``auth`` guards the page and its HTTP API alike (every /gradio_api route needs the login
cookie); read-only is enforced by the library (search.uploads.Library refuses every change), so a
hidden button is never the only guard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class BadAuth(UserError, ValueError):
    """A user:password setting that cannot be used; the message names it and the form it needs."""


@dataclass(frozen=True)
class Access:
    users: tuple[tuple[str, str], ...] = ()
    read_only: bool = False

    @property
    def auth(self) -> list[tuple[str, str]] | None:
        """What ``gr.Blocks.launch(auth=…)`` takes: None when no login is asked for."""
        return list(self.users) or None


def parse_user(value: str, where: str = "--auth") -> tuple[str, str]:
    """``USER:PASSWORD`` (the password may itself hold colons) → (user, password)."""
    user, sep, password = (value or "").strip().partition(":")
    if not sep or not user.strip() or not password:
        raise BadAuth(f"{where}: expected USER:PASSWORD with both parts non-empty, got {_masked(value)}")
    if user != user.strip():
        raise BadAuth(f"{where}: the user name {user!r} has spaces around it: write USER:PASSWORD")
    return user, password


def read_auth_file(path: Path) -> list[tuple[str, str]]:
    """One ``user:password`` per line; blank lines and lines starting with # are skipped."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise BadAuth(f"--auth-file {path}: cannot read it ({type(err).__name__}): give a text file") from err
    users = [
        parse_user(line, f"--auth-file {path}, line {n}")
        for n, line in enumerate(lines, 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not users:
        raise BadAuth(f"--auth-file {path}: no user:password line in it: add one per line")
    return users


def access_from_args(
    auth: Sequence[str] = (), auth_file: Path | None = None, read_only: bool = False
) -> Access:
    """The app's settings from its flags; BadAuth (one line) for a bad value, a repeated user included."""
    users = [parse_user(value) for value in auth or ()]
    if auth_file is not None:
        users += read_auth_file(auth_file)
    names = [user for user, _ in users]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise BadAuth(f"user {repeated[0]!r} is given twice: keep one password per user")
    return Access(tuple(users), read_only)


def exposure_warning(host: str, access: Access) -> str:
    """The start-up warning for an app that anyone on the network can reach without logging in; ""
    when it listens only on this machine or asks for a login."""
    if access.users or host in LOCAL_HOSTS:
        return ""
    can = "search every document" if access.read_only else "search, upload, delete and rebuild"
    return (
        f"warning: serving on {host} without --auth: anyone who can reach this port can {can}; "
        "add --auth USER:PASSWORD (or --auth-file FILE), or bind --host 127.0.0.1"
    )


def _masked(value: str) -> str:
    """The bad value with its password part hidden (a start-up error lands in logs)."""
    user, sep, _ = (value or "").partition(":")
    return repr(f"{user}:***" if sep else value)


def mcp_setting(access: Access, requested: bool) -> tuple[bool, str]:
    """(serve MCP?, warning) for the app's MCP switch. Gradio mounts its MCP server outside the login:
    with ``--auth`` its tool list is public and its tool calls fail (the server calls the app back
    without credentials), so MCP is turned off there, with a warning saying so."""
    if requested and access.users:
        return False, (
            "warning: MCP is off because --auth is set: Gradio's MCP endpoint is not behind the login; "
            "use the HTTP API with a login (docs/deploy.md), or serve MCP without --auth on 127.0.0.1"
        )
    return requested, ""
