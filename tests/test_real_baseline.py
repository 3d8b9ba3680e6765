"""The 41 real spend files load exactly as they did before the mapping learned
to read values: the same rows loaded, the same pence, and each role taken from
the same column.

``data/real_spend_baseline.json`` was written by ingesting every file under
shared/data/spend with the header-synonym mapping alone (before value
profiling, date checks and total-line recognition existed); it holds counts,
hashes and header names only, no data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from totalplace.ingest import ingest_files
from totalplace.workspace import Workspace

from .conftest import SPEND, TEST_DATA
from .test_real_spend import PUBLISHERS

BASELINE: dict[str, dict[str, object]] = json.loads(
    (TEST_DATA / "real_spend_baseline.json").read_text(encoding="utf-8")
)
FOLDERS = sorted({k.split("/", 1)[0] for k in BASELINE})


def _header(described: str) -> str:
    """``'Net Amount (synonym)'`` -> ``'Net Amount'``: the column, not how it was found."""
    return re.sub(r" \([^()]*\)$", "", described)


@pytest.mark.parametrize("folder", FOLDERS)
def test_real_files_load_as_before(folder: str, tmp_path: Path, spend_dir: Path) -> None:
    ws = Workspace.create(tmp_path / folder, ["E08000025"], "2010-11")
    files = sorted(p for p in (spend_dir / folder).iterdir() if p.suffix in (".csv", ".zip"))
    report = ingest_files(ws, files, PUBLISHERS.get(folder))
    seen = {f.path.replace(str(SPEND) + "/", ""): f for f in report.files}
    expected = {k: v for k, v in BASELINE.items() if k.startswith(folder + "/")}
    assert sorted(seen) == sorted(expected)
    for key, before in expected.items():
        now = seen[key]
        assert now.status == before["status"], key
        assert now.sha256 == before["sha256"], key
        assert now.rows_read == before["rows_read"], key
        assert now.rows_loaded == before["rows_loaded"], key
        assert now.amount_loaded_pence == before["amount_loaded_pence"], key
        columns = before["column_map"]
        assert isinstance(columns, dict)
        for role, described in columns.items():
            assert _header(now.column_map.get(role, "(unmapped)")) == _header(described), (
                key,
                role,
            )
