"""The classification query, written once with Ibis and run on DuckDB or Spark.

The rules become one ordered CASE expression giving each loaded row the id
of the first rule that matches it; a join with the rules' metadata adds the
theme, tier and pass-through flag.  The backends (DuckDB or Spark) come from
:mod:`totalplace.backends`; this module owns the query.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from totalplace import duck
from totalplace.backends import ENGINES, Engine, open_backend
from totalplace.classify.model import TEXT_FIELDS, THRESHOLD, ModelSummary, apply_model
from totalplace.classify.rules import DERIVED_FIELDS, Condition, Rule, RuleSet
from totalplace.classify.timelimit import watched
from totalplace.errors import ConfigError
from totalplace.workspace import CLASSIFIED_NAME, Workspace

__all__ = ["ENGINES", "Engine", "ModelOptions", "classify_rows", "run_classification"]

# Line breaks become spaces before a pattern sees a field, so that "." and "$"
# mean the same on RE2 and Java (Java's also stop at \r, \x85, \u2028, \u2029).
_LINE_BREAKS = r"[\n\r\x{85}\x{2028}\x{2029}]"


class _Fields:
    """The match fields of a table, lower-cased or cleaned of line breaks on demand.

    Each variant a rule needs is computed once per row, as its own column, before
    the CASE: neither engine shares work between the branches of a CASE, and
    Spark would otherwise clean and lower-case a field again for every rule."""

    def __init__(self, table: ir.Table, rules: Sequence[Rule]) -> None:
        variants = {
            (c.field, r.ignore_case, c.kind == "regex") for r in rules for c in r.conditions
        }
        derived = {
            self.name(f, lower, regex): self._derive(table[f], lower, regex)
            for f, lower, regex in sorted(variants)
            if lower or regex
        }
        # view(): later selects refer to these columns, not to the join beneath
        self.table = table.mutate(**derived).view() if derived else table

    @staticmethod
    def name(field: str, lower: bool, regex: bool) -> str:
        return f"__{field}{'_lc' if lower else ''}{'_rx' if regex else ''}"

    @staticmethod
    def _derive(col: ir.StringValue, lower: bool, regex: bool) -> ir.StringValue:
        if regex:
            col = col.re_replace(_LINE_BREAKS, " ")
        return col.lower() if lower else col

    def value(self, name: str, lower: bool, regex: bool) -> ir.StringValue:
        col: ir.StringValue = self.table[self.name(name, lower, regex) if lower or regex else name]
        return col


def condition_expr(fields: _Fields, cond: Condition, ignore_case: bool) -> ir.BooleanValue:
    col = fields.value(cond.field, ignore_case, cond.kind == "regex")
    if cond.kind == "exact":
        return col == cond.values[0] if len(cond.values) == 1 else col.isin(cond.values)
    if cond.kind == "prefix":
        return ibis.or_(*(col.startswith(v) for v in cond.values))
    return ibis.or_(*(col.re_search(v) for v in cond.values))


def rule_expr(fields: _Fields, rule: Rule) -> ir.BooleanValue:
    if not rule.conditions:
        return ibis.literal(True)
    return ibis.and_(*(condition_expr(fields, c, rule.ignore_case) for c in rule.conditions))


def rows_schema(rules: RuleSet) -> ibis.Schema:
    """The columns of the rows table the rules read."""
    used = rules.fields()
    text = [f for f in used if f != "publisher" and f not in DERIVED_FIELDS]
    if "supplier_kind" in used and "supplier_name" not in text:
        text.append("supplier_name")
    return ibis.schema(
        {"file_id": "string", "source_line": "int64", "status": "string"}
        | dict.fromkeys(text, "string")
    )


FILES_SCHEMA = ibis.schema({"file_id": "string", "publisher": "string", "publisher_kind": "string"})
KINDS_SCHEMA = ibis.schema({"kind_supplier_name": "string", "supplier_kind": "string"})
RULES_SCHEMA = ibis.schema(
    {
        "meta_rule_id": "string",
        "theme": "string",
        "tier": "string",
        "pass_through": "boolean",
        "catch_all": "boolean",
    }
)


def classified_expr(
    rows: ir.Table,
    files: ir.Table,
    meta: ir.Table,
    rules: RuleSet,
    kinds: ir.Table | None = None,
) -> ir.Table:
    """Loaded rows -> (file_id, source_line, rule_id, theme, tier, pass_through, catch_all).

    ``kinds`` (kind_supplier_name, supplier_kind) gives rules on
    ``supplier_kind`` the payee's kind; it is needed when a rule uses it."""
    loaded = rows.filter(rows.status == "loaded").drop("status")
    table = loaded.join(files, "file_id")
    if "supplier_kind" in rules.fields():
        if kinds is None:
            raise ConfigError("a rule matches supplier_kind but no supplier kinds were given")
        table = table.left_join(kinds, table.supplier_name == kinds.kind_supplier_name).drop(
            "kind_supplier_name"
        )
    fields = _Fields(table, rules.rules)
    table = fields.table
    branches = [(rule_expr(fields, r), ibis.literal(r.id)) for r in rules.rules]
    rule_id = ibis.cases(*branches, else_=ibis.null("string")) if branches else ibis.null("string")
    # view(): a select straight on a join stays part of that join in Ibis.
    labelled = table.select("file_id", "source_line", rule_id=rule_id.cast("string")).view()
    joined = labelled.left_join(meta, labelled.rule_id == meta.meta_rule_id)
    return joined.select(
        "file_id",
        "source_line",
        "rule_id",
        "theme",
        "tier",
        pass_through=joined.pass_through.fill_null(False),
        catch_all=joined.catch_all.fill_null(False),
    )


def rules_table(rules: RuleSet) -> pa.Table:
    return pa.table(
        {
            "meta_rule_id": pa.array([r.id for r in rules.rules], pa.string()),
            "theme": pa.array([r.theme for r in rules.rules], pa.string()),
            "tier": pa.array([r.tier for r in rules.rules], pa.string()),
            "pass_through": pa.array([r.pass_through for r in rules.rules], pa.bool_()),
            "catch_all": pa.array([r.catch_all for r in rules.rules], pa.bool_()),
        }
    )


def run_classification(ws: Workspace, rules: RuleSet, engine: str = "duckdb") -> Path:
    """Classify every loaded row of ``ws`` with the rules alone and write
    ``DIR/classified.parquet`` (atomically); returns its path."""
    return classify_rows(ws, rules, engine)[0]


@dataclass(frozen=True)
class ModelOptions:
    """The learned fallback's settings: its threshold, and publishers whose
    rows it must not learn from (to measure it on them)."""

    threshold: float = THRESHOLD
    exclude_from_training: tuple[str, ...] = ()
    # learn from the shipped labels too when the workspace has too few of its own
    shipped_training: bool = False


def classify_rows(
    ws: Workspace,
    rules: RuleSet,
    engine: str = "duckdb",
    model: ModelOptions | None = None,
    dest: Path | None = None,
) -> tuple[Path, ModelSummary | None]:
    """Classify every loaded row of ``ws`` with the rules and, when ``model``
    is given, the learned fallback for the rows they leave; write
    ``DIR/classified.parquet`` (or ``dest``) atomically.

    The rules run on ``engine``; the fallback runs in Python on the distinct
    label combinations and is joined back with DuckDB on the rules' output."""
    with ws.catalog(read_only=True) as con:
        files = con.execute("SELECT file_id, publisher FROM files ORDER BY file_id").arrow()
    if not isinstance(files, pa.Table):
        files = files.read_all()
    if files.num_rows == 0:
        raise ConfigError(f"{ws.root} holds no loaded files; ingest some spend files first")
    files = with_publisher_kinds(ws, files)
    work = ws.tmp_dir / f"classify-{uuid.uuid4().hex}"
    work.mkdir(parents=True)
    backend = open_backend(engine)
    try:
        pq.write_table(files, work / "files.parquet")
        pq.write_table(rules_table(rules), work / "rules.parquet")
        paths = [ws.table_path("rows", i) for i in files.column("file_id").to_pylist()]
        kinds = None
        if "supplier_kind" in rules.fields():
            pq.write_table(supplier_kinds(ws, paths), work / "kinds.parquet")
            kinds = backend.read_parquet([work / "kinds.parquet"], "tp_kinds", KINDS_SCHEMA)
        expr = classified_expr(
            backend.read_parquet(paths, "tp_rows", rows_schema(rules)),
            backend.read_parquet([work / "files.parquet"], "tp_files", FILES_SCHEMA),
            backend.read_parquet([work / "rules.parquet"], "tp_rules", RULES_SCHEMA),
            rules,
            kinds,
        )
        with watched(backend, engine):  # cancelled past the engine's time limit
            backend.write_parquet(expr, work / "out")
        return _finish(
            work / "out",
            dest or ws.root / CLASSIFIED_NAME,
            paths,
            work / "files.parquet",
            rules,
            model,
        )
    finally:
        backend.close()
        shutil.rmtree(work, ignore_errors=True)


def with_publisher_kinds(ws: Workspace, files: pa.Table) -> pa.Table:
    """``files`` (file_id, publisher) with the publisher's kind in the
    organisation registry (accepted matches only, else null): a police force's
    or an NHS trust's spending is for its one service whatever it bought."""
    from totalplace.orgs.registry import org_registry
    from totalplace.orgs.resolve import ORGS_DIR, resolve_names

    names = sorted({str(p) for p in files.column("publisher").to_pylist() if p})
    kinds = {
        r.name: r.kind
        for r in resolve_names(names, org_registry(ws.root / ORGS_DIR))
        if r.status == "accepted" and r.kind
    }
    column = [kinds.get(p) if p else None for p in files.column("publisher").to_pylist()]
    return files.append_column("publisher_kind", pa.array(column, pa.string()))


def supplier_kinds(ws: Workspace, paths: Sequence[Path]) -> pa.Table:
    """Each distinct supplier name that resolves to a registry body (accepted
    matches only; names for review are left out) with the body's kind."""
    from totalplace.orgs.registry import org_registry
    from totalplace.orgs.resolve import ORGS_DIR, resolve_names

    con = duck.connect()
    try:
        rel = con.read_parquet([str(p) for p in paths], union_by_name=True)
        names: list[str] = []
        if "supplier_name" in rel.columns:
            names = [
                r[0]
                for r in rel.filter("supplier_name IS NOT NULL")
                .aggregate("supplier_name", "supplier_name")
                .order("supplier_name")
                .fetchall()
            ]
    finally:
        con.close()
    found = [
        (r.name, r.kind)
        for r in resolve_names(names, org_registry(ws.root / ORGS_DIR))
        if r.status == "accepted" and r.kind
    ]
    return pa.table(
        {
            "kind_supplier_name": pa.array([n for n, _ in found], pa.string()),
            "supplier_kind": pa.array([k for _, k in found], pa.string()),
        }
    )


def _finish(
    folder: Path,
    dest: Path,
    rows: Sequence[Path],
    files: Path,
    rules: RuleSet,
    model: ModelOptions | None,
) -> tuple[Path, ModelSummary | None]:
    """One sorted Parquet file from the backend's parts, with method and
    confidence (and the model's themes when asked), moved into place whole."""
    parts = sorted(str(p) for p in folder.glob("*.parquet"))
    if not parts:
        raise ConfigError(f"the classification wrote no output in {folder}")
    tmp = dest.with_name(dest.name + ".tmp")
    con = duck.connect()
    summary = None
    try:
        con.read_parquet(parts).create_view("rules_out")
        raw = con.read_parquet([str(p) for p in rows], union_by_name=True)
        present = set(raw.columns)
        cols = ", ".join(f if f in present else f"NULL::VARCHAR AS {f}" for f in (*TEXT_FIELDS,))
        raw.create_view("rows_raw")
        con.execute(
            f"""CREATE TEMP VIEW rows_in AS SELECT file_id, source_line, amount_pence, {cols}
                FROM rows_raw WHERE status = 'loaded'"""
        )
        con.read_parquet(str(files)).create_view("files_in")
        if model is not None:
            summary = apply_model(
                con,
                rules.taxonomy,
                model.threshold,
                model.exclude_from_training,
                shipped=model.shipped_training,
            )
            out = con.table("classified_out")
        else:
            out = con.sql(
                """SELECT *,
                          CASE WHEN pass_through OR (theme IS NOT NULL AND NOT catch_all)
                               THEN 'rule' END AS method,
                          CASE WHEN pass_through OR (theme IS NOT NULL AND NOT catch_all)
                               THEN 1.0 END::DOUBLE AS confidence
                   FROM rules_out"""
            )
        out.order("file_id, source_line").write_parquet(str(tmp))
    finally:
        con.close()
    tmp.replace(dest)
    return dest, summary
