"""Who may use a workspace's dashboard, and in what role.

Users live in the workspace, in ``users.json`` beside its config (readable by
its owner alone), never in the catalog's data tables: removing or rebuilding
the data must not remove who may see it.  Passwords are stored only as argon2
hashes, so the file does not reveal them.

Roles, each allowed what the one before is and more:
``viewer`` sees aggregates only (never a transaction row or a supplier name);
``analyst`` also sees the source rows behind a cell; ``caseworker`` also sees
person-level records (one family's contacts and journey, under pseudonyms,
each view written to the audit log); ``admin`` also manages users.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from totalplace.errors import ConfigError
from totalplace.workspace import atomic_write

USERS_FILE = "users.json"
ROLES = ("viewer", "analyst", "admin", "caseworker")
# Each role may what those ranked below it may (caseworker, added later, is listed last).
RANK = {"viewer": 0, "analyst": 1, "caseworker": 2, "admin": 3}
# A name a person can type and a log can show without quoting.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# Shorter passwords fall to guessing even when hashed.
MIN_PASSWORD = 10

_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def may(self, role: str) -> bool:
        """True when this user's role is ``role`` or above it."""
        return RANK[self.role] >= RANK[role]


def users_path(root: Path) -> Path:
    return root / USERS_FILE


def _read(root: Path) -> dict[str, dict[str, str]]:
    path = users_path(root)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{path}: cannot read the dashboard's users ({exc}); restore the file from a "
            "backup or remove it and add the users again with `totalplace users add`"
        ) from exc
    users = data.get("users") if isinstance(data, dict) else None
    if not isinstance(users, dict):
        raise ConfigError(f"{path}: no 'users' table; remove the file and add the users again")
    return users


def list_users(root: Path) -> list[User]:
    """The workspace's users by name (no hashes)."""
    return [User(name, str(u.get("role", ""))) for name, u in sorted(_read(root).items())]


def add_user(root: Path, name: str, role: str, password: str) -> User:
    """Add ``name`` with ``role`` (or replace its role and password)."""
    if not _NAME.match(name):
        raise ConfigError(
            f"user name {name!r}: use letters, digits and . _ @ - (up to 64 characters)"
        )
    if role not in ROLES:
        raise ConfigError(f"role {role!r}: choose one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"the password for {name} is shorter than {MIN_PASSWORD} characters")
    users = _read(root)
    users[name] = {"role": role, "hash": _hasher.hash(password)}
    path = users_path(root)
    atomic_write(path, json.dumps({"users": users}, indent=2) + "\n")
    path.chmod(0o600)  # the hashes are for this account alone to read
    return User(name, role)


def check_password(root: Path, name: str, password: str) -> User | None:
    """The user when ``password`` is theirs; None for an unknown name or a
    wrong password alike (the login page must not say which)."""
    entry = _read(root).get(name)
    if entry is None or entry.get("role") not in ROLES:
        # hash anyway, so an unknown name takes as long to refuse as a known one
        _hasher.hash(password)
        return None
    try:
        _hasher.verify(entry.get("hash", ""), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return User(name, entry["role"])
