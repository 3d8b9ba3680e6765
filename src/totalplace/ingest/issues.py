"""Typed data issues: every problem found in a source row is a value, not a crash.

Each issue type has a stable slug, a severity and a message template.  *Errors*
quarantine the row; *warnings* load it and flag it.  The registry below is the
single place where issue types are declared; a test checks that the README
documents every slug.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class IssueType:
    slug: str
    severity: Severity
    template: str  # may use {value} and {field}
    help: str

    def message(self, value: str | None, field: str | None) -> str:
        return self.template.format(value=value or "", field=field or "")


_TYPES = [
    # errors: the row is quarantined
    IssueType(
        "publisher-total",
        Severity.ERROR,
        'the publisher\'s own total, not a payment: "{value}" in column "{field}"',
        "Kept in quarantine and compared with the loaded sum; its amount is not counted "
        "as quarantined money.",
    ),
    IssueType(
        "footer-text",
        Severity.ERROR,
        'footer line, not a payment: "{value}"',
        "Copyright and end-of-report notes below the data are kept in quarantine.",
    ),
    IssueType(
        "truncated-record",
        Severity.ERROR,
        "record has fewer fields than the header ({value})",
        "The file was cut short or a field holds an unescaped line break.",
    ),
    IssueType(
        "extra-fields",
        Severity.ERROR,
        "record has more fields than the header ({value})",
        "A field probably holds an unquoted delimiter; quote it at source.",
    ),
    IssueType(
        "missing-amount",
        Severity.ERROR,
        'amount column "{field}" is blank',
        "A payment needs an amount; check the row in the source file.",
    ),
    IssueType(
        "amount-out-of-range",
        Severity.ERROR,
        'amount "{value}" in column "{field}" is beyond plus or minus £10 trillion',
        "No payment is that large: the cell is damaged or another column (an ID, a "
        "reference) was read as the amount; check the row and the column map.",
    ),
    IssueType(
        "unparseable-amount",
        Severity.ERROR,
        'amount "{value}" in column "{field}" is not a money value',
        "Fix the value at source or correct it in a copy of the file and ingest again.",
    ),
    IssueType(
        "missing-date",
        Severity.ERROR,
        'no date or period in column "{field}"',
        "A payment needs a date or period; check the row, or map a period column in a profile.",
    ),
    IssueType(
        "date-out-of-range",
        Severity.ERROR,
        'date "{value}" in column "{field}" falls outside the years 1900 to 2100',
        "A year such as 0000 or 9999 is a placeholder or a damaged cell, not a payment "
        "date; check the row in the source file.",
    ),
    IssueType(
        "unparseable-date",
        Severity.ERROR,
        'date "{value}" in column "{field}" is not a date or period',
        "Use ISO, dd/mm/yyyy, dd-Mon-yyyy, an Excel serial or a period code; "
        "set date_order or the period calendar in a profile.",
    ),
    # warnings: the row is loaded and flagged
    IssueType(
        "negative-amount",
        Severity.WARNING,
        'negative amount or credit "{value}"',
        "Credits and refunds are loaded as negative pence and net off in totals.",
    ),
    IssueType(
        "sub-penny-amount",
        Severity.WARNING,
        'amount "{value}" has more than two decimal places; rounded half-even to pence',
        "Stored money is integer pence.",
    ),
    IssueType(
        "period-date",
        Severity.WARNING,
        'payment dated only to a period "{value}"',
        "The row is kept with the period's start and end dates.",
    ),
    IssueType(
        "redacted-supplier",
        Severity.WARNING,
        'supplier name is redacted: "{value}"',
        "Redacted payees cannot be resolved to an organisation.",
    ),
    IssueType(
        "personal-supplier",
        Severity.WARNING,
        'supplier name looks like a private individual: "{value}"',
        "Treat as personal data: do not show it below the disclosure threshold.",
    ),
    IssueType(
        "missing-supplier",
        Severity.WARNING,
        'supplier column "{field}" is blank',
        "The payment is loaded but cannot be attributed to a payee.",
    ),
    IssueType(
        "joined-fields-repaired",
        Severity.WARNING,
        "two fields ran together and were split: {value}",
        "Exactly one split of the field gave both columns a value of their kind; check the "
        "row in the source file.",
    ),
]

ISSUE_TYPES: dict[str, IssueType] = {t.slug: t for t in _TYPES}

# Order in which error slugs win when a row has several: the first is the
# row's quarantine reason.
ERROR_PRECEDENCE = [t.slug for t in _TYPES if t.severity is Severity.ERROR]


@dataclass(frozen=True)
class FileWarningType:
    """A warning about a whole file (not one row): the file is loaded and flagged."""

    slug: str
    help: str


# File-level warnings, shown under the ingest report and by ``check``; a test
# checks that the README documents every slug.
_FILE_WARNINGS: list[FileWarningType] = [
    FileWarningType(
        "publisher-total-differs",
        "The publisher's own total line does not equal the sum of the loaded rows; the "
        "difference is given (quarantined rows are often the reason).",
    ),
    FileWarningType(
        "large-amount-accepted",
        "A payment over £1bn, or payments over the paying council's whole annual outturn, "
        "loaded because --accept-large was given.",
    ),
    FileWarningType(
        "financial-periods",
        "YYYYPP period codes were read as financial periods (01 = April), because the "
        "values showed it; the reason is in the file's details.",
    ),
    FileWarningType(
        "adjustment-periods",
        "Rows in year-end adjustment periods (13 and above) are dated to the last month of "
        "their financial year.",
    ),
    FileWarningType(
        "dates-outside-named-month",
        "Over half the rows are dated outside the month or quarter the file's name or "
        "title lines give: check the date column and how its periods were read.",
    ),
    FileWarningType(
        "period-from-file-name",
        "The file has no date or period column: every row is dated to the one month or "
        "quarter its name or title lines give.",
    ),
    FileWarningType(
        "currency-sign-guessed",
        "The file is not UTF-8 and byte 0x9C stood before the amounts where cp1252's '£' "
        "(0xA3) never did, so it was read in a DOS code page (cp850 or cp437) with 0x9C as "
        "'£'; the counts and raw bytes are in the file's details.",
    ),
    FileWarningType(
        "mixed-encoding",
        "The file mixes UTF-8 lines with lines in a code page (cp1252): each line was read "
        "in its own encoding; details.encoding.mixed counts both and shows the first of each.",
    ),
    FileWarningType(
        "column-chosen-by-values",
        "A required role (amount, payee or date) was taken from a column no known header "
        "names, by its values or a word in its header; check details.mapping or name the "
        "column in a profile.",
    ),
]

_FILE_WARNINGS += [
    FileWarningType(
        "impossible-time",
        "Some day dates carry a time of day no clock shows (25:99): the day is read and "
        "the time ignored; details.impossible_times counts the rows and gives examples.",
    ),
    FileWarningType(
        "decimal-commas",
        "A money column is written with decimal commas (1.234,56, 1 234,56 or 12,34), as "
        "its values show, and was read so; details.money_format names the columns.",
    ),
]

FILE_WARNINGS: dict[str, FileWarningType] = {t.slug: t for t in _FILE_WARNINGS}


@dataclass(frozen=True)
class Issue:
    slug: str
    severity: Severity
    message: str
    file: str
    line: int | None
    field: str | None
    value: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            "slug": self.slug,
            "severity": str(self.severity),
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "value": self.value,
        }
