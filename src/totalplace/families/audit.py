"""Who looked at which person-level page: ``audit.log`` in the workspace.

One JSON object a line (time in UTC, user, role, page, subject: the
pseudonymous person or family id), appended and never rewritten, so a
record once written stays as it was.  The file is readable by the
workspace's owner alone.  A page is shown only after its view is logged: if
the log cannot be written, the page is refused rather than shown unrecorded.
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
    entry = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "user": user,
        "role": role,
        "page": page,
        "subject": subject,
    }
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with _lock:
        fd = os.open(audit_path(root), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    return entry


def read_audit(root: Path) -> list[dict[str, Any]]:
    """Every logged view, oldest first (none when nothing was viewed yet)."""
    path = audit_path(root)
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
