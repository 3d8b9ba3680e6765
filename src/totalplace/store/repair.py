"""What ``totalplace repair`` may remove, restore or set aside, and doing it.

Nothing is removed that is not provably the store's own debris:

* a staging folder whose owner process has ended (see :mod:`.locking`);
* files in the old shared ``tmp/`` folder, Parquet being written
  (``*.tmp``) and replacements never committed (``*.parquet.new`` with no
  ``swaps`` row): the catalog, the commit point, never listed them;
* a table file of a source whose last change in the history is its removal
  (a removal stopped before it deleted its files);
* a table file the catalog does not list that is not a whole Parquet file
  (half-written): it holds nothing that could be restored.

A whole Parquet file the catalog does not list and that carries no stamp (as
older versions wrote them) is moved aside by ``repair``, never removed, in
case the catalog that listed it was lost.

A table file the catalog does not list but whose stamp names it (the catalog
was lost, or an older copy restored) is *restored* to the catalog when its
three tables are present and the rows agree with the stamp's counts and pence.
A committed file that is missing, cut short or changed cannot be mended here;
its source is taken out of the catalog and its remaining files are moved to
``set-aside/<time>/``, never deleted, so the source can be ingested again.
A catalog that cannot be read is moved there too, and a new one is built from
the table files' stamps.  A source stored before table files were stamped is
*recorded*: a stamped copy of each table file is put in its place through the
replacement journal, and its size and SHA-256 recorded, so that from then on
it is checked like any other.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from totalplace import duck
from totalplace.schema import ROW_TABLES
from totalplace.store import catalog as cat
from totalplace.store.integrity import CatalogState, check_tables, table_rel
from totalplace.store.locking import STAGING_NAME, owner_alive, owner_file, staging_folders
from totalplace.store.stamp import checksum, is_parquet, read_stamp
from totalplace.store.stamp import stamp as stamp_file

SET_ASIDE_NAME = "set-aside"
LEGACY_TMP_NAME = "tmp"


@dataclass(frozen=True)
class RepairStep:
    """One thing repair does (or, in a dry run, would do)."""

    action: str  # remove, keep, restore, set-aside, record, rebuild-catalog
    path: str  # relative to the workspace
    reason: str
    file_id: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class RepairReport:
    catalog: str  # present, missing, unreadable
    applied: bool
    steps: list[RepairStep] = field(default_factory=list)
    set_aside_dir: str | None = None

    @property
    def changes(self) -> list[RepairStep]:
        return [s for s in self.steps if s.action != "keep"]

    def to_dict(self) -> dict[str, object]:
        return {
            "catalog": self.catalog,
            "applied": self.applied,
            "changes": len(self.changes),
            "steps": [s.to_dict() for s in self.steps],
            "set_aside_dir": self.set_aside_dir,
        }


def debris(root: Path, con: duckdb.DuckDBPyConnection | None) -> list[RepairStep]:
    """Staged and table files no committed load owns, each with what to do:
    ``remove`` (provably debris), ``keep`` (a live process owns it) or
    ``restore`` (a table file the catalog lost, with its stamp)."""
    steps: list[RepairStep] = []
    for folder in staging_folders(root):
        rel = str(folder.relative_to(root))
        if owner_alive(folder):
            steps.append(RepairStep("keep", rel, "staging folder of a running command"))
        else:
            steps.append(RepairStep("remove", rel, "staging folder of a command that has ended"))
    legacy = root / LEGACY_TMP_NAME
    if legacy.is_dir():
        for p in sorted(legacy.iterdir()):
            steps.append(
                RepairStep("remove", str(p.relative_to(root)), "left in the old shared tmp/")
            )
    listed: set[str] = set()
    swapping: set[str] = set()
    last_action: dict[str, str] = {}
    if con is not None:
        listed = {r[0] for r in con.execute("SELECT file_id FROM files").fetchall()}
        swapping = {r[0] for r in con.execute("SELECT file_id FROM swaps").fetchall()}
        last_action = dict(
            con.execute(
                "SELECT file_id, arg_max(action, changed_at) FROM history GROUP BY file_id"
            ).fetchall()
        )
    for table in ROW_TABLES:
        folder = root / "tables" / table
        if not folder.is_dir():
            continue
        for p in sorted(folder.iterdir()):
            fid, _, suffix = p.name.partition(".")
            rel = str(p.relative_to(root))
            if suffix == "parquet.new" and fid in swapping:
                continue  # committed; recovery renames it into place
            if suffix != "parquet":
                steps.append(RepairStep("remove", rel, "never committed (written, not listed)"))
                continue
            if fid in listed:
                continue
            if last_action.get(fid) == "removed":
                steps.append(
                    RepairStep("remove", rel, "its source was removed (see check --history)", fid)
                )
                continue
            stamp = read_stamp(p)
            held = stamp["file"] if stamp else {}
            if stamp and held.get("file_id") == fid and stamp.get("table") == table:
                steps.append(RepairStep("restore", rel, f"a table of {held.get('path')}", fid))
            elif is_parquet(p):
                steps.append(
                    RepairStep(
                        "set-aside",
                        rel,
                        "a whole Parquet file the catalog does not list and with no stamp to "
                        "restore it by: moved aside, in case a catalog that listed it was lost",
                    )
                )
            else:
                steps.append(
                    RepairStep("remove", rel, "not a whole Parquet file, and listed nowhere")
                )
    return steps


def restorable(root: Path, steps: list[RepairStep]) -> tuple[list[RepairStep], list[RepairStep]]:
    """Split ``restore`` steps into sources whose three tables agree (restored
    as they are) and the rest, turned into ``set-aside`` steps with the reason."""
    by_id: dict[str, list[RepairStep]] = {}
    for s in steps:
        if s.action == "restore" and s.file_id:
            by_id.setdefault(s.file_id, []).append(s)
    good: list[RepairStep] = []
    bad: list[RepairStep] = []
    for fid, group in sorted(by_id.items()):
        reason = _restore_problem(root, fid, {s.path for s in group})
        if reason is None:
            good.extend(group)
        else:
            bad.extend(
                RepairStep("set-aside", s.path, f"cannot restore: {reason}", fid) for s in group
            )
    return good, bad


def _restore_problem(root: Path, fid: str, present: set[str]) -> str | None:
    missing = [t for t in ROW_TABLES if table_rel(fid, t) not in present]
    if missing:
        return f"its {', '.join(missing)} table file(s) are missing"
    rows = [read_stamp(root / table_rel(fid, t)) for t in ROW_TABLES]
    files = [r["file"] if r else None for r in rows]
    if any(f != files[0] for f in files):
        return "its table files' stamps disagree"
    row = files[0] or {}
    if any(c not in row for c in cat.FILE_COLUMNS):
        return "its stamp lacks catalog fields"
    con = duck.connect()
    try:
        found = con.execute(
            "SELECT count(*) FILTER (WHERE status = 'loaded'), "
            "coalesce(sum(amount_pence) FILTER (WHERE status = 'loaded'), 0) "
            "FROM read_parquet($p)",
            {"p": str(root / table_rel(fid, "rows"))},
        ).fetchone()
    except duckdb.Error as exc:
        return f"its rows cannot be read ({exc})"
    finally:
        con.close()
    want = (int(row["rows_loaded"]), int(row["amount_loaded_pence"]))
    if found is None or (int(found[0]), int(found[1])) != want:
        return f"its rows hold {found} loaded rows and pence, its stamp says {want}"
    return None


def damaged(root: Path, con: duckdb.DuckDBPyConnection, verify: bool) -> list[RepairStep]:
    """A ``set-aside`` step for every table file of each committed source that
    fails the check (a missing file, or one cut short or changed)."""
    result = check_tables(root, CatalogState.read(con), verify=verify)
    bad = {p.file_id: p for p in result.problems}
    return [
        RepairStep(
            "set-aside",
            table_rel(fid, t),
            f"{problem.message}; its source is taken out of the catalog: ingest "
            f"{problem.source} again",
            fid,
        )
        for fid, problem in sorted(bad.items())
        for t in ROW_TABLES
    ]


def unrecorded(root: Path, con: duckdb.DuckDBPyConnection) -> list[RepairStep]:
    """A ``record`` step for each table file of a source committed before table
    files were stamped and their sizes kept, when all three are there: repair
    stamps a copy and puts it in place as a replacement is put in place."""
    rows = con.execute(
        "SELECT file_id, path FROM files WHERE file_id NOT IN "
        "(SELECT file_id FROM table_files) ORDER BY ingested_at, path"
    ).fetchall()
    steps: list[RepairStep] = []
    for fid, source in rows:
        if all((root / table_rel(fid, t)).exists() for t in ROW_TABLES):
            steps.extend(
                RepairStep(
                    "record",
                    table_rel(fid, t),
                    f"a table of {source}, stored before table files carried their source's "
                    "catalog row: stamped, and its size and SHA-256 recorded",
                    fid,
                )
                for t in ROW_TABLES
            )
    return steps


def record(
    root: Path,
    con: duckdb.DuckDBPyConnection,
    fid: str,
    finish_swap: Callable[[duckdb.DuckDBPyConnection, str], None],
) -> None:
    """Stamp a copy of each of a source's table files and put the copies in
    place through the replacement journal (``.new``, the catalog, the rename),
    so a crash part-way leaves the old files or the new, never a broken one."""
    cur = con.execute("SELECT * FROM files WHERE file_id = ?", [fid])
    names = [d[0] for d in cur.description]
    found = cur.fetchone()
    if found is None:
        return
    row = dict(zip(names, found, strict=True))
    sums: dict[str, tuple[int, str]] = {}
    for table in ROW_TABLES:
        new = root / (table_rel(fid, table) + ".new")
        shutil.copyfile(root / table_rel(fid, table), new)
        stamp_file(new, table, row)
        sums[table] = checksum(new)
    con.execute("BEGIN TRANSACTION")
    cat.record_tables(con, fid, sums)
    con.execute("INSERT OR IGNORE INTO swaps VALUES (?)", [fid])
    con.execute("COMMIT")
    finish_swap(con, fid)


def remove(root: Path, step: RepairStep) -> None:
    path = root / step.path
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    if path.parent.name == STAGING_NAME:
        owner_file(path).unlink(missing_ok=True)


def set_aside(root: Path, rel: str, into: Path) -> bool:
    """Move ``rel`` (relative to the workspace) under ``into``, keeping its
    relative path; False when there is nothing to move."""
    src = root / rel
    if not src.exists():
        return False
    dest = into / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    src.replace(dest)
    return True


def set_aside_dir(root: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    return root / SET_ASIDE_NAME / stamp


def take_out(con: duckdb.DuckDBPyConnection, fid: str, reason: str) -> None:
    """Take a damaged source out of the catalog, with a 'removed' history row."""
    old = cat.file_summary(con, fid)
    if old is None:
        return
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM files WHERE file_id = ?", [fid])
    con.execute("DELETE FROM swaps WHERE file_id = ?", [fid])
    con.execute("DELETE FROM table_files WHERE file_id = ?", [fid])
    cat.insert_history(
        con, "removed", {**old, "details": json.dumps({"repair": reason})}, cat.now()
    )
    con.execute("COMMIT")


def restore(root: Path, con: duckdb.DuckDBPyConnection, fid: str) -> None:
    """Put a source back in the catalog from its table files' stamps."""
    stamp = read_stamp(root / table_rel(fid, "rows"))
    assert stamp is not None
    row: dict[str, Any] = {c: stamp["file"][c] for c in cat.FILE_COLUMNS}
    row["ingested_at"] = datetime.fromisoformat(str(row["ingested_at"]))
    had_history = con.execute("SELECT count(*) FROM history WHERE file_id = ?", [fid]).fetchone()
    con.execute("BEGIN TRANSACTION")
    cat.insert_file(con, row)
    cat.record_tables(con, fid, {t: checksum(root / table_rel(fid, t)) for t in ROW_TABLES})
    cat.insert_attempt(
        con,
        row["path"],
        fid,
        "restored",
        "restored to the catalog by repair from its table files' metadata",
    )
    if not had_history or not had_history[0]:
        cat.insert_history(con, "loaded", row, row["ingested_at"])
    con.execute("COMMIT")


def run(
    root: Path,
    finish_swap: Callable[[duckdb.DuckDBPyConnection, str], None],
    apply: bool,
    verify: bool,
) -> RepairReport:
    """Find (and with ``apply`` do) every repair of the store at ``root``; the
    caller holds the writer lock.  ``finish_swap`` renames a committed
    replacement into place, as opening the workspace would."""
    path = root / cat.CATALOG_NAME
    state = "present"
    if not path.exists():
        state = "missing"
    else:
        try:
            duck.connect(str(path), read_only=True).close()
        except duckdb.Error:
            state = "unreadable"
    report = RepairReport(catalog=state, applied=apply)
    aside = set_aside_dir(root)
    if state != "present":
        report.steps.append(
            RepairStep(
                "rebuild-catalog",
                cat.CATALOG_NAME,
                f"the catalog is {state}: it is built again from the table files' stamps"
                + ("; the unreadable one is set aside" if state == "unreadable" else ""),
            )
        )
        found = debris(root, None)
    else:
        con = duck.connect(str(path))
        try:
            cat.create_tables(con)
            for (file_id,) in con.execute("SELECT file_id FROM swaps").fetchall():
                if apply:
                    finish_swap(con, file_id)
            found = debris(root, con) + damaged(root, con, verify) + unrecorded(root, con)
        finally:
            con.close()
    good, bad = restorable(root, found)
    report.steps.extend(s for s in found if s.action in ("remove", "keep", "set-aside", "record"))
    report.steps.extend(good + bad)
    if not apply:
        return report
    if state == "unreadable":
        for name in (cat.CATALOG_NAME, cat.CATALOG_NAME + ".wal"):
            set_aside(root, name, aside)
    con = duck.connect(str(path))
    try:
        cat.create_tables(con)
        for step in report.steps:
            if step.action == "remove":
                remove(root, step)
            elif step.action == "set-aside":
                if step.file_id:
                    take_out(con, step.file_id, step.reason)
                set_aside(root, step.path, aside)
        for fid in sorted({s.file_id for s in good if s.file_id}):
            restore(root, con, fid)
        for fid in sorted({s.file_id for s in report.steps if s.action == "record" and s.file_id}):
            record(root, con, fid, finish_swap)
    finally:
        con.close()
    if aside.exists():
        report.set_aside_dir = str(aside.relative_to(root))
    return report
