"""Shared fixtures: the real data folder (skipped cleanly when absent) and workspaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from totalplace.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
SPEND = SHARED_DATA / "spend"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def spend_dir() -> Path:
    if not SPEND.is_dir():
        pytest.skip(f"real spend data not found at {SPEND} (shared/data is not beside the project)")
    return SPEND


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")
