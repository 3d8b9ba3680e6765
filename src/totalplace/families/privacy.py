"""Disclosure control for person-level data: pseudonyms and suppression.

**Pseudonyms.**  A person's or family's identifier is shown only as a keyed
hash: HMAC-SHA256 of the identifier under a key made once for the workspace
(``family.key``, readable by its owner alone, never copied into an export or a
download).  The same person always gets the same pseudonym in one workspace,
so a caseworker can follow them from page to page, but nobody without the key
can work back from the pseudonym, or make one from a name they know.

**Primary suppression.**  A count of people or families above nought and below
the workspace's ``disclosure_threshold`` is withheld ("fewer than N"), and so
is every figure made from that cell (its contacts and cost), since a cost of
one family is that family's.

**Secondary suppression.**  Where a table shows row or column totals, one
withheld cell in a row could be worked out as the total less the other cells.
So while any row or column has exactly one withheld cell, the smallest other
cell of that row or column is withheld too (or, if it has no other cell, its
total), and this repeats until no row or column has exactly one.

**Tables with margins** (:func:`protect`).  Where a table's totals are shown
too (an agency's cost over all years beside the place's grand total), a
total is a figure like any other: a total of fewer than N families is
withheld, and the margins are one more line (the agencies' totals add to the
grand total), so a withheld total cannot be worked out as the grand total
less the others.  After choosing, every withheld small cell is audited: the
table's sums are solved as linear equations in the withheld figures, and
while any small cell can be solved exactly, one more figure of its line
(the smallest) is withheld.  What this does not do: bound a cell's range
(that a withheld cell is at most 40 is still known from its total).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from totalplace.errors import ConfigError

KEY_FILE = "family.key"
# 16 hex characters (64 bits): no two of a place's people share one in practice.
PSEUDONYM_CHARS = 16

R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)
K = TypeVar("K", bound=Hashable)


def key_path(root: Path) -> Path:
    return root / KEY_FILE


def workspace_key(root: Path) -> bytes:
    """The workspace's pseudonym key, made (32 random bytes, mode 0600) on first use."""
    path = key_path(root)
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # made by another process just now: read theirs
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    if path.stat().st_mode & 0o077:
        raise ConfigError(
            f"{path}: the pseudonym key is readable by others; run `chmod 600 {path}` "
            "(and make a new key if it may have been copied)"
        )
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise ConfigError(f"{path}: not a pseudonym key; remove it to make a new one")
    return key


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """``P-`` or ``F-`` (person or family) and 16 hex characters of
    HMAC-SHA256(key, kind + value): stable in a workspace, meaningless outside it."""
    digest = hmac.new(key, f"{kind}\x1f{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[0].upper()}-{digest[:PSEUDONYM_CHARS]}"


def hidden(n: int, threshold: int) -> bool:
    """True when a count of people must be withheld: above nought and under the threshold."""
    return 0 < n < threshold


def suppress(cells: Mapping[tuple[R, C], int], threshold: int) -> set[tuple[R, C]]:
    """The cells of a (row, column) table of counts to withhold: primary (small
    counts) and secondary (so no row or column total reveals a withheld cell).
    Totals are taken over the cells given; a cell missing from ``cells`` is a
    published zero and is never chosen."""
    withheld = {c for c, n in cells.items() if hidden(n, threshold)}
    lines: dict[tuple[int, Hashable], list[tuple[R, C]]] = {}
    for cell in cells:
        lines.setdefault((0, cell[0]), []).append(cell)
        lines.setdefault((1, cell[1]), []).append(cell)
    changed = True
    while changed:
        changed = False
        for members in lines.values():
            out = [c for c in members if c in withheld]
            if len(out) != 1:
                continue
            rest = sorted((c for c in members if c not in withheld), key=lambda c: cells[c])
            if rest:
                withheld.add(rest[0])
                changed = True
    return withheld


@dataclass(frozen=True)
class Line(Generic[K]):
    """A sum a reader can check: ``parts`` add up to ``total`` (a cell of the
    table, or None when the total is known some other way, e.g. a grand total)."""

    parts: tuple[K, ...]
    total: K | None = None


def _solvable(unknown: list[K], lines: Iterable[Line[K]]) -> set[K]:
    """The unknown cells the lines' sums give exactly (each line: parts less
    total is a known number once the known cells are put in)."""
    if not unknown:
        return set()
    col = {k: i for i, k in enumerate(unknown)}
    rows = []
    for line in lines:
        row = np.zeros(len(unknown))
        for k in line.parts:
            if k in col:
                row[col[k]] += 1.0
        if line.total is not None and line.total in col:
            row[col[line.total]] -= 1.0
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    matrix = np.array(rows)
    # x_i is fixed by the equations when every solution of M x = 0 has x_i = 0
    _, sv, vt = np.linalg.svd(matrix)
    rank = int((sv > 1e-9 * max(1.0, float(sv.max()))).sum())
    null = vt[rank:]
    if null.shape[0] == 0:
        return set(unknown)
    free = np.abs(null).max(axis=0) > 1e-9
    return {k for k, f in zip(unknown, free, strict=True) if not f}


def protect(
    cells: Mapping[K, int],
    lines: Collection[Line[K]],
    threshold: int,
    unpublished: Collection[K] = (),
    fixed: Collection[K] = (),
    prefer: Collection[K] = (),
) -> set[K]:
    """The cells (figures of ``cells``, counts of people by which a cell is
    judged) to withhold so that no small cell (above nought, under
    ``threshold``) is shown or can be solved from the ``lines``' sums.
    ``unpublished`` cells are never shown (they are unknowns to a reader);
    ``fixed`` ones are always shown (a grand total) and never chosen.
    Secondary cells are chosen one at a time from the lines holding a withheld
    cell: the one that leaves fewest small cells solvable, then a ``prefer``
    one (a total worth less than its parts), then the smallest.  A small cell
    alone in all its lines can be covered only by withholding the totals those
    lines add to, which are not in ``cells``: it is withheld and left so.
    Returns the withheld cells, unpublished ones among them."""
    small = {k for k, n in cells.items() if hidden(n, threshold)}
    withheld = (small | set(unpublished)) - set(fixed)
    ordered = {k: i for i, k in enumerate(cells)}

    def exposed(out: set[K]) -> set[K]:
        return _solvable([k for k in cells if k in out], lines) & small

    showing = exposed(withheld)
    while showing:
        # a figure of a line that holds a withheld one; the one that leaves fewest
        # small cells solvable, then the smallest
        choices = {
            k
            for line in lines
            if any(m in withheld for m in _members(line))
            for k in _members(line)
            if k not in withheld and k not in fixed and k in cells
        }
        if not choices:  # only totals outside the table could cover what is left
            return withheld
        after = {k: exposed(withheld | {k}) for k in choices}
        best = min(choices, key=lambda k: (len(after[k]), k not in prefer, cells[k], ordered[k]))
        withheld.add(best)
        showing = after[best]
    return withheld


def _members(line: Line[K]) -> tuple[K, ...]:
    return line.parts if line.total is None else (*line.parts, line.total)
