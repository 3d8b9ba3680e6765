"""The shipped rules on the real spend files, measured on rows not used to write them;
and DuckDB and Spark giving the same rule for every row."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from totalplace.classify import classify_workspace, coverage
from totalplace.ingest import ingest_files
from totalplace.workspace import Workspace

from .conftest import SPEND
from .test_classify import _workspace
from .test_real_spend import FOLDERS, PUBLISHERS, _source_files

# The part of each publisher held out when its rules were written (each rules
# file's header says the same): file names matching the pattern, or, where
# None, every file's source lines after its middle line.
HELD_OUT: dict[str, str | None] = {
    "bradford": r"/(2018-1[0-2]|2019-0[1-3])_clean\.csv$",
    "cabinetoffice": None,
    "calderdale": r"/2010-11\.csv$",
    "darlington": r"/2011-01\.csv$",
    "gla": None,
    "leeds_raw": r"/2011-01\.csv$",
    "manchester": r"/2011-(0[6-9]|1[01])\.csv$",
    "networkrail": None,
    "newcastle": None,
    "northtyneside": r"/2014-09_p\.csv$",
    "sheffield": None,
    "trafford": None,
    "wakefield": None,
}


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    if not SPEND.is_dir():
        pytest.skip(f"real spend data not found at {SPEND} (shared/data is not beside the project)")
    ws = Workspace.create(tmp_path_factory.mktemp("classify") / "ws", ["E08000025"], "2010-11")
    for folder in FOLDERS:
        ingest_files(ws, _source_files(SPEND / folder), publisher=PUBLISHERS.get(folder))
    return ws


def held_out(ws: Workspace) -> dict[str, int]:
    """file_id -> first held-out source line."""
    with ws.connect() as con:
        files = con.sql(
            "SELECT f.file_id, f.path, max(s.source_line) FROM files f "
            "JOIN spend s USING (file_id) GROUP BY ALL"
        ).fetchall()
    subset: dict[str, int] = {}
    for file_id, path, last in files:
        folder = Path(path.split("!")[0]).parent.name
        pattern = HELD_OUT[folder]
        if pattern is None:
            subset[file_id] = last // 2 + 1
        elif re.search(pattern, path.split("!")[0]):
            subset[file_id] = 0
    return subset


def test_every_folder_has_a_stated_hold_out() -> None:
    assert set(HELD_OUT) == set(FOLDERS) or not FOLDERS


def test_shipped_rules_classify_90_percent_of_held_out_value(real: Workspace) -> None:
    report = classify_workspace(real)
    assert len(report.by_publisher) == len(FOLDERS)
    measured = coverage(real, Path(report.classified_path), held_out(real))
    assert len(measured) == len(FOLDERS)
    low = {
        c.publisher: (round(c.share_by_value or 0, 3), [u.label for u in c.top_unclassified[:3]])
        for c in measured
        if (c.share_by_value or 0) < 0.90
    }
    assert low == {}


Classified = tuple[list[tuple[object, ...]], list[object]]


@pytest.fixture(scope="module")
def classified_on(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Classified]:
    """Each engine's classification of one workspace (rows, coverage by
    publisher), made once per run: the engines are compared without
    classifying on DuckDB twice."""
    ws = _workspace(tmp_path_factory.mktemp("engines"))
    gla = SPEND / "gla" / "2013-P01.csv"
    if gla.is_file():  # a real file too, when the shared data is here
        assert ingest_files(ws, [gla], publisher=PUBLISHERS["gla"]).ok
    done: dict[str, Classified] = {}

    def classified(engine: str) -> Classified:
        if engine not in done:
            report = classify_workspace(ws, engine=engine)
            rows = duckdb.sql(
                f"SELECT * FROM '{report.classified_path}' ORDER BY file_id, source_line"
            ).fetchall()
            done[engine] = (rows, list(report.by_publisher))
        return done[engine]

    return classified


def test_every_engine_classifies_every_row_the_same(
    engine: str, classified_on: Callable[[str], Classified]
) -> None:
    """The rules run on each engine (the ``engine`` fixture) and give every row
    the rule, theme, method and confidence DuckDB gives it, and the same
    coverage by publisher."""
    rows, publishers = classified_on(engine)
    assert any(r[2] is not None for r in rows)
    assert rows == classified_on("duckdb")[0]
    assert publishers == classified_on("duckdb")[1]
