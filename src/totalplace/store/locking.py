"""One writer at a time, and staged files that only their owner removes.

The writer lock is an ``flock`` on ``DIR/.lock``, held by the one command
writing to the workspace for its whole write; the kernel releases it when the
process ends, however it ends, so a crashed writer never blocks the next.

A process stages files (transcoded sources, Parquet not yet committed, DuckDB
spill files) under its own folder ``DIR/staging/<pid>-<random>/`` and holds an
``flock`` on the owner file beside it, ``<pid>-<random>.owner``, while it lives.  Another process
can therefore tell for certain whether a staging folder's owner is alive (the
lock is held) or gone (the lock is free), without trusting process ids, which
the system reuses.  Only the owner removes its folder while it lives; a folder
whose owner is gone is removed by the next writer, or by ``totalplace repair``.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

LOCK_NAME = ".lock"
STAGING_NAME = "staging"
OWNER_SUFFIX = ".owner"
# Workspace roots whose writer lock each thread of this process holds, with its
# depth (re-entrant within a thread).  Keyed by thread as well, because the web
# server writes from several threads: a second thread takes its own flock on
# its own open file, so it waits for the first instead of walking in.
_HELD: dict[tuple[Path, int], int] = {}
# This process's staging folder in each workspace, with its open owner file,
# whose flock says the folder is in use.
_OWNED: dict[Path, tuple[Path, IO[str]]] = {}


@contextlib.contextmanager
def writer_lock(root: Path, wait: float | None) -> Iterator[bool]:
    """The writer lock: yields True when held (taken here, or already by this
    thread), False when another process or thread holds it past ``wait``
    seconds (``None``: do not wait, and report False while this thread holds
    it too, so that a reader inside a write cleans nothing up)."""
    key = (root, threading.get_ident())
    if key in _HELD:
        if wait is None:
            yield False
            return
        _HELD[key] += 1
        try:
            yield True
        finally:
            _HELD[key] -= 1
        return
    fh = (root / LOCK_NAME).open("a+")
    try:
        deadline = time.monotonic() + (wait or 0.0)
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.05)
        _HELD[key] = 1
        try:
            yield True
        finally:
            del _HELD[key]
            fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        fh.close()


def lock_depth(root: Path) -> int:
    """How deeply this thread holds the writer lock of ``root`` (0: not held)."""
    return _HELD.get((root, threading.get_ident()), 0)


def staging_dir(root: Path) -> Path:
    """This process's staging folder in the workspace at ``root``, made (and
    marked as owned by a live process) on first use."""
    if root in _OWNED and _OWNED[root][0].is_dir():
        return _OWNED[root][0]
    release_staging(root)
    folder = root / STAGING_NAME / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    folder.parent.mkdir(parents=True, exist_ok=True)
    fh = owner_file(folder).open("a+")
    fcntl.flock(fh, fcntl.LOCK_EX)
    folder.mkdir()
    _OWNED[root] = (folder, fh)
    return folder


def release_staging(root: Path) -> None:
    """Remove this process's staging folder in ``root`` with all it holds: only
    its owner does this, once nothing of its is in progress."""
    owned = _OWNED.pop(root, None)
    if owned is None:
        return
    folder, fh = owned
    shutil.rmtree(folder, ignore_errors=True)
    owner_file(folder).unlink(missing_ok=True)
    fh.close()


def owner_alive(folder: Path) -> bool:
    """Whether a live process may own the staging folder: its owner file's lock
    is held, or the process named in the folder's name still runs.  Gone means
    both: no lock (the kernel drops it when a process ends) and no such process,
    so a folder caught between being made and being locked is never taken for
    an orphan; a reused process id only keeps a dead folder a little longer."""
    if any(folder == f for f, _ in _OWNED.values()):
        return True
    if _pid_alive(folder.name.split("-", 1)[0]) and folder.name.split("-", 1)[0] != str(
        os.getpid()
    ):
        return True
    try:
        fh = owner_file(folder).open("r")
    except FileNotFoundError:
        return False
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def owner_file(folder: Path) -> Path:
    """The file beside a staging folder whose lock its owner holds (beside, so
    that the folder holds only what the command staged)."""
    return folder.with_name(folder.name + OWNER_SUFFIX)


def _pid_alive(text: str) -> bool:
    if not text.isdigit():
        return False
    try:
        os.kill(int(text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def staging_folders(root: Path) -> list[Path]:
    """Every process's staging folder in the workspace (one whose owner file
    alone is left is listed too, by the folder's name)."""
    base = root / STAGING_NAME
    if not base.is_dir():
        return []
    found = {p for p in base.iterdir() if p.is_dir()}
    found |= {p.with_suffix("") for p in base.glob("*" + OWNER_SUFFIX)}
    return sorted(found)


@atexit.register
def _release_all() -> None:
    for root in list(_OWNED):
        release_staging(root)
