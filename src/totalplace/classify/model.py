"""The learned fallback: a text classifier for the rows no rule classifies.

Rules come first and always win.  What they leave (no rule, or only a
catch-all) is offered to a classifier trained on the rows the rules did
classify: the label fields a publisher writes (service, department, expense
type, Proclass label, purpose) read as character n-grams, so "Soc Serv
Adults" and "Adult Social Care" share evidence, and the supplier's name as
words.  It gives each row a theme and a probability; below
:data:`THRESHOLD` the row stays unclassified.  The threshold was chosen on
held-out publishers (``benchmarks/classify_lopo.py``), not on the rows the
model was fitted to.

The model sees each distinct combination of labels and supplier once, not
each row, and the answer is joined back to the rows: a year of a large
council's payments has far fewer combinations than rows.

Rows it classifies carry ``method = 'model'`` and its probability as
``confidence``; rows a rule classifies carry ``method = 'rule'`` and 1.0.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from totalplace.classify.taxonomy import Taxonomy
from totalplace.errors import ConfigError

# The label fields a publisher writes about what a payment was for.
LABEL_FIELDS = (
    "service",
    "service_detail",
    "department",
    "expense_type",
    "proclass_label",
    "purpose",
)
# The supplier's name is read as words beside the labels: on held-out
# publishers it lifted coverage at the same agreement (benchmarks/RESULTS.md).
TEXT_FIELDS = (*LABEL_FIELDS, "supplier_name")
# Below this probability a row stays unclassified.  Chosen on held-out
# publishers (benchmarks/classify_lopo.py, RESULTS.md 2026-12-06): pooled by
# value, agreement with the publishers' own rules was 44-47% at every
# threshold from 0 to 0.8, while coverage fell from 95.8% at 0.4 to 86.8% at
# 0.6 and 77.4% at 0.8; so the lowest threshold tried above 0 is used.
THRESHOLD = 0.4
# Fewer rule-classified rows than this, or fewer than two themes among them,
# and no model is fitted: it would only echo what little it saw.
MIN_TRAINING_ROWS = 200
# The largest number of distinct label combinations fitted (the most frequent
# first); more adds time, not accuracy.
MAX_TRAINING_LABELS = 40_000
# The most distinct label-and-supplier combinations the model classifies in
# one run (by value): it keeps a file of millions of rows with as many
# suppliers to minutes, not hours.
MAX_PREDICT_LABELS = 500_000
SEPARATOR = "\x1f"
# Labels the shipped rules gave the shared spend files' rows, by publisher
# (scripts/build_classify_training.py; source in data/vocab/SOURCE.md).
SHIPPED_TRAINING = "data/vocab/training_labels.csv.gz"
TRAINING_COLUMNS = ("publisher", "key", "theme", "rows")
# A workspace whose rule-classified rows come from fewer publishers than
# this learns from the shipped labels too: one council's own labels teach
# the model little about the rows its rules left.
MIN_OWN_PUBLISHERS = 3


@cache
def shipped_training() -> tuple[tuple[str, str, str, int], ...]:
    """The shipped training labels: (publisher, key, theme, rows)."""
    ref = resources.files("totalplace").joinpath(SHIPPED_TRAINING)
    if not ref.is_file():
        return ()
    text = gzip.decompress(ref.read_bytes()).decode("utf-8")
    reader = csv.reader(io.StringIO(text))
    if tuple(next(reader, ())) != TRAINING_COLUMNS:
        raise ConfigError(f"{SHIPPED_TRAINING}: expected columns {', '.join(TRAINING_COLUMNS)}")
    return tuple((p, k, t, int(n)) for p, k, t, n in reader)


def key_sql(alias: str = "") -> str:
    """SQL for the key of a row's text fields: the fields joined by a separator
    no label holds, nulls as empty."""
    prefix = f"{alias}." if alias else ""
    return (
        "concat_ws(chr(31), " + ", ".join(f"coalesce({prefix}{f}, '')" for f in TEXT_FIELDS) + ")"
    )


def label_text(key: str) -> str:
    """The label fields of a key as the text the model reads (no supplier)."""
    parts = key.split(SEPARATOR)
    return " | ".join(p.strip().lower() for p in parts[: len(LABEL_FIELDS)] if p.strip())


def supplier_text(key: str) -> str:
    return key.split(SEPARATOR)[len(LABEL_FIELDS)].lower()


@dataclass
class LabelModel:
    """A fitted classifier; :func:`fit` makes one."""

    themes: tuple[str, ...]
    labels: Any  # the label fields' vectorizer (scikit-learn, untyped)
    suppliers: Any  # the supplier names' vectorizer
    classifier: Any  # the fitted logistic regression
    trained_rows: int
    trained_labels: int

    def predict(self, keys: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The most probable theme of each key and its probability."""
        if not keys:
            return [], np.zeros(0)
        x = _features(self.labels, self.suppliers, keys)
        probs = self.classifier.predict_proba(x)
        best = probs.argmax(axis=1)
        classes = self.classifier.classes_
        return [str(classes[i]) for i in best], probs[np.arange(len(keys)), best]


def _features(labels: Any, suppliers: Any, keys: Sequence[str]) -> Any:
    from scipy.sparse import hstack

    a = labels.transform([label_text(k) for k in keys])
    b = suppliers.transform([supplier_text(k) for k in keys])
    return hstack([a, b]).tocsr()


def fit(keys: Sequence[str], themes: Sequence[str], rows: Sequence[int]) -> LabelModel | None:
    """Fit on distinct label keys with their rule theme and row count;
    None when there is too little to learn from."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    total = sum(rows)
    if total < MIN_TRAINING_ROWS or len(set(themes)) < 2:
        return None
    order = sorted(range(len(keys)), key=lambda i: (-rows[i], keys[i]))[:MAX_TRAINING_LABELS]
    keys = [keys[i] for i in order]
    y = [themes[i] for i in order]
    # A label seen on many rows counts more, but not in proportion: one
    # council's thousand care-home payments must not drown every other label.
    weights = np.array([1.0 + math.log(rows[i]) for i in order])
    labels = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(3, 4),
        min_df=2,
        sublinear_tf=True,
        max_features=60_000,
        dtype=np.float32,
    )
    suppliers = TfidfVectorizer(
        analyzer="word",
        token_pattern=r"[a-z][a-z]+",
        min_df=2,
        sublinear_tf=True,
        dtype=np.float32,
    )
    label_texts = [label_text(k) for k in keys]
    supplier_texts = [supplier_text(k) for k in keys]
    try:
        labels.fit(label_texts)
    except ValueError:  # no n-gram occurs twice: nothing to learn from
        return None
    try:
        suppliers.fit(supplier_texts)
    except ValueError:  # no supplier word occurs twice
        suppliers = TfidfVectorizer(analyzer="word", token_pattern=r"[a-z][a-z]+")
        suppliers.fit(["none"])
    x = _features(labels, suppliers, keys)
    clf = LogisticRegression(C=10.0, max_iter=200)
    with warnings.catch_warnings():
        # Stopping at max_iter leaves a usable model; the threshold is measured on it.
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, y, sample_weight=weights)
    return LabelModel(tuple(str(c) for c in clf.classes_), labels, suppliers, clf, total, len(keys))


@dataclass(frozen=True)
class ModelLabel:
    """One label combination the model classified, for review."""

    publisher: str
    label: str
    supplier: str
    theme: str
    confidence: float
    rows: int
    value_pence: int


@dataclass
class ModelSummary:
    """What the model did in one classification."""

    fitted: bool
    threshold: float
    shipped_labels: bool = False  # the shipped training labels were learnt from too
    trained_rows: int = 0
    trained_labels: int = 0
    offered_rows: int = 0  # rows no rule classified, offered to the model
    classified_rows: int = 0  # of those, given a theme at or above the threshold
    classified_value_pence: int = 0
    review: list[ModelLabel] = field(default_factory=list)


_CANDIDATES_SQL = """
    SELECT c.file_id, c.source_line, f.publisher, abs(r.amount_pence) AS value,
           {key} AS key,
           coalesce(c.pass_through, false) AS pt,
           c.theme IS NOT NULL AND NOT coalesce(c.catch_all, false) AS ok
    FROM rules_out c
    JOIN rows_in r USING (file_id, source_line)
    JOIN files_in f USING (file_id)
"""


def apply_model(
    con: duckdb.DuckDBPyConnection,
    taxonomy: Taxonomy,
    threshold: float = THRESHOLD,
    exclude_publishers: Sequence[str] = (),
    review: int = 25,
    shipped: bool = False,
) -> ModelSummary:
    """Create view ``classified_out`` from ``rules_out`` (the rules' output),
    ``rows_in`` (loaded rows with the text fields and amount) and ``files_in``
    (file_id, publisher), adding method and confidence and the model's theme
    where no rule gave one.  ``exclude_publishers`` keeps those publishers'
    rows out of the training (to measure the model on them).  When the
    workspace's rule-classified rows come from fewer than
    :data:`MIN_OWN_PUBLISHERS` publishers, or are fewer than
    :data:`MIN_TRAINING_ROWS`, the shipped labels of the publishers it does
    not hold are learnt from too, if ``shipped``."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE cand AS {_CANDIDATES_SQL.format(key=key_sql('r'))}")
    excluded = [p.casefold() for p in exclude_publishers]
    train = con.execute(
        """SELECT publisher, key, theme, count(*) AS n
           FROM cand JOIN rules_out USING (file_id, source_line)
           WHERE ok AND NOT pt AND NOT list_contains(?, lower(publisher))
           GROUP BY ALL""",
        [excluded],
    ).fetchall()
    own = {str(p).casefold() for p, *_ in train}
    own_rows = sum(int(n) for *_, n in train)
    shipped_used = False
    if shipped and (len(own) < MIN_OWN_PUBLISHERS or own_rows < MIN_TRAINING_ROWS):
        present = [
            str(p).casefold()
            for (p,) in con.execute("SELECT DISTINCT publisher FROM files_in").fetchall()
        ]
        skip = own | set(present) | set(excluded)
        extra = [r for r in shipped_training() if r[0].casefold() not in skip]
        shipped_used = bool(extra)
        train = [*train, *extra]
    # A key two rules gave different themes (other publishers' labels) is
    # learnt with its most frequent theme only.
    counts: dict[tuple[str, str], int] = {}
    for _, key, theme, n in train:
        counts[(key, theme)] = counts.get((key, theme), 0) + int(n)
    best: dict[str, tuple[int, str]] = {}
    for (key, theme), n in counts.items():
        if key not in best or (n, theme) > best[key]:
            best[key] = (n, theme)
    keys = sorted(best)
    model = fit(keys, [best[k][1] for k in keys], [best[k][0] for k in keys])
    summary = ModelSummary(
        fitted=model is not None, threshold=threshold, shipped_labels=shipped_used
    )
    # The combinations with the most money first; past MAX_PREDICT_LABELS the
    # rest stay unclassified (and are counted as offered, not classified).
    offered = con.execute(
        """SELECT key, count(*), sum(value) FROM cand WHERE NOT ok AND NOT pt
           GROUP BY key ORDER BY sum(value) DESC, key LIMIT ?""",
        [MAX_PREDICT_LABELS],
    ).fetchall()
    left = con.execute("SELECT count(*) FROM cand WHERE NOT ok AND NOT pt").fetchone()
    summary.offered_rows = int(left[0]) if left else 0
    predicted = {"key": [], "m_theme": [], "m_tier": [], "m_confidence": []}  # type: ignore[var-annotated]
    if model is not None:
        summary.trained_rows, summary.trained_labels = model.trained_rows, model.trained_labels
        todo = [k for k, _, _ in offered]
        themes, probs = model.predict(todo)
        for k, t, p in zip(todo, themes, probs, strict=True):
            if p >= threshold:
                predicted["key"].append(k)
                predicted["m_theme"].append(t)
                predicted["m_tier"].append(taxonomy.themes[t].tier)
                predicted["m_confidence"].append(float(p))
    con.register(
        "predicted",
        pa.table(
            {
                "key": pa.array(predicted["key"], pa.string()),
                "m_theme": pa.array(predicted["m_theme"], pa.string()),
                "m_tier": pa.array(predicted["m_tier"], pa.string()),
                "m_confidence": pa.array(predicted["m_confidence"], pa.float64()),
            }
        ),
    )
    con.execute(
        """CREATE OR REPLACE TEMP VIEW model_rows AS
           SELECT c.file_id, c.source_line, c.publisher, c.value, c.key, p.m_theme, p.m_tier,
                  p.m_confidence
           FROM cand c JOIN predicted p USING (key) WHERE NOT c.ok AND NOT c.pt"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP VIEW classified_out AS
           SELECT o.file_id, o.source_line, o.rule_id,
                  coalesce(m.m_theme, o.theme) AS theme,
                  coalesce(m.m_tier, o.tier) AS tier,
                  o.pass_through,
                  CASE WHEN m.m_theme IS NOT NULL THEN false ELSE o.catch_all END AS catch_all,
                  CASE WHEN m.m_theme IS NOT NULL THEN 'model'
                       WHEN o.pass_through OR (o.theme IS NOT NULL AND NOT o.catch_all)
                       THEN 'rule' END AS method,
                  CASE WHEN m.m_theme IS NOT NULL THEN m.m_confidence
                       WHEN o.pass_through OR (o.theme IS NOT NULL AND NOT o.catch_all)
                       THEN 1.0 END::DOUBLE AS confidence
           FROM rules_out o LEFT JOIN model_rows m USING (file_id, source_line)"""
    )
    done = con.execute("SELECT count(*), coalesce(sum(value), 0) FROM model_rows").fetchone()
    if done:
        summary.classified_rows, summary.classified_value_pence = int(done[0]), int(done[1])
    top = con.execute(
        """SELECT publisher, key, m_theme, m_confidence, count(*) AS n, sum(value) AS v
           FROM model_rows GROUP BY ALL ORDER BY v DESC, key LIMIT ?""",
        [review],
    ).fetchall()
    summary.review = [
        ModelLabel(
            str(pub),
            label_text(key) or "(no label)",
            supplier_text(key),
            str(theme),
            round(float(conf), 3),
            int(n),
            int(v),
        )
        for pub, key, theme, conf, n, v in top
    ]
    return summary
