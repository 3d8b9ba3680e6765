"""Who looked at which person-level page: ``audit.log`` in the workspace.

One JSON object a line (time in UTC, user, role, page, subject: the
pseudonymous person or family id), appended and never rewritten, so a
record once written stays as it was.  The file is readable by the
workspace's owner alone: one that others can read or write (made by hand, or
copied) is put back to owner-only before a line is added, and a link in its
place is refused, so the log is never written somewhere else.  A page is shown
only after its view is logged: if the log cannot be written, the page is
refused rather than shown unrecorded.  A page that lists several families
(the most expensive, for a caseworker) writes one line for each, at once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from pathlib import Path
from typing import Any

AUDIT_FILE = "audit.log"
_lock = threading.Lock()


def audit_path(root: Path) -> Path:
    return root / AUDIT_FILE


def record_view(root: Path, user: str, role: str, page: str, subject: str) -> dict[str, Any]:
    """Append one line for a view of a person-level page and return it."""
    return record_views(root, user, role, page, [subject])[0]


def record_views(
    root: Path, user: str, role: str, page: str, subjects: list[str]
) -> list[dict[str, Any]]:
    """Append one line for each subject shown on one person-level page, in one write."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    entries = [
        {"time": now, "user": user, "role": role, "page": page, "subject": s} for s in subjects
    ]
    if not entries:
        return entries
    text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    with _lock:
        fd = os.open(audit_path(root), flags, 0o600)
        try:
            if os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, 0o600)  # others could read who looked at whom
            os.write(fd, text.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    return entries


def read_audit(root: Path) -> list[dict[str, Any]]:
    """Every logged view, oldest first (none when nothing was viewed yet)."""
    path = audit_path(root)
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
