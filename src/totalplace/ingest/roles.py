"""Canonical roles and the mapping of a file's columns onto them.

A column is read by its header *and* its values (profiled on a sample of the
file's rows by ``infer.py``).  For each required role (``amount``,
``supplier_name``, ``payment_date`` or ``period``) the candidates are ranked:

1. a header in the synonym registry (``data/headers.toml``; an earlier synonym
   first, then the earlier column), kept only when its values do not
   contradict the role (unless no other column fits: then it is kept, with
   confidence 0.3, and its bad values are quarantined row by row as ever);
2. a header that nearly matches a synonym (``Directotate``), on the same terms;
3. a header holding a word of the role ("Supplier", "Date", "Net") or a
   generic header ("Name", "Description", "Total", "Value"), kept only when
   its values plainly hold the role;
4. the values alone, used only when exactly one column fits.

The tie rule: the best rank wins; within rank 3, a header with a word of the
role before a generic one, then the column whose values vary most (more
distinct values: a payee or payment-date column varies more than a body or a
publication date), then the earlier column.  Every other column that
fits is recorded beside the choice.  Two rules override the ranking: a column
of identifiers (whole numbers only, with leading zeros, of one width, near-
sequential or in the millions) is never the amount, whatever its header says,
and if it is the only candidate the mapping fails saying so; and a money
column headed with the word "Net" wins over the others (Gross, Total, Amount):
published spend is net of recoverable VAT, and a VAT column goes to ``vat``.

Other roles are mapped by synonym, then near match, as before.  A user's
profile ``[columns]`` overrides everything.  The decisions (column, how,
confidence, rejected candidates and why) are kept on the ``ColumnMap`` and
stored with the file.  When a required role has no column, ingest stops with
a message listing the candidates and pointing to ``totalplace profile suggest``.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from totalplace.errors import ConfigError, MappingError
from totalplace.ingest.infer import (
    ColumnProfile,
    contradiction,
    fit,
    looks_like_data,
    profile_columns,
)
from totalplace.tomlfile import read_toml

FUZZY_THRESHOLD = 0.9
DATE_ROLES = ("payment_date", "period")


_CURRENCY_WORDS = re.compile(r"\b(gbp|stg|pounds)\b")


def normalise_header(text: str) -> str:
    """Lower case, letters and digits only, currency words dropped: "* Date",
    " Supplier Name: ", "Amount (£)" and "Amount GBP" read as their plain words."""
    plain = re.sub(r"[^0-9a-z]+", " ", text.lower())
    return " ".join(_CURRENCY_WORDS.sub(" ", plain).split()) or plain.strip()


@dataclass(frozen=True)
class Role:
    name: str
    help: str
    required: bool
    synonyms: tuple[str, ...]


@cache
def _shipped_registry() -> dict[str, Role]:
    raw = tomllib.loads(
        resources.files("totalplace").joinpath("data/headers.toml").read_text(encoding="utf-8")
    )
    return {
        name: Role(
            name=name,
            help=str(spec["help"]),
            required=bool(spec.get("required", False)),
            synonyms=tuple(dict.fromkeys(normalise_header(s) for s in spec["synonyms"])),
        )
        for name, spec in raw["roles"].items()
    }


_REMOVED: ContextVar[frozenset[str]] = ContextVar("removed_synonyms", default=frozenset())


def registry() -> dict[str, Role]:
    """The shipped roles and synonyms (less any removed by :func:`synonyms_removed`)."""
    removed = _REMOVED.get()
    return _without(removed) if removed else _shipped_registry()


@cache
def _without(removed: frozenset[str]) -> dict[str, Role]:
    return {
        name: Role(role.name, role.help, role.required,
                   tuple(s for s in role.synonyms if s not in removed))
        for name, role in _shipped_registry().items()
    }  # fmt: skip


@contextlib.contextmanager
def synonyms_removed(headers: Iterable[str]) -> Iterator[None]:
    """Map as if the registry had never seen these headers (compared normalised):
    how a publisher's files fare when nobody has written its spellings down."""
    token = _REMOVED.set(frozenset(normalise_header(h) for h in headers))
    try:
        yield
    finally:
        _REMOVED.reset(token)


@dataclass
class Profile:
    """A per-publisher mapping profile (TOML), written by a user."""

    source: str = "(none)"
    publisher: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    date_order: str | None = None  # "dmy" or "mdy"
    header_line: int | None = None  # 1-based physical line of the header
    delimiter: str | None = None
    period_calendar: str = "monthly"  # or "four-weekly"
    period_year: str | None = None  # financial year for bare period codes like P04
    year_start: str = "04-01"  # MM-DD on which the body's financial year starts
    yyyypp: str | None = None  # "financial" or "calendar"; unset: decided from the values

    @classmethod
    def load(cls, path: Path) -> Profile:
        raw = read_toml(path, "profile")
        known = set(registry())
        columns = {str(k): str(v) for k, v in raw.get("columns", {}).items()}
        unknown = sorted(set(columns) - known)
        if unknown:
            raise ConfigError(
                f"{path}: [columns] names unknown roles {', '.join(unknown)}; "
                f"roles are: {', '.join(sorted(known))}"
            )
        periods = raw.get("periods", {})
        _check_profile_values(path, raw, periods)
        order = raw.get("date_order")
        if order not in (None, "dmy", "mdy"):
            raise ConfigError(f'{path}: date_order must be "dmy" or "mdy", not "{order}"')
        calendar = str(periods.get("calendar", "monthly"))
        if calendar not in ("monthly", "four-weekly"):
            raise ConfigError(
                f'{path}: [periods] calendar must be "monthly" or "four-weekly", not "{calendar}"'
            )
        yyyypp = periods.get("yyyypp")
        if yyyypp not in (None, "financial", "calendar"):
            raise ConfigError(
                f'{path}: [periods] yyyypp must be "financial" or "calendar", not {yyyypp!r}'
            )
        return cls(
            source=str(path),
            publisher=raw.get("publisher"),
            columns=columns,
            date_order=order,
            header_line=raw.get("header_line"),
            delimiter=raw.get("delimiter"),
            period_calendar=calendar,
            period_year=periods.get("year"),
            year_start=str(periods.get("year_start", "04-01")),
            yyyypp=yyyypp,
        )


def _check_profile_values(path: Path, raw: dict[str, object], periods: dict[str, object]) -> None:
    header_line = raw.get("header_line")
    if header_line is not None and (
        not isinstance(header_line, int) or isinstance(header_line, bool) or header_line < 1
    ):
        raise ConfigError(f"{path}: header_line must be a whole number from 1, not {header_line!r}")
    delimiter = raw.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise ConfigError(f'{path}: delimiter must be one character such as "," or ";"')
    year = periods.get("year")
    if year is not None:
        m = re.match(r"^(\d{4})-(\d{2})$", str(year))
        if not isinstance(year, str) or not m or (int(m[1]) + 1) % 100 != int(m[2]):
            raise ConfigError(
                f'{path}: [periods] year must be written like "2013-14", not {year!r}'
            )
    start = periods.get("year_start", "04-01")
    if not isinstance(start, str) or not re.match(
        r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$", start
    ):
        raise ConfigError(f'{path}: [periods] year_start must be MM-DD such as "04-01"')


@dataclass(frozen=True)
class ColumnMap:
    """Role name -> (0-based column index, header text, how it was matched),
    with the decisions behind each (JSON-able, stored with the file)."""

    roles: dict[str, tuple[int, str, str]]
    headers: tuple[str, ...]
    decisions: dict[str, dict[str, object]] = field(default_factory=dict, compare=False)

    def index(self, role: str) -> int | None:
        hit = self.roles.get(role)
        return hit[0] if hit else None

    def header(self, role: str) -> str | None:
        hit = self.roles.get(role)
        return hit[1] if hit else None

    def unmapped_headers(self) -> list[str]:
        used = {i for i, _, _ in self.roles.values()}
        return [h for i, h in enumerate(self.headers) if i not in used and h.strip()]

    def describe(self) -> dict[str, str]:
        return {role: f"{h} ({how})" for role, (_, h, how) in self.roles.items()}

    def value_choices(self) -> list[str]:
        """A line for each role taken from a column that no known header names:
        worth a look before the figures are used."""
        lines = []
        for role, d in self.decisions.items():
            if d.get("how") not in ("values", "header word"):
                continue
            by = "its values" if d["how"] == "values" else "a word in its header and its values"
            lines.append(
                f'{role} taken from column "{d["column"]}" by {by} ({d.get("values", "")}; '
                f"confidence {d['confidence']}): check it, or name the column in a profile"
            )
        return lines


def header_score(cells: list[str]) -> int:
    """How many cells look like known header names (used to find the header row)."""
    known = {s for spec in registry().values() for s in spec.synonyms}
    return sum(1 for c in cells if normalise_header(c) in known)


def map_columns(
    path: str,
    headers: list[str],
    profile: Profile,
    *,
    require_date: bool = True,
    rows: Sequence[Sequence[str]] | None = None,
) -> ColumnMap:
    """Map headers to roles, checked against ``rows`` (a sample of data rows)
    when given; ``require_date=False`` when the file's period is known from
    elsewhere (its name or title lines)."""
    mapper = Mapper(headers, profile, rows)
    cmap = mapper.run(path)
    missing = [r for r, spec in registry().items() if spec.required and r not in cmap.roles]
    if require_date and not any(r in cmap.roles for r in DATE_ROLES):
        missing.append("payment_date or period")
    if missing:
        raise MappingError(path, mapper.failure(path, missing, cmap))
    return cmap


# Words in a header that point to a required role (rank 3: the values must agree).
HINT_WORDS = {
    "amount": frozenset({"amount", "value", "total", "net", "gross", "spend", "spent", "paid",
                         "sum", "expenditure", "payment"}),
    "supplier_name": frozenset({"supplier", "payee", "beneficiary", "vendor", "creditor",
                                "recipient", "merchant", "contractor", "company"}),
    "payment_date": frozenset({"date", "paid", "posted", "posting", "cleared", "clearing"}),
    "period": frozenset({"period", "month", "quarter"}),
}  # fmt: skip
# Headers that say nothing about their column: mapped by what the values hold.
GENERIC_HEADERS = frozenset(
    {"name", "names", "text", "description", "details", "detail", "total", "value", "data",
     "item", "items", "info", "information", "column", "field"}
)  # fmt: skip
VALUE_ROLES = ("amount", "supplier_name", "payment_date", "period")
GROSS_WORDS = frozenset({"gross", "total", "inc", "incl", "including"})
CONFIDENCE = {"profile": 1.0, "synonym": 0.95, "near match": 0.8, "header word": 0.75,
              "values": 0.6}  # fmt: skip
UNCHECKED = 0.8  # a header match whose values were not or could not be checked

# Words in a header that point to a label role (the last pass, for columns no
# synonym names); earlier roles are tried first.
LABEL_WORDS = {
    "department": frozenset({"directorate", "department", "dept", "portfolio", "division"}),
    "service": frozenset({"service", "services", "objective", "cost", "centre", "center",
                          "area", "unit", "team", "function", "activity", "business"}),
    "expense_type": frozenset({"expense", "expenses", "expenditure", "subjective", "account",
                               "category", "type", "nature", "ledger", "gl", "analysis"}),
    "purpose": frozenset({"description", "purpose", "narrative", "details", "detail", "text",
                          "reason", "comments"}),
}  # fmt: skip
CODE_TWIN = {"service": "service_code", "expense_type": "expense_code"}


@dataclass(frozen=True)
class _Candidate:
    rank: int  # 1 synonym, 2 near match, 3 header word or generic header, 4 values alone
    order: tuple[float, ...]
    index: int
    how: str
    values: str  # what the values show ("" when not judged)


class Mapper:
    """One file's mapping: the profile first, then the required roles by header
    and values, then the other roles by header."""

    def __init__(
        self, headers: Sequence[str], profile: Profile, rows: Sequence[Sequence[str]] | None
    ) -> None:
        self.headers = list(headers)
        self.norm = [normalise_header(h) for h in headers]
        self.profile = profile
        self.cols: list[ColumnProfile] | None = (
            profile_columns(self.headers, rows) if rows is not None else None
        )
        self.chosen: dict[str, tuple[int, str, str]] = {}
        self.decisions: dict[str, dict[str, object]] = {}
        self.rejected: dict[str, list[dict[str, str]]] = {}

    @property
    def used(self) -> set[int]:
        return {i for i, _, _ in self.chosen.values()}

    def run(self, path: str) -> ColumnMap:
        self._profile_columns(path)
        for role in VALUE_ROLES:
            if role in self.chosen or (role == "period" and "payment_date" in self.chosen):
                continue
            self._choose(role)
        for near in (False, True):  # every exact synonym before any near match
            for name in registry():
                if name not in self.chosen and name not in VALUE_ROLES:
                    self._by_header(name, near)
        if "period" not in self.chosen:  # a period beside the date, kept as published
            self._choose("period", by_values=False)
        self._labels_by_word()
        return ColumnMap(dict(self.chosen), tuple(self.headers), self.decisions)

    def _labels_by_word(self) -> None:
        """Columns no synonym names, whose header holds a word of a label role
        ("Cost Centre Description", "Subjective Analysis") and whose values are
        words, not money, dates or payees: the labels classification reads.
        A column of codes (no spaces, digits in most cells) takes the role's
        code twin.  The first free role in LABEL_WORDS' order is taken."""
        if self.cols is None:
            return
        for col in self.cols:
            i = col.index
            if i in self.used or col.filled == 0 or col.money > 0.5 or col.dates > 0.5:
                continue
            words = set(self.norm[i].split())
            coded = (
                sum(
                    1
                    for v in col.samples
                    if v and " " not in v.strip() and any(c.isdigit() for c in v)
                )
                > len(col.samples) / 2
            )
            for role, hints in LABEL_WORDS.items():
                if not words & hints:
                    continue
                if role in CODE_TWIN and coded:
                    role = CODE_TWIN[role]
                elif col.text < 0.5 or col.org_names > 0.5:
                    continue
                if role in self.chosen:
                    continue
                what = "codes" if role.endswith("_code") else "words"
                self._take(role, i, "header word", CONFIDENCE["header word"], values=f"{what}")
                break

    def _take(self, role: str, i: int, how: str, confidence: float, **extra: object) -> None:
        self.chosen[role] = (i, self.headers[i], how)
        decision: dict[str, object] = {"column": self.headers[i], "how": how}
        decision["confidence"] = confidence
        decision.update({k: v for k, v in extra.items() if v})
        if self.rejected.get(role):
            decision["rejected"] = self.rejected[role]
        self.decisions[role] = decision

    def _profile_columns(self, path: str) -> None:
        for role, wanted in self.profile.columns.items():
            hits = [i for i, h in enumerate(self.headers) if h.strip() == wanted.strip()]
            hits = hits or [i for i, h in enumerate(self.norm) if h == normalise_header(wanted)]
            if not hits:
                raise MappingError(
                    path,
                    f'profile {self.profile.source} maps {role} to column "{wanted}", which is '
                    f"not in this file. Its columns are: {_few(self.headers)}",
                )
            self._take(role, hits[0], "profile", CONFIDENCE["profile"])

    def _header_hits(
        self, role: str, near: bool = True
    ) -> list[tuple[int, tuple[float, ...], int, str]]:
        """(rank, order, column, how) for headers that name the role (or nearly do)."""
        spec = registry()[role]
        free = [i for i in range(len(self.headers)) if i not in self.used and self.norm[i]]
        hits: list[tuple[int, tuple[float, ...], int, str]] = [
            (1, (float(spec.synonyms.index(self.norm[i])),), i, "synonym")
            for i in free
            if self.norm[i] in spec.synonyms
        ]
        for i in free:
            if not near or self.norm[i] in spec.synonyms or not spec.synonyms:
                continue
            ratio = max(difflib.SequenceMatcher(None, self.norm[i], s).ratio()
                        for s in spec.synonyms)  # fmt: skip
            if ratio >= FUZZY_THRESHOLD:
                hits.append((2, (-ratio,), i, f"near match {ratio:.2f}"))
        return hits

    def _choose(self, role: str, by_values: bool = True) -> None:
        cands: list[_Candidate] = []
        unfit: list[tuple[int, tuple[float, ...], int, str, str]] = []
        for rank, order, i, how in self._header_hits(role):
            col = self.cols[i] if self.cols else None
            why = contradiction(role, col) if col else ""
            if why:
                self._reject(role, i, why)
                if not col or not col.identifier_like:
                    unfit.append((rank, order, i, how, why))
                continue
            shown = fit(role, col, worded=True) if col else ""
            cands.append(_Candidate(rank, order, i, how, shown))
        if self.cols is not None and by_values:
            header_ranked = {c.index for c in cands} | {
                i for i in range(len(self.headers)) if self._rejected_for(role, i)
            }
            for col in self.cols:
                if col.index in self.used or col.index in header_ranked:
                    continue
                hinted = bool(set(self.norm[col.index].split()) & HINT_WORDS[role])
                generic = self.norm[col.index] in GENERIC_HEADERS
                shown = fit(role, col, worded=hinted)  # a generic header is no evidence
                if not shown:
                    continue
                worded = hinted or generic
                cands.append(_Candidate(3 if worded else 4, (-hinted, -col.distinct), col.index,
                                        "header word" if worded else "values", shown))  # fmt: skip
        if not cands:
            if unfit:  # bad values are quarantined row by row, as ever; identifiers never
                rank, _, i, how, why = min(unfit)
                self.rejected[role] = [
                    r for r in self.rejected[role] if r["column"] != self.headers[i]
                ]
                self._take(role, i, how, 0.3, why=f"no other column fits, though {why}")
            return
        cands.sort(key=lambda c: (c.rank, c.order, c.index))
        best = cands[0]
        if best.rank == 2 and len(cands) > 1 and (cands[1].rank, cands[1].order) == (2, best.order):
            return  # two equally near matches: a tie is not a match
        if best.rank == 4 and len(cands) > 1:
            self.rejected.setdefault(role, []).extend(
                {"column": self.headers[c.index], "reason": f"fits by values alone ({c.values}), "
                 "as does another column: not sure which"} for c in cands
            )  # fmt: skip
            return
        why = ""
        if role == "amount":
            best, why = _net_over_gross(best, cands, self.norm)
        if best.rank == 1 or best.how.startswith("near"):
            base = "synonym" if best.rank == 1 else "near match"
            confidence = CONFIDENCE[base] if best.values else UNCHECKED
            if best.rank == 2:
                confidence -= 0.15
        else:
            confidence = CONFIDENCE[best.how]
        also = [self.headers[c.index] for c in cands if c is not best and c.rank < 4]
        self._take(role, best.index, best.how, round(confidence, 2), values=best.values, why=why,
                   also_fits=also)  # fmt: skip

    def _reject(self, role: str, i: int, reason: str) -> None:
        self.rejected.setdefault(role, []).append({"column": self.headers[i], "reason": reason})

    def _rejected_for(self, role: str, i: int) -> bool:
        return any(r["column"] == self.headers[i] for r in self.rejected.get(role, []))

    def _by_header(self, role: str, near: bool) -> None:
        """A synonym (earlier synonym, then earlier column), or a near match that
        is not tied: a tie is not a match."""
        hits = sorted(h for h in self._header_hits(role, near) if (h[0] == 2) == near)
        if not hits:
            return
        if hits[0][0] == 2 and len(hits) > 1 and hits[1][:2] == hits[0][:2]:
            return
        rank, _, i, how = hits[0]
        self._take(role, i, how, UNCHECKED if rank == 1 else 0.7)

    def failure(self, path: str, missing: list[str], cmap: ColumnMap) -> str:
        """Why the mapping is unsure, what could fill the gaps and what to run."""
        lines = [f"cannot map required role(s): {', '.join(missing)}."]
        unmapped = cmap.unmapped_headers()
        example = unmapped[0] if unmapped else "Column header"
        if looks_like_data(self.headers):
            lines.append(
                "The header line looks wrong: its cells look like data (amounts, dates), not "
                "column names. Set header_line = N in a profile to the line that names the "
                "columns."
            )
        for role in ("amount", "supplier_name", "payment_date", "period"):
            for r in self.rejected.get(role, []) if role not in cmap.roles else []:
                lines.append(f'Column "{r["column"]}" was not taken as {role}: {r["reason"]}.')
        if "amount" in missing and any(
            r["reason"].startswith("identifier-like") for r in self.rejected.get("amount", [])
        ):
            lines.append("The only amount column holds identifiers, not money; if the file has "
                         "an amount under another header, name it in a profile.")  # fmt: skip
        lines += [
            f"Unmapped columns that could fill them: {_few(unmapped)}.",
            "Mapped so far: "
            f"{', '.join(f'{r}={h!r}' for r, h in sorted(cmap.describe().items())) or '(none)'}.",
            f"Run `totalplace profile suggest {path}` for a draft profile to edit, then pass it "
            "with --profile FILE or save it in the workspace's profiles/ folder with the "
            "publisher's name. A profile names the columns, e.g.:",
            '    publisher = "Example Council"',
            "    [columns]",
            f'    {missing[0].split(" ")[0]} = "{example}"',
        ]
        return "\n".join(lines)


def _net_over_gross(
    best: _Candidate, cands: list[_Candidate], norm: list[str]
) -> tuple[_Candidate, str]:
    """Published spend is net of recoverable VAT: a money column headed "Net"
    wins over the others the headers name."""
    if "net" in norm[best.index].split():
        others = any(c is not best and c.rank < 4 for c in cands)
        return best, "the net figure: spend is counted net of VAT" if others else ""
    for c in cands:
        if c.rank < 4 and "net" in norm[c.index].split() and "gross" not in norm[c.index].split():
            return c, f"the net figure, not {norm[best.index]!r}: spend is counted net of VAT"
    if GROSS_WORDS & set(norm[best.index].split()):
        return best, "no net column: the gross figure is the amount"
    return best, ""


def _few(items: Sequence[str], limit: int = 8) -> str:
    """The first few of a long list, and how many more (a header line that is
    really data would otherwise print hundreds of values)."""
    if not items:
        return "(none)"
    shown = ", ".join(repr(c[:40]) for c in items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"
