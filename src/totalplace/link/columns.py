"""Reading agencies' person-level extracts into one shape Splink can compare.

Each column is given a role (first name, surname, date of birth, postcode...)
from its header, using the synonyms in ``data/link_headers.toml``; a column the
headers do not name is recognised from its values when at least 80% of its
filled cells look like one thing (dates of birth, UK postcodes, NHS numbers
with a valid check digit, UPNs, National Insurance numbers).  A profile
(``--profile FILE``, a TOML ``[columns]`` table of role = "header") overrides
both.  Values are then normalised so that spelling of case, spaces and
punctuation never decides a match: names lower-case letters only, dates of
birth ISO (read as :mod:`totalplace.link.dates` says), postcodes upper-case
without spaces.  What a file lacks (a name, a date of birth, a record id)
and the dates of birth that are no dates are said in the extract's warnings.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from totalplace.errors import ConfigError, SourceError
from totalplace.link.dates import SHARE, date_order, parse_date, parse_date_in

#: The roles a column can take, in the order the synonyms file lists them.
ROLES = (
    "record_id",
    "first_name",
    "middle_name",
    "surname",
    "full_name",
    "dob",
    "sex",
    "house_number",
    "address",
    "address_2",
    "town",
    "postcode",
    "nhs_number",
    "upn",
    "ni_number",
    "other_id",
)
#: Agency identifiers: compared exactly (or with one typing slip), never shared between people.
IDENTIFIERS = ("nhs_number", "upn", "ni_number", "other_id")
#: The columns of a normalised extract, the input Splink sees.
CANONICAL = (
    "unique_id",
    "source_dataset",
    "record_id",
    "first_name",
    "surname",
    "dob",
    "sex",
    "address",
    "town",
    "postcode",
    "postcode_outward",
    *IDENTIFIERS,
)

_UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
_UPN = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")
_NINO = re.compile(r"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]$")
#: Street words written short in some systems and long in others.
_STREET_WORDS = {
    "rd": "road",
    "st": "street",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "dr": "drive",
    "cl": "close",
    "ct": "court",
    "cres": "crescent",
    "gdns": "gardens",
    "pl": "place",
    "sq": "square",
    "tce": "terrace",
    "ter": "terrace",
    "flt": "flat",
}


@dataclass
class Extract:
    """One agency's extract, normalised: the table, its column roles and the rows refused."""

    source: str
    path: str
    table: pa.Table
    roles: dict[str, str]
    refused: list[dict[str, str]] = field(default_factory=list)
    rows: int = 0
    #: the file's columns given no role, and what their absence costs the linkage
    unused: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _key(header: str) -> str:
    """A header as letters and digits only, less anything in brackets."""
    return re.sub(r"[^a-z0-9]", "", re.sub(r"[(\[].*?[)\]]", "", header.lower()))


def _headers_file() -> dict[str, Any]:
    text = resources.files("totalplace").joinpath("data", "link_headers.toml").read_text("utf-8")
    return tomllib.loads(text)


def header_synonyms() -> dict[str, list[str]]:
    """The shipped synonyms, role -> header keys."""
    roles: dict[str, list[str]] = _headers_file()["roles"]
    return roles


def header_role(header: str, synonyms: dict[str, list[str]], qualifiers: list[str]) -> str | None:
    """The role a header names: a synonym, or a synonym behind words that say
    whose record it is ("Client Forename", "Pupil Legal Surname")."""
    keys = [_key(header)]
    for key in keys:  # grows: every way of dropping qualifiers from the front
        keys += [key[len(q) :] for q in qualifiers if key.startswith(q) and key != q]
    for candidate in sorted(set(keys), key=len, reverse=True):
        for role in ROLES:
            if candidate in synonyms.get(role, []):
                return role
    return None


def read_extract(path: Path) -> pa.Table:
    """Read a CSV or Parquet extract with every column as text (an id's leading zeros are kept)."""
    if not path.exists():
        raise SourceError(str(path), "no such file: give the path of a CSV or Parquet extract")
    if path.suffix.lower() in (".parquet", ".pq"):
        table = pq.read_table(path)
        return pa.table(
            {
                name.strip(): pc.cast(col, pa.string())
                for name, col in zip(table.column_names, table.columns, strict=True)
            }
        )
    import duckdb

    con = duckdb.connect()
    try:
        table = con.execute(
            "select * from read_csv(?, all_varchar = true, header = true)", [str(path)]
        ).arrow()
    except duckdb.Error as exc:
        raise SourceError(
            str(path), f"cannot be read as CSV ({exc}); save it as UTF-8 CSV"
        ) from exc
    finally:
        con.close()
    if isinstance(table, pa.RecordBatchReader):
        table = table.read_all()
    stripped = pc.utf8_trim_whitespace
    return pa.table(
        {
            name.strip(): stripped(col)
            for name, col in zip(table.column_names, table.columns, strict=True)
        }
    )


def _filled(col: pa.ChunkedArray, limit: int = 2000) -> list[str]:
    values = [v for v in col.slice(0, 20000).to_pylist() if v not in (None, "")]
    return [str(v) for v in values[:limit]]


def _nhs_valid(text: str) -> bool:
    digits = re.sub(r"\s", "", text)
    if not re.fullmatch(r"[0-9]{10}", digits):
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _sniff(col: pa.ChunkedArray) -> str | None:
    """The role a column's values show, when 80% of its filled cells agree."""
    values = _filled(col)
    if len(values) < 5:
        return None
    n = len(values)
    squeezed = [re.sub(r"\s", "", v).upper() for v in values]
    if sum(bool(_UK_POSTCODE.match(v)) for v in squeezed) >= SHARE * n:
        return "postcode"
    if sum(_nhs_valid(v) for v in values) >= SHARE * n:
        return "nhs_number"
    if sum(bool(_UPN.match(v)) for v in squeezed) >= SHARE * n:
        return "upn"
    if sum(bool(_NINO.match(v)) for v in squeezed) >= SHARE * n:
        return "ni_number"
    order = date_order(values)
    if order is not None:
        parsed = [parse_date(v, order) for v in values]
        years = [int(p[:4]) for p in parsed if p]
        # a date of birth column, not a contact date: spread over decades
        if len(years) >= SHARE * n and max(years) - min(years) >= 15:
            return "dob"
    return None


_ID_WORDS = ("id", "ref", "reference")
_NUMBER_WORDS = ("no", "number", "num")


def _is_record_id(header: str, col: pa.ChunkedArray, endings: tuple[str, ...] = _ID_WORDS) -> bool:
    """A header ending in one of ``endings`` (id, ref or reference) over values
    all filled and all different."""
    words = re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", header).lower())
    if not words or words[-1] not in endings:
        return False
    values = col.to_pylist()
    return None not in values and "" not in values and len(set(values)) == len(values)


def map_columns(
    table: pa.Table, profile: dict[str, str] | None = None, id_column: str | None = None
) -> dict[str, str]:
    """Role -> column name, from the profile, then headers, then values."""
    names = table.column_names
    roles: dict[str, str] = {}
    for role, header in (profile or {}).items():
        if role not in ROLES:
            raise ConfigError(f"profile: unknown role {role!r}; use one of {', '.join(ROLES)}")
        if header not in names:
            raise ConfigError(f"profile: no column {header!r} for {role}; the columns are {names}")
        roles[role] = header
    if id_column is not None:
        if id_column not in names:
            raise ConfigError(f"--id-column {id_column!r} is not a column; the columns are {names}")
        roles["record_id"] = id_column
    taken = set(roles.values())
    headers = _headers_file()
    synonyms, qualifiers = headers["roles"], headers["qualifiers"]["words"]
    for name in names:
        if name in taken:
            continue
        named = header_role(name, synonyms, qualifiers)
        if named is not None and named not in roles:
            roles[named] = name
            taken.add(name)
    for endings in (_ID_WORDS, _NUMBER_WORDS):
        if "record_id" in roles:
            break
        for name in names:
            if name not in taken and _is_record_id(name, table.column(name), endings):
                roles["record_id"] = name
                taken.add(name)
                break
    for name in names:
        if name in taken:
            continue
        sniffed = _sniff(table.column(name))
        if sniffed is not None and sniffed not in roles:
            roles[sniffed] = name
            taken.add(name)
    return roles


def _clean_name(col: pa.ChunkedArray) -> pa.ChunkedArray:
    lowered = pc.utf8_lower(col)
    letters = pc.replace_substring_regex(lowered, r"[^a-z]", "")
    return pc.if_else(pc.equal(letters, ""), pa.scalar(None, pa.string()), letters)


def _blank_to_null(col: pa.Array | pa.ChunkedArray) -> Any:
    return pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)


def _clean_address(number: pa.ChunkedArray | None, street: pa.ChunkedArray | None) -> Any:
    parts = [p for p in (number, street) if p is not None]
    if not parts:
        return None
    joined = (
        parts[0]
        if len(parts) == 1
        else pc.binary_join_element_wise(
            pc.fill_null(parts[0], ""), pc.fill_null(parts[1], ""), " "
        )
    )
    text = pc.utf8_lower(joined)
    text = pc.replace_substring_regex(text, r"[^a-z0-9 ]", " ")
    words: list[str | None] = []
    for value in text.to_pylist():
        if value is None:
            words.append(None)
            continue
        tokens = [_STREET_WORDS.get(t, t) for t in value.split()]
        words.append(" ".join(tokens) or None)
    return pa.array(words, pa.string())


#: Words before a name that are not the name ("Mr John Smith", "Smith, Mrs Mary")
_TITLES = {"mr", "mrs", "ms", "miss", "mx", "master", "dr", "prof", "rev", "sir", "dame", "lady"}


def _untitled(words: list[str]) -> list[str]:
    while len(words) > 1 and words[0].lower().rstrip(".") in _TITLES:
        words = words[1:]
    return words


def _split_full_name(col: pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    firsts: list[str | None] = []
    lasts: list[str | None] = []
    for value in col.to_pylist():
        if not value:
            firsts.append(None)
            lasts.append(None)
            continue
        if "," in value:  # "Surname, First Names"
            last, _, first = value.partition(",")
            words = _untitled(first.split())
            firsts.append(words[0] if words else None)
            lasts.append(last.strip() or None)
        else:
            words = _untitled(value.split())
            firsts.append(words[0] if len(words) > 1 else None)
            lasts.append(words[-1])
    return pa.array(firsts, pa.string()), pa.array(lasts, pa.string())


def normalise(source: str, path: str, table: pa.Table, roles: dict[str, str]) -> Extract:
    """The extract in the canonical columns, with each refused row and its reason."""
    n = table.num_rows

    def col(role: str) -> Any:
        return table.column(roles[role]) if role in roles else None

    record_id = col("record_id")
    if record_id is None:
        record_id = pa.array([str(i) for i in range(1, n + 1)], pa.string())
    first, last = col("first_name"), col("surname")
    if col("full_name") is not None:
        split_first, split_last = _split_full_name(col("full_name"))
        first = split_first if first is None else pc.coalesce(_blank_to_null(first), split_first)
        last = split_last if last is None else pc.coalesce(_blank_to_null(last), split_last)
    null = pa.nulls(n, pa.string())
    first = _clean_name(first) if first is not None else null
    last = _clean_name(last) if last is not None else null
    dob: Any = null
    unread: list[str] = []
    filled = 0
    if col("dob") is not None:
        raw = col("dob").to_pylist()
        order = date_order(_filled(col("dob"))) or "dmy"
        parsed = [parse_date_in(v, order) if v else None for v in raw]
        unread = [v for v, p in zip(raw, parsed, strict=True) if v and p is None]
        filled = sum(1 for v in raw if v)
        dob = pa.array(parsed, pa.string())
    sex: Any = null
    if col("sex") is not None:
        initial = pc.utf8_slice_codeunits(pc.utf8_lower(col("sex")), 0, 1)
        sex = pc.if_else(pc.is_in(initial, pa.array(["m", "f"])), initial, null)
    postcode: Any = null
    outward: Any = null
    if col("postcode") is not None:
        postcode = _blank_to_null(
            pc.replace_substring_regex(pc.utf8_upper(col("postcode")), r"[^A-Z0-9]", "")
        )
        # the outward code (the district, "LS6") is the postcode less its last three characters
        is_uk = pc.match_substring_regex(pc.fill_null(postcode, ""), _UK_POSTCODE.pattern)
        length = pc.utf8_length(pc.fill_null(postcode, ""))
        stops = pc.subtract(length, 3).to_pylist()
        heads = [
            p[:s] if p is not None and uk else None
            for p, s, uk in zip(postcode.to_pylist(), stops, is_uk.to_pylist(), strict=True)
        ]
        outward = pa.array(heads, pa.string())
    address = _clean_address(col("house_number"), col("address"))
    town = null
    if col("town") is not None:
        town = _blank_to_null(
            pc.utf8_trim_whitespace(
                pc.replace_substring_regex(pc.utf8_lower(col("town")), r"[^a-z0-9 ]", "")
            )
        )
    ids = {}
    for role in IDENTIFIERS:
        value = col(role)
        ids[role] = (
            _blank_to_null(pc.replace_substring_regex(pc.utf8_upper(value), r"[^A-Z0-9]", ""))
            if value is not None
            else null
        )
    record_id = pc.fill_null(record_id, "")
    canonical = pa.table(
        {
            "unique_id": record_id,
            "source_dataset": pa.array([source] * n, pa.string()),
            "record_id": record_id,
            "first_name": first,
            "surname": last,
            "dob": dob,
            "sex": sex,
            "address": address if address is not None else null,
            "town": town,
            "postcode": postcode,
            "postcode_outward": outward,
            **ids,
        }
    )
    extract = Extract(source, path, canonical, roles, rows=n)
    extract.unused = [c for c in table.column_names if c not in roles.values()]
    extract.warnings = mapping_warnings(roles, extract.unused)
    if unread:
        extract.warnings.append(
            f"date of birth column {roles['dob']!r}: {len(unread):,} of {filled:,} filled values "
            f"are not real dates in the column's layout (first {unread[0]!r}) and are left blank; "
            "the rest of each record is still linked"
        )
    return _refuse(extract)


def mapping_warnings(roles: dict[str, str], unused: list[str]) -> list[str]:
    """What a file's columns leave out that a person's record usually has:
    said, because a linkage that runs without names or dates of birth gives
    people, but not ones to trust."""
    fix = (
        f"columns not used: {', '.join(unused) or 'none'}; if one holds it, map it with "
        '--profile (a TOML [columns] table, e.g. surname = "Family Name")'
    )
    warnings = []
    if not {"first_name", "surname", "full_name"} & roles.keys():
        warnings.append(
            "no column was read as a name (first name, surname or full name), so two people "
            f"with one date of birth and address are taken for one person; {fix}"
        )
    elif "full_name" not in roles and len({"first_name", "surname"} & roles.keys()) == 1:
        missing = "first name" if "surname" in roles else "surname"
        warnings.append(f"no column was read as the {missing}; {fix}")
    if "dob" not in roles:
        warnings.append(
            "no column was read as a date of birth, so relatives sharing a name and "
            f"address are harder to tell apart; {fix}"
        )
    if "record_id" not in roles:
        warnings.append(
            "no column was read as the record id, so records are numbered 1, 2, ... in file "
            "order and results cannot be traced back to the agency's system; give "
            "--id-column NAME"
        )
    return warnings


def _refuse(extract: Extract) -> Extract:
    """Keep the rows that can be linked; list the others with the reason."""
    table = extract.table
    ids = table.column("record_id").to_pylist()
    no_name = pc.and_(pc.is_null(table.column("first_name")), pc.is_null(table.column("surname")))
    no_dob = pc.is_null(table.column("dob"))
    bare = pc.and_(no_name, no_dob).to_pylist()
    seen: set[str] = set()
    keep = []
    for row, (rid, is_bare) in enumerate(zip(ids, bare, strict=True), start=2):
        reason = None
        if rid == "":
            reason = "no record id: fill the id column or leave --id-column out"
        elif rid in seen:
            reason = f"record id {rid!r} repeats an earlier row: ids must be unique in a file"
        elif is_bare:
            reason = "no name and no date of birth: nothing tells this person from another"
        seen.add(rid)
        keep.append(reason is None)
        if reason is not None:
            extract.refused.append(
                {"source": extract.source, "record_id": rid, "row": str(row), "reason": reason}
            )
    extract.table = table.filter(pa.array(keep, pa.bool_()))
    return extract


def load_profile(path: Path) -> dict[str, str]:
    """A link profile: a TOML ``[columns]`` table of role = "header in the files"."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the profile ({exc})") from exc
    columns = data.get("columns")
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise ConfigError(
            f'{path}: a link profile needs a [columns] table of role = "header", '
            f"roles being {', '.join(ROLES)}"
        )
    return {str(k): str(v) for k, v in columns.items()}


def source_names(paths: list[Path]) -> dict[str, Path]:
    """Each file's source name: its stem, numbered when two files share one."""
    names: dict[str, Path] = {}
    for path in paths:
        name, n = path.stem, 1
        while name in names:
            n += 1
            name = f"{path.stem}_{n}"
        names[name] = path
    return names
