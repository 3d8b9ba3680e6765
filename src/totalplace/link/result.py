"""What a linkage produced: its people, households and refused rows.

Apart from the model, so the report that writes them out and the model that
makes them depend on this and not on each other."""

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
    match_probability (the best pair joining it to its person; empty when it
    stands alone).  ``households`` has person_id, household_id.
    """

    clusters: pa.Table
    households: pa.Table
    refused: list[RefusedRow] = field(default_factory=list)
    model_path: Path | None = None
    report_path: Path | None = None
    details: dict[str, Any] = field(default_factory=dict)
