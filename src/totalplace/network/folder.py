"""A network folder: several places' workspaces that share one method.

Layout::

    NET/network.toml     the network's name, its method's version and hash,
                         the method's changelog and the members
    NET/method/          the shared method's own files: rules/*.toml,
                         scenarios/*.toml, opportunity_assumptions.toml
    NET/learning.toml    the shared learning log (:mod:`.learning`)
    NET/proposals/       scratch counts of proposed methods (``network method``)

A member is a workspace anywhere on disk (kept by its path relative to the
network folder when it lies inside it).  It joins only when its method files
are the network's, so every member's count follows the same rules; it is
then given ``WORKSPACE/network.toml`` naming the network and the method's
version, which each count stamps on ``count.json`` (``method_version``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

from totalplace.config import CONFIG_NAME
from totalplace.errors import ConfigError, WorkspaceError
from totalplace.method import (
    FOLDERS,
    MEMBER_FILE,
    Difference,
    all_files,
    copy_method,
    differences,
    method_hash,
    workspace_files,
)
from totalplace.tomlfile import read_toml
from totalplace.workspace import Workspace, atomic_write

__all__ = [
    "METHOD_DIR",
    "NETWORK_FILE",
    "Change",
    "Member",
    "Network",
    "add_member",
    "init_network",
    "open_network",
    "save_network",
]

NETWORK_FILE = "network.toml"
METHOD_DIR = "method"
HEADER = (
    "# A network of places sharing one method (totalplace network init|add|method).\n"
    "# Change it with the commands: a method change is shown before it is adopted.\n\n"
)
# Total Place #2 proposed five to ten places; more is allowed, but said.
MOST_MEMBERS = 10
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.()'-]{0,79}$")


@dataclass(frozen=True)
class Change:
    """One adopted version of the method: when, why, and its hash."""

    version: str
    date: str
    note: str
    hash: str
    by: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "version": self.version,
            "date": self.date,
            "note": self.note,
            "hash": self.hash,
            "by": self.by,
        }


@dataclass(frozen=True)
class Member:
    name: str
    path: str  # as written in network.toml: relative to the network folder when inside it

    def root(self, network: Path) -> Path:
        return (network / self.path).resolve()


@dataclass
class Network:
    root: Path
    name: str
    version: str
    hash: str
    changelog: list[Change] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)

    @property
    def method_dir(self) -> Path:
        return self.root / METHOD_DIR

    def method_files(self) -> dict[str, str]:
        """The network's method now: its method folder and the installed shipped files."""
        return all_files(self.method_dir)

    def current_hash(self) -> str:
        return method_hash(self.method_files())

    def member(self, name: str) -> Member:
        for m in self.members:
            if m.name.casefold() == name.casefold():
                return m
        names = ", ".join(m.name for m in self.members) or "none yet"
        raise ConfigError(f"{self.root}: no member named {name!r}; members: {names}")

    def to_dict(self) -> dict[str, Any]:
        current = self.current_hash()
        return {
            "network": str(self.root),
            "name": self.name,
            "method_version": self.version,
            "method_hash": self.hash,
            # False when the installed totalplace's shipped files (taxonomy, keys,
            # rules) are not those the version was recorded with
            "method_current": current == self.hash,
            "changelog": [c.to_dict() for c in self.changelog],
            "members": [
                {"name": m.name, "path": str(m.root(self.root)), **member_state(self, m)}
                for m in self.members
            ],
        }


def member_away(net: Network, member: Member) -> str | None:
    """Why a member's workspace cannot be read, with what to do (its folder
    moved or deleted since it joined), or None when it is there."""
    root = member.root(net.root)
    if (root / CONFIG_NAME).is_file():
        return None
    return (
        f"no workspace at {root} (moved or deleted): put it back there, "
        f"or change this member's path in {net.root / NETWORK_FILE}"
    )


def member_state(net: Network, member: Member) -> dict[str, Any]:
    """Whether a member still follows the network's method, and whether its
    count was made with it (``count.json``'s ``method_version``)."""
    import json

    root = member.root(net.root)
    away = member_away(net, member)
    if away is not None:
        return {"state": "missing", "counted": False, "counted_with_network_method": False,
                "note": away}  # fmt: skip
    follows = method_hash(all_files(root)) == net.hash
    counted: str | None = None
    count = root / "reports" / "count.json"
    if count.is_file():
        try:
            stamp = json.loads(count.read_text(encoding="utf-8")).get("method_version")
        except (OSError, ValueError):
            stamp = None
        counted = stamp.get("hash") if isinstance(stamp, dict) else None
    state = "follows the method" if follows else "method changed since it joined"
    return {
        "state": state,
        "counted": count.is_file(),
        "counted_with_network_method": counted == net.hash,
    }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def _who() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def open_network(root: Path) -> Network:
    path = root / NETWORK_FILE
    if not path.is_file():
        raise WorkspaceError(
            f"{root} is not a network of places (no {NETWORK_FILE}); "
            f"create one with: totalplace network init {root} --name NAME"
        )
    data = read_toml(path, "network of places")
    try:
        return Network(
            root=root.resolve(),
            name=str(data["name"]),
            version=str(data["method"]["version"]),
            hash=str(data["method"]["hash"]),
            changelog=[Change(**c) for c in data.get("changelog", [])],
            members=[Member(str(m["name"]), str(m["path"])) for m in data.get("member", [])],
        )
    except (KeyError, TypeError) as exc:
        raise ConfigError(
            f"{path}: not a network file as totalplace writes it ({exc}); "
            "restore it from a backup or create the network again"
        ) from exc


def save_network(net: Network) -> None:
    body = {
        "name": net.name,
        "method": {"version": net.version, "hash": net.hash},
        "changelog": [c.to_dict() for c in net.changelog],
        "member": [{"name": m.name, "path": m.path} for m in net.members],
    }
    atomic_write(net.root / NETWORK_FILE, HEADER + tomli_w.dumps(body))


def init_network(root: Path, name: str, method_from: Path | None = None) -> Network:
    """Create a network in ``root`` (new or empty).  Its method is the shipped
    one plus, with ``method_from``, that folder's (or workspace's) rules,
    scenarios and opportunity assumptions: version 1."""
    if (root / NETWORK_FILE).exists():
        raise WorkspaceError(f"{root} already holds a network ({NETWORK_FILE}); open that one.")
    if root.exists() and any(root.iterdir()):
        raise WorkspaceError(f"{root} is not empty; choose an empty or new folder for the network.")
    if not _NAME.match(name):
        raise ConfigError(
            f"network name {name!r}: use letters, digits, spaces and - _ . ( ) ', at most 80"
        )
    if method_from is not None and not method_from.is_dir():
        raise ConfigError(f"{method_from}: no such folder to take the method from")
    root.mkdir(parents=True, exist_ok=True)
    method = root / METHOD_DIR
    method.mkdir()
    if method_from is not None:
        copy_method(method_from, method)
    else:
        for folder in FOLDERS:
            (method / folder).mkdir()
    digest = method_hash(all_files(method))
    net = Network(
        root=root.resolve(),
        name=name,
        version="1",
        hash=digest,
        changelog=[Change("1", _now(), "the network's first method", digest, _who())],
    )
    save_network(net)
    return net


def _member_path(net: Network, workspace: Path) -> str:
    """The path kept in network.toml: relative when inside the network folder,
    so the folder can be moved whole."""
    resolved = workspace.resolve()
    try:
        return resolved.relative_to(net.root).as_posix()
    except ValueError:
        return str(resolved)


def refusal(workspace: Path, found: list[Difference], net: Network) -> str:
    named = "; ".join(str(d) for d in found[:10])
    more = f"; and {len(found) - 10} more" if len(found) > 10 else ""
    return (
        f"{workspace} does not follow the network's method (version {net.version}): "
        f"{len(found)} file(s) differ: {named}{more}. Either make the network's method the "
        f"place's (add again with --take-method, which replaces the place's rules/, scenarios/ "
        f"and opportunity assumptions with {net.method_dir}'s), or propose the place's files "
        f"as a method change: totalplace network method {net.root} --propose {workspace}"
    )


def add_member(
    net: Network, workspace: Path, name: str | None = None, take_method: bool = False
) -> Member:
    """Add a workspace to the network.  Refused, naming each file that differs,
    when its method is not the network's, unless ``take_method`` gives it the
    network's method (its own rules are then replaced)."""
    ws = Workspace.open(workspace)
    label = name or ws.config.name or workspace.name
    if not _NAME.match(label):
        raise ConfigError(f"member name {label!r}: give --name with letters, digits and spaces")
    path = _member_path(net, workspace)
    for m in net.members:
        if m.root(net.root) == ws.root:
            raise ConfigError(f"{workspace} is already a member, as {m.name!r}")
        if m.name.casefold() == label.casefold():
            raise ConfigError(f"the network already has a member named {m.name!r}; give --name")
    if net.current_hash() != net.hash:
        raise ConfigError(_shipped_changed(net))
    found = differences(
        workspace_files(net.method_dir), workspace_files(ws.root), "the network", "the workspace"
    )
    if found and not take_method:
        raise ConfigError(refusal(workspace, found, net))
    with ws.writing():
        if found:
            copy_method(net.method_dir, ws.root)
        write_membership(net, ws.root)
    member = Member(label, path)
    net.members.append(member)
    save_network(net)
    return member


def _shipped_changed(net: Network) -> str:
    """The network's method hash no longer matches its files: say what to do."""
    return (
        f"{net.root}: the network's method files are not those method version "
        f"{net.version} was recorded with (the installed totalplace's taxonomy, keys, rules "
        f"or vocabularies changed with an upgrade, or {net.method_dir} was edited by hand); "
        f"adopt the method as it now is with: totalplace network method {net.root} "
        f"--propose {net.method_dir} --adopt --note WHY"
    )


def write_membership(net: Network, root: Path) -> None:
    body = {
        "network": net.name,
        "network_path": str(net.root),
        "method_version": net.version,
        "method_hash": net.hash,
    }
    text = "# This workspace is a member of a network of places (totalplace network).\n\n"
    atomic_write(root / MEMBER_FILE, text + tomli_w.dumps(body))
