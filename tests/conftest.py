"""Shared fixtures: the real data folder (skipped cleanly when absent) and workspaces."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from totalplace.count.place_count import PlaceCount
from totalplace.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
SPEND = SHARED_DATA / "spend"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` (pyproject.toml) starts one worker per CPU this run may use;
    on one CPU it starts none and the suite runs in this process as it always
    did, rather than in a single worker that can overlap nothing."""
    if wanted := os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return int(wanted)
    try:  # the CPUs this process may run on (a container's share, not the host's)
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        cpus = os.cpu_count() or 1
    return cpus if cpus > 1 else 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a pytest-xdist worker, files with Spark or slow tests come first, then
    the rest by number of tests: workers are handed whole files in this order
    (pyproject.toml: --no-loadscope-reorder), so the longest files start early
    rather than one running alone at the end while the other worker idles, as
    tests/test_classify_real.py did when files went out by number of tests.
    Each file's tests keep their order; a run without workers is untouched."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    module = {id(item): item.nodeid.split("::")[0] for item in items}
    heavy = {
        module[id(item)]
        for item in items
        if item.get_closest_marker("spark") or item.get_closest_marker("slow")
    }
    size = Counter(module.values())
    items.sort(key=lambda item: (module[id(item)] not in heavy, -size[module[id(item)]]))


@pytest.fixture
def spend_dir() -> Path:
    if not SPEND.is_dir():
        pytest.skip(f"real spend data not found at {SPEND} (shared/data is not beside the project)")
    return SPEND


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")


@pytest.fixture(scope="session")
def manchester_counted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, PlaceCount]:
    """Manchester City Council's twelve shared files ingested and counted for
    2010-11, once for every module that reads that count (the count took about
    16 s, once per module).  Read-only: a test that writes copies it first."""
    folder = SPEND / "manchester"
    if not folder.is_dir():
        pytest.skip(f"real spend data not found at {folder}")
    from totalplace.ingest.pipeline import ingest_files
    from totalplace.report.run import count_workspace

    ws = Workspace.create(tmp_path_factory.mktemp("mcr") / "ws", ["E08000003"], "2010-11")
    ingest_files(ws, sorted(folder.glob("*.csv")), "Manchester City Council")
    count, _ = count_workspace(ws)
    return ws, count


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
