"""Shared fixtures: the real data folder (skipped cleanly when absent) and workspaces."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One local SparkSession for the whole run (starting one takes seconds)."""
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java 17: `java` is not on PATH")
    from pyspark.sql import SparkSession

    from totalplace.backends import local_spark_builder

    session = local_spark_builder(SparkSession.builder).getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
