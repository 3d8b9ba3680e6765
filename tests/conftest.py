"""Shared fixtures: the real data folder (skipped cleanly when absent) and workspaces."""

from __future__ import annotations

import os
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


def _pyspark_missing() -> str | None:
    """Why Spark cannot run here, or None: pyspark is an optional extra."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed: pip install 'totalplace[spark]' (or make install)"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Spark needs Java 17: `java` is not on PATH and JAVA_HOME is not set"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One local SparkSession for the whole run (starting one takes seconds);
    every Spark test, and the ``engine`` fixture's spark case, shares it."""
    missing = _pyspark_missing()
    if missing:
        pytest.skip(missing)
    from pyspark.sql import SparkSession

    from totalplace.backends import local_spark_builder

    session = local_spark_builder(SparkSession.builder).getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest) -> str:
    """Each engine the count and classification run on: a test taking
    ``engine`` runs once on DuckDB and once on Spark (marked spark, skipped
    with the reason when pyspark or Java is missing), on the shared session."""
    name: str = request.param
    if name == "spark":
        request.getfixturevalue("spark")
    return name
