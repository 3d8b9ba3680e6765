"""Linkage quality on FEBRL, the standard synthetic benchmark, with no labels in training.

``rec_id`` names each record's entity (``rec-223-org`` and ``rec-223-dup-0`` are
one person); it is used as the record id and to score the result, never to
train.  Pairwise precision, recall and F1 over all records, a refused record
counting as a person of its own.  Skips without ../shared/data.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from totalplace.link import LinkResult, link_records
from totalplace.link.report import scores_against

FEBRL = SHARED_DATA / "linkage" / "febrl"


def _entity(record_id: str) -> str:
    found = re.match(r"rec-(\d+)-", record_id)
    assert found, record_id
    return found.group(1)


def _scores(result: LinkResult) -> dict[str, float]:
    return scores_against(result, _entity)


def _need(*names: str) -> list[Path]:
    paths = [FEBRL / n for n in names]
    if not all(p.exists() for p in paths):
        pytest.skip(f"FEBRL data not found under {FEBRL} (../shared/data is absent)")
    return paths


def test_febrl_dataset1_deduplication_f1(tmp_path: Path) -> None:
    (path,) = _need("dataset1.csv")
    result = link_records({"dataset1": path}, tmp_path, id_column="rec_id")
    scores = _scores(result)
    assert scores["f1"] >= 0.99, scores  # 0.9909 (target 0.95)


def test_febrl_4a_4b_linkage_f1(tmp_path: Path) -> None:
    a, b = _need("dataset4a.csv", "dataset4b.csv")
    result = link_records({"a": a, "b": b}, tmp_path, id_column="rec_id")
    scores = _scores(result)
    assert scores["f1"] >= 0.99, scores  # 0.9959 (target 0.99)
