"""Supplier names resolved to registry bodies, each with a confidence and a status.

The steps, first that applies wins:

1. **exact**: the normalised name is a body's name or alias -> accepted, 1.0.
2. **company**: the name has "ltd", "limited", "plc", "llp" or "cic" -> rejected:
   a company is never a public body unless an alias says so (step 1).
3. **council-name**: the name is a council's place name plus only council
   words ("Bury Metro", "City of Salford", "Rochdale MBC") -> accepted, 0.97.
4. **fuzzy**: candidates share a word stem with the name (blocking); a
   candidate must have the same *family* words (police, fire, NHS, council,
   courts, pensions...) and every distinctive word on either side must be
   matched on the other (exactly, as an abbreviation or truncation, or with
   a rapidfuzz ratio >= 85). The score is rapidfuzz ``token_set_ratio`` of the
   name with its abbreviations spelt out against the alias:
   >= ACCEPT accepted, >= REVIEW review, else rejected. A tie between two
   bodies is review. A candidate failing the word checks but with
   ``token_sort_ratio`` >= NEAR_MISS is listed for review, never accepted.

Review items are never counted as matches.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.parquet as pq
from rapidfuzz import fuzz

from totalplace.orgs.normalise import COMPANY_WORDS, normalise
from totalplace.orgs.registry import OrgRegistry, org_registry
from totalplace.workspace import Workspace

ACCEPT: Final = 90.0
REVIEW: Final = 75.0
NEAR_MISS: Final = 88.0
COUNCIL_NAME_CONFIDENCE: Final = 0.97
TOKEN_RATIO: Final = 85.0
STATUSES: Final = ("accepted", "review", "rejected")
NO_BODY: Final = "none"
ORGS_DIR: Final = "orgs"
RESOLVED_NAME: Final = "resolved_suppliers.parquet"

# Words that say what legal form or rank a body has; two names may differ in them.
_GENERIC_WORDS = (
    "and of for in on at to council borough metropolitan district city county corporation "
    "authority authorities trust foundation service services executive board group limited "
    "department agency office ministry commission commissioner commissioners hm care "
    "partnership partnerships integrated"
)
GENERIC: Final = frozenset(_GENERIC_WORDS.split())
# Words that say which sort of body it is; both names must agree on them.
FAMILIES: Final = {
    **dict.fromkeys(("police", "constabulary", "crime"), "police"),
    **dict.fromkeys(("fire", "rescue"), "fire"),
    # "nhs" alone says little; the words after it say provider or commissioner.
    "nhs": "nhs",
    **dict.fromkeys(("hospital", "hospitals"), "hospital"),
    **dict.fromkeys(("primary", "clinical", "commissioning"), "commissioner"),
    "ambulance": "ambulance",
    **dict.fromkeys(("pension", "pensions"), "pension"),
    **dict.fromkeys(("probation",), "probation"),
    **dict.fromkeys(("court", "courts", "tribunal", "tribunals"), "courts"),
    **dict.fromkeys(("transport", "passenger"), "transport"),
    **dict.fromkeys(("combined",), "combined"),
    **dict.fromkeys(("waste",), "waste"),
    **dict.fromkeys(("school", "schools", "academy", "college", "nursery"), "education"),
    **dict.fromkeys(("council", "councils"), "council"),
}
# Words a council's name may carry around its place name.
COUNCIL_WORDS: Final = frozenset(
    "council borough metropolitan metro district city county corporation".split()  # noqa: SIM905
)
_NHS_KINDS: Final = frozenset({"hospital", "commissioner", "ambulance"})
# One of these (or a "City of" / "Borough of" prefix) must be in a council's name.
STRONG_COUNCIL_WORDS: Final = frozenset(
    "council borough metropolitan metro corporation".split()  # noqa: SIM905
)
_COUNCIL_PREFIX = re.compile(r"^(london borough of|royal borough of|borough of|city of)\s+")
_TRUNCATED_AT: Final = 30
_TOO_BROAD: Final = frozenset(
    {"london", "england", "english", "uk", "british", "national", "north", "south", "east", "west"}
)


@dataclass(frozen=True, slots=True)
class Resolution:
    """How one name resolved: the body (for accepted and review), how, how sure."""

    name: str
    normalised: str
    body_id: str | None
    kind: str | None
    confidence: float
    status: str
    method: str
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Alias:
    key: str
    body_id: str
    tokens: tuple[str, ...]
    distinctive: frozenset[str]
    families: frozenset[str]


def _family_set(words: Iterable[str]) -> frozenset[str]:
    found = {FAMILIES[w] for w in words if w in FAMILIES}
    if found & _NHS_KINDS:
        found.discard("nhs")
    return frozenset(found)


def _distinctive(words: Iterable[str]) -> frozenset[str]:
    return frozenset(w for w in words if w not in GENERIC and w not in FAMILIES)


def _stem(word: str) -> str:
    return word[:4]


def _covers(query_word: str, alias_word: str, last: bool) -> bool:
    """Whether a word of the name stands for a word of the alias."""
    if query_word == alias_word:
        return True
    if min(len(query_word), len(alias_word)) >= 5 and query_word.rstrip("s") == alias_word.rstrip(
        "s"
    ):
        return True
    # abbreviation ("teach" for "teaching") or a name cut off at a field width
    if alias_word.startswith(query_word) and (len(query_word) >= 4 or last):
        return True
    return (
        min(len(query_word), len(alias_word)) >= 5
        and fuzz.ratio(query_word, alias_word) >= TOKEN_RATIO
    )


class Matcher:
    """The registry's names indexed for resolution; reuse one for many names."""

    def __init__(self, registry: OrgRegistry) -> None:
        self.registry = registry
        self.exact = registry.alias_index()
        self.aliases: list[_Alias] = []
        self.blocks: dict[str, list[int]] = {}
        for key, ids in self.exact.items():
            words = tuple(key.split())
            for body_id in sorted(ids):
                alias = _Alias(key, body_id, words, _distinctive(words), _family_set(words))
                self.aliases.append(alias)
                for w in alias.distinctive or {w for w in words if w in FAMILIES}:
                    self.blocks.setdefault(_stem(w), []).append(len(self.aliases) - 1)
        cores: dict[str, set[str]] = {}
        for body in registry.bodies("council"):
            for name in body.names:
                core = _council_core(normalise(name).split())
                if core:
                    cores.setdefault(core, set()).add(body.id)
        self.council_cores = {
            core: chosen for core, ids in cores.items() if (chosen := self._prefer_current(ids))
        }

    def _prefer_current(self, ids: set[str]) -> str | None:
        if len(ids) == 1:
            return next(iter(ids))
        current = [i for i in ids if self.registry.get(i).valid_to is None]
        return current[0] if len(current) == 1 else None

    def resolve(self, name: str) -> Resolution:
        key = normalise(name)
        words = key.split()
        if not words:
            return self._result(name, key, None, 0.0, "rejected", "empty")
        ids = self.exact.get(key)
        if ids:
            status = "accepted" if len(ids) == 1 else "review"
            method = "exact" if len(ids) == 1 else "ambiguous"
            return self._result(name, key, sorted(ids), 1.0, status, method)
        if any(w in COMPANY_WORDS for w in words):
            return self._result(name, key, None, 0.0, "rejected", "company")
        council = self._council_name(words)
        if council is not None:
            return self._result(
                name, key, [council], COUNCIL_NAME_CONFIDENCE, "accepted", "council-name"
            )
        return self._fuzzy(name, key, words, truncated=len(name.strip()) >= _TRUNCATED_AT)

    def _council_name(self, words: list[str]) -> str | None:
        text = _COUNCIL_PREFIX.sub("", " ".join(words))
        had_prefix = text != " ".join(words)
        words = text.split()
        if words and words[-1] not in COUNCIL_WORDS and len(words[-1]) >= 3:
            # a council word cut off at the end ("... Borough Corpora")
            words[-1] = next((w for w in COUNCIL_WORDS if w.startswith(words[-1])), words[-1])
        if not (had_prefix or any(w in STRONG_COUNCIL_WORDS for w in words)):
            return None
        return self.council_cores.get(_council_core(words))

    def _fuzzy(self, name: str, key: str, words: list[str], truncated: bool) -> Resolution:
        distinct = _distinctive(words)
        stems = {_stem(w) for w in (distinct or {w for w in words if w in FAMILIES})}
        seen = {i for s in stems for i in self.blocks.get(s, ())}
        scores: dict[str, float] = {}
        near: dict[str, float] = {}
        for i in seen:
            alias = self.aliases[i]
            expanded = _expand(words, alias, truncated)
            # family words compared as spelt out ("... Mental Health NH" has "nhs")
            if expanded is not None and alias.families == _family_set(expanded):
                score = fuzz.token_set_ratio(" ".join(expanded), alias.key)
                scores[alias.body_id] = max(score, scores.get(alias.body_id, 0.0))
            else:
                score = fuzz.token_sort_ratio(key, alias.key)
                near[alias.body_id] = max(score, near.get(alias.body_id, 0.0))
        if scores:
            best = max(scores.values())
            top = sorted(b for b, s in scores.items() if s == best)
            if best >= REVIEW:
                # a name with nothing but kind words ("NHS", "HM Court Service") is never sure
                # nor is one whose only distinctive words name a region ("London Councils")
                sure = best >= ACCEPT and len(top) == 1 and bool(distinct - _TOO_BROAD)
                status = "accepted" if sure else "review"
                method = "fuzzy" if len(top) == 1 else "ambiguous"
                return self._result(name, key, top, best / 100, status, method)
        if near and (best_near := max(near.values())) >= NEAR_MISS:
            top = sorted(b for b, s in near.items() if s == best_near)
            return self._result(name, key, top, best_near / 100, "review", "near-miss")
        return self._result(name, key, None, 0.0, "rejected", "no-match")

    def _result(
        self,
        name: str,
        key: str,
        ids: list[str] | None,
        confidence: float,
        status: str,
        method: str,
    ) -> Resolution:
        body = self.registry.get(ids[0]) if ids else None
        return Resolution(
            name=name,
            normalised=key,
            body_id=body.id if body else None,
            kind=body.kind if body else None,
            confidence=round(confidence, 4),
            status=status,
            method=method,
            candidates=tuple(ids or ()),
        )


def _council_core(words: list[str]) -> str:
    text = _COUNCIL_PREFIX.sub("", " ".join(words))
    return " ".join(w for w in text.split() if w not in COUNCIL_WORDS and w not in ("of", "and"))


def _expand(words: list[str], alias: _Alias, truncated: bool) -> list[str] | None:
    """The name's words spelt as the alias spells them, or None when a
    distinctive word on either side has no counterpart on the other."""
    expanded = []
    for n, word in enumerate(words):
        last = truncated and n == len(words) - 1
        match = next((a for a in alias.tokens if _covers(word, a, last)), None)
        if match is None and word not in GENERIC and word not in FAMILIES:
            return None
        expanded.append(match or word)
    if not all(any(_covers(w, a, False) for w in expanded) for a in alias.distinctive):
        return None
    return expanded


def resolve_names(names: Iterable[str], registry: OrgRegistry) -> list[Resolution]:
    """Resolve each name (in order; repeated names are resolved once)."""
    matcher = Matcher(registry)
    done: dict[str, Resolution] = {}
    out = []
    for name in names:
        if name not in done:
            done[name] = matcher.resolve(name)
        out.append(done[name])
    return out


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Resolution scored against hand-labelled names. Precision counts accepted
    matches only; recall is correct accepted matches over labelled public bodies."""

    labelled: int
    public: int
    accepted: int
    review: int
    tp: int
    fp: int
    fn: int
    errors: tuple[tuple[str, str, str | None, str], ...]  # name, expected, got, status

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.public if self.public else 1.0


def evaluate(labelled_csv: Path, registry: OrgRegistry | None = None) -> Evaluation:
    """Resolve every name of a ``name,file,body_id,note`` file (``none`` for
    no registry body) and count what was right."""
    with labelled_csv.open(encoding="utf-8", newline="") as fh:
        rows = [(r["name"], r["body_id"].strip()) for r in csv.DictReader(fh)]
    results = resolve_names([n for n, _ in rows], registry or org_registry())
    tp = fp = fn = review = 0
    errors = []
    for (name, expected), res in zip(rows, results, strict=True):
        accepted = res.status == "accepted"
        review += res.status == "review"
        right = accepted and res.body_id == expected
        tp += right
        fp += accepted and not right
        fn += expected != NO_BODY and not right
        if (accepted or expected != NO_BODY) and not right:
            errors.append((name, expected, res.body_id, res.status))
    public = sum(expected != NO_BODY for _, expected in rows)
    accepted_n = sum(r.status == "accepted" for r in results)
    return Evaluation(len(rows), public, accepted_n, review, tp, fp, fn, tuple(errors))


@dataclass(frozen=True, slots=True)
class WorkspaceResolution:
    """The workspace's names, resolved, and where the table was written."""

    path: Path
    resolutions: tuple[tuple[Resolution, str], ...]  # (resolution, role)

    def counts(self) -> dict[str, int]:
        return {s: sum(r.status == s for r, _ in self.resolutions) for s in STATUSES}


_NAMES_SQL = """
    SELECT name, string_agg(DISTINCT role, '+' ORDER BY role) AS role FROM (
        SELECT supplier_name AS name, 'supplier' AS role FROM spend
        UNION ALL SELECT paying_body, 'paying_body' FROM spend
    ) WHERE name IS NOT NULL AND trim(name) <> '' GROUP BY name ORDER BY name
"""


def resolve_workspace(ws: Workspace) -> WorkspaceResolution:
    """Resolve the distinct supplier names and paying bodies of a workspace
    against the registry plus ``DIR/orgs/*.csv``, and write
    ``DIR/resolved_suppliers.parquet`` (temporary file, then rename), under
    the workspace's writer lock."""
    with ws.writing():
        return _resolve_workspace(ws)


def _resolve_workspace(ws: Workspace) -> WorkspaceResolution:
    registry = org_registry(ws.root / ORGS_DIR)
    with ws.connect() as con:
        has_spend = con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE view_name = 'spend'"
        ).fetchone()
        rows = con.execute(_NAMES_SQL).fetchall() if has_spend and has_spend[0] else []
    results = resolve_names([name for name, _ in rows], registry)
    pairs = tuple(zip(results, [role for _, role in rows], strict=True))
    table = pa.table(
        {
            "name": [r.name for r, _ in pairs],
            "role": [role for _, role in pairs],
            "normalised": [r.normalised for r, _ in pairs],
            # typed: a column of None alone would be stored as integers
            "body_id": pa.array([r.body_id for r, _ in pairs], pa.string()),
            "kind": pa.array([r.kind for r, _ in pairs], pa.string()),
            "confidence": pa.array([r.confidence for r, _ in pairs], pa.float64()),
            "status": [r.status for r, _ in pairs],
            "method": [r.method for r, _ in pairs],
            "candidates": pa.array([list(r.candidates) for r, _ in pairs], pa.list_(pa.string())),
        }
    )
    path = ws.root / RESOLVED_NAME
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)
    return WorkspaceResolution(path, pairs)
