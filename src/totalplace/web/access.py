"""Logins, sessions and the CSRF token, for ``totalplace serve``.

Who must log in: everyone when the workspace has users or ``--require-login``
is given; nobody when the dashboard is bound to this machine alone and has no
users (one analyst at their desk, who could read the files anyway).  Bound to
any other address it does not start until a user exists
(:func:`refuse_open_bind`), so the count is never on a network without a login.

Sessions are held in memory, so restarting the server logs everyone out.
The session cookie is HttpOnly (no script can read it) and SameSite=Strict
(no other site's page can send it); every form carries a CSRF token that
must match the one of its session (or, on the login form, its cookie).
"""

from __future__ import annotations

import ipaddress
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from totalplace.errors import ConfigError
from totalplace.web.users import User, list_users

SESSION_COOKIE = "tp_session"
LOGIN_CSRF_COOKIE = "tp_login_csrf"
# A working day: a session left open overnight must log in again.
SESSION_SECONDS = 8 * 3600
# The user of a dashboard that needs no login: an analyst at their own desk.
LOCAL_USER = User("local", "analyst")


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.x, ::1, localhost)."""
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any address, so treat it as open


def refuse_open_bind(host: str, root: Path) -> None:
    """Refuse to serve on an address other machines can reach while the
    workspace has no user to log in as."""
    if not is_loopback(host) and not list_users(root):
        raise ConfigError(
            f"--host {host} lets other machines reach the dashboard, and {root} has no users "
            f"yet: add one first with `totalplace users add {root} NAME --role viewer` (or "
            "analyst, admin), or serve on 127.0.0.1"
        )


@dataclass
class Session:
    user: User
    csrf: str
    expires: float


class Sessions:
    """Logged-in sessions by cookie token, in memory."""

    def __init__(self) -> None:
        self._by_token: dict[str, Session] = {}
        self._lock = threading.Lock()

    def start(self, user: User) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        session = Session(user, secrets.token_urlsafe(32), time.time() + SESSION_SECONDS)
        with self._lock:
            self._by_token[token] = session
        return token, session

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self._lock:
            session = self._by_token.get(token)
            if session is not None and session.expires < time.time():
                del self._by_token[token]
                return None
            return session

    def end(self, token: str | None) -> None:
        with self._lock:
            self._by_token.pop(token or "", None)


def same_token(given: object, expected: str | None) -> bool:
    """A form's CSRF token matches, compared in constant time."""
    return (
        isinstance(given, str)
        and bool(expected)
        and secrets.compare_digest(given.encode(), str(expected).encode())
    )
