"""A method change, shown on every member's figures before it is adopted.

``propose`` counts each member again with the proposed method, in a copy of
its workspace under ``NET/proposals/<stamp>/<member>/``: the member's own
folder and reports are never touched.  Its figures under the current method
("before") are its ``reports/count.json`` when that count was made with the
network's method, else a second copy counted with it, so before and after
differ only by the method.  ``adopt`` then makes the proposal the network's
method (a new version in the changelog) and gives it to every member; their
counts carry the new version once they are counted again.

The copies share the members' table files by hard link where the file
system allows (a table file is only ever replaced whole, never changed in
place, so a count in the copy cannot alter the member's); the catalog and
everything else is copied.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from totalplace.classify.taxonomy import theme_label
from totalplace.errors import ConfigError, TotalPlaceError
from totalplace.method import (
    MEMBER_FILE,
    all_files,
    copy_method,
    differences,
    method_hash,
    workspace_files,
)
from totalplace.network.folder import (
    Change,
    Member,
    Network,
    member_away,
    save_network,
    write_membership,
)
from totalplace.store.locking import LOCK_NAME
from totalplace.workspace import Workspace

__all__ = ["PROPOSALS_DIR", "adopt", "propose"]

PROPOSALS_DIR = "proposals"
# Not needed to count a copy: the member's reports (the copy writes its own),
# commands' unfinished files, person-level data and the writer's lock.
_SKIP = {"reports", "staging", "people", LOCK_NAME}


def _link_or_copy(src: str, dst: str) -> object:
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(src, dst)
    return dst


def scratch_copy(source: Path, target: Path) -> Path:
    """A copy of workspace ``source`` at ``target`` to count without touching
    ``source``: table files linked, the rest copied, reports left out."""
    target.mkdir(parents=True)
    for item in sorted(source.iterdir()):
        if item.name in _SKIP or item.is_symlink():
            continue
        if item.is_dir():
            copier = _link_or_copy if item.name == "tables" else shutil.copy2
            shutil.copytree(item, target / item.name, copy_function=copier)
        else:
            shutil.copy2(item, target / item.name)
    return target


def _count(root: Path, engine: str) -> dict[str, Any]:
    from totalplace.report.run import count_workspace

    count, _ = count_workspace(Workspace.open_intact(root), engine)
    return count.to_dict()


def _recorded(member_root: Path, digest: str) -> dict[str, Any] | None:
    """The member's own count, when it was made with the method ``digest``."""
    path = member_root / "reports" / "count.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    stamp = data.get("method_version")
    if isinstance(stamp, dict) and stamp.get("hash") == digest:
        return dict(data)
    return None


def _slug(member: Member) -> str:
    return "".join(c if c.isalnum() else "-" for c in member.name.casefold()).strip("-")


def effect(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Each theme's money before and after, with the difference, largest change first."""
    b_theme: dict[str, int] = before.get("by_theme", {})
    a_theme: dict[str, int] = after.get("by_theme", {})
    themes: list[dict[str, Any]] = [
        {
            "theme": t,
            "label": theme_label(t),
            "before_pence": int(b_theme.get(t, 0)),
            "after_pence": int(a_theme.get(t, 0)),
            "difference_pence": int(a_theme.get(t, 0)) - int(b_theme.get(t, 0)),
        }
        for t in sorted(set(b_theme) | set(a_theme))
    ]
    themes.sort(key=lambda r: (-abs(r["difference_pence"]), r["theme"]))
    return {
        "total": {
            "before_pence": int(before["total_pence"]),
            "after_pence": int(after["total_pence"]),
            "difference_pence": int(after["total_pence"]) - int(before["total_pence"]),
        },
        "per_head": {
            "before_pence": int(before["per_head_pence"]),
            "after_pence": int(after["per_head_pence"]),
            "difference_pence": int(after["per_head_pence"]) - int(before["per_head_pence"]),
        },
        "themes": themes,
        "themes_changed": sum(1 for r in themes if r["difference_pence"]),
    }


def propose(net: Network, folder: Path, engine: str = "duckdb") -> dict[str, Any]:
    """The proposed method's effect on every member's figures (nothing adopted)."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such folder holding a proposed method")
    if not net.members:
        raise ConfigError(f"{net.root}: no members yet to show the change on; add one first")
    proposed = method_hash(all_files(folder))
    changed = differences(
        workspace_files(net.method_dir), workspace_files(folder), "the network", "the proposal"
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    scratch = net.root / PROPOSALS_DIR / f"{stamp}-{proposed[:8]}"
    members, skipped = [], []
    for member in net.members:
        # a member that cannot be counted (its folder moved away, or a year
        # with no regional lines it was never counted for) is named with why,
        # and the others are still shown: one member does not stop the rest
        try:
            members.append(_member_effect(net, member, folder, scratch, engine))
        except TotalPlaceError as exc:
            skipped.append({"name": member.name, "path": str(member.root(net.root)),
                            "reason": str(exc)})  # fmt: skip
    if not members:
        reasons = "; ".join(f"{m['name']}: {m['reason']}" for m in skipped)
        raise ConfigError(f"no member could be counted with the proposal: {reasons}")
    return {
        "network": net.name,
        "current": {"version": net.version, "hash": net.hash},
        "proposed": {"folder": str(folder.resolve()), "hash": proposed},
        "files_changed": [d.to_dict() for d in changed],
        "scratch": str(scratch),
        "members": members,
        "skipped": skipped,
        "adopted": None,
    }


def _member_effect(
    net: Network, member: Member, folder: Path, scratch: Path, engine: str
) -> dict[str, Any]:
    """One member counted with the proposal in a scratch copy, beside its
    figures with the network's method."""
    root = member.root(net.root)
    away = member_away(net, member)
    if away is not None:
        raise ConfigError(away)
    place = scratch / _slug(member)
    # copied under the member's writer lock: no ingest changes it mid-copy
    with Workspace.open(root).writing():
        before = _recorded(root, net.hash)
        current = None if before is not None else scratch_copy(root, place / "current")
        after_root = scratch_copy(root, place / "proposed")
    source = "the member's reports/count.json"
    if before is None or current is not None:
        assert current is not None  # a copy is made whenever no count was recorded
        copy_method(net.method_dir, current)
        before = _count(current, engine)
        source = "counted again with the current method (its count was not made with it)"
    copy_method(folder, after_root)
    (after_root / MEMBER_FILE).unlink(missing_ok=True)
    after = _count(after_root, engine)
    return {"name": member.name, "before_from": source, "scratch": str(place),
            **effect(before, after)}  # fmt: skip


def _next_version(current: str) -> str:
    if current.isdigit():
        return str(int(current) + 1)
    raise ConfigError(
        f"the method's version {current!r} is not a whole number; give the new one with --version"
    )


def adopt(
    net: Network, folder: Path, note: str, who: str, version: str | None = None
) -> dict[str, Any]:
    """Make ``folder``'s method the network's new version and give it to
    every member (their rules, scenarios and assumptions are replaced; their
    reports stay until they are counted again)."""
    if not note.strip():
        raise ConfigError("say why the method changes: --note TEXT (it goes in the changelog)")
    # every member is given the new method: one moved away would be left on
    # the old one with nothing to say so, so the change waits for it
    away = [f"{m.name} ({why})" for m in net.members if (why := member_away(net, m))]
    if away:
        raise ConfigError(f"cannot give the method to {'; '.join(away)}; then adopt")
    new = version or _next_version(net.version)
    if any(c.version == new for c in net.changelog):
        raise ConfigError(f"method version {new} exists already; give another with --version")
    if folder.resolve() != net.method_dir.resolve():
        copy_method(folder, net.method_dir)
    digest = net.current_hash()
    if digest == net.hash:
        raise ConfigError(f"{folder}: the same method as version {net.version}; nothing to adopt")
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    net.version, net.hash = new, digest
    net.changelog.append(Change(new, date, note.strip(), digest, who))
    save_network(net)
    given = []
    for member in net.members:
        ws = Workspace.open(member.root(net.root))
        with ws.writing():
            copy_method(net.method_dir, ws.root)
            write_membership(net, ws.root)
        given.append(member.name)
    return {"version": new, "hash": digest, "date": date, "note": note.strip(), "given_to": given}
