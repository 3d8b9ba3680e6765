"""A draft mapping profile for a file, for a user to check rather than write.

``totalplace profile suggest FILE`` finds the header line and delimiter, maps
the columns as ingest would (headers and values, see ``roles.py``), and for a
required role ingest could not settle proposes the column whose values fit it
best, however few rows the file has, marked with a low confidence.  Every
column gets a comment line with its inferred role (or "unmapped"), the
confidence and five sample values.  A column is never proposed for a role its
values contradict (identifiers for an amount, words for a date).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from totalplace.errors import SourceError
from totalplace.ingest.dialect import Dialect, sniff
from totalplace.ingest.infer import (
    ColumnProfile,
    contradiction,
    fit,
    profile_columns,
    sample_rows,
)
from totalplace.ingest.roles import DATE_ROLES, Mapper, Profile
from totalplace.ingest.sources import PreparedSource, prepare

UNSURE = 0.4  # a proposal from the values of too few rows, or one of several that fit
SAMPLE_CHARS = 30


@dataclass(frozen=True)
class ColumnSuggestion:
    header: str
    role: str | None
    how: str
    confidence: float
    samples: tuple[str, ...]
    note: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "header": self.header,
            "role": self.role,
            "how": self.how,
            "confidence": self.confidence,
            "samples": list(self.samples),
            "note": self.note,
        }


@dataclass(frozen=True)
class Suggestion:
    path: str
    publisher: str | None
    header_line: int
    delimiter: str
    columns: list[ColumnSuggestion]
    missing: list[str]

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "publisher": self.publisher,
            "header_line": self.header_line,
            "delimiter": self.delimiter,
            "columns": [c.to_dict() for c in self.columns],
            "missing": self.missing,
            "toml": self.toml(),
        }

    def toml(self) -> str:
        lines = [
            f"# Draft mapping profile for {_one_line(self.path)}",
            "# written by `totalplace profile suggest`: check every column, then pass it",
            "# with --profile FILE or save it in the workspace's profiles/ folder.",
        ]
        if self.publisher:
            lines.append(f"publisher = {_toml_string(self.publisher)}")
        else:
            lines.append('# publisher = "Name of the paying body"  (or pass --publisher)')
        lines += [
            f"header_line = {self.header_line}",
            f"delimiter = {_toml_string(self.delimiter)}",
            "",
            "[columns]",
        ]
        for c in self.columns:
            role = c.role or "unmapped"
            shown = " | ".join(_one_line(v)[:SAMPLE_CHARS] for v in c.samples) or "(blank)"
            note = f"; {_one_line(c.note)}" if c.note else ""
            lines.append(
                f"# {_one_line(c.header)}: {role} ({c.how}, confidence {c.confidence:.2f}"
                f"{note}); e.g. {shown}"
            )
            if c.role:
                lines.append(f"{c.role} = {_toml_string(c.header)}")
        for role in self.missing:
            lines.append(f'# {role} = "..."  no column fits; name the one that holds it')
        return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML for these characters)."""
    return json.dumps(text, ensure_ascii=False)


def suggest_profile(path: Path, publisher: str | None = None) -> Suggestion:
    """The draft profile for the first source in ``path`` (a zip's first member,
    a workbook's first sheet of payments)."""
    with tempfile.TemporaryDirectory(prefix="totalplace-suggest-") as tmp:
        for src in prepare(path, Path(tmp)):
            if isinstance(src, PreparedSource):
                return _suggest(src, publisher)
    raise SourceError(str(path), "holds no text or sheet of payments to suggest a profile for")


def _suggest(src: PreparedSource, publisher: str | None) -> Suggestion:
    dialect = _dialect(src)
    rows = sample_rows(src.head, dialect.delimiter, dialect.header_line)
    mapper = Mapper(dialect.headers, Profile(), rows)
    cmap = mapper.run(src.display_path)
    cols = profile_columns(dialect.headers, rows)
    chosen: dict[int, tuple[str, str, float, str]] = {}
    for role, (i, _, how) in cmap.roles.items():
        if contradiction(role, cols[i]):
            continue  # never propose what the values contradict
        decision = cmap.decisions.get(role, {})
        confidence = decision.get("confidence", UNSURE)
        assert isinstance(confidence, float)
        chosen[i] = (role, how, confidence, str(decision.get("why", "")))
    missing = _fill_missing(cols, chosen)
    columns = []
    for col in cols:
        if col.index in chosen:
            role, how, confidence, note = chosen[col.index]
            columns.append(ColumnSuggestion(col.header, role, how, confidence, col.samples, note))
        else:
            columns.append(ColumnSuggestion(col.header, None, "no role fits", 0.0, col.samples))
    return Suggestion(
        src.display_path, publisher, dialect.header_line, dialect.delimiter, columns, missing
    )


def _fill_missing(
    cols: list[ColumnProfile], chosen: dict[int, tuple[str, str, float, str]]
) -> list[str]:
    """Propose, for each required role ingest left open, the free column whose
    values fit it (the one with most distinct values when several do)."""
    taken = {role for role, *_ in chosen.values()}
    wanted = ["amount", "supplier_name"]
    if not taken & set(DATE_ROLES):
        wanted += ["payment_date", "period"]
    missing: list[str] = []
    for role in wanted:
        if role in taken:
            continue
        fits = [c for c in cols if c.index not in chosen and fit(role, c, min_values=1)]
        if not fits:
            if role not in DATE_ROLES:
                missing.append(role)
            continue
        best = max(fits, key=lambda c: (c.distinct, -c.index))
        others = [c.header for c in fits if c is not best]
        note = f"also fits: {', '.join(others)}" if others else "from few rows"
        chosen[best.index] = (role, "values", UNSURE, note)
        taken.add(role)
        if role == "payment_date":
            break
    if not taken & set(DATE_ROLES):
        missing.append("payment_date or period")
    return missing


def _dialect(src: PreparedSource) -> Dialect:
    return sniff(src.display_path, src.head, Profile())
