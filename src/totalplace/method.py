"""The method a count follows, as files, with a version that names it.

A count's figures depend on more than the spend files: on the taxonomy of
themes, the apportionment keys, the classification rules (shipped and the
workspace's own ``rules/``), the scenario definitions (``scenarios/``) and
the opportunity assumptions (``opportunity_assumptions.toml``).  Two places
can only be compared if they were counted the same way, so the method is
named by a content hash: the SHA-256 of every one of those files' names and
contents.  The same files give the same hash on any machine; a changed rule
gives another, and :func:`differences` says which file changed.

The shipped files are part of the method (an upgrade of totalplace that
changes the taxonomy changes every count), and are named ``shipped:<path>``.
A workspace's own files are named by their path in the workspace.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from totalplace.tomlfile import read_toml

__all__ = [
    "FOLDERS",
    "MEMBER_FILE",
    "SINGLE_FILES",
    "Difference",
    "copy_method",
    "differences",
    "method_hash",
    "method_version",
    "shipped_files",
    "workspace_files",
]

# The shipped files the count and classification read (package data).
SHIPPED = (
    "data/taxonomy.toml",
    "data/apportionment_keys.toml",
    "data/site_keys.toml",
    "data/opportunities.toml",
)
# (the vocabularies include the labels the learned fallback is trained on)
SHIPPED_FOLDERS = ("data/rules", "data/scenarios", "data/vocab")
# A workspace's (or a method folder's) own parts of the method.
FOLDERS = ("rules", "scenarios")
SINGLE_FILES = ("opportunity_assumptions.toml",)
# Written in a member workspace when it joins a network: which network, and the
# version and hash of the method it was given.
MEMBER_FILE = "network.toml"
SHIPPED_PREFIX = "shipped:"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def shipped_files() -> dict[str, str]:
    """Each shipped method file's name (``shipped:data/...``) and SHA-256."""
    root = resources.files("totalplace")
    out: dict[str, str] = {}
    for name in SHIPPED:
        out[SHIPPED_PREFIX + name] = _digest(root.joinpath(name).read_bytes())
    for folder in SHIPPED_FOLDERS:
        ref = root.joinpath(folder)
        if not ref.is_dir():
            continue
        for item in ref.iterdir():
            if item.is_file() and not item.name.endswith(".md"):  # not documentation
                out[f"{SHIPPED_PREFIX}{folder}/{item.name}"] = _digest(item.read_bytes())
    return dict(sorted(out.items()))


def workspace_files(root: Path) -> dict[str, str]:
    """The method files a workspace (or a method folder of the same layout)
    holds: ``rules/*.toml``, ``scenarios/*.toml`` and the opportunity
    assumptions, each by its path in the folder and its SHA-256."""
    out: dict[str, str] = {}
    for folder in FOLDERS:
        for path in sorted((root / folder).glob("*.toml")):
            out[f"{folder}/{path.name}"] = _digest(path.read_bytes())
    for name in SINGLE_FILES:
        if (root / name).is_file():
            out[name] = _digest((root / name).read_bytes())
    return out


def all_files(root: Path) -> dict[str, str]:
    """The whole method a count in ``root`` follows: shipped and own files."""
    return {**shipped_files(), **workspace_files(root)}


def method_hash(files: Mapping[str, str]) -> str:
    """One SHA-256 over every file's name and hash, in name order: the same
    files always give the same hash."""
    text = "".join(f"{name}\0{digest}\n" for name, digest in sorted(files.items()))
    return _digest(text.encode("utf-8"))


@dataclass(frozen=True)
class Difference:
    """One file in which two methods differ."""

    name: str
    change: str  # "only in the network", "only in the workspace", "differs"

    def to_dict(self) -> dict[str, str]:
        return {"file": self.name, "change": self.change}

    def __str__(self) -> str:
        return f"{self.name} ({self.change})"


def differences(
    ours: Mapping[str, str], theirs: Mapping[str, str], us: str, them: str
) -> list[Difference]:
    """The files in which method ``ours`` differs from ``theirs``, named from
    ``us`` and ``them`` ("only in the network", "differs"), in name order."""
    out = []
    for name in sorted(set(ours) | set(theirs)):
        if name not in theirs:
            out.append(Difference(name, f"only in {us}"))
        elif name not in ours:
            out.append(Difference(name, f"only in {them}"))
        elif ours[name] != theirs[name]:
            out.append(Difference(name, "differs"))
    return out


def copy_method(source: Path, target: Path) -> None:
    """Make ``target``'s method files those of ``source``: its ``rules/`` and
    ``scenarios/`` hold exactly ``source``'s TOML files and its opportunity
    assumptions are ``source``'s (or none).  Nothing else in ``target`` is
    touched."""
    for folder in FOLDERS:
        (target / folder).mkdir(parents=True, exist_ok=True)
        for old in (target / folder).glob("*.toml"):
            old.unlink()
        for new in sorted((source / folder).glob("*.toml")):
            shutil.copyfile(new, target / folder / new.name)
    for name in SINGLE_FILES:
        if (source / name).is_file():
            shutil.copyfile(source / name, target / name)
        elif (target / name).exists():
            (target / name).unlink()


def method_version(root: Path) -> dict[str, Any]:
    """The stamp a count in workspace ``root`` carries: the method's hash and,
    when the workspace belongs to a network and still follows the method it
    was given, the network's name and human version number (else None: the
    workspace's rules have changed since, or it is in no network)."""
    digest = method_hash(all_files(root))
    version: str | None = None
    network: str | None = None
    member = root / MEMBER_FILE
    if member.is_file():
        data = read_toml(member, "network membership")
        if data.get("method_hash") == digest:
            version = str(data.get("method_version", "")) or None
            network = str(data.get("network", "")) or None
    return {"hash": digest, "version": version, "network": network}
