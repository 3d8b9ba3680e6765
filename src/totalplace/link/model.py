"""Interface placeholder; the Splink model follows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa


@dataclass(frozen=True)
class RefusedRow:
    """A record that could not be linked, and why (for example no name and no date of birth)."""

    source: str
    record_id: str
    reason: str


@dataclass
class LinkResult:
    """What a linkage produced.

    ``clusters`` has one row per linked record: source, record_id, person_id,
    match_probability.  ``households`` has person_id, household_id.
    """

    clusters: pa.Table
    households: pa.Table
    refused: list[RefusedRow] = field(default_factory=list)
    model_path: Path | None = None
    report_path: Path | None = None
    details: dict[str, Any] = field(default_factory=dict)


def link_records(
    frames: dict[str, pa.Table | Path | str],
    out: Path,
    engine: str = "duckdb",
    threshold: float = 0.9,
    id_column: str | None = None,
) -> LinkResult:
    """Link person records within and across the given extracts (source name -> table or file)."""
    raise NotImplementedError("link_records is being built")
