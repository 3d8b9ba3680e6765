"""Linking person records with Splink: the model, its training and the clusters.

The model is Fellegi-Sunter as Splink implements it.  Each pair of records
that a blocking rule brings together is scored field by field: first names by
Jaro-Winkler with term-frequency adjustment (two Johns count for less than two
Featherstonehaughs); date of birth exact, day and month swapped, one slip,
within a month or a year; surname and residence as one comparison (a shared
surname at a shared address is weighed once: see
:func:`_surname_residence_comparison`); sex; agency identifiers exact or one
slip.  The weights are learned with no labels: u (how often non-matches
agree) from random pairs, m (how often matches agree) by expectation
maximisation over pairs blocked on date of birth and on names in turn (not on
postcode: see ``_training_rules``), from a sample when the records are many
(:func:`_training_sample`), and not at all when they are too few to learn
from: under :data:`SMALL_RECORDS` the weights shipped in
``data/link_model.json`` are used (:func:`_use_shipped_model`).  Records are
joined into one person where a chain of pairs each has a match probability at
or above the threshold (Splink's connected components).
"""

from __future__ import annotations

import json
import logging
import math
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from totalplace.errors import ConfigError
from totalplace.link.columns import IDENTIFIERS, Extract, map_columns, normalise, read_extract
from totalplace.link.result import LinkResult, RefusedRow

#: Pairs sampled to estimate u; more is steadier and slower (a few seconds at 10 million).
U_PAIRS = 1e7
#: Records the model is trained on at most: a seeded sample of them beyond this.
TRAIN_RECORDS = 250_000
SEED = 16
LOG_LEVEL = logging.ERROR
#: Below this many records EM is not run: the model shipped in
#: ``data/link_model.json`` is used instead (see :func:`_use_shipped_model`).
SMALL_RECORDS = 1_000


def _present(table: pa.Table, column: str) -> bool:
    return bool(table.num_rows > 0 and table.column(column).null_count < table.num_rows)


def _starting_m(levels: list[Any]) -> list[Any]:
    """Starting m values for EM, from most to least alike: most matches agree exactly.

    EM needs a start that puts matches at the agreeing end; from an even start it
    can settle with "match" meaning the pairs that disagree (seen on FEBRL 4a+4b)."""
    rest = [lv for lv in levels if not getattr(lv, "is_null_level", False)]
    middle = len(rest) - 2
    shares = [0.7] + [0.25 / middle] * middle + [0.05] if middle > 0 else [0.9, 0.1]
    for level, m in zip(rest, shares, strict=True):
        level.configure(m_probability=m)
    return levels


def _dob_comparison() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    swapped = (
        "substr(dob_l, 1, 4) = substr(dob_r, 1, 4) and substr(dob_l, 6, 2) = substr(dob_r, 9, 2)"
        " and substr(dob_l, 9, 2) = substr(dob_r, 6, 2)"
    )
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=_starting_m(
            [
                cll.NullLevel("dob"),
                cll.ExactMatchLevel("dob"),
                cll.CustomLevel(swapped, label_for_charts="Day and month swapped"),
                cll.DamerauLevenshteinLevel("dob", 1),
                cll.AbsoluteDateDifferenceLevel(
                    "dob", input_is_string=True, threshold=1, metric="month"
                ),
                cll.AbsoluteDateDifferenceLevel(
                    "dob", input_is_string=True, threshold=1, metric="year"
                ),
                cll.ElseLevel(),
            ]
        ),
        comparison_description="Date of birth",
    )


def _residence_levels(table: pa.Table) -> tuple[str, list[tuple[str, str]]] | None:
    """The SQL for "no address or postcode", and for each way of living at the
    same place, strongest first: (condition, label)."""
    has = {c: _present(table, c) for c in ("address", "postcode")}
    filled = [c for c in ("address", "postcode") if has[c]]
    if not filled:
        return None
    null = " and ".join(f"({c}_l is null or {c}_r is null)" for c in filled)
    same: list[tuple[str, str]] = []
    if has["address"] and has["postcode"]:
        same.append(
            ("address_l = address_r and postcode_l = postcode_r", "same address and postcode")
        )
    same += [(f"{c}_l = {c}_r", f"same {c}") for c in filled]
    return null, same


def _residence_comparison(table: pa.Table) -> Any:
    """Address, postcode and town as one comparison, not three.

    People in one household share all three, so scored separately they would
    count the same fact (living together) three times and outweigh a different
    first name and date of birth: parent and child would become one person.
    One comparison, from the strongest agreement down, counts it once."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    found = _residence_levels(table)
    if found is None:
        return None
    null, same = found
    levels: list[Any] = [
        cll.CustomLevel(null, label_for_charts="No address or postcode").configure(
            is_null_level=True
        )
    ]
    levels += [cll.CustomLevel(sql, label_for_charts=label.capitalize()) for sql, label in same]
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(
        output_column_name="residence",
        comparison_levels=_starting_m(levels),
        comparison_description="Address, postcode and town",
    )


def _surname_residence_comparison(table: pa.Table, tf: bool = True) -> Any:
    """Surname and where a person lives as one comparison, not two.

    Scored apart, a shared surname and a shared address are each rare among
    random pairs, so together they counted twice over: about 32 bits of
    evidence for two children of one household, which a different first name
    and date of birth (about 11 bits against) could not outweigh, and brothers
    and sisters became one person (precision 0.85 on a place of 250,000).  But
    among people at one address a shared surname is the rule, not luck.  Taken
    together, "same surname at the same address" is weighed once, for what it
    is, and a shared surname elsewhere keeps its term-frequency adjustment (two
    Smiths count for less than two Featherstonehaughs)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    found = _residence_levels(table)
    if found is None or not _present(table, "surname"):
        return None
    null, same = found
    home = cll.Or(*(cll.CustomLevel(sql) for sql, _ in same[1:] or same))
    together = same[0][0]
    levels: list[Any] = [
        cll.And(cll.NullLevel("surname"), cll.CustomLevel(null)).configure(is_null_level=True),
        cll.And(cll.ExactMatchLevel("surname"), cll.CustomLevel(together)).configure(
            label_for_charts=f"Same surname, {same[0][1]}"
        ),
        cll.And(cll.ExactMatchLevel("surname"), home).configure(
            label_for_charts="Same surname, same address or postcode"
        ),
        cll.And(cll.JaroWinklerLevel("surname", 0.88), home).configure(
            label_for_charts="Surname nearly the same, same address or postcode"
        ),
        cll.CustomLevel(together, label_for_charts=f"Surname differs, {same[0][1]}"),
        home.configure(label_for_charts="Surname differs, same address or postcode"),
        cll.ExactMatchLevel("surname", term_frequency_adjustments=tf).configure(
            label_for_charts="Same surname, not at the same address"
        ),
        cll.JaroWinklerLevel("surname", 0.92).configure(
            label_for_charts="Surname nearly the same (Jaro-Winkler 0.92), not at the same address"
        ),
        cll.JaroWinklerLevel("surname", 0.8).configure(
            label_for_charts="Surname alike (Jaro-Winkler 0.8), not at the same address"
        ),
        cll.ElseLevel(),
    ]
    return cl.CustomComparison(
        output_column_name="surname_residence",
        comparison_levels=_starting_m(levels),
        comparison_description="Surname and address, postcode and town",
    )


def _comparisons(table: pa.Table, tf: bool = True) -> list[Any]:
    """The model's comparisons for the fields the records have; with ``tf``,
    names weighed by how common they are among the records."""
    import splink.comparison_library as cl

    comparisons: list[Any] = []
    joint = _surname_residence_comparison(table, tf)
    for name in ("first_name",) if joint is not None else ("first_name", "surname"):
        if _present(table, name):
            comparisons.append(cl.NameComparison(name).configure(term_frequency_adjustments=tf))
    if _present(table, "dob"):
        comparisons.append(_dob_comparison())
    residence = joint if joint is not None else _residence_comparison(table)
    if residence is not None:
        comparisons.append(residence)
    if _present(table, "sex"):
        comparisons.append(cl.ExactMatch("sex"))
    for ident in IDENTIFIERS:
        if _present(table, ident):
            comparisons.append(cl.DamerauLevenshteinAtThresholds(ident, [1]))
    return comparisons


def _blocking_rules(table: pa.Table) -> list[Any]:
    """Which pairs are scored at all: a true match shares at least one of these keys."""
    from splink import block_on

    rules: list[Any] = []
    has = {c: _present(table, c) for c in table.column_names}
    if has["postcode"] and has["first_name"]:
        rules.append(block_on("postcode", "substr(first_name, 1, 1)"))
    if has["postcode"] and has["surname"]:
        rules.append(block_on("postcode", "substr(surname, 1, 1)"))
    if has["surname"] and has["dob"]:
        rules.append(block_on("surname", "substr(dob, 1, 4)"))
    if has["first_name"] and has["dob"]:
        rules.append(block_on("substr(first_name, 1, 1)", "dob"))
    if has["first_name"] and has["surname"]:
        rules.append(block_on("first_name", "surname"))
    if has["address"] and has["dob"]:
        rules.append(block_on("address", "substr(dob, 1, 4)"))
    if has["postcode"] and has["dob"] and not (has["first_name"] or has["surname"]):
        # no names to pair on (which is warned of): one birthday in one postcode
        rules.append(block_on("postcode", "dob"))
    rules.extend(block_on(ident) for ident in IDENTIFIERS if has[ident])
    if not rules:
        raise ConfigError(
            "link: the extracts have no names, dates of birth, postcodes or identifiers in "
            "common to compare; map their columns with --profile"
        )
    return rules


def _training_rules(table: pa.Table) -> list[Any]:
    from splink import block_on

    has = {c: _present(table, c) for c in table.column_names}
    rules = []
    if has["dob"]:
        rules.append(block_on("dob"))
    if has["first_name"] and has["surname"]:
        rules.append(block_on("first_name", "surname"))
    # Not on postcode: the pairs sharing a postcode are mostly people living
    # together, so EM there learns "match" as "same household" (a different
    # first name and date of birth then cost little) and parents and children
    # became one person (precision 0.78 on the synthetic place; 0.96 without it).
    return rules


def _deterministic_rules(table: pa.Table) -> list[Any]:
    from splink import block_on

    has = {c: _present(table, c) for c in table.column_names}
    rules = []
    if has["first_name"] and has["surname"] and has["dob"]:
        rules.append(block_on("first_name", "surname", "dob"))
    rules.extend(block_on(ident) for ident in IDENTIFIERS if has[ident])
    return rules


@contextmanager
def _unestimable_m_as_unobserved() -> Iterator[None]:
    """An m that EM cannot estimate counts as a level not observed in that session.

    Within one training session EM can drive the m of a level that only
    non-matches reach to 0 or to a value too small to hold (under 1e-300: the
    probabilities underflow), or meet a comparison whose only filled pairs
    there are non-matches (m is then 0/0).
    Splink 5 refuses both and stops training.  Splink already has an answer for
    a level a session did not see: it is left out of that session's estimate and
    the model takes the median of the sessions that did see it (1e-6 if none).
    The same is done here, for the length of training only."""
    import splink.internals.expectation_maximisation as em

    original = em.populate_m_u_from_lookup

    def guarded(
        fixed: set[str], level: Any, column: str, lookup: dict[str, dict[int, Any]]
    ) -> None:
        record = lookup.get(column, {}).get(level.comparison_vector_value)
        if record is not None:
            m = record.get("m_probability")
            if isinstance(m, float) and (m < 1e-300 or math.isnan(m)):
                del record["m_probability"]
        original(fixed, level, column, lookup)

    em.populate_m_u_from_lookup = guarded  # type: ignore[assignment]
    try:
        yield
    finally:
        em.populate_m_u_from_lookup = original


def _db_api(engine: str) -> Any:
    if engine == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI()
    if engine == "spark":
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise ConfigError(
                "--engine spark needs pyspark: pip install 'totalplace[spark]' (and Java 17)"
            ) from exc
        from splink import SparkAPI

        from totalplace.backends import local_spark_builder

        # Splink's string-similarity functions for Spark ship as a jar inside the
        # splink package (local_spark_builder puts it on the class path; nothing
        # is downloaded); Splink checkpoints between steps.
        spark = local_spark_builder(SparkSession.builder).getOrCreate()
        spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="totalplace-link-"))
        return SparkAPI(spark_session=spark)  # type: ignore[no-untyped-call]
    raise ConfigError(f"--engine {engine!r}: use duckdb or spark")


def load_extracts(
    frames: dict[str, pa.Table | Path | str],
    id_column: str | None = None,
    profile: dict[str, str] | None = None,
) -> list[Extract]:
    """Each source read, its columns mapped and normalised."""
    extracts = []
    for source, frame in frames.items():
        path = "" if isinstance(frame, pa.Table) else str(frame)
        table = frame if isinstance(frame, pa.Table) else read_extract(Path(frame))
        table = table.cast(pa.schema([(n, pa.string()) for n in table.column_names]))
        column = id_column if id_column in table.column_names else None
        roles = map_columns(table, profile, column)
        extracts.append(normalise(source, path, table, roles))
    return extracts


def train_and_cluster(
    extracts: list[Extract], threshold: float, engine: str, out: Path
) -> tuple[pa.Table, dict[str, Any]]:
    """Train the model on the extracts with no labels and cluster at the threshold."""
    from splink import Linker, SettingsCreator

    if not 0 < threshold < 1:
        raise ConfigError(f"--threshold {threshold}: give a probability between 0 and 1")
    # One table of every record, deduplicated: the same pairs as Splink's
    # link_and_dedupe (within and across sources), with a plain row number as
    # the unique id.  Trained on separate tables, EM in Splink 5 settled on
    # matches being the pairs that disagree (FEBRL 4a+4b, the synthetic place).
    combined = pa.concat_tables([e.table for e in extracts])
    if combined.num_rows == 0:
        raise ConfigError("link: no record can be linked (every row was refused)")
    keys = list(
        zip(
            combined.column("source_dataset").to_pylist(),
            combined.column("record_id").to_pylist(),
            strict=True,
        )
    )
    combined = combined.drop_columns(["source_dataset", "unique_id"]).add_column(
        0, "unique_id", pa.array(range(combined.num_rows), pa.int64())
    )
    settings = SettingsCreator(
        link_type="dedupe_only",
        # among a few hundred records how common a name is says little of how
        # common it is in the place (three Smiths of eight), so it is not used
        comparisons=_comparisons(combined, tf=combined.num_rows >= SMALL_RECORDS),
        blocking_rules_to_generate_predictions=_blocking_rules(combined),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=20,
    )
    db_api = _db_api(engine)
    records = db_api.register(combined, dataset_display_name="records", table_name="records")
    sample = _training_sample(combined)
    if sample is combined:
        linker = Linker(records, settings, log_level=LOG_LEVEL)
        notes = _train(linker, combined)
    else:
        trainer = Linker(
            db_api.register(sample, dataset_display_name="sample", table_name="sample"),
            settings,
            log_level=LOG_LEVEL,
        )
        notes = _train(trainer, sample)
        linker = Linker(records, trainer.misc.save_model_to_json(), log_level=LOG_LEVEL)
    pairs = linker.inference.predict(threshold_match_probability=min(threshold, 0.5))
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        pairs, threshold_match_probability=threshold
    )
    model_path = out / "model.json"
    linker.misc.save_model_to_json(str(model_path), overwrite=True)
    edges: pa.Table = pairs.as_pyarrow_table()  # type: ignore[no-untyped-call]
    nodes: pa.Table = clusters.as_pyarrow_table()  # type: ignore[no-untyped-call]
    table = _person_table(nodes, edges, threshold, keys)
    details = {
        "link_type": "dedupe_only" if len(extracts) == 1 else "link_and_dedupe",
        "trained_on_records": sample.num_rows,
        "training_notes": notes,
        "pairs_scored_at_or_above_half": edges.num_rows,
        "model": str(model_path),
        "model_settings": linker.misc.save_model_to_json(),
    }
    return table, details


def _training_sample(table: pa.Table) -> pa.Table:
    """The records the model learns from: all of them, or beyond
    :data:`TRAIN_RECORDS` a seeded random sample.

    What EM learns is how often a field agrees among matches and among
    non-matches, and a sample of a quarter of a million records holds tens of
    thousands of matches: enough to learn it as well, while the pairs EM reads
    grow with the square of the records (at a million, 15 million pairs share
    a date of birth).  Every record is still scored against the model."""
    if table.num_rows <= TRAIN_RECORDS:
        return table
    import numpy as np

    rng = np.random.default_rng(SEED)
    chosen = np.sort(rng.choice(table.num_rows, TRAIN_RECORDS, replace=False))
    return table.take(pa.array(chosen))


def _train(linker: Any, table: pa.Table) -> list[str]:
    """The prior from deterministic rules, u from random pairs, m by EM: no
    labels; what could not be trained is returned, said in words."""
    notes: list[str] = []
    deterministic = _deterministic_rules(table)
    if deterministic:
        linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    _keep_prior_sane(linker, table.num_rows, notes)
    if table.num_rows < SMALL_RECORDS:
        _use_shipped_model(linker, table.num_rows, notes)
        return notes
    # Splink samples in ten chunks, stopping once every level has been seen 100
    # times; when the records hold fewer pairs than asked for, one pass over
    # them all says the same (ten passes cost minutes on Spark)
    every = table.num_rows * (table.num_rows - 1) / 2
    linker.training.estimate_u_using_random_sampling(
        max_pairs=U_PAIRS, seed=SEED, num_chunks=1 if every <= U_PAIRS else 10
    )
    from splink.internals.exceptions import SplinkException

    with _unestimable_m_as_unobserved():
        for rule in _training_rules(table):
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(rule)
            except (SplinkException, ValueError, ZeroDivisionError) as exc:
                # A few dozen records hold too few pairs for EM to settle: it
                # drives the share of matches to 0 or 1 and cannot go on.  The
                # comparisons it would have trained keep their starting m
                # values (:func:`_starting_m`), which is said.
                sql = rule.get_blocking_rule("duckdb").blocking_rule_sql
                columns = " and ".join(re.findall(r'l\."?(\w+)"?', sql))
                notes.append(
                    f"EM on pairs sharing {columns} could not be estimated from "
                    f"{table.num_rows:,} records ({type(exc).__name__}): the levels it "
                    "trains keep their starting m values; link more records for a "
                    "trained model"
                )
            _keep_prior_sane(linker, table.num_rows, notes)
    return notes


def _use_shipped_model(linker: Any, records: int, notes: list[str]) -> None:
    """m and u from the model shipped with totalplace, for records too few to learn from.

    EM learns how often matches agree from the pairs that share a date of birth
    or a name; among a few hundred records those are a handful, and on eight it
    settled on every pair sharing a date of birth being one person and on two
    people at one address being one (a father and his wife).  The shipped model
    was learned the same way, with no labels, from totalplace's synthetic place
    of 38,690 records (``scripts/build_link_model.py``).  Held out on samples
    of FEBRL's datasets 1, 2 and 3 of 13 to 758 records, it scored F1 0.979 to
    1.000 where EM on the sample scored 0.807 to 1.000, and it was never lower;
    at about 1,000 records the two are level (0.989 and 0.991 on dataset 1), so
    from there the records' own EM is used.  The share of pairs that are one
    person is still the records' own (:func:`_keep_prior_sane`)."""
    shipped = json.loads(
        resources.files("totalplace").joinpath("data", "link_model.json").read_text("utf-8")
    )["comparisons"]
    missing = []
    for comparison in linker._settings_obj.comparisons:
        name = comparison.output_column_name
        like = name
        if name in IDENTIFIERS and name not in shipped:
            # an identifier the synthetic place has none of (FEBRL's social
            # security id) weighs as one it has: each is compared the same way
            like = next(i for i in IDENTIFIERS if i in shipped)
        known = shipped.get(like, {})
        for level in comparison._comparison_levels_excluding_null:
            values = known.get(level.label_for_charts.replace(name, like))
            if values is None:
                missing.append(f"{comparison.output_column_name}: {level.label_for_charts}")
                continue
            level.m_probability = values["m"]
            level.u_probability = values["u"]
    if missing:
        raise ConfigError(
            "link: the shipped model has no weights for " + "; ".join(missing) + ": rebuild "
            "it with scripts/build_link_model.py"
        )
    notes.append(
        f"{records:,} records are too few to learn from (EM needs about {SMALL_RECORDS:,}): "
        "how often matches and non-matches agree comes from the model shipped with "
        "totalplace, learned from its synthetic place"
    )


def _keep_prior_sane(linker: Any, records: int, notes: list[str]) -> None:
    """The share of pairs that are one person, kept strictly between 0 and 1.

    When no pair agrees exactly on name and date of birth or an identifier (a
    handful of records, or spellings that all differ), Splink estimates it as
    0, and EM over a few pairs can drive it to 1 or to no number at all; any of
    these stops the scoring.  Each record is then taken to have one match among
    the others (one in two when there are only two, so the evidence decides),
    which is said in the notes."""
    settings = linker._settings_obj
    prior = settings._probability_two_random_records_match
    if records > 1 and not (isinstance(prior, float) and 0 < prior < 1):
        pairs = max(2, records - 1)
        settings._probability_two_random_records_match = 1 / pairs
        note = (
            f"the share of pairs that are one person could not be estimated from {records:,} "
            f"records, so it is taken as 1 in {pairs:,} (each record matching one other)"
        )
        if note not in notes:
            notes.append(note)


def _person_table(
    nodes: pa.Table, edges: pa.Table, threshold: float, keys: list[tuple[str, str]]
) -> pa.Table:
    """source, record_id, person_id, match_probability, persons numbered by their first record."""
    ids = nodes.column("unique_id").to_pylist()
    cluster_ids = nodes.column("cluster_id").to_pylist()
    best: dict[int, float] = {}
    if edges.num_rows:
        strong = edges.filter(pc.greater_equal(edges.column("match_probability"), threshold))
        for left, right, p in zip(
            strong.column("unique_id_l").to_pylist(),
            strong.column("unique_id_r").to_pylist(),
            strong.column("match_probability").to_pylist(),
            strict=True,
        ):
            for i in (left, right):
                if p > best.get(i, -1.0):
                    best[i] = p
    first_key: dict[Any, tuple[str, str]] = {}
    for i, cid in zip(ids, cluster_ids, strict=True):
        if cid not in first_key or keys[i] < first_key[cid]:
            first_key[cid] = keys[i]
    order = sorted(first_key, key=lambda c: first_key[c])
    number = {cid: f"P{n:07d}" for n, cid in enumerate(order, start=1)}
    rows = sorted(
        (keys[i], number[cid], best.get(i)) for i, cid in zip(ids, cluster_ids, strict=True)
    )
    return pa.table(
        {
            "source": pa.array([k[0] for k, _, _ in rows], pa.string()),
            "record_id": pa.array([k[1] for k, _, _ in rows], pa.string()),
            "person_id": pa.array([p for _, p, _ in rows], pa.string()),
            "match_probability": pa.array(
                [None if b is None else round(b, 6) for _, _, b in rows], pa.float64()
            ),
        }
    )


def link_records(
    frames: dict[str, pa.Table | Path | str],
    out: Path,
    engine: str = "duckdb",
    threshold: float = 0.9,
    id_column: str | None = None,
    profile: dict[str, str] | None = None,
) -> LinkResult:
    """Link person records within and across the extracts (source name -> table or file).

    Writes clusters.csv, households.csv, refused.csv, model.json and the report
    (report.html) into ``out``; every input row is in clusters.csv or refused.csv."""
    from totalplace.link.households import households
    from totalplace.link.report import write_outputs

    if not frames:
        raise ConfigError("link: give at least one extract")
    out.mkdir(parents=True, exist_ok=True)
    extracts = load_extracts(frames, id_column, profile)
    clusters, details = train_and_cluster(extracts, threshold, engine, out)
    homes = households(extracts, clusters)
    refused = [
        RefusedRow(r["source"], r["record_id"], r["reason"]) for e in extracts for r in e.refused
    ]
    result = LinkResult(clusters=clusters, households=homes, refused=refused, details=details)
    result.details["threshold"] = threshold
    result.details["engine"] = engine
    result.details["sources"] = [
        {
            "source": e.source,
            "path": e.path,
            "rows": e.rows,
            "linked": e.table.num_rows,
            "refused": len(e.refused),
            "columns": e.roles,
            "unused_columns": e.unused,
            "warnings": e.warnings,
        }
        for e in extracts
    ]
    write_outputs(result, out)
    return result
