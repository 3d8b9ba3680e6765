"""Classification, leave one publisher out: how the rules, the standard
vocabularies and the learned fallback do on a publisher nobody wrote rules for.

Every folder of ``../shared/data/spend`` is ingested once (publisher names as
in tests/test_real_spend.py).  Then, for each publisher P:

* the reference: every row classified with all the shipped rules (once);
* held out: P's own rules file is removed (rules scoped to P) and P's rows
  are kept out of the model's training; everything is classified again.

For P it reports, over P's loaded rows that the held-out run does not treat
as pass-through, the share of |amount| given a theme by a non-catch-all rule
(rules alone) and by a rule or the model (with model); and, on rows where
P's own rules gave a theme in the reference, the share by value where the
held-out theme is the same (agreement, over those rows the held-out run
classified; how many it classified is shown beside it).  Publishers with no
rules of their own have no agreement to measure.

The model runs once per publisher with threshold 0 and keeps each row's
probability, so the table at every threshold in ``--curve`` comes from the
same runs; ``--threshold`` is the one the main table uses.

Run: ``.venv/bin/python benchmarks/classify_lopo.py [--workspace DIR] [--markdown]``
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

# publisher names given on ingest for folders whose files name none
from tests.test_real_spend import PUBLISHERS  # noqa: E402

from totalplace.classify import ModelOptions, classify_rows, load_rules  # noqa: E402
from totalplace.classify.model import THRESHOLD  # noqa: E402
from totalplace.classify.taxonomy import default_taxonomy, function_for_theme  # noqa: E402
from totalplace.config import CONFIG_NAME  # noqa: E402
from totalplace.ingest import ingest_files  # noqa: E402
from totalplace.workspace import Workspace  # noqa: E402

SPEND = ROOT.parent / "shared" / "data" / "spend"
COVERAGE_TARGET = 0.85
AGREEMENT_TARGET = 0.90


@dataclass(frozen=True)
class Held:
    publisher: str
    rows: int
    value_pence: int
    by_rules: float | None
    with_model: float | None
    own_rule_value_pence: int  # value of rows P's own rules gave a theme (reference)
    own_covered: float | None  # share of that value the held-out run classified
    agreement: float | None  # share of the covered value with the reference theme
    function_agreement: float | None  # the same, comparing the themes' COFOG functions
    service_agreement: float | None  # the same, a client group within its SeRCOP service
    model_agreement: float | None  # the same as agreement, on the model's rows only
    own_model_value_pence: int  # value of the own-rule rows the model classified
    seconds: float


def ingest_all(spend: Path, root: Path) -> Workspace:
    ws = Workspace.create(root, ["E08000025"], "2010-11")
    for folder in sorted(p for p in spend.iterdir() if p.is_dir()):
        files = sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".zip"))
        ingest_files(ws, files, publisher=PUBLISHERS.get(folder.name))
    return ws


_MEASURE = """
WITH r AS (
    SELECT f.publisher, abs(s.amount_pence) AS value,
           h.pass_through AS pt,
           h.theme IS NOT NULL AND NOT h.catch_all AND h.method = 'rule' AS by_rule,
           h.theme IS NOT NULL AND NOT h.catch_all AND h.method = 'model'
               AND h.confidence >= $t AS by_model,
           h.theme AS theme, g.theme AS ref_theme,
           list_contains($own, g.rule_id) AND g.theme IS NOT NULL
               AND NOT g.pass_through AND NOT g.catch_all AS own
    FROM spend s JOIN files f USING (file_id)
    JOIN read_parquet($held) h USING (file_id, source_line)
    JOIN read_parquet($ref) g USING (file_id, source_line)
    WHERE lower(f.publisher) = lower($p)
)
SELECT count(*) FILTER (NOT pt),
       coalesce(sum(value) FILTER (NOT pt), 0),
       coalesce(sum(value) FILTER (NOT pt AND by_rule), 0),
       coalesce(sum(value) FILTER (NOT pt AND (by_rule OR by_model)), 0),
       coalesce(sum(value) FILTER (own), 0),
       coalesce(sum(value) FILTER (own AND NOT pt AND (by_rule OR by_model)), 0),
       coalesce(sum(value) FILTER (own AND NOT pt AND (by_rule OR by_model)
                                   AND theme = ref_theme), 0),
       coalesce(sum(value) FILTER (own AND NOT pt AND by_model), 0),
       coalesce(sum(value) FILTER (own AND NOT pt AND by_model AND theme = ref_theme), 0),
       coalesce(sum(value) FILTER (own AND NOT pt AND (by_rule OR by_model)
           AND list_extract($functions, list_position($themes, theme))
             = list_extract($functions, list_position($themes, ref_theme))), 0),
       coalesce(sum(value) FILTER (own AND NOT pt AND (by_rule OR by_model)
           AND list_extract($services, list_position($themes, theme))
             = list_extract($services, list_position($themes, ref_theme))), 0)
FROM r
"""


# Which kind of rule (or the model) gave a held-out row its theme: the
# confusion table is split by it, to show where disagreement comes from.
_CONFUSION = """
SELECT g.theme AS own_theme,
       CASE WHEN h.pass_through THEN 'pass-through'
            WHEN h.method IS NULL OR h.confidence < $t THEN 'unclassified'
            ELSE h.theme END AS held_theme,
       CASE WHEN h.method IS NULL OR h.confidence < $t THEN 'none'
            WHEN h.method = 'model' THEN 'model'
            WHEN h.rule_id LIKE 'generic.publisher.%' THEN 'publisher-kind rule'
            WHEN h.rule_id LIKE 'generic.payee.%' THEN 'payee rule'
            WHEN h.rule_id LIKE 'vocab.%' OR h.rule_id LIKE 'generic.proclass.%'
                THEN 'vocab rule'
            WHEN h.rule_id LIKE 'generic.%' THEN 'generic rule'
            WHEN h.rule_id IS NULL THEN 'none'
            ELSE 'other' END AS method,
       sum(abs(s.amount_pence))::BIGINT AS value
FROM spend s JOIN files f USING (file_id)
JOIN read_parquet($held) h USING (file_id, source_line)
JOIN read_parquet($ref) g USING (file_id, source_line)
WHERE lower(f.publisher) = lower($p)
  AND list_contains($own, g.rule_id) AND g.theme IS NOT NULL
  AND NOT g.pass_through AND NOT g.catch_all
GROUP BY ALL
"""

# One row of the pooled confusion table: (own-rule theme, held-out theme, method) -> pence.
Confusion = dict[tuple[str, str, str], int]


def confusion(
    con: duckdb.DuckDBPyConnection,
    publisher: str,
    held: Path,
    ref: Path,
    own: list[str],
    threshold: float,
) -> Confusion:
    """Value of the rows ``publisher``'s own rules classify, by their theme, the
    held-out theme (or 'unclassified'; a model guess below the threshold counts
    as unclassified) and what gave it."""
    rows = con.execute(
        _CONFUSION,
        {"held": str(held), "ref": str(ref), "p": publisher, "own": own, "t": threshold},
    ).fetchall()
    out: Confusion = {}
    for own_theme, held_theme, method, value in rows:
        key = (str(own_theme), str(held_theme), str(method))
        out[key] = out.get(key, 0) + int(value)
    return out


def confusion_markdown(pooled: Confusion, top: int = 15) -> str:
    """The pooled confusion: agreement by method, then the disagreeing theme
    pairs with the most money."""
    total = sum(pooled.values())
    lines = [
        "| method | value £m | share of own-rule value | agrees |",
        "| --- | ---: | ---: | ---: |",
    ]
    methods: dict[str, list[int]] = {}
    for (own, held, method), v in pooled.items():
        m = methods.setdefault(method, [0, 0])
        m[0] += v
        m[1] += v if own == held else 0
    for method, (v, same) in sorted(methods.items(), key=lambda kv: -kv[1][0]):
        lines.append(
            f"| {method} | {v / 1e8:,.1f} | {_pct(_share(v, total))} | {_pct(_share(same, v))} |"
        )
    lines += [
        "",
        "| own rules' theme | held-out theme | method | value £m | share of own-rule value |",
        "| --- | --- | --- | ---: | ---: |",
    ]
    wrong = sorted(((v, k) for k, v in pooled.items() if k[0] != k[1]), reverse=True)
    for v, (own, held, method) in wrong[:top]:
        lines.append(f"| {own} | {held} | {method} | {v / 1e8:,.1f} | {_pct(_share(v, total))} |")
    return "\n".join(lines)


def service_of_theme(theme_id: str) -> str:
    """The theme a client-group theme is part of in SeRCOP, else the theme.

    Older people, learning disability and mental health are service lines of
    SeRCOP's "Adult social care" division, drugs and alcohol of "Public
    health" (taxonomy.toml's sercop lists): a publisher's rules may file the
    same care home under either level, and two councils' own rules in the
    shared files do the opposite (Sheffield's elderly purchasing is adult
    social care, Trafford's 85+ support is older people).  A theme whose
    SeRCOP lines all sit in one division that another theme is named after
    counts as that theme here; the plain agreement still compares themes."""
    taxonomy = default_taxonomy()
    theme = taxonomy.themes.get(theme_id)
    if theme is None:
        return theme_id
    divisions = {line.split(": ", 1)[0].casefold() for line in theme.sercop if ": " in line}
    if len(divisions) != 1:
        return theme_id
    (division,) = divisions
    for other in taxonomy.themes.values():
        if other.id != theme_id and other.label.casefold() == division:
            return other.id
    return theme_id


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def measure(
    con: duckdb.DuckDBPyConnection,
    publisher: str,
    held: Path,
    ref: Path,
    own: list[str],
    threshold: float,
    seconds: float,
) -> Held:
    themes = sorted(default_taxonomy().themes)
    row = con.execute(
        _MEASURE,
        {
            "t": threshold,
            "own": own,
            "held": str(held),
            "ref": str(ref),
            "p": publisher,
            "themes": themes,
            # a theme with no COFOG function stands for itself
            "functions": [function_for_theme(t) or t for t in themes],
            "services": [service_of_theme(t) for t in themes],
        },
    ).fetchone()
    assert row is not None
    n, value, rules_v, all_v, own_v, own_cov, own_same, own_m, own_m_same, own_fn, own_sv = (
        int(x) for x in row
    )
    return Held(
        publisher,
        n,
        value,
        _share(rules_v, value),
        _share(all_v, value),
        own_v,
        _share(own_cov, own_v),
        _share(own_same, own_cov),
        _share(own_fn, own_cov),
        _share(own_sv, own_cov),
        _share(own_m_same, own_m),
        own_m,
        seconds,
    )


def run(
    ws: Workspace,
    threshold: float,
    curve: list[float],
    only: list[str] | None = None,
    pooled: Confusion | None = None,
) -> tuple[list[Held], dict[float, list[Held]]]:
    """The held-out table at ``threshold`` and at each threshold of ``curve``;
    ``pooled``, when given, gathers the confusion of every publisher's own-rule
    rows at ``threshold``."""
    rules = load_rules()
    with ws.connect() as con:
        publishers = [
            r[0] for r in con.sql("SELECT DISTINCT publisher FROM files ORDER BY 1").fetchall()
        ]
    if only:
        publishers = [p for p in publishers if p in only]
    out = Path(tempfile.mkdtemp(prefix="lopo-", dir=ws.tmp_dir))
    ref, _ = classify_rows(ws, rules, dest=out / "reference.parquet")
    table: list[Held] = []
    curves: dict[float, list[Held]] = {t: [] for t in curve}
    for publisher in publishers:
        start = time.perf_counter()
        held_rules = rules.without_publisher(publisher)
        own = [r.id for r in rules.rules if r.is_for(publisher)]
        held, _ = classify_rows(
            ws,
            held_rules,
            model=ModelOptions(threshold=0.0, exclude_from_training=(publisher,)),
            dest=out / "held.parquet",
        )
        seconds = time.perf_counter() - start
        with ws.connect() as con:
            table.append(measure(con, publisher, held, ref, own, threshold, seconds))
            for t in curve:
                curves[t].append(measure(con, publisher, held, ref, own, t, seconds))
            if pooled is not None:
                for key, v in confusion(con, publisher, held, ref, own, threshold).items():
                    pooled[key] = pooled.get(key, 0) + v
    return table, curves


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def markdown(table: list[Held]) -> str:
    lines = [
        "| publisher left out | rows | by rules alone | with model | own-rule rows classified "
        "| agreement | by COFOG function | by SeRCOP service | model rows' agreement |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for h in table:
        lines.append(
            f"| {h.publisher} | {h.rows:,} | {_pct(h.by_rules)} | {_pct(h.with_model)} | "
            f"{_pct(h.own_covered)} | {_pct(h.agreement)} | {_pct(h.function_agreement)} | "
            f"{_pct(h.service_agreement)} | "
            f"{_pct(h.model_agreement)} |"
        )
    return "\n".join(lines)


def pooled_coverage(table: list[Held]) -> float:
    """Coverage with the model, pooled by value over the publishers."""
    total = sum(h.value_pence for h in table)
    return sum((h.with_model or 0) * h.value_pence for h in table) / total if total else 0.0


def pooled_agreement(table: list[Held], measure: str = "agreement") -> float:
    """``measure`` (agreement, function_agreement or service_agreement), pooled
    by value over the own-rule rows the held-out runs classified."""
    covered = agree = 0.0
    for h in table:
        share = getattr(h, measure)
        if share is None:
            continue
        value = (h.own_covered or 0) * h.own_rule_value_pence
        covered += value
        agree += share * value
    return agree / covered if covered else 0.0


def summary(table: list[Held]) -> str:
    cov_miss = [h for h in table if (h.with_model or 0) < COVERAGE_TARGET]
    agr = [h for h in table if h.agreement is not None]
    agr_miss = [h for h in agr if (h.agreement or 0) < AGREEMENT_TARGET]
    pooled = pooled_coverage(table)
    short = ", ".join(f"{h.publisher} {_pct(h.with_model)}" for h in cov_miss) or "none"
    return (
        f"coverage >= {COVERAGE_TARGET:.0%}: {len(table) - len(cov_miss)} of {len(table)} "
        f"publishers (short: {short}); "
        f"pooled by value {pooled:.1%}\n"
        f"agreement >= {AGREEMENT_TARGET:.0%}: {len(agr) - len(agr_miss)} of {len(agr)} publishers "
        f"with rules of their own (short: "
        f"{', '.join(f'{h.publisher} {_pct(h.agreement)}' for h in agr_miss) or 'none'}); "
        f"pooled by value {pooled_agreement(table):.1%} (by COFOG function "
        f"{pooled_agreement(table, 'function_agreement'):.1%}, by SeRCOP service "
        f"{pooled_agreement(table, 'service_agreement'):.1%})"
    )


def machine() -> str:
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    date = subprocess.run(["date", "-u", "+%Y-%m-%d %H:%M UTC"], capture_output=True, text=True)
    return f"{platform.machine()}, {nproc} CPUs, {date.stdout.strip()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spend", type=Path, default=SPEND)
    parser.add_argument("--workspace", type=Path, help="reuse (or create) this workspace")
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    parser.add_argument("--curve", type=float, nargs="*", default=[0.0, 0.4, 0.5, 0.6, 0.7, 0.8])
    parser.add_argument("--publisher", action="append", help="only these publishers")
    parser.add_argument(
        "--record", action="store_true", help="append the table to benchmarks/RESULTS.md"
    )
    args = parser.parse_args()
    if not args.spend.is_dir():
        sys.exit(f"no spend data at {args.spend}")
    root = args.workspace or Path(tempfile.mkdtemp(prefix="lopo-ws-")) / "ws"
    start = time.perf_counter()
    ws = Workspace.open(root) if (root / CONFIG_NAME).exists() else ingest_all(args.spend, root)
    print(f"workspace {root} ready in {time.perf_counter() - start:.1f} s", flush=True)
    pooled: Confusion = {}
    table, curves = run(ws, args.threshold, args.curve, args.publisher, pooled)
    lines = [
        f"Leave one publisher out, threshold {args.threshold} ({machine()})",
        "",
        markdown(table),
        "",
        summary(table),
        "",
        "By threshold (pooled by value over publishers):",
    ]
    for t, rows in curves.items():
        v = sum(h.value_pence for h in rows)
        cov = sum((h.with_model or 0) * h.value_pence for h in rows) / v if v else 0
        own = [h for h in rows if h.agreement is not None]
        ov = sum(h.own_rule_value_pence for h in own)
        covered = sum((h.own_covered or 0) * h.own_rule_value_pence for h in own)
        agree = sum((h.agreement or 0) * (h.own_covered or 0) * h.own_rule_value_pence for h in own)
        low = min((h.with_model or 0) for h in rows) if rows else 0
        mv = sum(h.own_model_value_pence for h in own)
        magree = sum((h.model_agreement or 0) * h.own_model_value_pence for h in own)
        lines.append(
            f"- {t:.2f}: coverage {cov:.1%} (lowest publisher {low:.1%}), "
            f"own-rule rows classified {covered / ov if ov else 0:.1%}, "
            f"agreement {agree / covered if covered else 0:.1%}, "
            f"model rows' agreement {magree / mv if mv else 0:.1%}"
        )
    lines += [
        "",
        f"Own-rule rows, pooled, at threshold {args.threshold}: by what classified them "
        "held out, and the disagreements with the most money",
        "",
        confusion_markdown(pooled),
        "",
        f"{sum(h.seconds for h in table):.0f} s for {len(table)} held-out runs",
    ]
    print("\n".join(lines))
    if args.record:
        with (ROOT / "benchmarks" / "RESULTS.md").open("a", encoding="utf-8") as out:
            out.write(
                f"\n## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
                "classification, leave one publisher out\n\n" + "\n".join(lines) + "\n"
            )


if __name__ == "__main__":
    main()
