"""Workspace configuration: ``totalplace.toml``, declared once with help text.

Every setting is a pydantic field with a description; ``SETTINGS_HELP`` is
derived from the model so the README and ``--help`` never drift from it (a
test checks the README names every setting).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from totalplace.errors import ConfigError

GSS_PATTERN = re.compile(r"^[EWSN]\d{8}$")
YEAR_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
CONFIG_NAME = "totalplace.toml"
FORMAT_VERSION = 1


def parse_place(text: str) -> list[str]:
    """Parse ``E08000025`` or ``E08000003,E08000001`` into a list of GSS codes."""
    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    if not codes:
        raise ConfigError("--place is empty: give one or more GSS codes such as E08000025")
    bad = [c for c in codes if not GSS_PATTERN.match(c)]
    if bad:
        raise ConfigError(
            f"not a GSS code: {', '.join(bad)}. A GSS code is a letter (E, W, S or N) "
            "and eight digits, e.g. E08000025 for Birmingham."
        )
    return list(dict.fromkeys(codes))


def check_year(text: str) -> str:
    """Validate a financial year written ``2010-11``."""
    m = YEAR_PATTERN.match(text.strip())
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ConfigError(
            f'financial year "{text}" must be written like 2010-11 (April 2010 to March 2011)'
        )
    return text.strip()


class SourceEntry(BaseModel):
    """One source file ingested into the workspace (kept for rebuilds)."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="Path of the source file as given to ingest.")
    sha256: str = Field(description="SHA-256 of the file's bytes.")
    publisher: str = Field(description="Publisher named for the file.")


# The most each ingest limit may be raised to, from totalplace.toml or the command
# line: far above any spend file, and below what would exhaust a machine.
INGEST_MAXIMA: dict[str, int] = {
    "max_line_bytes": 1024**3,  # 1 GiB on one line
    "max_columns": 100_000,
    "max_sheet_rows": 100_000_000,
    "max_archive_size": 1024**4,  # 1 TiB unzipped
}


class IngestSettings(BaseModel):
    """The ``[ingest]`` table: the ingest limits this workspace runs under, each
    in place of its default unless the ``ingest`` option is given, which wins.
    A key left out keeps the default; a value out of range is an error naming it."""

    model_config = ConfigDict(extra="forbid")

    max_line_bytes: int | None = Field(
        default=None,
        ge=1,
        le=INGEST_MAXIMA["max_line_bytes"],
        strict=True,
        description="The longest physical line of a text file, in bytes (default 1 MiB).",
    )
    max_columns: int | None = Field(
        default=None,
        ge=1,
        le=INGEST_MAXIMA["max_columns"],
        strict=True,
        description="The most columns a header line or workbook row may hold (default 1,000).",
    )
    max_sheet_rows: int | None = Field(
        default=None,
        ge=1,
        le=INGEST_MAXIMA["max_sheet_rows"],
        strict=True,
        description="The most rows one workbook sheet may hold (default 1,048,576).",
    )
    max_archive_size: int | str | None = Field(
        default=None,
        description="The most a zip (and the zips inside it) may unpack to: bytes, or a "
        "size such as '8GiB' (default 2GiB).",
    )

    @field_validator("max_archive_size")
    @classmethod
    def _archive(cls, v: int | str | None) -> int | str | None:
        # kept as written ('8GiB' stays '8GiB' when the file is rewritten)
        if v is not None:
            archive_bytes(v)
        return v

    def archive_bytes(self) -> int | None:
        """``max_archive_size`` in bytes, or None when the file does not set it."""
        return None if self.max_archive_size is None else archive_bytes(self.max_archive_size)


def archive_bytes(value: int | str) -> int:
    """Bytes from a size written as a number of bytes or like ``8GiB``, in range."""
    try:
        n = value if isinstance(value, int) else parse_size(value)
    except ConfigError as exc:
        raise ValueError(str(exc)) from exc
    top = INGEST_MAXIMA["max_archive_size"]
    if not 1 <= n <= top:
        raise ValueError(f"a size must be from 1 byte to {top:,} bytes (1 TiB)")
    return n


class WorkspaceConfig(BaseModel):
    """The contents of ``totalplace.toml``.  Strict: a key the model does not
    declare (a typo such as ``plase``) or a value out of range is an error
    naming the key, never silently ignored or kept."""

    model_config = ConfigDict(extra="forbid")

    format_version: int = Field(
        default=FORMAT_VERSION, ge=1, description="Version of the workspace layout."
    )
    place: list[str] = Field(description="GSS codes of the authorities that make up the place.")
    year: str = Field(description="Financial year of the study, e.g. 2010-11.")
    name: str = Field(default="", description="A label for the study, shown in reports.")
    disclosure_threshold: int = Field(
        default=10,
        ge=0,
        description="Counts of people below this are never shown to roles without "
        "person-level access.",
    )
    gross: list[str] = Field(
        default_factory=list,
        description="Bodies counted gross from their own payments (any name or code the "
        "organisation registry knows); each needs a full year of its files ingested.",
    )
    ingest: IngestSettings = Field(
        default_factory=IngestSettings,
        description="The ingest limits for this workspace, as an [ingest] table "
        "(max_line_bytes, max_columns, max_sheet_rows, max_archive_size); each ingest "
        "option overrides its key.",
    )
    sources: list[SourceEntry] = Field(
        default_factory=list, description="Source files ingested, in order."
    )

    @field_validator("place")
    @classmethod
    def _place(cls, v: list[str]) -> list[str]:
        return parse_place(",".join(v))

    @field_validator("year")
    @classmethod
    def _year(cls, v: str) -> str:
        return check_year(v)

    def same_study(self, other: WorkspaceConfig) -> bool:
        return self.place == other.place and self.year == other.year

    def to_toml(self) -> str:
        data: dict[str, Any] = self.model_dump(exclude_defaults=False, exclude_none=True)
        if not data["ingest"]:
            del data["ingest"]  # no limit set: the file stays as it was written
        return tomli_w.dumps(data)

    @classmethod
    def from_file(cls, path: Path) -> WorkspaceConfig:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read workspace config: {exc}") from exc
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(f"{path}: invalid workspace config: {_explain(exc)}") from exc


def _explain(exc: ValidationError) -> str:
    """Each problem with the key it is in (``sources[2].sha256``), and for an
    unknown key the nearest allowed key and the full list."""
    problems = []
    for e in exc.errors():
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"]).lstrip(".")
        if e["type"] == "extra_forbidden":
            model: type[BaseModel] = WorkspaceConfig
            if key.startswith("sources["):
                model = SourceEntry
            elif key.startswith("ingest."):
                model = IngestSettings
            allowed = list(model.model_fields)
            name = str(e["loc"][-1])
            near = difflib.get_close_matches(name, allowed, n=1)
            problems.append(
                f"unknown key {key!r}"
                + (f" (did you mean {near[0]!r}?)" if near else "")
                + f"; the allowed keys are {', '.join(allowed)}"
            )
        else:
            problems.append(f"{key or 'the file'}: {e['msg']} (got {e.get('input')!r})")
    return "; ".join(problems)


SETTINGS_HELP: dict[str, str] = {
    name: field.description or "" for name, field in WorkspaceConfig.model_fields.items()
}


def parse_size(text: str) -> int:
    """Bytes from ``2GiB``, ``500MB``, ``1.5GB`` or a plain number of bytes."""
    m = _SIZE.match(text)
    if not m:
        raise ConfigError(
            f"size {text!r} is not a size: write it like 2GiB, 500MB or 4000000000 (bytes)"
        )
    return int(Decimal(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "b": 1,
    **{f"{u}b": 1000 ** (i + 1) for i, u in enumerate("kmgt")},
    **{f"{u}ib": 1024 ** (i + 1) for i, u in enumerate("kmgt")},
}
