"""``link --engine spark``: the same model on Splink's Spark backend, in local mode.

Splink's similarity functions come from a jar inside the splink package, put on
the class path by the one Spark session the process makes (the count's too),
so this also checks that a session made first by the tests serves the link.
Skips when pyspark or Java is missing (the ``spark`` fixture says why)."""

from __future__ import annotations

from pathlib import Path

import pytest

from totalplace.families.synth import generate
from totalplace.link import link_records
from totalplace.link.report import pairwise_scores

pytestmark = pytest.mark.spark


# Splink's Spark steps leave py4j's sockets to the JVM for the garbage collector
# to close, which Python reports as an unraisable ResourceWarning.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_links_a_small_place_as_well_as_duckdb(spark: object, tmp_path: Path) -> None:
    place = generate(people=120, seed=5, agencies=("police", "schools", "health_ae"))
    truth = place.person_of()
    scores = {}
    for engine in ("spark", "duckdb"):
        result = link_records(dict(place.extracts), tmp_path / engine, engine=engine)
        refused = [(r.source, r.record_id) for r in result.refused]
        assert result.clusters.num_rows + len(refused) == len(truth)
        assert (tmp_path / engine / "model.json").exists()
        scores[engine] = pairwise_scores(result.clusters, truth, refused)
    assert scores["spark"]["true_pairs"] > 20, scores
    assert scores["spark"]["precision"] >= 0.95 and scores["spark"]["recall"] >= 0.9, scores
    assert abs(scores["spark"]["f1"] - scores["duckdb"]["f1"]) <= 0.03, scores
