"""The canonical tables of the store: what every reader may rely on.

This module sits below both the store (:mod:`totalplace.workspace`) and the
ingest that writes to it (:mod:`totalplace.ingest`), so that the store never
imports the code that fills it: ingest writes rows in this shape, the store
builds its views over them, and both read the shape from here.
"""

from __future__ import annotations

# One Parquet file per source file and table, named after the file's SHA-256:
# every record with its status, the quarantined records with their raw text,
# and every typed issue.
ROW_TABLES = ("rows", "quarantine", "issues")

# Roles stored as text columns of the canonical spend table.
TEXT_ROLES = (
    "paying_body_id",
    "supplier_name",
    "supplier_id",
    "company_number",
    "charity_number",
    "vat_number",
    "department",
    "service",
    "service_detail",
    "service_code",
    "expense_type",
    "expense_code",
    "transaction_id",
    "sercop_code",
    "bvacop_code",
    "proclass_code",
    "proclass_label",
    "capital_revenue",
    "purpose",
)
# Roles stored as integer pence, as ``<role>_pence``.
MONEY_ROLES = ("vat", "irrecoverable_vat")

# Columns a file may leave out of its Parquet because its layout has no such
# role; the store's views add them as NULL so every reader sees every column.
CANONICAL_COLUMNS = {
    "rows": {
        **dict.fromkeys(TEXT_ROLES, "VARCHAR"),
        **{f"{r}_pence": "BIGINT" for r in MONEY_ROLES},
    }
}

# A loaded row's warnings are stored as bits of ``warning_bits`` (cheap to write
# for millions of rows), bit i for the i-th slug here; the ``spend`` view shows
# them as a list of slugs. The order is part of the stored format: append only.
WARNING_SLUGS = (
    "negative-amount",
    "sub-penny-amount",
    "period-date",
    "redacted-supplier",
    "personal-supplier",
    "missing-supplier",
    "joined-fields-repaired",
)


def warnings_sql(bits: str) -> str:
    """SQL turning a warning bitmask into the list of warning slugs."""
    return (
        "list_filter(["
        + ", ".join(
            f"CASE WHEN {bits} & {1 << i} <> 0 THEN '{slug}' END"
            for i, slug in enumerate(WARNING_SLUGS)
        )
        + "], x -> x IS NOT NULL)"
    )
